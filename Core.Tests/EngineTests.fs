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
