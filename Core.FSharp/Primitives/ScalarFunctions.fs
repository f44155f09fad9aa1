namespace FunctionalAD

open System

/// The scalar formulas of the elementwise primitives that `Math` lacks, as public functions of
/// doubles: eager kernels, compiled loops and the expression trees Symbolic writes
/// (`ScalarFunctions.Log1p(x)`) all call these, so every path computes the same bits.
[<AbstractClass; Sealed>]
type ScalarFunctions =
    /// sign of one number ∈ {−1, 0, 1} (NaN stays NaN).
    static member Sign(a: double) = if Double.IsNaN a then a else float (Math.Sign a)

    /// log(1 + v), accurate for small v (Kahan's formulation).
    static member Log1p(v: double) = let u = 1.0 + v in if u = 1.0 then v else Math.Log u * v / (u - 1.0)

    /// exp(v) − 1, accurate for small v.
    static member Expm1(v: double) =
        let u = Math.Exp v
        if u = 1.0 then v elif u - 1.0 = -1.0 then -1.0 elif Double.IsPositiveInfinity u then u else (u - 1.0) * v / Math.Log u

    /// The logistic function 1 / (1 + e^−v), without overflow.
    static member Sigmoid(v: double) = if v >= 0.0 then 1.0 / (1.0 + Math.Exp -v) else let e = Math.Exp v in e / (1.0 + e)

    /// log(1 + eᵛ), without overflow.
    static member Softplus(v: double) = Math.Max(v, 0.0) + ScalarFunctions.Log1p(Math.Exp(-Math.Abs v))

    /// max(v, 0) (NaN stays NaN).
    static member Relu(v: double) = if v > 0.0 then v elif Double.IsNaN v then v else 0.0

    /// The larger of two numbers, NaN if either is.
    static member Maximum(a: double, b: double) = if Double.IsNaN a || Double.IsNaN b then Double.NaN else Math.Max(a, b)

    /// The smaller of two numbers, NaN if either is.
    static member Minimum(a: double, b: double) = if Double.IsNaN a || Double.IsNaN b then Double.NaN else Math.Min(a, b)

    /// v clamped into [lo, hi] (NaN stays NaN).
    static member Clamp(lo: double, hi: double, v: double) = if Double.IsNaN v then v else Math.Clamp(v, lo, hi)

    /// The error function erf v = 2/√π ∫₀ᵛ e^−t² dt (Math.NET's, accurate to about 1e-16).
    static member Erf(v: double) = MathNet.Numerics.SpecialFunctions.Erf v
