namespace FunctionalAD.CliTests;

/// <summary>Reference derivatives and tolerances shared by the tests.</summary>
internal static class TestSupport
{
    /// <summary>Central finite difference of <paramref name="f"/> along coordinate <paramref name="i"/>.</summary>
    public static double CentralDifference(Func<double[], double> f, double[] x, int i, double step = 1e-6)
    {
        var plus = (double[])x.Clone();
        var minus = (double[])x.Clone();
        plus[i] += step;
        minus[i] -= step;
        return (f(plus) - f(minus)) / (2 * step);
    }

    /// <summary>Asserts |actual − expected| ≤ tolerance·max(1, |expected|).</summary>
    public static void Close(double expected, double actual, double tolerance, string what = "")
    {
        var bound = tolerance * Math.Max(1.0, Math.Abs(expected));
        Assert.True(Math.Abs(actual - expected) <= bound, $"{what}: expected {expected:R}, got {actual:R} (tolerance {bound:G3})");
    }
}
