namespace FunctionalAD.Learn

open System
open FunctionalAD

/// One iterate of a deterministic minimiser on a flat parameter vector: the point, the
/// objective's value and gradient there, and how many iterations led to it.
type Iterate =
    { X: Tensor
      Value: float
      Gradient: Tensor
      Iteration: int }
    /// ‖∇f(x)‖₂.
    member it.GradientNorm = Math.Sqrt(Tensor.toScalar (Tensor.sum (Tensor.square it.Gradient)))

/// When a minimiser stops: after MaxIterations, or once ‖∇f‖ ≤ GradientTolerance.
type SolverOptions = { MaxIterations: int; GradientTolerance: float }

/// A minimiser's answer: the solution in the caller's structure, every iterate (first to last)
/// and whether the gradient tolerance was met.
type SolverResult<'P> =
    { Solution: 'P
      History: Iterate list
      Converged: bool }

/// Backtracking line search.
[<RequireQualifiedAccess>]
module LineSearch =
    /// The Armijo sufficient-decrease constant c in f(x + t·d) ≤ f(x) + c·t·⟨∇f(x), d⟩.
    let armijo = 1e-4

    /// The relative change of f below which comparing values is rounding noise.
    let noise = 1e-14

    /// The first step t = t₀, t₀/2, t₀/4, … (at most 60 halvings) that satisfies Armijo's
    /// condition f(x + t·d) ≤ f(x) + c·t·⟨∇f(x), d⟩ along a descent direction d, with the
    /// objective's value there (the smallest step tried if none does). Near a minimum the
    /// required decrease falls below what float64 resolves in f; there the test switches to
    /// Hager and Zhang's approximate Armijo condition on slopes, ⟨∇f(x + t·d), d⟩ ≤ (1 − 2c)·|⟨∇f(x), d⟩|
    /// (for a quadratic: t at most about twice the exact minimiser along d).
    let backtracking (f: Tensor -> Tensor) (current: Iterate) (direction: Tensor) (initialStep: float) =
        let slope = Tensor.toScalar (Tensor.sum (current.Gradient * direction))
        if not (slope < 0.0) then
            raise (ArgumentException(sprintf "LineSearch.backtracking: the direction is not a descent direction (slope %g)" slope, "direction"))
        let tolerance = noise * Math.Abs current.Value
        let accepts (t: float) (value: float) =
            if value <= current.Value + armijo * t * slope then true
            elif Math.Abs(value - current.Value) > tolerance then false
            else
                let slopeThere = Tensor.toScalar (Tensor.sum (AD.grad f (current.X + t * direction) * direction))
                slopeThere <= (1.0 - 2.0 * armijo) * Math.Abs slope
        let rec search (t: float) (halvings: int) =
            let value = Tensor.toScalar (f (current.X + t * direction))
            if accepts t value || halvings = 60 then t, value
            else search (0.5 * t) (halvings + 1)
        search initialStep 0

/// Running a minimiser's step function from a starting point.
[<RequireQualifiedAccess>]
module Solver =
    let private checkOptions (options: SolverOptions) =
        if options.MaxIterations < 0 then raise (ArgumentOutOfRangeException("MaxIterations", options.MaxIterations, "solver: the iteration limit must not be negative"))
        if not (options.GradientTolerance >= 0.0) then raise (ArgumentOutOfRangeException("GradientTolerance", options.GradientTolerance, "solver: the tolerance must not be negative"))

    /// f on a flat vector, for an objective defined on a parameter structure shaped like `template`.
    let flatObjective (f: 'P -> Tensor) (template: 'P) : Tensor -> Tensor = fun v -> f (Params.unflatten template v)

    /// The iterate at x: value and gradient by reverse mode.
    let evaluate (f: Tensor -> Tensor) (x: Tensor) (iteration: int) =
        let value, gradient = AD.valueAndGrad f x
        { X = x; Value = Tensor.toScalar value; Gradient = gradient; Iteration = iteration }

    /// Runs `step` from `state` until the tolerance or the iteration limit; `current` reads the
    /// iterate out of a step's state (the state may carry more, like L-BFGS's history).
    let run (options: SolverOptions) (current: 'S -> Iterate) (step: 'S -> 'S) (state: 'S) : 'S * Iterate list * bool =
        checkOptions options
        let rec loop (s: 'S) (history: Iterate list) =
            let it = current s
            if it.GradientNorm <= options.GradientTolerance then s, List.rev history, true
            elif it.Iteration >= options.MaxIterations then s, List.rev history, false
            else
                let s' = step s
                loop s' (current s' :: history)
        loop state [ current state ]

    /// Packs a run on the flat vector into a result on the caller's structure.
    let result (template: 'P) (history: Iterate list) (converged: bool) =
        { Solution = Params.unflatten template (List.last history).X; History = history; Converged = converged }

/// Full-batch gradient descent with a fixed step, as a minimiser (the baseline Newton is compared with).
[<RequireQualifiedAccess>]
module GradientDescent =
    /// x ← x − η∇f(x).
    let step (learningRate: float) (f: Tensor -> Tensor) (current: Iterate) =
        Solver.evaluate f (current.X - learningRate * current.Gradient) (current.Iteration + 1)

    /// Minimises f over a parameter structure from x0.
    let minimize (learningRate: float) (options: SolverOptions) (f: 'P -> Tensor) (x0: 'P) : SolverResult<'P> =
        if not (learningRate > 0.0) then raise (ArgumentOutOfRangeException("learningRate", learningRate, "GradientDescent: the learning rate must be positive"))
        let flat = Solver.flatObjective f x0
        let _, history, converged = Solver.run options id (step learningRate flat) (Solver.evaluate flat (Params.flatten x0) 0)
        Solver.result x0 history converged
