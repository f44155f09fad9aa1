module FunctionalAD.Compile.Tests.DonationTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Compile.Tests.Support

// A few SGD steps of the tanh MLP: parameters in, new parameters out (the donation use case).
let private x = uniform 40 -1.0 1.0 [| 12; 5 |]
let private labels = oneHot 3 (Array.init 12 (fun i -> i % 3))
let private loss = mlpLoss x labels
let private step (p: Tensor[]) =
    let l, g = AD.valueAndGrad loss p
    l, Array.map2 (fun (p: Tensor) g -> p - 0.5 * g) p g
let private initial () =
    [| uniform 41 -0.5 0.5 [| 5; 7 |]; Tensor.zeros [| 7 |]; uniform 42 -0.5 0.5 [| 7; 3 |]; Tensor.zeros [| 3 |] |]
let private buffer (t: Tensor) = t.Node.Value.Data

[<Fact>]
let ``a donating step computes what the eager step computes, for many steps`` () =
    let donating = Compile.compileDonating step
    let mutable eager, compiled = initial (), initial ()
    for _ in 1 .. 5 do
        let lossEager, nextEager = step eager
        let lossCompiled, nextCompiled = donating compiled
        assertSame lossEager lossCompiled
        Array.iter2 assertSame nextEager nextCompiled
        eager <- nextEager
        compiled <- nextCompiled

[<Fact>]
let ``the new parameters are written into the donated buffers`` () =
    let donating = Compile.compileDonating step
    let p = initial ()
    let before = p |> Array.map buffer
    Assert.Equal(4, (Compile.summarize step p).DonatableOutputs)
    let _, next = donating p
    Array.iter2 (fun (old: double[]) (t: Tensor) -> Assert.Same(old, buffer t)) before next

[<Fact>]
let ``a donated input cannot be read afterwards, and the error says why`` () =
    let p = initial ()
    Compile.compileDonating step p |> ignore
    let e = Assert.Throws<InvalidOperationException>(fun () -> p[0].ToArray() |> ignore)
    Assert.Contains("donated", e.Message)
    Assert.Contains("[5,7]", e.Message)
    Assert.Throws<InvalidOperationException>(fun () -> Compile.compileDonating step p |> ignore) |> ignore

[<Fact>]
let ``a buffer another tensor can see is not reused`` () =
    let p = initial ()
    let view = Tensor.reshape [| 35 |] p[0]
    let expected = view.ToArray()
    let _, next = Compile.compileDonating step p
    Assert.Equal<double[]>(expected, view.ToArray())
    Assert.NotSame(buffer view, buffer next[0])

[<Fact>]
let ``the same tensor passed twice is not overwritten while it is still read`` () =
    let f (a: Tensor, b: Tensor) = a * 2.0, Tensor.sum (Tensor.matmul (Tensor.reshape [| 1; 4 |] b) (Tensor.reshape [| 4; 1 |] b))
    let t = Tensor.ofArray [| 1.0; 2.0; 3.0; 4.0 |]
    let doubled, square = Compile.compileDonating f (t, t)
    Assert.Equal<double[]>([| 2.0; 4.0; 6.0; 8.0 |], doubled.ToArray())
    Assert.Equal(30.0, square.ToScalar())

[<Fact>]
let ``an input still read by a later step keeps its buffer until then`` () =
    // The elementwise output could be scheduled before the product that reads the same input.
    let f (w: Tensor) = w + 1.0, Tensor.matmul w w
    let w () = Tensor.create [| 3; 3 |] (Array.init 9 float)
    let expectedSum, expectedProduct = f (w ())
    let sum, product = Compile.compileDonating f (w ())
    assertSame expectedSum sum
    assertSame expectedProduct product

[<Fact>]
let ``an output that is an input or a constant of the plan shares its buffer safely`` () =
    let c = Tensor.ofArray [| 5.0; 6.0 |]
    let f (a: Tensor) = a, c, a * 3.0
    let a = Tensor.ofArray [| 1.0; 2.0 |]
    let same, constant, tripled = Compile.compileDonating f a
    Assert.Equal<double[]>([| 1.0; 2.0 |], same.ToArray())
    Assert.Equal<double[]>([| 3.0; 6.0 |], tripled.ToArray())
    // Donating the returned constant to another function must not change the plan's constant.
    Compile.compileDonating (fun (t: Tensor) -> t * 10.0) constant |> ignore
    let _, again, _ = Compile.compile f (Tensor.ofArray [| 0.0; 0.0 |])
    Assert.Equal<double[]>([| 5.0; 6.0 |], again.ToArray())
    Assert.Equal<double[]>([| 5.0; 6.0 |], c.ToArray())

[<Fact>]
let ``inputs with derivative history are not donated: the function runs uncompiled`` () =
    let f (w: Tensor) = Tensor.sum (w * w)
    let donating = Compile.compileDonating f
    let w = Tensor.ofArray [| 1.0; -2.0 |]
    let g = AD.grad donating w
    Assert.Equal<double[]>([| 2.0; -4.0 |], g.ToArray())
    Assert.Equal<double[]>([| 1.0; -2.0 |], w.ToArray())

[<Fact>]
let ``a donating call that fails part-way still gives its inputs up`` () =
    // The elementwise output may be written into the donated buffer before the Cholesky
    // factorisation fails; the input must then not be readable as if nothing had happened.
    let f (a: Tensor) = a * 2.0, Tensor.cholesky a
    let notPositive () = Tensor.create [| 2; 2 |] [| 1.0; 2.0; 2.0; 1.0 |]
    Assert.ThrowsAny<exn>(fun () -> Compile.compile f (notPositive ()) |> ignore) |> ignore
    let a = notPositive ()
    Assert.ThrowsAny<exn>(fun () -> Compile.compileDonating f a |> ignore) |> ignore
    Assert.Throws<InvalidOperationException>(fun () -> a.ToArray() |> ignore) |> ignore
