module FunctionalAD.Learn.Tests.HyperGradientTests

open Xunit
open FunctionalAD
open FunctionalAD.Learn
open FunctionalAD.Tests.TestSupport

// A small least-squares problem with a training and a validation half.
let private x = Tensor.randomNormal 21 [| 20; 3 |]
let private wTrue = vec [ 1.0; -2.0; 0.5 ]
let private y = Tensor.matmul x wTrue + 0.3 * Tensor.randomNormal 22 [| 20 |]
let private half (t: Tensor) lo = Tensor.slice (Array.init t.Rank (fun i -> if i = 0 then (lo, lo + 10, 1) else (0, t.Shape[i], 1))) t
let private trainLoss (w: Tensor) = Loss.squaredError (Tensor.matmul (half x 0) w) (half y 0)
let private validationLoss (w: Tensor) = Loss.squaredError (Tensor.matmul (half x 10) w) (half y 10)
let private w0 = Tensor.zeros [| 3 |]

[<Fact>]
let ``the learning-rate hyper-gradient through unrolled descent matches finite differences`` () =
    let value, gradient = Unrolled.learningRateGradient trainLoss validationLoss 15 w0 0.1
    let at eta = validationLoss (Unrolled.descend trainLoss 15 w0 (s eta))
    assertClose 1e-15 (scalarOf (at 0.1)) value
    let h = 1e-5
    assertClose 1e-7 ((scalarOf (at (0.1 + h)) - scalarOf (at (0.1 - h))) / (2.0 * h)) gradient

[<Fact>]
let ``the L2 hyper-gradient through unrolled descent matches finite differences`` () =
    let at lambda = fst (Unrolled.l2Gradient trainLoss validationLoss 10 0.1 w0 lambda)
    let _, gradient = Unrolled.l2Gradient trainLoss validationLoss 10 0.1 w0 0.5
    let h = 1e-5
    assertClose 1e-7 ((at (0.5 + h) - at (0.5 - h)) / (2.0 * h)) gradient

// x = F(x, θ) = ½·tanh(W·x + θ), a contraction because ‖½W‖ < 1.
let private wFixed = 0.4 * Tensor.randomNormal 31 [| 3; 3 |]
let private step (x: Tensor) (theta: Tensor) = 0.5 * Tensor.tanh (Tensor.matmul wFixed x + theta)
let private theta = vec [ 0.3; -0.2; 0.8 ]
let private objective (x: Tensor) = Tensor.sum (x * vec [ 1.0; 2.0; -1.0 ])

[<Fact>]
let ``the implicit gradient of a fixed point matches unrolling and finite differences`` () =
    let solve = FixedPoint.solve step 1e-14 1000 (Tensor.zeros [| 3 |])
    let xStar = solve theta
    assertTensorClose 1e-13 xStar (step xStar theta)
    let implicitGradient = AD.grad (fun th -> objective (solve th)) theta
    let unrolledGradient = AD.grad (fun th -> objective (FixedPoint.unrolled step 100 (Tensor.zeros [| 3 |]) th)) theta
    assertTensorClose 1e-12 unrolledGradient implicitGradient
    assertTensorClose 1e-8 (Numerical.gradient (fun th -> objective (solve th)) theta) implicitGradient
    // the implicit gradient is also exact by the implicit function theorem: (∂F/∂θ)ᵀ(I − ∂F/∂x)⁻ᵀ∇g
    let jx = AD.jacobian (fun v -> step v theta) xStar
    let jt = AD.jacobian (fun th -> step xStar th) theta
    let v = Tensor.solve (Tensor.transpose (Tensor.eye 3 - jx)) (vec [ 1.0; 2.0; -1.0 ])
    assertTensorClose 1e-12 (Tensor.matmul (Tensor.transpose jt) v) implicitGradient

[<Fact>]
let ``a fixed-point iteration that does not converge is reported`` () =
    let diverging (x: Tensor) (th: Tensor) = 2.0 * x + th
    Assert.Throws<System.InvalidOperationException>(fun () -> FixedPoint.iterate diverging 1e-10 50 (vec [ 1.0 ]) (vec [ 1.0 ]) |> ignore) |> ignore
