/// The worked examples of the lecture notes in shared/seeds, reproduced exactly.
module FunctionalAD.Tests.SeedTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Tests.TestSupport

/// Seeds 000: the logistic loss of one sample (x, y) = (3.5, 1).
let logistic (w: Tensor) = log (1.0 + exp (-3.5 * w))

[<Fact>]
let ``logistic loss derivative equals the analytic form -yx/(1+exp(yxw))`` () =
    for w in [ -2.0; -0.3; 0.0; 0.5; 1.7 ] do
        let expected = -3.5 / (1.0 + Math.Exp(3.5 * w))
        assertClose 1e-14 expected (scalarOf (AD.grad logistic (s w)))
        assertClose 1e-14 expected (scalarOf (AD.derivative logistic (s w)))

[<Fact>]
let ``logistic loss forward and backward table matches the lecture`` () =
    let w0 = 0.5
    let rows = (Explain.table logistic (s w0)).Rows |> List.toArray
    // v0 = w0, v1 = -3.5 v0, v2 = exp v1, v3 = 1 + v2, v4 = log v3 (the lecture merges v2 and v3)
    let v1 = -3.5 * w0
    let v3 = 1.0 + Math.Exp v1
    let value i = rows[i].Value.Scalar
    let adjoint i = rows[i].Adjoint.Scalar
    let local i = (snd rows[i].LocalDerivatives.Head).Scalar
    Assert.Equal(5, rows.Length)
    assertClose 1e-15 w0 (value 0)
    assertClose 1e-15 v1 (value 1)
    assertClose 1e-15 v3 (value 3)
    assertClose 1e-15 (Math.Log v3) (value 4)
    // local derivatives ∂v_k/∂v_{k-1}: -3.5, exp(v1), 1, 1/v2
    assertClose 1e-15 -3.5 (local 1)
    assertClose 1e-15 (Math.Exp v1) (local 2)
    assertClose 1e-15 1.0 (local 3)
    assertClose 1e-15 (1.0 / v3) (local 4)
    // adjoints λ_k = ∂f/∂v_k: 1, 1/v2, exp(v1)/v2, -3.5 exp(v1)/v2
    assertClose 1e-15 1.0 (adjoint 4)
    assertClose 1e-15 (1.0 / v3) (adjoint 3)
    assertClose 1e-15 (Math.Exp v1 / v3) (adjoint 1)
    assertClose 1e-15 (-3.5 * Math.Exp v1 / v3) (adjoint 0)

[<Fact>]
let ``one hidden layer (1 - w1 tanh(3.5 w0))^2 has both partial derivatives`` () =
    let f (w0: Tensor, w1: Tensor) = Tensor.square (1.0 - w1 * tanh (3.5 * w0))
    for w0, w1 in [ 0.3, 0.8; -1.2, 2.0; 0.0, 0.5 ] do
        let t = Math.Tanh(3.5 * w0)
        let residual = 1.0 - w1 * t
        let g0, g1 = AD.grad f (s w0, s w1)
        assertClose 1e-14 (2.0 * residual * (-w1) * (1.0 - t * t) * 3.5) (scalarOf g0)
        assertClose 1e-14 (2.0 * residual * (-t)) (scalarOf g1)

[<Fact>]
let ``gradient of x1^3 x2 at (2, 3) is (36, 8)`` () =
    let z (x: Tensor) = x[0] ** 3.0 * x[1]
    assertTensorClose 1e-15 (vec [ 36.0; 8.0 ]) (AD.grad z (vec [ 2.0; 3.0 ]))

[<Fact>]
let ``D_W of g(f(X, h(Z, W))) with g = K^2, f = XY, h = Z + W at (2, 2, 3) is 40`` () =
    let g (k: Tensor) = k * k
    let f (x: Tensor) (y: Tensor) = x * y
    let h (z: Tensor) (w: Tensor) = z + w
    let composite (args: Tensor[]) = g (f args[0] (h args[1] args[2]))
    let grads = AD.gradArgs [| 2 |] composite [| s 2.0; s 2.0; s 3.0 |]
    assertClose 1e-15 40.0 (scalarOf grads[0])

[<Fact>]
let ``x (x + y)^2 has the partial derivatives of the computational-graph example`` () =
    let f (x: Tensor, y: Tensor) = x * Tensor.square (x + y)
    let x, y = 1.5, -0.25
    let gx, gy = AD.grad f (s x, s y)
    assertClose 1e-15 ((x + y) ** 2.0 + 2.0 * x * (x + y)) (scalarOf gx)
    assertClose 1e-15 (2.0 * x * (x + y)) (scalarOf gy)

[<Fact>]
let ``Jacobian of (x1^2, x1 x2 x3) is the transpose of the lecture's D[f]`` () =
    let f (x: Tensor) = Tensor.stack 0 [ x[0] * x[0]; x[0] * x[1] * x[2] ]
    let x1, x2, x3 = 1.5, -2.0, 0.5
    // The lecture's D[f] is 3×2 (inputs × outputs); JAX and PyTorch, and we, return outputs × inputs.
    let expected = Tensor.ofArray2D (array2D [ [ 2.0 * x1; 0.0; 0.0 ]; [ x2 * x3; x1 * x3; x1 * x2 ] ])
    let x = vec [ x1; x2; x3 ]
    assertTensorClose 1e-15 expected (AD.jacfwd f x)
    assertTensorClose 1e-15 expected (AD.jacrev f x)
    assertTensorClose 1e-15 expected (AD.jacobian f x)

