namespace FunctionalAD.Learn

open System
open FunctionalAD

/// L-BFGS's state: the iterate and the most recent curvature pairs (s = Δx, y = Δ∇f), newest first.
type LbfgsState =
    { Current: Iterate
      Pairs: (Tensor * Tensor) list }

/// Limited-memory BFGS (Nocedal & Wright, Algorithm 7.4): the two-loop recursion applies an
/// inverse-Hessian estimate built from the last m curvature pairs; a backtracking Armijo line
/// search picks the step.
[<RequireQualifiedAccess>]
module Lbfgs =
    let private inner (a: Tensor) (b: Tensor) = Tensor.toScalar (Tensor.sum (a * b))

    /// −H·g by the two-loop recursion, with H₀ = γI scaled by the newest pair (γ = sᵀy / yᵀy).
    let direction (pairs: (Tensor * Tensor) list) (gradient: Tensor) =
        let q, alphas =
            pairs |> List.fold (fun (q: Tensor, alphas) (s, y) ->
                let rho = 1.0 / inner y s
                let alpha = rho * inner s q
                q - alpha * y, (alpha, rho) :: alphas) (gradient, [])
        let gamma = match pairs with | (s, y) :: _ -> inner s y / inner y y | [] -> 1.0
        // `alphas` is oldest first after the fold, which is the order of the second loop.
        let r =
            List.fold2 (fun (r: Tensor) (s, y) (alpha, rho) ->
                let beta = rho * inner y r
                r + (alpha - beta) * s) (gamma * q) (List.rev pairs) alphas
        -r

    /// One L-BFGS iteration keeping at most `memory` pairs. A pair with sᵀy ≤ 0 (no positive
    /// curvature) is not kept, which keeps the estimate positive definite.
    let step (memory: int) (f: Tensor -> Tensor) (state: LbfgsState) =
        let current = state.Current
        let candidate = direction state.Pairs current.Gradient
        let d, pairs = if inner candidate current.Gradient < 0.0 then candidate, state.Pairs else -current.Gradient, []
        let initialStep = if List.isEmpty pairs then Math.Min(1.0, 1.0 / current.GradientNorm) else 1.0
        let t, _ = LineSearch.backtracking f current d initialStep
        let next = Solver.evaluate f (current.X + t * d) (current.Iteration + 1)
        let s, y = next.X - current.X, next.Gradient - current.Gradient
        let pairs' = if inner s y > 1e-12 then List.truncate memory ((s, y) :: pairs) else pairs
        { Current = next; Pairs = pairs' }

    /// Minimises f over a parameter structure from x0 with `memory` curvature pairs.
    let minimize (memory: int) (options: SolverOptions) (f: 'P -> Tensor) (x0: 'P) : SolverResult<'P> =
        if memory <= 0 then raise (ArgumentOutOfRangeException("memory", memory, "Lbfgs: the memory must be positive"))
        let flat = Solver.flatObjective f x0
        let start = { Current = Solver.evaluate flat (Params.flatten x0) 0; Pairs = [] }
        let _, history, converged = Solver.run options (fun s -> s.Current) (step memory flat) start
        Solver.result x0 history converged
