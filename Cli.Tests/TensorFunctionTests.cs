using Microsoft.FSharp.Core;
using static FunctionalAD.CliTests.TestSupport;

namespace FunctionalAD.CliTests;

/// <summary>
/// Derivatives of functions on scalar tensors written as expressions (<c>Expressions.Partial</c>
/// over an F# function, the path of <c>fad diff</c>): the core's sigmoid, softplus, log1p, expm1
/// and relu, which C# expressions cannot name, are written inline with Math calls.
/// </summary>
public class TensorFunctionTests
{
    private static double Call(System.Linq.Expressions.LambdaExpression e, params double[] args) =>
        (double)e.Compile().DynamicInvoke(args.Cast<object>().ToArray())!;

    public static TheoryData<string, Func<Tensor, Tensor>, double> CoreFunctions => new()
    {
        { "sigmoid", x => TensorModule.sigmoid(3.0 * x), 0.4 },
        { "softplus", x => TensorModule.softplus(x * x - 1.0), -0.7 },
        { "log1p", x => TensorModule.log1p(x * x), 0.3 },
        { "expm1", x => TensorModule.expm1(TensorModule.sin(x)), 1.1 },
        { "relu", x => TensorModule.relu(x - 0.5) * x, 2.0 },
        { "relu below the kink", x => TensorModule.relu(x - 0.5) * x, 0.2 },
        { "tanh", x => TensorModule.tanh(x) * x, -0.6 },
        { "maximum", x => TensorModule.maximum(x, TensorModule.exp(-x)), 0.1 },
        { "minimum", x => TensorModule.minimum(x, TensorModule.exp(-x)), 0.1 },
        { "pow of tensors", x => TensorModule.pow(x + 2.0, TensorModule.cos(x)), 0.8 },
        { "abs", x => TensorModule.abs(x * x - 2.0), 1.0 },
    };

    [Theory]
    [MemberData(nameof(CoreFunctions))]
    public void WrittenDerivativeMatchesFiniteDifferences(string name, Func<Tensor, Tensor> f, double x)
    {
        var partial = Expressions.Partial(FuncConvert.FromFunc<Tensor[], Tensor>(xs => f(xs[0])), new[] { "x" }, "x");
        double Value(double v) => f(TensorModule.scalar(v)).ToScalar();
        Close(CentralDifference(p => Value(p[0]), new[] { x }, 0), Call(partial, x), 1e-8, name);
    }

    [Fact]
    public void SigmoidIsWrittenWithTheCoresFormula()
    {
        // One scalar formula per primitive: the expression calls the same overflow-free sigmoid
        // that eager kernels and compiled loops evaluate.
        var partial = Expressions.Partial(FuncConvert.FromFunc<Tensor[], Tensor>(xs => TensorModule.sigmoid(xs[0])), new[] { "x" }, "x");
        Assert.Equal("x =>\n{\n    var t0 = ScalarFunctions.Sigmoid(x);\n    return t0 * (1 - t0);\n}", Expressions.Format(partial));
        var derivative = (Func<double, double>)partial.Compile();
        Assert.Equal(ScalarFunctions.Sigmoid(0.3) * (1 - ScalarFunctions.Sigmoid(0.3)), derivative(0.3), 15);
    }

    [Fact]
    public void OperationWithoutAScalarFormIsNamed()
    {
        var f = FuncConvert.FromFunc<Tensor[], Tensor>(xs => TensorModule.sum(TensorModule.stack(0, new[] { xs[0], xs[0] * xs[0] }) * xs[0]));
        var ex = Assert.Throws<NotSupportedException>(() => Expressions.Partial(f, new[] { "x" }, "x"));
        Assert.Matches(@"^Symbolic differentiation: the graph operation '\w+' \(shape \[[12]\]\) cannot be written as a scalar expression", ex.Message);
    }
}
