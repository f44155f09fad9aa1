namespace FunctionalAD.Learn

open System
open FunctionalAD

/// Newton's method with the exact Hessian (`AD.hessian`, forward-over-reverse) and a linear solve.
/// Damped: a backtracking Armijo search from the full step t = 1, which it accepts near the
/// optimum, where convergence is quadratic.
[<RequireQualifiedAccess>]
module Newton =
    /// The Newton direction d with H·d = −∇f.
    let direction (f: Tensor -> Tensor) (current: Iterate) =
        -(Tensor.solve (AD.hessian f current.X) current.Gradient)

    /// One damped Newton iteration.
    let step (f: Tensor -> Tensor) (current: Iterate) =
        let d = direction f current
        let t, _ = LineSearch.backtracking f current d 1.0
        Solver.evaluate f (current.X + t * d) (current.Iteration + 1)

    /// Minimises a twice-differentiable f over a parameter structure from x0.
    let minimize (options: SolverOptions) (f: 'P -> Tensor) (x0: 'P) : SolverResult<'P> =
        let flat = Solver.flatObjective f x0
        let _, history, converged = Solver.run options id (step flat) (Solver.evaluate flat (Params.flatten x0) 0)
        Solver.result x0 history converged

/// Newton-CG (truncated Newton): the Newton system H·d = −∇f is solved approximately by conjugate
/// gradients that touch H only through Hessian-vector products (`AD.hvp`), so the Hessian is
/// never formed: each product costs a few gradients, whatever the dimension.
[<RequireQualifiedAccess>]
module NewtonCg =
    let private inner (a: Tensor) (b: Tensor) = Tensor.toScalar (Tensor.sum (a * b))

    /// Conjugate gradients for H·d = −g from d = 0, stopping when ‖r‖ ≤ min(0.5, √‖g‖)·‖g‖ (the
    /// forcing sequence that gives superlinear convergence), after `maxSteps` steps, or at
    /// negative curvature (then the last direction, or −g on the first step, is returned).
    let direction (maxSteps: int) (f: Tensor -> Tensor) (current: Iterate) =
        let g = current.Gradient
        let gNorm = current.GradientNorm
        let tolerance = Math.Min(0.5, Math.Sqrt gNorm) * gNorm
        let hessianTimes (v: Tensor) = AD.hvp f current.X v
        let rec iterate (d: Tensor) (r: Tensor) (p: Tensor) (k: int) =
            let hp = hessianTimes p
            let curvature = inner p hp
            if curvature <= 0.0 then (if k = 0 then -g else d)
            else
                let rr = inner r r
                let alpha = rr / curvature
                let d' = d + alpha * p
                let r' = r + alpha * hp
                let rr' = inner r' r'
                if Math.Sqrt rr' <= tolerance || k + 1 >= maxSteps then d'
                else iterate d' r' (-r' + (rr' / rr) * p) (k + 1)
        // Residual r = H·d + g, starting from d = 0.
        iterate (Tensor.zerosLike g) g (-g) 0

    /// One Newton-CG iteration with at most `maxCgSteps` conjugate-gradient steps.
    let step (maxCgSteps: int) (f: Tensor -> Tensor) (current: Iterate) =
        let d = direction maxCgSteps f current
        let t, _ = LineSearch.backtracking f current d 1.0
        Solver.evaluate f (current.X + t * d) (current.Iteration + 1)

    /// Minimises f over a parameter structure from x0.
    let minimize (maxCgSteps: int) (options: SolverOptions) (f: 'P -> Tensor) (x0: 'P) : SolverResult<'P> =
        if maxCgSteps <= 0 then raise (ArgumentOutOfRangeException("maxCgSteps", maxCgSteps, "NewtonCg: at least one CG step is needed"))
        let flat = Solver.flatObjective f x0
        let _, history, converged = Solver.run options id (step maxCgSteps flat) (Solver.evaluate flat (Params.flatten x0) 0)
        Solver.result x0 history converged
