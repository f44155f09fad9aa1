namespace FunctionalAD

open System

/// Which finite-difference formula to use.
type DifferenceScheme =
    /// (f(x + h·v) − f(x)) / h: error O(h).
    | ForwardDifference
    /// (f(x + h·v) − f(x − h·v)) / 2h: error O(h²).
    | CentralDifference

/// Numerical differentiation by finite differences: the lectures' baseline that AD is compared
/// against, and the reference the derivative checks use.
module Numerical =
    /// The default step: it balances truncation error against rounding error in f. For forward
    /// differences that is √ε ≈ 1.5e-8, for central differences ∛ε ≈ 6e-6, scaled by the size
    /// of x so that x + h differs from x in enough digits.
    let defaultStep (scheme: DifferenceScheme) (x: Tensor) =
        let scale = max 1.0 (x.ToArray() |> Array.fold (fun m v -> max m (abs v)) 0.0)
        match scheme with
        | ForwardDifference -> 1.4901161193847656e-8 * scale
        | CentralDifference -> 6.0554544523933395e-6 * scale

    let private checkStep (step: float) =
        if not (step > 0.0) || Double.IsInfinity step then raise (ArgumentOutOfRangeException("step", step, "The step must be positive and finite."))

    /// The directional derivative of f at x along v with the given scheme and step.
    let directionalWith (scheme: DifferenceScheme) (step: float) (f: Tensor -> Tensor) (x: Tensor) (v: Tensor) : Tensor =
        checkStep step
        if x.Shape <> v.Shape then Shape.fail "directional derivative" [| x.Shape; v.Shape |] "v" "the direction must have the point's shape"
        match scheme with
        | ForwardDifference -> (f (x + step * v) - f x) / step
        | CentralDifference -> (f (x + step * v) - f (x - step * v)) / (2.0 * step)

    /// The directional derivative by central differences with the default step.
    let directional (f: Tensor -> Tensor) (x: Tensor) (v: Tensor) =
        directionalWith CentralDifference (defaultStep CentralDifference x) f x v

    let private unitVector (shape: int[]) (i: int) =
        let data = Array.zeroCreate (Shape.size shape)
        data[i] <- 1.0
        Tensor.create shape data

    /// The Jacobian (output shape @ input shape) by finite differences, one column per input element.
    let jacobianWith (scheme: DifferenceScheme) (step: float) (f: Tensor -> Tensor) (x: Tensor) : Tensor =
        checkStep step
        let y = f x
        let columns = Array.init x.Size (fun i -> Tensor.reshape [| y.Size |] (directionalWith scheme step f x (unitVector x.Shape i)))
        if columns.Length = 0 then Tensor.zeros (Array.append y.Shape x.Shape)
        else Tensor.reshape (Array.append y.Shape x.Shape) (Tensor.stack -1 columns)

    /// The Jacobian by central differences with the default step.
    let jacobian (f: Tensor -> Tensor) (x: Tensor) = jacobianWith CentralDifference (defaultStep CentralDifference x) f x

    /// The gradient of a scalar function by finite differences (cost: 2n evaluations centrally).
    let gradientWith (scheme: DifferenceScheme) (step: float) (f: Tensor -> Tensor) (x: Tensor) : Tensor =
        let y = f x
        if y.Size <> 1 then raise (ArgumentException(sprintf "gradient: the function must return a scalar, not shape %s" (Shape.format y.Shape), "f"))
        Tensor.reshape x.Shape (jacobianWith scheme step f x)

    /// The gradient by central differences with the default step.
    let gradient (f: Tensor -> Tensor) (x: Tensor) = gradientWith CentralDifference (defaultStep CentralDifference x) f x
