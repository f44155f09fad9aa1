namespace FunctionalAD.Facade.Tests;

/// <summary>The lecture notes' worked examples, computed from C#.</summary>
public class SeedExampleTests
{
    [Fact]
    public void Logistic_loss_derivative_matches_the_closed_form()
    {
        var df = AD.Grad((Tensor w) => (1 + (-3.5 * w).Exp()).Log());
        var e = Math.Exp(-1.75);
        Approx.Equal(-3.5 * e / (1 + e), df(0.5));
    }

    [Fact]
    public void Tanh_network_partials_match_the_chain_rule()
    {
        Func<Tensor, Tensor, Tensor> f = (w0, w1) => (1 - w1 * (3.5 * w0).Tanh()).Square();
        double w0 = 0.3, w1 = 0.8;
        var t = Math.Tanh(3.5 * w0);
        var dw0 = 2 * (1 - w1 * t) * (-w1 * 3.5 * (1 - t * t));
        var dw1 = 2 * (1 - w1 * t) * -t;

        var (g0, g1) = AD.Grad(f)(w0, w1);
        Approx.Equal(dw0, g0);
        Approx.Equal(dw1, g1);
        Approx.Equal(dw0, AD.Grad(f, 0)(w0, w1));
        Approx.Equal(dw1, AD.Grad(f, 1)(w0, w1));
    }

    [Fact]
    public void Cubic_times_linear_has_gradient_36_8_at_2_3()
    {
        Approx.Equal(new[] { 36.0, 8.0 }, AD.Grad((Tensor x) => x[0].Pow(3) * x[1])(new[] { 2.0, 3.0 }));
        var (d1, d2) = AD.Grad((Tensor x1, Tensor x2) => x1.Pow(3) * x2)(2, 3);
        Approx.Equal(36, d1);
        Approx.Equal(8, d2);
    }

    [Fact]
    public void D_W_of_the_composed_square_is_40()
    {
        Func<Tensor, Tensor, Tensor, Tensor> g = (x, z, w) => (x * (z + w)).Square();
        Approx.Equal(40, AD.Grad(g, 2)(2, 2, 3));
        var (value, (dx, dz, dw)) = AD.ValueAndGrad(g)(2, 2, 3);
        Approx.Equal(100, value);
        Approx.Equal(100, dx);  // 2X(Z+W)²
        Approx.Equal(40, dz);
        Approx.Equal(40, dw);
    }

    [Fact]
    public void Explain_reports_the_adjoint_of_W_as_40()
    {
        var table = AD.Explain((x, z, w) => (x * (z + w)).Square(), 2, 2, 3);
        Approx.Equal(40, table.Adjoint("v2"));
        Approx.Equal(100, table.Adjoint("v0"));
        Assert.Contains("adjoint", table.ToString());
        Assert.Equal(3 + 3, table.Rows.Count); // three inputs, then add, mul, square (x*x)
    }
}
