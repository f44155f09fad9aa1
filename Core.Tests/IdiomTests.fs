/// F# idioms on tensors: List.sum and List.average, integer powers, two-index access, slicing
/// conventions, and NumPy-like printing of large tensors.
module FunctionalAD.Tests.IdiomTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Tests.TestSupport

[<Fact>]
let ``List.sum, Seq.sum and List.average of tensors use Zero and DivideByInt`` () =
    let parts = [ vec [ 1.0; 2.0 ]; vec [ 10.0; 20.0 ]; vec [ 100.0; 200.0 ] ]
    assertTensorClose 0.0 (vec [ 111.0; 222.0 ]) (List.sum parts)
    assertTensorClose 0.0 (vec [ 37.0; 74.0 ]) (List.average parts)
    assertTensorClose 0.0 (Tensor.scalar 0.0) (Seq.sum Seq.empty<Tensor>)
    // Differentiable like any sum: d/dw Σₖ (k·w)² = Σₖ 2k²w.
    let g = AD.grad (fun (w: Tensor) -> List.sum [ for k in 1 .. 3 -> Tensor.square (float k * w) ]) (Tensor.scalar 0.5)
    assertClose 1e-15 (2.0 * 14.0 * 0.5) (g.ToScalar())

[<Fact>]
let ``x ** n takes an integer exponent`` () =
    let x = vec [ 1.5; -2.0 ]
    assertTensorClose 1e-15 (x * x) (x ** 2)
    assertTensorClose 1e-15 (1.0 / x) (x ** -1)
    assertTensorClose 1e-15 (3.0 * x * x) (AD.grad (fun x -> Tensor.sum (x ** 3)) x)
    // A number to a tensor power is written with the base as a tensor (F#'s ** returns its
    // left operand's type), and max/min of tensors are Tensor.maximum/minimum.
    assertTensorClose 1e-15 (vec [ Math.Pow(2.0, 1.5); 0.25 ]) (Tensor.scalar 2.0 ** x)
    assertTensorClose 0.0 (vec [ 1.5; 0.0 ]) (Tensor.maximum x (Tensor.scalar 0.0))

[<Fact>]
let ``m[i, j] is one element, negative indices count from the end`` () =
    let m = Tensor.reshape [| 2; 3 |] (Tensor.arange 6)
    Assert.Equal(5.0, m[1, 2].ToScalar())
    Assert.Equal(3.0, m[-1, 0].ToScalar())
    Assert.Empty(m[0, 1].Shape)
    let cube = Tensor.reshape [| 2; 3; 4 |] (Tensor.arange 24)
    Assert.Equal(23.0, cube[1, -1, 3].ToScalar())
    let e = Assert.ThrowsAny<ArgumentException>(fun () -> (vec [ 1.0; 2.0 ])[0, 0] |> ignore)
    Assert.Contains("two indices for a tensor of rank 1", e.Message)

[<Fact>]
let ``F# ranges include their end, Tensor.slice excludes its stop`` () =
    let v = Tensor.arange 6
    // F# slicing, as for F# arrays: v[1..3] is elements 1, 2 and 3.
    Assert.Equal<float[]>([| 1.0; 2.0; 3.0 |], v[1..3].ToArray())
    Assert.Equal<float[]>([| 1.0; 2.0; 3.0 |], [| 0.0 .. 5.0 |][1..3])
    Assert.Equal<float[]>([| 4.0; 5.0 |], v[4..].ToArray())
    // Tensor.slice takes Python's (start, stop, step): the stop is excluded.
    Assert.Equal<float[]>([| 1.0; 2.0 |], (Tensor.slice [| (1, 3, 1) |] v).ToArray())
    Assert.Equal<float[]>([| 0.0; 2.0; 4.0 |], (Tensor.slice [| (0, 6, 2) |] v).ToArray())

[<Fact>]
let ``large tensors print elided like NumPy, under a configurable threshold`` () =
    let big = Tensor.reshape [| 10; 100 |] (Tensor.arange 1000)
    // 1000 elements is the threshold itself: printed whole.
    Assert.DoesNotContain("...", big.ToString())
    let larger = Tensor.reshape [| 10; 101 |] (Tensor.arange 1010)
    let text = larger.ToString()
    Assert.True(text.Length < 400, sprintf "%d characters" text.Length)
    Assert.StartsWith("Tensor(shape [10,101],\n[[0, 1, 2, ..., 98, 99, 100],\n [101, 102, 103, ...", text)
    Assert.Contains(",\n ...,\n [707, 708, 709, ..., 805, 806, 807],\n", text)
    Assert.EndsWith("[909, 910, 911, ..., 1007, 1008, 1009]])", text)
    let before = PrintOptions.Threshold
    try
        PrintOptions.Threshold <- 2000
        Assert.DoesNotContain("...", larger.ToString())
    finally
        PrintOptions.Threshold <- before
    Assert.Throws<ArgumentOutOfRangeException>(fun () -> PrintOptions.EdgeItems <- 0) |> ignore
