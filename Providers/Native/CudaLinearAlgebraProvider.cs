using MathNet.Numerics;
using MathNet.Numerics.Providers.LinearAlgebra;
using static FunctionalAD.Native.CudaNative;

namespace FunctionalAD.Native;

/// <summary>
/// A MathNet.Numerics linear-algebra provider that runs large <see cref="double"/> and
/// <see cref="float"/> matrix products (cuBLAS) and LU and Cholesky factorizations and solves
/// (cuSOLVER) on an NVIDIA GPU. Problems smaller than <see cref="CrossoverSize"/>, where the
/// host-device transfers cost more than they save, and every other operation go to a fallback
/// provider: OpenBLAS when available, otherwise MathNet's managed provider.
/// </summary>
public sealed class CudaLinearAlgebraProvider : ForwardingLinearAlgebraProvider
{
    private readonly Lock gate = new();
    private IntPtr blasHandle;
    private IntPtr solverHandle;

    /// <summary>Creates the provider with OpenBLAS (or, without it, the managed provider) as fallback.</summary>
    public CudaLinearAlgebraProvider()
        : this(OpenBlasLinearAlgebraProvider.IsLibraryAvailable ? new OpenBlasLinearAlgebraProvider() : new ManagedLinearAlgebraProvider())
    {
    }

    /// <summary>Creates the provider with an explicit fallback provider.</summary>
    /// <param name="fallback">Receives small problems and every operation not run on the GPU.</param>
    public CudaLinearAlgebraProvider(ILinearAlgebraProvider fallback)
        : base(fallback)
    {
    }

    /// <summary>Whether the CUDA runtime, cuBLAS, cuSOLVER and at least one device are usable.</summary>
    public static bool IsDeviceAvailable => Cuda.Problem is null;

    /// <summary>Why CUDA is unusable, or <c>null</c> when it is usable.</summary>
    public static string? UnavailableReason => Cuda.Problem;

