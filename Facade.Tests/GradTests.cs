namespace FunctionalAD.Facade.Tests;

/// <summary>Grad and ValueAndGrad over one to four arguments, argnums and composition.</summary>
public class GradTests
{
    private static Tensor Four(Tensor a, Tensor b, Tensor c, Tensor d) => a * b + c * d.Square();

    [Fact]
    public void Four_argument_gradients_are_the_partial_derivatives()
    {
        var (ga, gb, gc, gd) = AD.Grad((Func<Tensor, Tensor, Tensor, Tensor, Tensor>)Four)(2, 3, 5, 7);
        Approx.Equal(3, ga);
        Approx.Equal(2, gb);
        Approx.Equal(49, gc);
        Approx.Equal(70, gd);
        Approx.Equal(70, AD.Grad((Func<Tensor, Tensor, Tensor, Tensor, Tensor>)Four, 3)(2, 3, 5, 7));
    }

    [Fact]
    public void Argnums_choose_and_order_the_gradients()
    {
        var grads = AD.Grad((Func<Tensor, Tensor, Tensor, Tensor, Tensor>)Four, 3, 0)(2, 3, 5, 7);
        Assert.Equal(2, grads.Length);
        Approx.Equal(70, grads[0]);
        Approx.Equal(3, grads[1]);

        var (value, chosen) = AD.ValueAndGrad((Tensor x, Tensor z, Tensor w) => (x * (z + w)).Square(), argnums: [0, 2])(2, 2, 3);
        Approx.Equal(100, value);
        Approx.Equal(100, chosen[0]);
        Approx.Equal(40, chosen[1]);
    }

    [Fact]
    public void Unchosen_arguments_are_constants()
    {
        // Only x is a variable, so the traced gradient treats y as a number: ∂/∂x (x·y) = y.
        var gx = AD.Grad((Tensor x, Tensor y) => x * y, 0);
        Approx.Equal(5, gx(2, 5));
    }

    [Fact]
    public void Vector_gradients_have_the_arguments_shapes()
    {
        Tensor w = new[] { 1.0, -2.0, 0.5 };
        Tensor b = 0.25;
        Tensor x = new[,] { { 1.0, 2.0, 3.0 }, { -1.0, 0.0, 2.0 } };
        var (loss, (gw, gb)) = AD.ValueAndGrad((Tensor w, Tensor b) => x.MatMul(w).Add(b).Tanh().Sum())(w, b);

        var z = new[] { 1 - 4 + 1.5 + 0.25, -1 + 0 + 1 + 0.25 };
        Approx.Equal(Math.Tanh(z[0]) + Math.Tanh(z[1]), loss);
        var s = z.Select(v => 1 - Math.Tanh(v) * Math.Tanh(v)).ToArray();
        Approx.Equal(new[] { s[0] * 1 + s[1] * -1, s[0] * 2 + s[1] * 0, s[0] * 3 + s[1] * 2 }, gw);
        Approx.Equal(s[0] + s[1], gb);
        Assert.Equal(w.Shape, gw.Shape);
        Assert.Equal(b.Shape, gb.Shape);
    }

    [Fact]
    public void Grad_of_grad_is_the_second_derivative()
    {
        var d2 = AD.Grad(AD.Grad(x => x.Sin()));
        Approx.Equal(-Math.Sin(0.7), d2(0.7));
        var d3 = AD.Grad(AD.Grad(AD.Grad((Tensor x) => x.Pow(4))));
        Approx.Equal(24 * 1.5, d3(1.5));
    }

    [Fact]
    public void Mixed_partials_compose_through_argnum()
    {
        Func<Tensor, Tensor, Tensor> f = (x, y) => x.Square() * y.Pow(3);
        var dxdy = AD.Grad(AD.Grad(f, 0), 1);
        Approx.Equal(6 * 1.0 * 4.0, dxdy(1, 2));
    }

    [Fact]
    public void NthDerivative_and_Derivative_agree_with_closed_forms()
    {
        Approx.Equal(60 * 4.0, AD.NthDerivative(x => x.Pow(5), 3)(2.0));
        Approx.Equal(2.0, AD.NthDerivative(x => x * 2, 0)(1.0));
        Approx.Equal(new[] { Math.Cos(0.1), Math.Cos(0.2) }, AD.Derivative(x => x.Sin())(new[] { 0.1, 0.2 }));
    }

    [Fact]
    public void ValueAndGradAux_passes_auxiliary_data_through()
    {
        var f = AD.ValueAndGradAux((Tensor w) => (w.Square().Sum(), w.Shape.Length));
        var (value, aux, gradient) = f(new[] { 1.0, 2.0 });
        Approx.Equal(5, value);
        Assert.Equal(1, aux);
        Approx.Equal(new[] { 2.0, 4.0 }, gradient);
    }

    [Fact]
    public void StopGradient_blocks_the_derivative()
    {
        Approx.Equal(3.0, AD.Grad(x => x * AD.StopGradient(x) + x)(2.0));
        Approx.Equal(3.0, AD.Grad(x => x * x.StopGradient() + x)(2.0));
    }
}
