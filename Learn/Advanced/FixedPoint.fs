namespace FunctionalAD.Learn

open System
open FunctionalAD

/// Implicit differentiation of a fixed point x*(θ) = F(x*(θ), θ) (the implicit function theorem):
/// instead of differentiating through every iteration that found x*, the reverse rule solves one
/// linear system at the solution: with v = (I − ∂F/∂x)⁻ᵀ x̄, the cotangent of θ is (∂F/∂θ)ᵀ v.
/// Memory and cost no longer grow with the number of iterations.
[<RequireQualifiedAccess>]
module FixedPoint =
    let private distance (a: Tensor) (b: Tensor) = Tensor.toScalar (Tensor.max (Tensor.abs (a - b)))

    /// Iterates x ← F(x, θ) from x₀ until successive iterates differ by at most `tolerance` (max
    /// norm); raises if `maxIterations` pass first (F is then probably not a contraction).
    let iterate (f: Tensor -> Tensor -> Tensor) (tolerance: float) (maxIterations: int) (x0: Tensor) (theta: Tensor) =
        let rec loop (x: Tensor) k =
            let x' = f x theta
            if distance x' x <= tolerance then x'
            elif k >= maxIterations then
                raise (InvalidOperationException(sprintf "FixedPoint.iterate: no convergence to %g in %d iterations; F must be a contraction in x" tolerance maxIterations))
            else loop x' (k + 1)
        loop x0 1

    /// x*(θ) as a differentiable function of θ with the implicit VJP. The forward pass iterates on
    /// plain values; the reverse pass solves (I − ∂F/∂x)ᵀ v = x̄ by the same fixed-point iteration
    /// v ← x̄ + (∂F/∂x)ᵀ v, each step one `AD.vjp` pullback of F at x* (it converges whenever F is
    /// a contraction in x), then returns (∂F/∂θ)ᵀ v.
    let solve (f: Tensor -> Tensor -> Tensor) (tolerance: float) (maxIterations: int) (x0: Tensor) : Tensor -> Tensor =
        let forward (theta: Tensor) = iterate f tolerance maxIterations x0 theta
        let reverse (theta: Tensor) (xStar: Tensor) (cotangent: Tensor) =
            let _, pullbackX = AD.vjp (fun x -> f x theta) xStar
            let v = iterate (fun v _ -> cotangent + pullbackX v) tolerance maxIterations cotangent theta
            let _, pullbackTheta = AD.vjp (fun th -> f xStar th) theta
            pullbackTheta v
        Custom.withVjp "fixedPoint" forward reverse

    /// x_K(θ) after exactly K iterations, traced: reverse mode goes back through every iteration
    /// (the unrolled alternative to `solve`).
    let unrolled (f: Tensor -> Tensor -> Tensor) (iterations: int) (x0: Tensor) (theta: Tensor) =
        Seq.fold (fun x _ -> f x theta) x0 (seq { 1 .. iterations })
