using static FunctionalAD.Interop;

namespace FunctionalAD;

public static partial class AD
{
    private static (DifferenceScheme Scheme, double Step) Differences(DifferenceScheme? scheme, double? step, Tensor x)
    {
        var chosen = scheme ?? DifferenceScheme.CentralDifference;
        if (step is { } h && !(h > 0 && double.IsFinite(h)))
            throw new ArgumentOutOfRangeException(nameof(step), h, "The finite-difference step must be positive and finite.");
        return (chosen, step ?? Numerical.defaultStep(chosen, x));
    }

    /// <summary>The gradient of a scalar function by finite differences (the baseline AD is compared against; costs 2n evaluations centrally).</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <param name="x">The point.</param>
    /// <param name="scheme">Central (default, error O(h²)) or forward (error O(h)) differences.</param>
    /// <param name="step">The step h; by default one that balances truncation and rounding error.</param>
    /// <returns>An approximation of ∇f(x).</returns>
    public static Tensor NumericalGradient(Func<Tensor, Tensor> f, Tensor x, DifferenceScheme? scheme = null, double? step = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        var (s, h) = Differences(scheme, step, x);
        return Numerical.gradientWith(s, h, Fs(f), x);
    }

    /// <summary>The Jacobian by finite differences (output shape followed by input shape).</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point.</param>
    /// <param name="scheme">Central (default) or forward differences.</param>
    /// <param name="step">The step h; by default one that balances truncation and rounding error.</param>
    /// <returns>An approximation of J(x).</returns>
    public static Tensor NumericalJacobian(Func<Tensor, Tensor> f, Tensor x, DifferenceScheme? scheme = null, double? step = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        var (s, h) = Differences(scheme, step, x);
        return Numerical.jacobianWith(s, h, Fs(f), x);
    }

    /// <summary>The derivative of a function of a scalar (elementwise for an elementwise function) by finite differences.</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point.</param>
    /// <param name="scheme">Central (default) or forward differences.</param>
    /// <param name="step">The step h; by default one that balances truncation and rounding error.</param>
    /// <returns>An approximation of f′(x): the directional derivative along a tensor of ones.</returns>
    public static Tensor NumericalDerivative(Func<Tensor, Tensor> f, Tensor x, DifferenceScheme? scheme = null, double? step = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        var (s, h) = Differences(scheme, step, x);
        return Numerical.directionalWith(s, h, Fs(f), x, TensorModule.onesLike(x));
    }
}
