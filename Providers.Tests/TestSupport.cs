using System.Numerics;
using FunctionalAD.Native;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace FunctionalAD.ProviderTests;

/// <summary>Access to the providers under test, failing loudly when OpenBLAS is missing.</summary>
internal static class TestProviders
{
    public static OpenBlasLinearAlgebraProvider OpenBlas()
    {
        if (!OpenBlasLinearAlgebraProvider.IsLibraryAvailable)
        {
            Assert.Fail($"libopenblas.so.0 not found: run apt-get install -y libopenblas0-pthread ({OpenBlasLinearAlgebraProvider.UnavailableReason})");
        }

        return new OpenBlasLinearAlgebraProvider();
    }

    public static ManagedLinearAlgebraProvider Managed() => new();

    public static ILinearAlgebraProvider<T> OpenBlas<T>()
        where T : struct => (ILinearAlgebraProvider<T>)(ILinearAlgebraProvider)OpenBlas();

    public static ILinearAlgebraProvider<T> Managed<T>()
        where T : struct => (ILinearAlgebraProvider<T>)(ILinearAlgebraProvider)Managed();
}

/// <summary>
/// Column-major reference arithmetic in double precision, deliberately independent of any
/// provider, used to check reconstructions such as A = Q R.
/// </summary>
internal static class Dense
{
    public static double Epsilon<T>()
        where T : IFloatingPointIeee754<T> => double.CreateTruncating(T.BitIncrement(T.One) - T.One);

    public static double[] ToDouble<T>(T[] values)
        where T : INumberBase<T> => Array.ConvertAll(values, double.CreateTruncating);

    public static T[] Random<T>(Random random, int rows, int columns)
        where T : INumberBase<T>
    {
        var values = new T[rows * columns];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateTruncating(random.NextDouble() * 2.0 - 1.0);
        }

        return values;
    }

    /// <summary>Random operands of C = op(A)·op(B) + C for an m×n result and inner size k: A and B in their stored shapes, and C.</summary>
    public static (T[] A, int RowsA, int ColumnsA, T[] B, int RowsB, int ColumnsB, T[] C) GemmOperands<T>(Random random, MathNet.Numerics.Providers.LinearAlgebra.Transpose transposeA, MathNet.Numerics.Providers.LinearAlgebra.Transpose transposeB, int m, int n, int k)
        where T : INumberBase<T>
    {
        var (rowsA, columnsA) = transposeA == MathNet.Numerics.Providers.LinearAlgebra.Transpose.DontTranspose ? (m, k) : (k, m);
        var (rowsB, columnsB) = transposeB == MathNet.Numerics.Providers.LinearAlgebra.Transpose.DontTranspose ? (k, n) : (n, k);
        var a = Random<T>(random, rowsA, columnsA);
        var b = Random<T>(random, rowsB, columnsB);
        return (a, rowsA, columnsA, b, rowsB, columnsB, Random<T>(random, m, n));
    }

    /// <summary>A random matrix plus <c>order</c> on the diagonal: well conditioned, so solutions can be compared directly.</summary>
    public static T[] WellConditioned<T>(Random random, int order)
        where T : INumberBase<T>
    {
        var values = Random<T>(random, order, order);
        for (var i = 0; i < order; i++)
        {
            values[i * order + i] += T.CreateTruncating((double)order);
        }

        return values;
    }

    /// <summary>M Mᵀ + order·I for a random M: symmetric positive definite and well conditioned.</summary>
    public static T[] SymmetricPositiveDefinite<T>(Random random, int order)
        where T : INumberBase<T>
    {
        var m = ToDouble(Random<T>(random, order, order));
        var product = Multiply(m, order, order, Transpose(m, order, order), order);
        for (var i = 0; i < order; i++)
        {
            product[i * order + i] += order;
        }

        return Array.ConvertAll(product, T.CreateTruncating);
    }

    public static T[] Symmetric<T>(Random random, int order)
        where T : INumberBase<T>
    {
        var values = Random<T>(random, order, order);
        for (var j = 0; j < order; j++)
        {
            for (var i = 0; i < j; i++)
            {
                values[j * order + i] = values[i * order + j];
            }
        }

        return values;
    }

    public static double[] Multiply(double[] a, int rows, int inner, double[] b, int columns)
    {
        var c = new double[rows * columns];
        for (var j = 0; j < columns; j++)
        {
            for (var p = 0; p < inner; p++)
            {
                var bpj = b[j * inner + p];
                for (var i = 0; i < rows; i++)
                {
                    c[j * rows + i] += a[p * rows + i] * bpj;
                }
            }
        }

        return c;
    }

    public static double[] Transpose(double[] a, int rows, int columns)
    {
        var t = new double[a.Length];
        for (var j = 0; j < columns; j++)
        {
            for (var i = 0; i < rows; i++)
            {
                t[i * columns + j] = a[j * rows + i];
            }
        }

        return t;
    }

    public static double[] Identity(int order)
    {
        var identity = new double[order * order];
        for (var i = 0; i < order; i++)
        {
            identity[i * order + i] = 1.0;
        }

        return identity;
    }

    /// <summary>The first <paramref name="columns"/> columns of a column-major matrix.</summary>
    public static double[] LeadingColumns(double[] a, int rows, int columns) => a[..(rows * columns)];

    public static double MaxAbs(double[] a) => a.Length == 0 ? 0.0 : a.Max(Math.Abs);

    /// <summary>Asserts max|expected − actual| ≤ tolerance · max(1, max|expected|).</summary>
    public static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var difference = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            difference = Math.Max(difference, Math.Abs(expected[i] - actual[i]));
        }

        var scale = Math.Max(1.0, MaxAbs(expected));
        Assert.True(difference <= tolerance * scale, $"{what}: max |difference| {difference:e3} exceeds {tolerance:e3} × {scale:g4}");
    }

    public static void AssertUpperTriangular(double[] a, int rows, int columns, string what)
    {
        for (var j = 0; j < columns; j++)
        {
            for (var i = j + 1; i < rows; i++)
            {
                Assert.True(a[j * rows + i] == 0.0, $"{what}: entry ({i},{j}) below the diagonal is {a[j * rows + i]}");
            }
        }
    }
}

/// <summary>Tests in this collection switch MathNet's global provider, so they must not run concurrently with each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProviderSwitchingCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Provider switching";
}

/// <summary>Restores MathNet's managed provider after each test so no other test sees a switched provider.</summary>
public abstract class ProviderSwitchingTest : IDisposable
{
    /// <summary>Puts the managed provider back.</summary>
    public void Dispose()
    {
        MathNet.Numerics.Control.UseManaged();
        GC.SuppressFinalize(this);
    }
}
