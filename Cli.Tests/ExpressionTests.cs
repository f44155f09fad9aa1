using System.Linq.Expressions;
using static FunctionalAD.CliTests.TestSupport;

namespace FunctionalAD.CliTests;

/// <summary>Symbolic differentiation of C# expression trees (FunctionalAD.Expressions).</summary>
public class ExpressionTests
{
    private static readonly double[] Points = Enumerable.Range(-12, 25).Select(i => i * 0.25).ToArray();

    [Fact]
    public void LogisticLossDerivativeIsTheClosedFormAtManyPoints()
    {
        var derivative = Expressions.Derivative(w => Math.Log(1 + Math.Exp(-3.5 * w))).Compile();
        foreach (var w in Points)
        {
            var e = Math.Exp(-3.5 * w);
            Close(-3.5 * e / (1 + e), derivative(w), 1e-14, $"w = {w}");
        }
    }

    [Fact]
    public void LogisticLossDerivativePrintsAsWrittenByHand()
    {
        var derivative = Expressions.Derivative(w => Math.Log(1 + Math.Exp(-3.5 * w)));
        Assert.Equal("w =>\n{\n    var t0 = Math.Exp(-3.5 * w);\n    return -3.5 * t0 / (1 + t0);\n}", Expressions.Format(derivative));
        Assert.Equal("t0 = exp(-3.5 * w)\n-3.5 * t0 / (1 + t0)", Expressions.FormatMath(derivative));
    }

    [Fact]
    public void DerivativeOfASquareIsTwiceTheArgument()
    {
        var derivative = Expressions.Derivative(x => x * x);
        Assert.Equal("x => 2 * x", Expressions.Format(derivative));
        Assert.Equal(7.0, derivative.Compile()(3.5));
    }

    [Fact]
    public void SimplifiedDerivativesCarryNoIdentityOperations()
    {
        var text = Expressions.Format(Expressions.Derivative(x => Math.Sin(x) * Math.Exp(x) + Math.Pow(x, 3) - 2 * x + 1));
        Assert.Equal("x =>\n{\n    var t0 = Math.Exp(x);\n    return 3 * (x * x) - 2 + t0 * Math.Sin(x) + t0 * Math.Cos(x);\n}", text);
        // No factor 1, no factor or term 0, no double negation (numbers stand alone, not inside t0 or 1.5).
        foreach (var redundant in new[] { @"(?<![\w.])[01] \*", @"\* [01](?![\w.])", @"[+-] 0(?![\w.])", @"- ?-" })
            Assert.DoesNotMatch(redundant, text);
    }