[<Fact>]
let ``Jacobian of (x2^2, x1 + x2, x1 x2)`` () =
    let f (x: Tensor) = Tensor.stack 0 [ x[1] * x[1]; x[0] + x[1]; x[0] * x[1] ]
    let x1, x2 = 0.7, 3.0
    let expected = Tensor.ofArray2D (array2D [ [ 0.0; 2.0 * x2 ]; [ 1.0; 1.0 ]; [ x2; x1 ] ])
    assertTensorClose 1e-15 expected (AD.jacfwd f (vec [ x1; x2 ]))
    assertTensorClose 1e-15 expected (AD.jacrev f (vec [ x1; x2 ]))

[<Fact>]
let ``a reused input sums its derivatives: D_Z f(Z, 2Z) = D_X f + 2 D_Y f`` () =
    let f (x: Tensor) (y: Tensor) = Tensor.sum (x * sin y + x * x * y)
    let z = vec [ 0.3; -1.1; 2.0 ]
    let viaReuse = AD.grad (fun z -> f z (2.0 * z)) z
    let dx = AD.grad (fun x -> f x (2.0 * z)) z
    let dy = AD.grad (fun y -> f z y) (2.0 * z)
    assertTensorClose 1e-14 (dx + 2.0 * dy) viaReuse

[<Fact>]
let ``logistic regression gradient on 100 x 20 equals -sum y x / (1 + exp(y w.x))`` () =
    let n, d = 100, 20
    let x = Tensor.randomNormal 7 [| n; d |]
    let y = Tensor.where (Tensor.greater (Tensor.randomNormal 8 [| n |]) (s 0.0)) (s 1.0) (s -1.0)
    let w = 0.1 * Tensor.randomNormal 9 [| d |]
    let loss (w: Tensor) = Tensor.sum (log (1.0 + exp (-y * Tensor.matmul x w)))
    let margins = y * Tensor.matmul x w
    let analytic = -(Tensor.matmul (Tensor.transpose x) (y / (1.0 + exp margins)))
    assertTensorClose 1e-12 analytic (AD.grad loss w)

[<Fact>]
let ``Hessian of tanh(x w0) matches the closed form -2 x^2 t (1 - t^2)`` () =
    for x, w0 in [ 3.5, 0.2; 0.7, -1.0 ] do
        let t = Math.Tanh(x * w0)
        let h = AD.hessian (fun w -> tanh (x * w)) (s w0)
        assertClose 1e-14 (-2.0 * x * x * t * (1.0 - t * t)) (scalarOf h)
    // the vector form of the seeds' second-order example: H = Xᵀ diag(-2 t (1 - t²)) X
    let xs = Tensor.randomNormal 3 [| 10; 4 |]
    let w = 0.3 * Tensor.randomNormal 4 [| 4 |]
    let t = tanh (Tensor.matmul xs w)
    let curvature = -2.0 * t * (1.0 - t * t)
    let expected = Tensor.matmul (Tensor.transpose xs) (Tensor.reshape [| 10; 1 |] curvature * xs)
    assertTensorClose 1e-12 expected (AD.hessian (fun w -> Tensor.sum (tanh (Tensor.matmul xs w))) w)

[<Fact>]
let ``vector-Jacobian product equals the gradient of z . f(w) (seeds' trick)`` () =
    let xs = Tensor.randomNormal 11 [| 10; 4 |]
    let w = Tensor.randomNormal 12 [| 4 |]
    let z = Tensor.randomNormal 13 [| 10 |]
    let f (w: Tensor) = tanh (Tensor.matmul xs w)
    let _, pullback = AD.vjp f w
    assertTensorClose 1e-14 (AD.grad (fun w -> Tensor.sum (z * f w)) w) (pullback z)

/// Seeds 001: f(x) = 2x^4 - 1 and h(x) = x^5 by forward mode (the lecture's dual numbers).
[<Fact>]
let ``forward mode reproduces the dual-number examples`` () =
    // The lecture prints dfdx(2.0) = 24 for f = 2x^4 - 1 with a mistyped derivative 6x^3;
    // the true derivative 8x^3 gives 64 at 2 and 216 at 3.
    let f (x: Tensor) = 2.0 * x ** 4.0 - 1.0
    assertClose 1e-15 64.0 (scalarOf (AD.derivative f (s 2.0)))
    assertClose 1e-15 216.0 (scalarOf (AD.derivative f (s 3.0)))
    assertClose 1e-15 80.0 (scalarOf (AD.derivative (fun x -> x ** 5.0) (s 2.0)))

[<Fact>]
let ``the chain f_k(...f_1(x)) has a derivative graph linear in k`` () =
    let chain k (x: Tensor) =
        let mutable v = x
        for i in 1 .. k do
            v <- (match i % 3 with 0 -> sin v | 1 -> 0.5 * v + 0.1 | _ -> tanh v)
        v
    let counts = [ 10; 100; 1000; 10000 ] |> List.map (fun k -> k, Inspect.count (AD.grad (chain k)) (s 0.3))
    for k, c in counts do
        Assert.True(c <= 4 * k + 10, sprintf "k = %d: %d nodes" k c)
    let c1000 = counts |> List.find (fun (k, _) -> k = 1000) |> snd
    let c10000 = counts |> List.find (fun (k, _) -> k = 10000) |> snd
    assertClose 0.01 10.0 (float c10000 / float c1000)