    /// <summary>
    /// The smallest dimension at which work goes to the GPU: a product runs there when all of
    /// m, n and k reach it, a factorization or solve when the matrix order does. The default,
    /// 256, is a conservative guess to be replaced by a measurement on the target machine.
    /// </summary>
    public int CrossoverSize
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            field = value;
        }
    } = 256;

    /// <summary>The provider receiving small problems and every operation not run on the GPU.</summary>
    public ILinearAlgebraProvider Fallback => Inner;

    /// <inheritdoc/>
    public override bool IsAvailable() => IsDeviceAvailable;

    /// <summary>Throws when CUDA is not usable; MathNet calls this when the provider is installed.</summary>
    /// <exception cref="NotSupportedException">CUDA is not available.</exception>
    public override void InitializeVerify()
    {
        if (!IsDeviceAvailable)
        {
            throw new NotSupportedException($"The CUDA provider is unavailable: {UnavailableReason}.");
        }

        Inner.InitializeVerify();
    }

    /// <summary>Releases the cuBLAS and cuSOLVER handles (recreated on next use) and the fallback's resources.</summary>
    public override void FreeResources()
    {
        lock (gate)
        {
            if (blasHandle != IntPtr.Zero)
            {
                _ = cublasDestroy_v2(blasHandle);
                blasHandle = IntPtr.Zero;
            }

            if (solverHandle != IntPtr.Zero)
            {
                _ = cusolverDnDestroy(solverHandle);
                solverHandle = IntPtr.Zero;
            }
        }

        Inner.FreeResources();
    }

    /// <summary>Describes the provider, its crossover size and its fallback.</summary>
    /// <returns>A one-line description.</returns>
    public override string ToString() =>
        IsDeviceAvailable
            ? $"CUDA (cuBLAS/cuSOLVER from n >= {CrossoverSize}; below that and otherwise {Inner})"
            : $"CUDA (unavailable: {UnavailableReason})";

    /// <inheritdoc/>
    public override void MatrixMultiplyWithUpdate(Transpose transposeA, Transpose transposeB, double alpha, double[] a, int rowsA, int columnsA, double[] b, int rowsB, int columnsB, double beta, double[] c)
    {
        if (ProductIsLarge(transposeA, transposeB, rowsA, columnsA, rowsB, columnsB))
        {
            lock (gate)
            {
                CudaAlgorithms<double, DoubleCuda>.Gemm(Blas(), transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c);
            }
        }
        else
        {
            base.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c);
        }
    }

    /// <inheritdoc/>
    public override void MatrixMultiplyWithUpdate(Transpose transposeA, Transpose transposeB, float alpha, float[] a, int rowsA, int columnsA, float[] b, int rowsB, int columnsB, float beta, float[] c)
    {
        if (ProductIsLarge(transposeA, transposeB, rowsA, columnsA, rowsB, columnsB))
        {
            lock (gate)
            {
                CudaAlgorithms<float, SingleCuda>.Gemm(Blas(), transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c);
            }
        }
        else
        {
            base.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c);
        }
    }

    /// <inheritdoc/>
    public override void MatrixMultiply(double[] x, int rowsX, int columnsX, double[] y, int rowsY, int columnsY, double[] result) =>
        MatrixMultiplyWithUpdate(Transpose.DontTranspose, Transpose.DontTranspose, 1.0, x, rowsX, columnsX, y, rowsY, columnsY, 0.0, result);

    /// <inheritdoc/>
    public override void MatrixMultiply(float[] x, int rowsX, int columnsX, float[] y, int rowsY, int columnsY, float[] result) =>
        MatrixMultiplyWithUpdate(Transpose.DontTranspose, Transpose.DontTranspose, 1.0f, x, rowsX, columnsX, y, rowsY, columnsY, 0.0f, result);

    /// <inheritdoc/>
    public override void LUFactor(double[] data, int order, int[] ipiv)
    {
        if (order >= CrossoverSize)
        {
            lock (gate)
            {
                CudaAlgorithms<double, DoubleCuda>.LUFactor(Solver(), data, order, ipiv);
            }
        }
        else
        {
            base.LUFactor(data, order, ipiv);
        }
    }

    /// <inheritdoc/>
    public override void LUFactor(float[] data, int order, int[] ipiv)
    {
        if (order >= CrossoverSize)
        {
            lock (gate)
            {
                CudaAlgorithms<float, SingleCuda>.LUFactor(Solver(), data, order, ipiv);
            }
        }
        else
        {
            base.LUFactor(data, order, ipiv);
        }
    }

    /// <inheritdoc/>
    public override void LUSolve(int columnsOfB, double[] a, int order, double[] b)
    {
        if (order >= CrossoverSize)
        {
            lock (gate)
            {
                CudaAlgorithms<double, DoubleCuda>.LUSolve(Solver(), columnsOfB, a, order, b);
            }
        }
        else
        {
            base.LUSolve(columnsOfB, a, order, b);
        }
    }

    /// <inheritdoc/>
    public override void LUSolve(int columnsOfB, float[] a, int order, float[] b)
    {
        if (order >= CrossoverSize)
        {
            lock (gate)
            {
                CudaAlgorithms<float, SingleCuda>.LUSolve(Solver(), columnsOfB, a, order, b);
            }
        }
        else
        {
            base.LUSolve(columnsOfB, a, order, b);
        }
    }

    /// <inheritdoc/>
    public override void LUSolveFactored(int columnsOfB, double[] a, int order, int[] ipiv, double[] b)
    {
        if (order >= CrossoverSize)
        {
            lock (gate)
            {
                CudaAlgorithms<double, DoubleCuda>.LUSolveFactored(Solver(), columnsOfB, a, order, ipiv, b);
            }
        }
        else
        {
            base.LUSolveFactored(columnsOfB, a, order, ipiv, b);
        }
    }

    /// <inheritdoc/>
    public override void LUSolveFactored(int columnsOfB, float[] a, int order, int[] ipiv, float[] b)
    {
        if (order >= CrossoverSize)
        {
            lock (gate)
            {
                CudaAlgorithms<float, SingleCuda>.LUSolveFactored(Solver(), columnsOfB, a, order, ipiv, b);
            }
        }
        else
        {
            base.LUSolveFactored(columnsOfB, a, order, ipiv, b);
        }
    }

    /// <inheritdoc/>
    public override void CholeskyFactor(double[] a, int order)
    {
        if (order >= CrossoverSize)
        {
            lock (gate)
            {
                CudaAlgorithms<double, DoubleCuda>.CholeskyFactor(Solver(), a, order);
            }
        }
        else
        {
            base.CholeskyFactor(a, order);
        }
    }

    /// <inheritdoc/>
    public override void CholeskyFactor(float[] a, int order)
    {
        if (order >= CrossoverSize)
        {
            lock (gate)
            {
                CudaAlgorithms<float, SingleCuda>.CholeskyFactor(Solver(), a, order);
            }
        }
        else
        {
            base.CholeskyFactor(a, order);
        }
    }

    /// <inheritdoc/>
    public override void CholeskySolve(double[] a, int orderA, double[] b, int columnsB)
    {
        if (orderA >= CrossoverSize)
        {
            lock (gate)
            {
                CudaAlgorithms<double, DoubleCuda>.CholeskySolve(Solver(), a, orderA, b, columnsB, factored: false);
            }
        }
        else
        {
            base.CholeskySolve(a, orderA, b, columnsB);
        }
    }

    /// <inheritdoc/>
    public override void CholeskySolve(float[] a, int orderA, float[] b, int columnsB)
    {
        if (orderA >= CrossoverSize)
        {
            lock (gate)
            {
                CudaAlgorithms<float, SingleCuda>.CholeskySolve(Solver(), a, orderA, b, columnsB, factored: false);
            }
        }
        else
        {
            base.CholeskySolve(a, orderA, b, columnsB);
        }
    }

    /// <inheritdoc/>
    public override void CholeskySolveFactored(double[] a, int orderA, double[] b, int columnsB)
    {
        if (orderA >= CrossoverSize)
        {
            lock (gate)
            {
                CudaAlgorithms<double, DoubleCuda>.CholeskySolve(Solver(), a, orderA, b, columnsB, factored: true);
            }
        }
        else
        {
            base.CholeskySolveFactored(a, orderA, b, columnsB);
        }
    }

    /// <inheritdoc/>
    public override void CholeskySolveFactored(float[] a, int orderA, float[] b, int columnsB)
    {
        if (orderA >= CrossoverSize)
        {
            lock (gate)
            {
                CudaAlgorithms<float, SingleCuda>.CholeskySolve(Solver(), a, orderA, b, columnsB, factored: true);
            }
        }
        else
        {
            base.CholeskySolveFactored(a, orderA, b, columnsB);
        }
    }

    private bool ProductIsLarge(Transpose transposeA, Transpose transposeB, int rowsA, int columnsA, int rowsB, int columnsB)
    {
        var m = transposeA == Transpose.DontTranspose ? rowsA : columnsA;
        var k = transposeA == Transpose.DontTranspose ? columnsA : rowsA;
        var n = transposeB == Transpose.DontTranspose ? columnsB : rowsB;
        return Math.Min(m, Math.Min(n, k)) >= CrossoverSize;
    }

    private unsafe IntPtr Blas()
    {
        if (blasHandle == IntPtr.Zero)
        {
            IntPtr handle;
            Cuda.CheckLibrary(cublasCreate_v2(&handle), "cublasCreate");
            blasHandle = handle;
        }

        return blasHandle;
    }

    private unsafe IntPtr Solver()
    {
        if (solverHandle == IntPtr.Zero)
        {
            IntPtr handle;
            Cuda.CheckLibrary(cusolverDnCreate(&handle), "cusolverDnCreate");
            solverHandle = handle;
        }

        return solverHandle;
    }
}