    [Fact]
    public void SharedSubexpressionsAreComputedOnce()
    {
        // exp(-3.5w) appears in the value and in the derivative of 1 + exp(-3.5w): one block variable.
        var text = Expressions.Format(Expressions.Derivative(w => Math.Log(1 + Math.Exp(-3.5 * w))));
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, "Math.Exp"));
    }

    [Fact]
    public void GradientOfTwoParametersMatchesTheClosedForm()
    {
        var gradient = Expressions.Gradient((x, y) => x * (x + y) * (x + y)).Compile();
        foreach (var x in Points)
            foreach (var y in new[] { -1.5, 0.0, 0.75, 2.0 })
            {
                var g = gradient(x, y);
                Close((x + y) * (x + y) + 2 * x * (x + y), g[0], 1e-14, "∂/∂x");
                Close(2 * x * (x + y), g[1], 1e-14, "∂/∂y");
            }
    }

    [Fact]
    public void GradientOfTheCubeProductIsExact()
    {
        var g = Expressions.Gradient((x1, x2) => Math.Pow(x1, 3) * x2).Compile()(2, 3);
        Assert.Equal(new[] { 36.0, 8.0 }, g);
    }

    [Fact]
    public void GradientsOfThreeAndFourParametersMatchFiniteDifferences()
    {
        Expression<Func<double, double, double, double>> f3 = (x, y, z) => x * y * z + Math.Sin(x) * Math.Exp(z / y);
        Expression<Func<double, double, double, double, double>> f4 = (a, b, c, d) => Math.Sqrt(a * a + b * b) + Math.Tanh(c) * d - Math.Log10(d) / a;
        var value3 = f3.Compile();
        var value4 = f4.Compile();
        var gradient3 = Expressions.Gradient(f3).Compile();
        var gradient4 = Expressions.Gradient(f4).Compile();
        var p3 = new[] { 0.7, 1.3, -0.4 };
        var p4 = new[] { 1.1, -0.6, 0.3, 2.5 };
        var g3 = gradient3(p3[0], p3[1], p3[2]);
        var g4 = gradient4(p4[0], p4[1], p4[2], p4[3]);
        for (var i = 0; i < 3; i++)
            Close(CentralDifference(p => value3(p[0], p[1], p[2]), p3, i), g3[i], 1e-8, $"∂f3/∂x{i}");
        for (var i = 0; i < 4; i++)
            Close(CentralDifference(p => value4(p[0], p[1], p[2], p[3]), p4, i), g4[i], 1e-8, $"∂f4/∂x{i}");
    }

    [Fact]
    public void HessianOfTheCubeProductIsExact()
    {
        var h = Expressions.Hessian((x1, x2) => Math.Pow(x1, 3) * x2).Compile()(2, 3);
        Assert.Equal(new double[,] { { 36, 12 }, { 12, 0 } }, h);
    }

    [Fact]
    public void HessianOfThreeParametersMatchesTheClosedForm()
    {
        var hessian = Expressions.Hessian((x, y, z) => x * y * z + x * x * Math.Exp(z)).Compile();
        var (px, py, pz) = (0.5, -1.25, 0.8);
        var h = hessian(px, py, pz);
        var expected = new double[,]
        {
            { 2 * Math.Exp(pz), pz, py + 2 * px * Math.Exp(pz) },
            { pz, 0, px },
            { py + 2 * px * Math.Exp(pz), px, px * px * Math.Exp(pz) },
        };
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
                Close(expected[i, j], h[i, j], 1e-14, $"H[{i},{j}]");
    }

    [Fact]
    public void HessianOfFourParametersIsTheDerivativeOfTheGradient()
    {
        Expression<Func<double, double, double, double, double>> f = (a, b, c, d) => Math.Cos(a * b) + c * c * d + Math.Exp(a - d) / (1 + c * c);
        var gradient = Expressions.Gradient(f).Compile();
        var h = Expressions.Hessian(f).Compile()(0.3, 1.2, -0.7, 0.4);
        var p = new[] { 0.3, 1.2, -0.7, 0.4 };
        for (var i = 0; i < 4; i++)
            for (var j = 0; j < 4; j++)
            {
                var row = i;
                Close(CentralDifference(q => gradient(q[0], q[1], q[2], q[3])[row], p, j), h[i, j], 1e-8, $"H[{i},{j}]");
                Assert.Equal(h[i, j], h[j, i], 14);
            }
    }

    [Fact]
    public void ConditionalDifferentiatesTheSelectedBranch()
    {
        var derivative = Expressions.Derivative(x => x > 0 ? x * x : -x);
        Assert.Equal("x => x > 0 ? 2 * x : -1", Expressions.Format(derivative));
        var d = derivative.Compile();
        Assert.Equal(4.0, d(2));
        Assert.Equal(-1.0, d(-3));
    }

    [Fact]
    public void MaskFromAKinkSelectsTheBranch()
    {
        // max(x, 0)' is the mask x > 0 (0 at the kink, the core's minimum-norm subgradient).
        var derivative = Expressions.Derivative(x => Math.Pow(Math.Max(x, 0), 2));
        Assert.Equal("x => x > 0 ? 2 * Math.Max(x, 0) : 0", Expressions.Format(derivative));
        var d = derivative.Compile();
        Assert.Equal(3.0, d(1.5));
        Assert.Equal(0.0, d(0));
        Assert.Equal(0.0, d(-2));
    }

    [Fact]
    public void ConditionsCombineWithLogicalOperators()
    {
        var d = Expressions.Derivative(x => x > 0 && x < 1 ? x * x * x : (x <= 0 || !(x < 2) ? 0 : x)).Compile();
        Assert.Equal(3 * 0.5 * 0.5, d(0.5), 14);
        Assert.Equal(1.0, d(1.5));
        Assert.Equal(0.0, d(-1));
        Assert.Equal(0.0, d(3));
    }

    [Fact]
    public void UnselectedBranchDoesNotLeakNaN()
    {
        // sqrt'(0) is infinite, but the branch is not selected at 0: the derivative is 0, as in the core.
        var d = Expressions.Derivative(x => x > 0 ? Math.Sqrt(x) : 0).Compile();
        Assert.Equal(0.0, d(0));
        Assert.Equal(0.0, d(-1));
        Assert.Equal(0.25, d(4));
    }

    [Fact]
    public void GuardOfTheCoreIsKeptWhereAZeroCanMeetAnInfinity()
    {
        // |√x|' = sign(√x) · 1/(2√x): at 0 the sign is 0 and the local derivative infinite; the
        // core's mulNoNan gives 0, and so does the written expression.
        var derivative = Expressions.Derivative(x => Math.Abs(Math.Sqrt(x)));
        Assert.Contains("== 0 ? 0 :", Expressions.Format(derivative));
        var d = derivative.Compile();
        Assert.Equal(0.0, d(0));
        Assert.Equal(0.25, d(4), 15);
    }

    [Fact]
    public void ConstantFactorInsideABranchStaysInTheBranch()
    {
        var derivative = Expressions.Derivative(x => x > 0 ? 3 * Math.Sqrt(x) : 0);
        Assert.Equal("x => x > 0 ? 1.5 / Math.Sqrt(x) : 0", Expressions.Format(derivative));
        Assert.Equal(0.0, derivative.Compile()(0));
    }

    [Fact]
    public void CapturedVariablesAreConstantsReadWhenDifferentiating()
    {
        var k = 2.5;
        var derivative = Expressions.Derivative(x => k * Math.Sin(x));
        k = 100;
        Assert.Equal(2.5 * Math.Cos(1.0), derivative.Compile()(1.0), 15);
        Assert.Equal("x => 2.5 * Math.Cos(x)", Expressions.Format(derivative));
    }

    public static TheoryData<string, Expression<Func<double, double>>, double> MathFunctions => new()
    {
        { "Log to a base", x => Math.Log(x, 2), 1.7 },
        { "Log10", x => Math.Log10(x * x), 1.7 },
        { "Sqrt", x => Math.Sqrt(1 + x * x), 0.6 },
        { "Pow with a variable exponent", x => Math.Pow(x, x), 1.3 },
        { "Pow with a constant base", x => Math.Pow(2, x), 1.3 },
        { "Sin Cos Tan", x => Math.Sin(x) * Math.Cos(2 * x) + Math.Tan(x / 3), 0.4 },
        { "Tanh", x => Math.Tanh(x * x), 0.9 },
        { "Sinh Cosh", x => Math.Sinh(x) / Math.Cosh(x / 2), -0.8 },
        { "Abs", x => Math.Abs(Math.Sin(x)), -1.2 },
        { "Max Min", x => Math.Max(x * x, 1) + Math.Min(Math.Exp(x), 2), 1.4 },
        { "Division and negation", x => -(1 / (x - 3)) + x / 7, 0.5 },
    };

    [Theory]
    [MemberData(nameof(MathFunctions))]
    public void MathMethodDerivativesMatchFiniteDifferences(string name, Expression<Func<double, double>> f, double x)
    {
        var value = f.Compile();
        Close(CentralDifference(p => value(p[0]), new[] { x }, 0), Expressions.Derivative(f).Compile()(x), 1e-8, name);
    }

    [Fact]
    public void PartialDerivativeOfAnyArityByParameterName()
    {
        Expression<Func<double, double, double, double>> f = (x, y, z) => x * Math.Exp(y * z);
        var partial = Expressions.Partial(f, "z");
        Assert.Equal("(x, y, z) => y * (x * Math.Exp(y * z))", Expressions.Format(partial));
        var ex = Assert.Throws<ArgumentException>(() => Expressions.Partial(f, "w"));
        Assert.Contains("no parameter 'w'", ex.Message);
    }

    [Fact]
    public void UnsupportedMethodIsReportedWithItsText()
    {
        var ex = Assert.Throws<NotSupportedException>(() => Expressions.Derivative(x => Math.Asin(x)));
        Assert.Contains("Call", ex.Message);
        Assert.Contains("Asin(x)", ex.Message);
    }

    [Fact]
    public void CompiledSymbolicDerivativesKeepLog1pAccurate()
    {
        // d/dx x·log1p(x) = log1p(x) + x/(1 + x) is 2e-17 at x = 1e-17; writing log1p as
        // log(1 + x) would round its first term away and give 1e-17.
        var f = Microsoft.FSharp.Core.FSharpFunc<Tensor[], Tensor>.FromConverter(xs => xs[0] * TensorModule.log1p(xs[0]));
        var derivative = (Func<double, double>)Expressions.Partial(f, new[] { "x" }, "x").Compile();
        Assert.True(Math.Abs(derivative(1e-17) - 2e-17) < 1e-31, $"got {derivative(1e-17):R}");
    }

    [Fact]
    public void PrimitiveFormulasAreDifferentiableInExpressionTrees()
    {
        // Every elementwise primitive's own formula is a method an expression tree can call.
        var d = Expressions.Derivative(x => x * ScalarFunctions.Log1p(x));
        Assert.Equal("x => ScalarFunctions.Log1p(x) + x / (1 + x)", Expressions.Format(d));
        var erf = Expressions.Derivative(x => ScalarFunctions.Erf(x)).Compile();
        Assert.Equal(2 / Math.Sqrt(Math.PI) * Math.Exp(-0.49), erf(0.7), 15);
        var unsupported = Assert.Throws<NotSupportedException>(() => Expressions.Derivative(x => Math.Asin(x)));
        Assert.Contains("Math.Atan2", unsupported.Message);
    }

    [Fact]
    public void ArctangentsDifferentiateInExpressionTrees()
    {
        var d = Expressions.Derivative(x => Math.Atan(x));
        Assert.Equal("x => 1 / (1 + x * x)", Expressions.Format(d));
        Assert.Equal(1 / (1 + 0.49), d.Compile()(0.7), 15);
        Expression<Func<double, double, double>> angle = (y, x) => Math.Atan2(y, x);
        var dy = (Func<double, double, double>)Expressions.Partial(angle, "y").Compile();
        Assert.Equal(1.3 / (1.3 * 1.3 + 0.4 * 0.4), dy(-0.4, 1.3), 15);
    }

    [Fact]
    public void TruncatingConversionIsReported()
    {
        var ex = Assert.Throws<NotSupportedException>(() => Expressions.Derivative(x => (double)(int)x));
        Assert.Contains("Convert", ex.Message);
        Assert.Contains("Double to Int32", ex.Message);
    }

    [Fact]
    public void NonDoubleParameterIsReported()
    {
        Expression<Func<int, double>> f = n => n * 2.0;
        var ex = Assert.Throws<NotSupportedException>(() => Expressions.Partial(f, "n"));
        Assert.Contains("parameter 'n' has type Int32", ex.Message);
    }

    [Fact]
    public void ConstantSubexpressionsAreFolded()
    {
        var derivative = Expressions.Derivative(x => Math.Sqrt(16) * x + Math.PI * Math.Pow(x, 2));
        Assert.Equal(4 + 2 * Math.PI * 1.5, derivative.Compile()(1.5), 14);
        Assert.DoesNotContain("Sqrt", Expressions.Format(derivative));
    }
}
