namespace FunctionalAD.Facade.Tests;

/// <summary>AD.Compile: compiled functions give the eager values and compose with the transforms.</summary>
public class CompileTests
{
    private static Tensor Loss(Tensor w) => (1 + (-3.5 * w).Exp()).Log().Sum();

    private static readonly Tensor Points = new[] { -1.0, -0.25, 0.0, 0.5, 2.0 };

    [Fact]
    public void Compiled_functions_equal_eager_ones_on_every_call()
    {
        Func<Tensor, Tensor> f = x => (x.Tanh() * x + x.Sigmoid() / (1 + x.Abs())).Sin();
        var compiled = AD.Compile(f);
        Approx.Equal(f(Points), compiled(Points));
        Approx.Equal(f(Points), compiled(Points));        // the cached plan
        Approx.Equal(f(Points * 2), compiled(Points * 2)); // same shapes, new values
        Approx.Equal(f(0.75), compiled(0.75));             // new shapes, a second plan
    }

    [Fact]
    public void Compile_and_grad_compose_both_ways()
    {
        var gradient = AD.Grad(Loss);
        // Loss' = Σ -3.5 / (1 + e^{3.5 w}) elementwise.
        var closedForm = Points.ToArray().Select(w => -3.5 / (1 + Math.Exp(3.5 * w))).ToArray();
        Approx.Equal(closedForm, AD.Compile(gradient)(Points));
        Approx.Equal(closedForm, AD.Grad(AD.Compile(Loss))(Points));
        Approx.Equal(AD.Hessian(Loss)(Points), AD.Compile(AD.Hessian(Loss))(Points));
    }

    [Fact]
    public void A_donating_training_step_updates_the_parameters_and_gives_up_the_old_ones()
    {
        Tensor x = new double[,] { { 1, 2 }, { -1, 0.5 }, { 0.3, -2 } };
        Tensor y = new[] { 1.0, -1.0, 1.0 };
        Func<Tensor, Tensor> loss = w => (1 + (-(y * x.MatMul(w))).Exp()).Log().Mean();
        var gradient = AD.Grad(loss);
        var step = AD.CompileDonating((Tensor[] p) => [p[0] - 0.5 * gradient(p[0])]);
        Tensor eager = new[] { 0.2, -0.1 };
        Tensor[] parameters = [new[] { 0.2, -0.1 }];
        var first = parameters[0];
        for (var i = 0; i < 3; i++)
        {
            eager = eager - 0.5 * gradient(eager);
            parameters = step(parameters);
            Approx.Equal(eager, parameters[0]);
        }
        var error = Assert.Throws<InvalidOperationException>(() => first.ToArray());
        Assert.Contains("donated", error.Message);
        Assert.Contains("AD.CompileDonating", error.Message); // the C# member, not only the F# function
        Approx.Equal(AD.Compile((Tensor w) => w * 3)(eager), AD.CompileDonating((Tensor w) => w * 3)(eager * 1));
    }

    [Fact]
    public void Functions_of_two_and_three_tensors_compile()
    {
        Tensor w = new double[,] { { 1, 2 }, { 3, 4 }, { -1, 0.5 } };
        Tensor x = new[] { 0.5, -2.0 };
        Tensor b = new[] { 0.1, 0.2, 0.3 };
        Func<Tensor, Tensor, Tensor> affine = (m, v) => m.MatMul(v).Tanh();
        Func<Tensor, Tensor, Tensor, Tensor> layer = (m, v, c) => (m.MatMul(v) + c).Relu().Sum();
        Approx.Equal(affine(w, x), AD.Compile(affine)(w, x));
        Approx.Equal(layer(w, x, b), AD.Compile(layer)(w, x, b));
        var (gw, gx, gb) = AD.Grad(AD.Compile(layer))(w, x, b);
        var (ew, ex, eb) = AD.Grad(layer)(w, x, b);
        Approx.Equal(ew, gw);
        Approx.Equal(ex, gx);
        Approx.Equal(eb, gb);
    }

    [Fact]
    public void Null_functions_are_rejected()
    {
        Assert.Equal("f", Assert.Throws<ArgumentNullException>(() => AD.Compile((Func<Tensor, Tensor>)null!)).ParamName);
        Assert.Equal("f", Assert.Throws<ArgumentNullException>(() => AD.Compile((Func<Tensor, Tensor, Tensor>)null!)).ParamName);
    }

    [Fact]
    public void Prepare_traces_the_given_shapes_before_the_first_call()
    {
        var traces = 0;
        Tensor F(Tensor x)
        {
            traces++;
            return (x.Tanh() * x).Sum();
        }
        var gradient = AD.Prepare(AD.Grad(F), [3], [2, 2]);
        Assert.Equal(2, traces);
        Tensor x = new[] { 0.5, -1.0, 2.0 };
        var expected = AD.Grad(F)(x);
        traces = 0;
        Approx.Equal(expected, gradient(x));
        Assert.Equal(0, traces);
        Assert.Equal("shapes", Assert.Throws<ArgumentException>(() => AD.Prepare(F, [2, -1])).ParamName);
    }
}
