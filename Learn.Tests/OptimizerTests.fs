module FunctionalAD.Learn.Tests.OptimizerTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Learn
open FunctionalAD.Tests.TestSupport

// f(x) = ½xᵀAx − bᵀx, minimised at A⁻¹b = (0.2, 0.4).
let private a = mat [ [ 3.0; 1.0 ]; [ 1.0; 2.0 ] ]
let private b = vec [ 1.0; 1.0 ]
let private quadratic (x: Tensor) = 0.5 * Tensor.dot x (Tensor.matmul a x) - Tensor.dot b x
let private solution = vec [ 0.2; 0.4 ]

let private rosenbrock (v: Tensor) =
    let x, y = Tensor.index 0 0 v, Tensor.index 0 1 v
    Tensor.square (1.0 - x) + 100.0 * Tensor.square (y - x * x)

/// Runs a first-order optimiser for n steps on f from x0.
let private runSteps (optimizer: Optimizer<Tensor, 'S>) (n: int) (f: Tensor -> Tensor) (x0: Tensor) =
    Seq.fold (fun (x, s) _ -> optimizer.Update s x (AD.grad f x)) (x0, optimizer.Init x0) (seq { 1 .. n }) |> fst

[<Fact>]
let ``SGD, momentum and Nesterov reach the minimum of a quadratic`` () =
    let start = vec [ -1.0; 2.0 ]
    assertTensorClose 1e-9 solution (runSteps (Optimizer.sgd 0.2) 200 quadratic start)
    assertTensorClose 1e-9 solution (runSteps (Optimizer.momentum 0.1 0.5) 300 quadratic start)
    assertTensorClose 1e-9 solution (runSteps (Optimizer.nesterov 0.1 0.5) 300 quadratic start)

[<Fact>]
let ``optimisers are named by their settings as %g prints them`` () =
    Assert.Equal("SGD(η=1e-05)", (Optimizer.sgd 1e-5 : Optimizer<Tensor, unit>).Name)
    Assert.Equal("Momentum(η=0.1, β=0.9)", (Optimizer.momentum 0.1 0.9 : Optimizer<Tensor, Tensor>).Name)
    Assert.Equal("Nesterov(η=0.333333, β=0.5)", (Optimizer.nesterov (1.0 / 3.0) 0.5 : Optimizer<Tensor, Tensor>).Name)
    let adam = Optimizer.adamDefaults 0.01
    Assert.Equal("Adam(η=0.01)", (Optimizer.adam adam : Optimizer<Tensor, _>).Name)
    Assert.Equal("AdamW(η=0.01, λ=1.23457e+08)", (Optimizer.adamW { adam with WeightDecay = 123456789.0 } : Optimizer<Tensor, _>).Name)
    for x in [ 1e-5; 0.01; 1.0 / 3.0; 123456789.0; 5e-324 ] do
        Assert.Equal(sprintf "SGD(η=%g)" x, (Optimizer.sgd x : Optimizer<Tensor, unit>).Name)

[<Fact>]
let ``one SGD and one momentum step have their closed forms`` () =
    let x0 = vec [ -1.0; 2.0 ]
    let g = AD.grad quadratic x0
    assertTensorClose 1e-15 (x0 - 0.1 * g) (runSteps (Optimizer.sgd 0.1) 1 quadratic x0)
    // two momentum steps: v₁ = g₀, v₂ = βv₁ + g₁
    let x1 = x0 - 0.1 * g
    let x2 = x1 - 0.1 * (0.5 * g + AD.grad quadratic x1)
    assertTensorClose 1e-15 x2 (runSteps (Optimizer.momentum 0.1 0.5) 2 quadratic x0)
    // Nesterov's first step looks ahead: x₁ = x₀ − η(g + βg)
    assertTensorClose 1e-15 (x0 - 0.1 * 1.5 * g) (runSteps (Optimizer.nesterov 0.1 0.5) 1 quadratic x0)

[<Fact>]
let ``Adam's first step is the learning rate times the gradient's sign, and it converges`` () =
    let x0 = vec [ -1.0; 2.0 ]
    let g = AD.grad quadratic x0
    let adam = Optimizer.adam (Optimizer.adamDefaults 0.01)
    assertTensorClose 1e-15 (x0 - 0.01 * g / (abs g + 1e-8)) (runSteps adam 1 quadratic x0)
    assertTensorClose 1e-6 solution (runSteps (Optimizer.adam (Optimizer.adamDefaults 0.02)) 3000 quadratic x0)

[<Fact>]
let ``AdamW decays the weights directly, apart from the gradient`` () =
    let x0 = vec [ 2.0; -4.0 ]
    let adamW = Optimizer.adamW { Optimizer.adamDefaults 0.1 with WeightDecay = 0.5 }
    // zero gradient: the adaptive step is 0 and only the decay acts, x₁ = (1 − ηλ)x₀
    assertTensorClose 1e-15 (0.95 * x0) (runSteps adamW 1 (fun x -> 0.0 * Tensor.sum x) x0)
    Assert.Throws<ArgumentException>(fun () -> Optimizer.adam { Optimizer.adamDefaults 0.1 with WeightDecay = 0.5 } |> ignore) |> ignore
    Assert.Throws<ArgumentOutOfRangeException>(fun () -> Optimizer.sgd -1.0 |> ignore) |> ignore
    Assert.Throws<ArgumentOutOfRangeException>(fun () -> Optimizer.momentum 0.1 1.0 |> ignore) |> ignore

[<Fact>]
let ``optimisers update parameter structures leaf by leaf`` () =
    let p = { W = mat [ [ 1.0 ] ]; B = vec [ 2.0 ] }
    let loss (q: Dense) = Tensor.sum (Tensor.square q.W) + Tensor.sum (Tensor.square (q.B - 1.0))
    let sgd = Optimizer.sgd 0.25
    let p1, () = sgd.Update () p (AD.grad loss p)
    assertTensorClose 1e-15 (mat [ [ 0.5 ] ]) p1.W
    assertTensorClose 1e-15 (vec [ 1.5 ]) p1.B

let private options = { MaxIterations = 200; GradientTolerance = 1e-10 }

[<Fact>]
let ``Newton solves a quadratic in one step; Newton-CG and L-BFGS in a few`` () =
    let start = vec [ -1.0; 2.0 ]
    let newton = Newton.minimize options quadratic start
    Assert.True(newton.Converged)
    Assert.Equal(1, (List.last newton.History).Iteration)
    assertTensorClose 1e-12 solution newton.Solution
    let cg = NewtonCg.minimize 10 options quadratic start
    Assert.True(cg.Converged)
    // the forcing term min(0.5, √‖g‖)·‖g‖ stops CG early while ‖g‖ is large (inexact Newton
    // steps, superlinear rate); in 2-D, two CG steps are exact, which ends it by the 5th iteration
    Assert.True((List.last cg.History).Iteration <= 5)
    assertTensorClose 1e-10 solution cg.Solution
    let lbfgs = Lbfgs.minimize 5 options quadratic start
    Assert.True(lbfgs.Converged)
    Assert.True((List.last lbfgs.History).Iteration <= 10)
    assertTensorClose 1e-10 solution lbfgs.Solution

[<Fact>]
let ``L-BFGS, Newton and Newton-CG find the Rosenbrock minimum`` () =
    let start = vec [ -1.2; 1.0 ]
    for result in [ Lbfgs.minimize 10 options rosenbrock start; Newton.minimize options rosenbrock start; NewtonCg.minimize 10 options rosenbrock start ] do
        Assert.True(result.Converged)
        assertTensorClose 1e-8 (vec [ 1.0; 1.0 ]) result.Solution
    // the objective never increases along the damped Newton iterates (Armijo)
    let values = (Newton.minimize options rosenbrock start).History |> List.map (fun it -> it.Value)
    Assert.True(List.pairwise values |> List.forall (fun (u, v) -> v <= u))

[<Fact>]
let ``the two-loop recursion applies the BFGS inverse with one pair exactly`` () =
    // one pair (s, y) with H₀ = γI, γ = sᵀy/yᵀy: H = (I − ρsyᵀ)H₀(I − ρysᵀ) + ρssᵀ
    let s', y' = vec [ 1.0; 0.5 ], vec [ 2.0; 1.5 ]
    let g = vec [ 0.3; -0.7 ]
    let rho = 1.0 / scalarOf (Tensor.dot y' s')
    let gamma = scalarOf (Tensor.dot s' y') / scalarOf (Tensor.dot y' y')
    let eye = Tensor.eye 2
    let h = Tensor.matmul (Tensor.matmul (eye - rho * Tensor.outer s' y') (gamma * eye)) (eye - rho * Tensor.outer y' s') + rho * Tensor.outer s' s'
    assertTensorClose 1e-14 (-(Tensor.matmul h g)) (Lbfgs.direction [ s', y' ] g)

[<Fact>]
let ``the Armijo search halves until the decrease is sufficient`` () =
    let f (x: Tensor) = Tensor.sum (Tensor.square x)
    let current = Solver.evaluate f (vec [ 1.0 ]) 0
    // along d = −g = −2 from x = 1, t = 1 overshoots to −1 (no decrease); t = 0.5 lands on 0
    let t, value = LineSearch.backtracking f current (-current.Gradient) 1.0
    assertClose 0.0 0.5 t
    assertClose 0.0 0.0 value
    Assert.Throws<ArgumentException>(fun () -> LineSearch.backtracking f current current.Gradient 1.0 |> ignore) |> ignore

[<Fact>]
let ``below f's rounding noise the search decides by slopes (approximate Armijo)`` () =
    // f = 1 + 1e-16·(x − 1)² plus a blocked term that makes every point but 0 look 5e-15 worse,
    // as rounding can: the Armijo test on values always fails, the slopes still tell the truth
    let f (x: Tensor) =
        let roundingNoise = Tensor.stopGradient (5e-15 * (1.0 - Tensor.equal x (Tensor.zerosLike x)))
        Tensor.sum (1.0 + 1e-16 * Tensor.square (x - 1.0) + roundingNoise)
    let current = Solver.evaluate f (vec [ 0.0 ]) 0
    // from t = 4 (slope 6e-16 > 0 at x = 4: past the minimum) and t = 2 (slope equal to |φ'(0)|:
    // too far) back to t = 1, the exact minimiser along d
    let t, _ = LineSearch.backtracking f current (vec [ 1.0 ]) 4.0
    assertClose 0.0 1.0 t
