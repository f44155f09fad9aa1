using System.Numerics;
using FunctionalAD.Native;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace FunctionalAD.ProviderTests;

/// <summary>A fact that runs only where a CUDA device is usable, and otherwise shows as skipped with the reason.</summary>
public sealed class GpuFactAttribute : FactAttribute
{
    public GpuFactAttribute()
    {
        if (!CudaLinearAlgebraProvider.IsDeviceAvailable)
        {
            Skip = $"no CUDA device: {CudaLinearAlgebraProvider.UnavailableReason}";
        }
    }
}

public sealed class CudaTests
{
    [Fact]
    public void ProbingWithoutCudaIsSafe()
    {
        Assert.Equal(CudaLinearAlgebraProvider.IsDeviceAvailable, CudaLinearAlgebraProvider.UnavailableReason is null);
        Assert.Equal(CudaLinearAlgebraProvider.IsDeviceAvailable, new CudaLinearAlgebraProvider().IsAvailable());
    }

    [Fact]
    public void WorkBelowTheCrossoverGoesToTheFallback()
    {
        ILinearAlgebraProvider<double> cuda = new CudaLinearAlgebraProvider(TestProviders.OpenBlas()) { CrossoverSize = 1000 };
        ILinearAlgebraProvider<double> reference = TestProviders.OpenBlas<double>();
        var random = new Random(5);
        var a = Dense.Random<double>(random, 30, 20);
        var b = Dense.Random<double>(random, 20, 10);
        var expected = new double[300];
        var actual = new double[300];

        reference.MatrixMultiply(a, 30, 20, b, 20, 10, expected);
        cuda.MatrixMultiply(a, 30, 20, b, 20, 10, actual);

        Assert.Equal(expected, actual);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CudaLinearAlgebraProvider { CrossoverSize = 0 });
    }

    [GpuFact]
    public void GpuMatrixProductsAgreeWithManaged()
    {
        CheckGemm<double>();
        CheckGemm<float>();
    }

    [GpuFact]
    public void GpuLUAndCholeskyAgreeWithManaged()
    {
        CheckFactorizations<double>();
        CheckFactorizations<float>();
    }

    private static CudaLinearAlgebraProvider AllOnGpu() => new(TestProviders.Managed()) { CrossoverSize = 1 };

    private static void CheckGemm<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gpu = (ILinearAlgebraProvider<T>)(ILinearAlgebraProvider)AllOnGpu();
        var managed = TestProviders.Managed<T>();
        var random = new Random(17);
        foreach (var transposeA in Enum.GetValues<Transpose>())
        {
            foreach (var transposeB in Enum.GetValues<Transpose>())
            {
                const int m = 37, n = 29, k = 41;
                var (a, rowsA, columnsA, b, rowsB, columnsB, c) = Dense.GemmOperands<T>(random, transposeA, transposeB, m, n, k);
                var expected = (T[])c.Clone();
                var actual = (T[])c.Clone();
                var alpha = T.CreateTruncating(1.5);
                var beta = T.CreateTruncating(-0.5);

                managed.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, expected);
                gpu.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, actual);

                Dense.AssertClose(Dense.ToDouble(expected), Dense.ToDouble(actual), 4 * k * Dense.Epsilon<T>(), $"GPU gemm {transposeA}/{transposeB}");
            }
        }
    }

    private static void CheckFactorizations<T>()
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gpu = (ILinearAlgebraProvider<T>)(ILinearAlgebraProvider)AllOnGpu();
        var managed = TestProviders.Managed<T>();
        var random = new Random(23);
        const int n = 48;
        var tolerance = 64 * n * Dense.Epsilon<T>();

        var a = Dense.WellConditioned<T>(random, n);
        var b = Dense.Random<T>(random, n, 3);
        var factors = (T[])a.Clone();
        var pivots = new int[n];
        var managedFactors = (T[])a.Clone();
        var managedPivots = new int[n];
        gpu.LUFactor(factors, n, pivots);
        managed.LUFactor(managedFactors, n, managedPivots);
        Assert.Equal(managedPivots, pivots);
        Dense.AssertClose(Dense.ToDouble(managedFactors), Dense.ToDouble(factors), tolerance, "GPU LU factors");

        var expected = (T[])b.Clone();
        managed.LUSolve(3, a, n, expected);
        var direct = (T[])b.Clone();
        gpu.LUSolve(3, a, n, direct);
        var factored = (T[])b.Clone();
        gpu.LUSolveFactored(3, factors, n, pivots, factored);
        Dense.AssertClose(Dense.ToDouble(expected), Dense.ToDouble(direct), tolerance, "GPU LUSolve");
        Dense.AssertClose(Dense.ToDouble(expected), Dense.ToDouble(factored), tolerance, "GPU LUSolveFactored");

        var spd = Dense.SymmetricPositiveDefinite<T>(random, n);
        var cholesky = (T[])spd.Clone();
        var managedCholesky = (T[])spd.Clone();
        gpu.CholeskyFactor(cholesky, n);
        managed.CholeskyFactor(managedCholesky, n);
        Dense.AssertClose(Dense.ToDouble(managedCholesky), Dense.ToDouble(cholesky), tolerance, "GPU Cholesky factor");

        var choleskyExpected = (T[])b.Clone();
        managed.CholeskySolve(spd, n, choleskyExpected, 3);
        var choleskyDirect = (T[])b.Clone();
        gpu.CholeskySolve(spd, n, choleskyDirect, 3);
        var choleskyFactored = (T[])b.Clone();
        gpu.CholeskySolveFactored(cholesky, n, choleskyFactored, 3);
        Dense.AssertClose(Dense.ToDouble(choleskyExpected), Dense.ToDouble(choleskyDirect), tolerance, "GPU CholeskySolve");
        Dense.AssertClose(Dense.ToDouble(choleskyExpected), Dense.ToDouble(choleskyFactored), tolerance, "GPU CholeskySolveFactored");

        var indefinite = new T[] { T.One, T.CreateTruncating(2.0), T.CreateTruncating(2.0), T.One };
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => gpu.CholeskyFactor(indefinite, 2)).ParamName);
    }
}
