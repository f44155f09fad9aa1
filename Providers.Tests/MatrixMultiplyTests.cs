using System.Numerics;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace FunctionalAD.ProviderTests;

/// <summary>GEMM through OpenBLAS against MathNet's managed provider, for one element type.</summary>
public abstract class MatrixMultiplyTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static TheoryData<Transpose, Transpose> TransposeCombinations()
    {
        var data = new TheoryData<Transpose, Transpose>();
        foreach (var a in Enum.GetValues<Transpose>())
        {
            foreach (var b in Enum.GetValues<Transpose>())
            {
                data.Add(a, b);
            }
        }

        return data;
    }

    private static readonly (int M, int N, int K)[] Shapes =
    [
        (0, 0, 0), (0, 3, 2), (3, 0, 2), (3, 2, 0), (1, 1, 1), (1, 5, 1), (5, 1, 1), (1, 1, 7),
        (2, 3, 4), (7, 4, 9), (13, 13, 13), (31, 17, 23), (17, 31, 5), (64, 65, 66),

        // One result column or row: these run as gemv, not gemm.
        (1, 37, 53), (41, 1, 29), (1, 130, 200), (150, 1, 90), (1, 1, 300),
    ];

    private static readonly (double Alpha, double Beta)[] Scalars = [(1.0, 0.0), (2.5, -0.5), (-1.0, 1.0), (0.0, 3.0), (0.75, 1.0)];

    [Theory]
    [MemberData(nameof(TransposeCombinations))]
    public void MatrixMultiplyWithUpdateAgreesWithManaged(Transpose transposeA, Transpose transposeB)
    {
        ILinearAlgebraProvider<T> native = TestProviders.OpenBlas<T>();
        ILinearAlgebraProvider<T> managed = TestProviders.Managed<T>();
        var random = new Random(1000 + (int)transposeA * 7 + (int)transposeB);
        foreach (var (m, n, k) in Shapes)
        {
            foreach (var (alphaValue, betaValue) in Scalars)
            {
                var alpha = T.CreateTruncating(alphaValue);
                var beta = T.CreateTruncating(betaValue);
                var (a, rowsA, columnsA, b, rowsB, columnsB, c) = Dense.GemmOperands<T>(random, transposeA, transposeB, m, n, k);
                var expected = (T[])c.Clone();
                var actual = (T[])c.Clone();

                managed.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, expected);
                native.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, actual);

                AssertWithinGemmBound(transposeA, transposeB, alphaValue, a, rowsA, columnsA, b, rowsB, columnsB, betaValue, c, expected, actual, $"{m}x{n}x{k} alpha={alphaValue} beta={betaValue}");
            }
        }
    }

    [Fact]
    public void MatrixMultiplyAgreesWithManaged()
    {
        ILinearAlgebraProvider<T> native = TestProviders.OpenBlas<T>();
        ILinearAlgebraProvider<T> managed = TestProviders.Managed<T>();
        var random = new Random(7);
        foreach (var (m, n, k) in Shapes)
        {
            var x = Dense.Random<T>(random, m, k);
            var y = Dense.Random<T>(random, k, n);
            var expected = new T[m * n];
            var actual = Enumerable.Repeat(T.NaN, m * n).ToArray();

            managed.MatrixMultiply(x, m, k, y, k, n, expected);
            native.MatrixMultiply(x, m, k, y, k, n, actual);

            AssertWithinGemmBound(Transpose.DontTranspose, Transpose.DontTranspose, 1.0, x, m, k, y, k, n, 0.0, new T[m * n], expected, actual, $"{m}x{n}x{k}");
        }
    }

    [Fact]
    public void ZeroBetaIgnoresThePreviousContentsOfC()
    {
        ILinearAlgebraProvider<T> native = TestProviders.OpenBlas<T>();
        foreach (var k in new[] { 0, 3 })
        {
            var a = Enumerable.Repeat(T.One, 2 * k).ToArray();
            var c = Enumerable.Repeat(T.NaN, 4).ToArray();

            native.MatrixMultiplyWithUpdate(Transpose.DontTranspose, Transpose.DontTranspose, T.One, a, 2, k, a, k, 2, T.Zero, c);

            Assert.All(c, value => Assert.Equal(T.CreateTruncating(k), value));
        }
    }

    [Theory]
    [MemberData(nameof(TransposeCombinations))]
    public void ZeroBetaIgnoresThePreviousContentsOfAVectorResult(Transpose transposeA, Transpose transposeB)
    {
        ILinearAlgebraProvider<T> native = TestProviders.OpenBlas<T>();
        ILinearAlgebraProvider<T> managed = TestProviders.Managed<T>();
        var random = new Random(31);
        foreach (var (m, n, k) in new[] { (1, 6, 5), (6, 1, 5), (1, 1, 5) })
        {
            var (a, rowsA, columnsA, b, rowsB, columnsB, _) = Dense.GemmOperands<T>(random, transposeA, transposeB, m, n, k);
            var expected = new T[m * n];
            var actual = Enumerable.Repeat(T.NaN, m * n).ToArray();

            managed.MatrixMultiplyWithUpdate(transposeA, transposeB, T.One, a, rowsA, columnsA, b, rowsB, columnsB, T.Zero, expected);
            native.MatrixMultiplyWithUpdate(transposeA, transposeB, T.One, a, rowsA, columnsA, b, rowsB, columnsB, T.Zero, actual);

            AssertWithinGemmBound(transposeA, transposeB, 1.0, a, rowsA, columnsA, b, rowsB, columnsB, 0.0, new T[m * n], expected, actual, $"{m}x{n}x{k} over NaN");
        }
    }

    [Fact]
    public void OutputMayAliasAnInput()
    {
        ILinearAlgebraProvider<T> native = TestProviders.OpenBlas<T>();
        var random = new Random(11);
        var a = Dense.Random<T>(random, 5, 5);
        var expected = Dense.Multiply(Dense.ToDouble(a), 5, 5, Dense.ToDouble(a), 5);

        native.MatrixMultiplyWithUpdate(Transpose.DontTranspose, Transpose.DontTranspose, T.One, a, 5, 5, a, 5, 5, T.Zero, a);

        Dense.AssertClose(expected, Dense.ToDouble(a), 64 * Dense.Epsilon<T>(), "a := a·a");
    }

    [Fact]
    public void InvalidArgumentsAreRejectedBeforeNativeCode()
    {
        ILinearAlgebraProvider<T> native = TestProviders.OpenBlas<T>();
        var a = new T[6];
        var b = new T[6];
        var dd = Transpose.DontTranspose;

        Assert.Equal("c", Assert.Throws<ArgumentException>(() => native.MatrixMultiplyWithUpdate(dd, dd, T.One, a, 2, 3, b, 3, 2, T.Zero, new T[5])).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => native.MatrixMultiplyWithUpdate(dd, dd, T.One, a, 2, 3, b, 2, 3, T.Zero, new T[6])).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => native.MatrixMultiplyWithUpdate(dd, dd, T.One, a, 3, 3, b, 3, 2, T.Zero, new T[6])).ParamName);
        Assert.Equal("rowsA", Assert.Throws<ArgumentOutOfRangeException>(() => native.MatrixMultiplyWithUpdate(dd, dd, T.One, a, -2, -3, b, 3, 2, T.Zero, new T[4])).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentNullException>(() => native.MatrixMultiplyWithUpdate(dd, dd, T.One, null!, 2, 3, b, 3, 2, T.Zero, new T[4])).ParamName);
        Assert.Equal("transposeA", Assert.Throws<ArgumentOutOfRangeException>(() => native.MatrixMultiplyWithUpdate((Transpose)7, dd, T.One, a, 2, 3, b, 3, 2, T.Zero, new T[4])).ParamName);
    }

    /// <summary>
    /// Both results must lie within the standard forward-error bound of a dot product of length k,
    /// |Δc_ij| ≤ (k + 2)·ε·(|α|·(|op(A)|·|op(B)|)_ij + |β|·|c_ij|), of each other (doubled, as both err).
    /// </summary>
    private static void AssertWithinGemmBound(Transpose transposeA, Transpose transposeB, double alpha, T[] a, int rowsA, int columnsA, T[] b, int rowsB, int columnsB, double beta, T[] c, T[] expected, T[] actual, string what)
    {
        var absA = Array.ConvertAll(Dense.ToDouble(a), Math.Abs);
        var absB = Array.ConvertAll(Dense.ToDouble(b), Math.Abs);
        var opA = transposeA == Transpose.DontTranspose ? absA : Dense.Transpose(absA, rowsA, columnsA);
        var opB = transposeB == Transpose.DontTranspose ? absB : Dense.Transpose(absB, rowsB, columnsB);
        var m = transposeA == Transpose.DontTranspose ? rowsA : columnsA;
        var k = transposeA == Transpose.DontTranspose ? columnsA : rowsA;
        var n = transposeB == Transpose.DontTranspose ? columnsB : rowsB;
        var magnitude = Dense.Multiply(opA, m, k, opB, n);
        var eps = Dense.Epsilon<T>();
        for (var i = 0; i < magnitude.Length; i++)
        {
            var bound = 2 * (k + 2) * eps * (Math.Abs(alpha) * magnitude[i] + Math.Abs(beta) * Math.Abs(double.CreateTruncating(c[i])));
            var difference = Math.Abs(double.CreateTruncating(expected[i]) - double.CreateTruncating(actual[i]));
            Assert.True(difference <= bound, $"{transposeA}/{transposeB} {what}: entry {i} differs by {difference:e3}, bound {bound:e3}");
        }
    }
}

public sealed class DoubleMatrixMultiplyTests : MatrixMultiplyTests<double>;

public sealed class SingleMatrixMultiplyTests : MatrixMultiplyTests<float>;
