namespace FunctionalAD.Facade.Tests;

/// <summary>Custom derivative rules and finite differences.</summary>
public class RuleAndNumericalTests
{
    // A softplus whose naive derivative e^x/(1+e^x) overflows at large x; the rule uses the sigmoid.
    private static Tensor NaiveSoftplus(Tensor x) => (1 + x.Exp()).Log();

    [Fact]
    public void CustomVjp_rule_is_used_in_reverse_and_forward_mode()
    {
        var softplus = AD.CustomVjp("softplus", NaiveSoftplus, (x, y, g) => g * x.Sigmoid());
        Approx.Equal(1.0, AD.Grad(softplus)(800.0));
        Assert.Equal(0.0, AD.Grad(NaiveSoftplus)(800.0).Item()); // naive: (1/∞)·∞, wrong (true value 1)
        Approx.Equal(1 / (1 + Math.Exp(-0.3)), AD.Derivative(softplus)(0.3));
        // The rule is differentiable: the second derivative is sigmoid'(x).
        var s = 1 / (1 + Math.Exp(-0.3));
        Approx.Equal(s * (1 - s), AD.Grad(AD.Grad(softplus))(0.3));
    }

    [Fact]
    public void CustomJvp_rule_is_used_in_both_modes()
    {
        var softplus = AD.CustomJvp("softplus", NaiveSoftplus, (x, y, t) => t * x.Sigmoid());
        Approx.Equal(1.0, AD.Derivative(softplus)(800.0));
        Approx.Equal(new[] { 1 / (1 + Math.Exp(-0.3)), 1.0 }, AD.Grad(x => softplus(x).Sum())(new[] { 0.3, 800.0 }));
    }

    [Fact]
    public void CustomFunction_of_several_inputs_uses_its_rule()
    {
        // hypot with a rule written by hand: ∂/∂a = a / h, ∂/∂b = b / h.
        var hypot = AD.CustomFunction("hypot", xs => (xs[0].Square() + xs[1].Square()).Sqrt(),
            vjp: (xs, h, g) => [g * xs[0] / h, g * xs[1] / h]);
        var (da, db) = AD.Grad((Tensor a, Tensor b) => hypot([a, b]))(3, 4);
        Approx.Equal(0.6, da);
        Approx.Equal(0.8, db);
        Assert.Contains("hypot", AD.Listing(a => hypot([a, a]), 1.0));
    }

    [Fact]
    public void Numerical_differences_approximate_the_exact_derivatives()
    {
        Func<Tensor, Tensor> f = x => (x.Sin() * x[0]).Sum();
        Tensor x = new[] { 0.3, 1.1, -0.7 };
        var exact = AD.Grad(f)(x);
        Approx.Equal(exact, AD.NumericalGradient(f, x), 1e-9);
        Approx.Equal(exact, AD.NumericalGradient(f, x, DifferenceScheme.ForwardDifference), 1e-6);
        Approx.Equal(exact, AD.NumericalGradient(f, x, step: 1e-4), 1e-7);
        Approx.Equal(AD.Jacobian(v => v.Sin() * 2)(x), AD.NumericalJacobian(v => v.Sin() * 2, x), 1e-9);
        Approx.Equal(new[] { Math.Cos(0.3), Math.Cos(1.1), Math.Cos(-0.7) }, AD.NumericalDerivative(v => v.Sin(), x), 1e-9);
    }

    [Fact]
    public void Forward_differences_are_less_accurate_than_central_ones_at_the_same_step()
    {
        var exact = Math.Exp(1.0);
        var central = AD.NumericalDerivative(x => x.Exp(), 1.0, DifferenceScheme.CentralDifference, 1e-3).Item();
        var forward = AD.NumericalDerivative(x => x.Exp(), 1.0, DifferenceScheme.ForwardDifference, 1e-3).Item();
        Assert.True(Math.Abs(central - exact) < Math.Abs(forward - exact) / 100);
    }
}
