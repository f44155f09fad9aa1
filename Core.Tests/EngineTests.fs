/// Properties of the engine itself: no history on constants, iterative sweeps, release.
module FunctionalAD.Tests.EngineTests

open Xunit
open FunctionalAD
open FunctionalAD.Tests.TestSupport

[<Fact>]
let ``operations on constants keep no history`` () =
    let mutable w = vec [ 1.0; 2.0 ]
    for _ in 1 .. 100 do
        w <- w - 0.1 * AD.grad (fun w -> Tensor.sum (w * w)) w
    Assert.True w.IsConstant
    assertTensorClose 1e-12 (vec [ 1.0; 2.0 ] * (0.8 ** 100.0)) w

[<Fact>]
let ``a chain of a million operations differentiates without overflowing the stack`` () =
    let chain (x: Tensor) =
        let mutable v = x
        for _ in 1 .. 1_000_000 do
            v <- v * 0.999999 + 1e-6
        v
    let g = AD.grad chain (s 1.0)
    assertClose 1e-9 (0.999999 ** 1e6) (scalarOf g)

[<Fact>]
let ``results inside an enclosing transform stay differentiable`` () =
    // the inner gradient depends on the outer variable; release must keep it live
    let outer (x: Tensor) = AD.grad (fun y -> x * y * y) x
    // d/dx [2 x·x] = 4x
    assertClose 1e-15 12.0 (scalarOf (AD.grad outer (s 3.0)))

[<Fact>]
let ``a pullback can be reused and differentiated later`` () =
    let _, pullback = AD.vjp (fun (x: Tensor) -> x * x * x) (s 2.0)
    assertClose 0.0 12.0 (scalarOf (pullback (s 1.0)))
    assertClose 0.0 24.0 (scalarOf (pullback (s 2.0)))
    // the pullback is linear in its cotangent: differentiate through it
    assertClose 0.0 12.0 (scalarOf (AD.grad (fun u -> pullback u) (s 5.0)))

[<Fact>]
let ``rules compute no cotangent for a constant argument`` () =
    // The cotangent of a 2000×500 constant in X·w would be an 8 MB outer product per gradient.
    let x = (Tensor.randomNormal 7 [| 20; 5 |]).Node
    let mask = (Tensor.greater (Tensor.randomNormal 9 [| 20; 1 |]) (Tensor.scalar 0.0)).Node
    Graph.withNewLevel (fun tag ->
        let w = Graph.variable tag (Tensor.randomNormal 8 [| 5; 1 |]).Node
        let cotangents (y: Node) =
            match y.Kind with
            | Apply op -> op.Vjp y.Args y (Graph.constant (NdArray.ones y.Shape)) |> Array.map ValueOption.isSome
            | _ -> failwith "not an operation"
        Assert.Equal<bool[]>([| false; true |], cotangents (Primitives.LinearAlgebra.matmul x w))
        Assert.Equal<bool[]>([| false; true |], cotangents (Primitives.Arithmetic.mul (Primitives.Arithmetic.scalar 2.0) w))
        Assert.Equal<bool[]>([| false; true; false |], cotangents (Primitives.Elementwise.where mask (Primitives.LinearAlgebra.matmul x w) (Primitives.Arithmetic.scalar 0.0)))
        Assert.Equal<bool[]>([| false; true |], cotangents (Primitives.Einsum.einsum "ij,jk->ik" [| x; w |])))
