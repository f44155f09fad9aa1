using System.Linq.Expressions;

namespace FunctionalAD.Facade.Tests;

/// <summary>AD over LINQ expression trees of doubles: compiled derivatives, printable derivative expressions, and overload binding.</summary>
public class ExpressionTests
{
    private static readonly Expression<Func<double, double>> Loss = x => Math.Log(1 + Math.Exp(-3.5 * x));

    private static double LossSlope(double x) => -3.5 * Math.Exp(-3.5 * x) / (1 + Math.Exp(-3.5 * x));

    [Fact]
    public void Grad_of_the_lectures_loss_is_its_closed_form()
    {
        var slope = AD.Grad((Expression<Func<double, double>>)(x => Math.Log(1 + Math.Exp(-3.5 * x))));
        Assert.Equal(-3.5 / (1 + Math.Exp(1.75)), slope(0.5), 1e-15);
        Assert.Equal(-1.75, slope(0), 1e-15);
    }

    [Fact]
    public void The_compiled_derivative_equals_the_hand_written_formula()
    {
        // The simplified derivative is -3.5·e/(1 + e) with e = exp(-3.5x) computed once: the same
        // floating-point operations as the formula, so the results agree to the last bit.
        var slope = AD.Grad(Loss);
        for (var x = -3.0; x <= 3.0; x += 0.125)
            Assert.Equal(LossSlope(x), slope(x));
    }

    [Fact]
    public void The_derivative_is_a_printable_simplified_expression()
    {
        var derivative = AD.Derivative(Loss);
        Assert.Equal("x", derivative.Parameters.Single().Name);
        Assert.Equal("x =>\n{\n    var t0 = Math.Exp(-3.5 * x);\n    return -3.5 * t0 / (1 + t0);\n}", AD.Format(derivative));
        Assert.Equal("t0 = exp(-3.5 * x)\n-3.5 * t0 / (1 + t0)", AD.FormatMath(derivative));
        Assert.Equal(LossSlope(0.25), derivative.Compile()(0.25));
    }

    [Fact]
    public void Two_parameter_gradient_and_hessian_are_the_partial_derivatives()
    {
        Expression<Func<double, double, double>> f = (x, y) => x * x * y + Math.Sin(y);
        var (gx, gy) = AD.Grad(f)(1.5, 0.5);
        Assert.Equal(2 * 1.5 * 0.5, gx, 1e-15);
        Assert.Equal(1.5 * 1.5 + Math.Cos(0.5), gy, 1e-15);

        var h = AD.Hessian(f)(1.5, 0.5);
        Assert.Equal(new[,] { { 2 * 0.5, 2 * 1.5 }, { 2 * 1.5, -Math.Sin(0.5) } }, h);

        var gradient = AD.GradExpression(f);
        Assert.Equal([2 * 1.5 * 0.5, 1.5 * 1.5 + Math.Cos(0.5)], gradient.Compile()(1.5, 0.5));
        Assert.Equal(h, AD.HessianExpression(f).Compile()(1.5, 0.5));
    }

    [Fact]
    public void Three_parameter_gradient_and_hessian_are_the_partial_derivatives()
    {
        Expression<Func<double, double, double, double>> f = (x, y, z) => x * y * z + Math.Exp(x);
        var (gx, gy, gz) = AD.Grad(f)(0.5, 2, 3);
        Assert.Equal(6 + Math.Exp(0.5), gx, 1e-14);
        Assert.Equal(1.5, gy, 1e-15);
        Assert.Equal(1.0, gz, 1e-15);
        Assert.Equal(new[,] { { Math.Exp(0.5), 3, 2 }, { 3, 0, 0.5 }, { 2, 0.5, 0 } }, AD.Hessian(f)(0.5, 2, 3));
        Assert.Equal([6 + Math.Exp(0.5), 1.5, 1.0], AD.GradExpression(f).Compile()(0.5, 2, 3));
        Assert.Equal(AD.Hessian(f)(0.5, 2, 3), AD.HessianExpression(f).Compile()(0.5, 2, 3));
    }

    [Fact]
    public void Four_parameter_gradient_and_hessian_are_the_partial_derivatives()
    {
        Expression<Func<double, double, double, double, double>> f = (a, b, c, d) => a * b + c * d * d;
        var (ga, gb, gc, gd) = AD.Grad(f)(2, 3, 5, 7);
        Assert.Equal((3.0, 2.0, 49.0, 70.0), (ga, gb, gc, gd));
        var h = AD.Hessian(f)(2, 3, 5, 7);
        Assert.Equal(new double[,] { { 0, 1, 0, 0 }, { 1, 0, 0, 0 }, { 0, 0, 0, 14 }, { 0, 0, 14, 10 } }, h);
        Assert.Equal([3.0, 2.0, 49.0, 70.0], AD.GradExpression(f).Compile()(2, 3, 5, 7));
        Assert.Equal(h, AD.HessianExpression(f).Compile()(2, 3, 5, 7));
    }

    [Fact]
    public void Untyped_lambdas_that_compile_over_tensors_keep_binding_to_the_tensor_overloads()
    {
        // These assignments only compile if the calls bind to the Tensor overloads: a
        // Func<double, double> does not convert to Func<Tensor, Tensor>.
        Func<Tensor, Tensor> twice = AD.Grad(x => x * 2);
        Func<Tensor, Tensor> square = AD.Derivative(x => x * x);
        Func<Tensor, Tensor, (Tensor, Tensor)> product = AD.Grad((x, y) => x * y);
        Func<Tensor, Tensor, Tensor, (Tensor, Tensor, Tensor)> three = AD.Grad((x, y, z) => x * y * z);
        Func<Tensor, Tensor, Tensor, Tensor, (Tensor, Tensor, Tensor, Tensor)> four = AD.Grad((a, b, c, d) => a * b + c * d);
        Approx.Equal(2, twice(5));
        Approx.Equal(6, square(3));
        Approx.Equal(5, product(2, 5).Item1);
        Approx.Equal(6, three(1, 2, 3).Item1);
        Approx.Equal(3, four(1, 2, 3, 4).Item4);
    }

    [Fact]
    public void Lambdas_that_only_compile_over_doubles_bind_to_the_expression_overloads()
    {
        var reciprocal = AD.Grad(x => Math.Log(x));
        Assert.IsType<Func<double, double>>(reciprocal);
        Assert.Equal(0.25, reciprocal(4), 1e-15);
    }

    [Fact]
    public void Unsupported_constructs_and_null_fail_with_clear_exceptions()
    {
        var error = Assert.Throws<NotSupportedException>(() => AD.Grad((Expression<Func<double, double>>)(x => Math.Asin(x))));
        Assert.Contains("Asin", error.Message);
        Assert.Throws<ArgumentNullException>(() => AD.Derivative((Expression<Func<double, double>>)null!));
        Assert.Throws<ArgumentNullException>(() => AD.GradExpression((Expression<Func<double, double, double>>)null!));
    }
}
