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
    Levels.withNewLevel (fun tag ->
        let w = Graph.variable tag (Tensor.randomNormal 8 [| 5; 1 |]).Node
        let cotangents (y: Node) =
            match y.Kind with
            | Apply op -> op.Vjp y.Args y (Graph.constant (NdArray.ones y.Shape)) |> Array.map ValueOption.isSome
            | _ -> failwith "not an operation"
        Assert.Equal<bool[]>([| false; true |], cotangents (Primitives.LinearAlgebra.matmul x w))
        Assert.Equal<bool[]>([| false; true |], cotangents (Primitives.Arithmetic.mul (Primitives.Arithmetic.scalar 2.0) w))
        Assert.Equal<bool[]>([| false; true; false |], cotangents (Primitives.Elementwise.where mask (Primitives.LinearAlgebra.matmul x w) (Primitives.Arithmetic.scalar 0.0)))
        Assert.Equal<bool[]>([| false; true |], cotangents (Primitives.Einsum.einsum "ij,jk->ik" [| x; w |])))

/// An operation record for tests of the engine's bookkeeping (no derivative rules needed).
let private testOp name (eval: NdArray[] -> NdArray) : Op =
    { Name = name; Params = Param.empty; Eval = eval; Jvp = (fun _ _ _ -> ValueNone); Vjp = (fun args _ _ -> Array.create args.Length ValueNone); Capabilities = Param.none }

[<Fact>]
let ``a value whose shape differs from the shape rule is an error naming the operation`` () =
    // A node keeps its shape in its value, so the two must agree; a kernel that disagrees with
    // its shape rule is caught where the node is built rather than giving wrong shapes later.
    let wrong = testOp "wrongShape" (fun _ -> NdArray.zeros [| 3 |])
    Levels.withNewLevel (fun tag ->
        let x = Graph.variable tag (Tensor.ofArray [| 1.0; 2.0 |]).Node
        let error = Assert.Throws<System.InvalidOperationException>(fun () -> Graph.apply wrong [| 2 |] [| x |] |> ignore)
        Assert.Contains("wrongShape", error.Message)
        Assert.Contains("[3]", error.Message)
        Assert.Contains("[2]", error.Message))

[<Fact>]
let ``an evaluation that builds nodes itself keeps its own argument values`` () =
    // Argument-value arrays are reused per thread; an evaluation running inside another must
    // not overwrite the outer one's arguments.
    let inner = testOp "inner" (fun v -> Kernels.map (SpanUnary(fun a d -> System.Numerics.Tensors.TensorPrimitives.Negate(a, d))) v[0])
    let outer =
        testOp "outer" (fun v ->
            let before = v[0].Scalar, v[1].Scalar
            let nested = Graph.applyBinary (testOp "nestedPair" (fun w -> NdArray.scalar (w[0].Scalar * 10.0 + w[1].Scalar))) [||] (Graph.constant (NdArray.scalar 7.0)) (Graph.constant (NdArray.scalar 8.0))
            let single = Graph.applyUnary inner [||] (Graph.constant (NdArray.scalar 5.0))
            Assert.Equal(before, (v[0].Scalar, v[1].Scalar))
            NdArray.scalar (v[0].Scalar - v[1].Scalar + nested.Value.Scalar + single.Value.Scalar))
    let result = Graph.applyBinary outer [||] (Graph.constant (NdArray.scalar 3.0)) (Graph.constant (NdArray.scalar 1.0))
    assertClose 1e-15 (3.0 - 1.0 + 78.0 - 5.0) result.Value.Scalar
