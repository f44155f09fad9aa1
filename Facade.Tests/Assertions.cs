namespace FunctionalAD.Facade.Tests;

/// <summary>Elementwise comparisons of tensors with expected values.</summary>
internal static class Approx
{
    internal static void Equal(double expected, Tensor actual, double tolerance = 1e-12) =>
        Equal(new[] { expected }, actual, tolerance);

    internal static void Equal(double[] expected, Tensor actual, double tolerance = 1e-12)
    {
        var values = actual.ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (var i = 0; i < values.Length; i++)
            Assert.True(Math.Abs(expected[i] - values[i]) <= tolerance * Math.Max(1.0, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]:R}, got {values[i]:R}");
    }

    internal static void Equal(Tensor expected, Tensor actual, double tolerance = 1e-12)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Equal(expected.ToArray(), actual, tolerance);
    }
}
