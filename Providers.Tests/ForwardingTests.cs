using System.Numerics;
using MathNet.Numerics;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace FunctionalAD.ProviderTests;

/// <summary>Operations the OpenBLAS provider does not run natively are exactly the managed provider's.</summary>
public sealed class ForwardingTests
{
    [Fact]
    public void ComplexAndVectorOperationsAreTheManagedOnes()
    {
        var native = TestProviders.OpenBlas();
        var managed = TestProviders.Managed();
        var random = new Random(3);
        var a = Enumerable.Range(0, 12).Select(_ => new Complex(random.NextDouble(), random.NextDouble())).ToArray();
        var b = Enumerable.Range(0, 12).Select(_ => new Complex(random.NextDouble(), random.NextDouble())).ToArray();
        var expected = new Complex[9];
        var actual = new Complex[9];
        managed.MatrixMultiply(a, 3, 4, b, 4, 3, expected);
        native.MatrixMultiply(a, 3, 4, b, 4, 3, actual);
        Assert.Equal(expected, actual);

        var x = Dense.Random<double>(random, 7, 1);
        var y = Dense.Random<double>(random, 7, 1);
        Assert.Equal(managed.DotProduct(x, y), native.DotProduct(x, y));
        Assert.Equal(managed.MatrixNorm(Norm.FrobeniusNorm, 7, 1, x), native.MatrixNorm(Norm.FrobeniusNorm, 7, 1, x));
        var sum = new double[7];
        native.AddArrays(x, y, sum);
        Assert.Equal(x.Zip(y, (p, q) => p + q), sum);

        var single = new Complex32[] { new(1, 2) };
        var scaled = new Complex32[1];
        native.ScaleArray(new Complex32(0, 1), single, scaled);
        Assert.Equal(new Complex32(-2, 1), scaled[0]);
    }
}
