using System.Numerics;
using MathNet.Numerics;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace FunctionalAD.Native;

/// <summary>
/// GPU versions of the provider operations: upload, run cuBLAS/cuSOLVER, download. Argument
/// checks and output conventions match <see cref="LapackAlgorithms{T, TLapack}"/>. Only called
/// for non-degenerate sizes at or above the provider's crossover, so no empty-matrix cases arise.
/// </summary>
internal static unsafe class CudaAlgorithms<T, TCuda>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TCuda : struct, ICudaOps<T>
{
    public static void Gemm(IntPtr blas, Transpose transposeA, Transpose transposeB, T alpha, T[] a, int rowsA, int columnsA, T[] b, int rowsB, int columnsB, T beta, T[] c)
    {
        var (transA, transB, m, n, k) = Guard.Product(transposeA, transposeB, a, rowsA, columnsA, b, rowsB, columnsB, c);
        using var da = DeviceBuffer<T>.From(a);
        using var db = DeviceBuffer<T>.From(b);
        using var dc = beta == T.Zero ? new DeviceBuffer<T>(c.LongLength) : DeviceBuffer<T>.From(c);
        Cuda.CheckLibrary(TCuda.Gemm(blas, transA, transB, m, n, k, alpha, da.Pointer, rowsA, db.Pointer, rowsB, beta, dc.Pointer, m), "cublas gemm");
        dc.Download(c);
    }

    public static void LUFactor(IntPtr solver, T[] data, int order, int[] ipiv)
    {
        Guard.Length(data, (long)order * order, nameof(data));
        Guard.Length(ipiv, order, nameof(ipiv));
        using var da = DeviceBuffer<T>.From(data);
        using var dp = new DeviceBuffer<int>(order);
        Getrf(solver, da, order, dp);
        da.Download(data);
        dp.Download(ipiv);
        for (var i = 0; i < order; i++)
        {
            ipiv[i] -= 1;
        }
    }

    public static void LUSolve(IntPtr solver, int columnsOfB, T[] a, int order, T[] b)
    {
        Guard.SquareSolve(a, order, b, columnsOfB, nameof(order), nameof(columnsOfB));
        if (columnsOfB == 0)
        {
            return;
        }

        using var da = DeviceBuffer<T>.From(a);
        using var dp = new DeviceBuffer<int>(order);
        using var db = DeviceBuffer<T>.From(b);
        var singular = Getrf(solver, da, order, dp);
        if (singular > 0)
        {
            throw new SingularUMatrixException(singular);
        }

        Getrs(solver, da, order, dp, db, columnsOfB);
        db.Download(b);
    }

    public static void LUSolveFactored(IntPtr solver, int columnsOfB, T[] a, int order, int[] ipiv, T[] b)
    {
        Guard.SquareSolve(a, order, b, columnsOfB, nameof(order), nameof(columnsOfB));
        var oneBased = Guard.OneBasedPivots(ipiv, order, nameof(ipiv));
        if (columnsOfB == 0)
        {
            return;
        }

        using var da = DeviceBuffer<T>.From(a);
        using var dp = DeviceBuffer<int>.From(oneBased);
        using var db = DeviceBuffer<T>.From(b);
        Getrs(solver, da, order, dp, db, columnsOfB);
        db.Download(b);
    }

    public static void CholeskyFactor(IntPtr solver, T[] a, int order)
    {
        Guard.Length(a, (long)order * order, nameof(a));
        using var da = DeviceBuffer<T>.From(a);
        Potrf(solver, da, order, nameof(a));
        da.Download(a);
        for (var column = 1; column < order; column++)
        {
            Array.Clear(a, column * order, column);
        }
    }

    public static void CholeskySolve(IntPtr solver, T[] a, int order, T[] b, int columnsB, bool factored)
    {
        Guard.SquareSolve(a, order, b, columnsB, nameof(order), nameof(columnsB));
        if (columnsB == 0)
        {
            return;
        }

        using var da = DeviceBuffer<T>.From(a);
        using var db = DeviceBuffer<T>.From(b);
        using var info = new DeviceBuffer<int>(1);
        if (!factored)
        {
            Potrf(solver, da, order, nameof(a));
        }

        Cuda.CheckLibrary(TCuda.Potrs(solver, order, columnsB, da.Pointer, order, db.Pointer, order, info.Pointer), "cusolver potrs");
        CheckInfo(info, "cusolver potrs");
        db.Download(b);
    }

    /// <summary>Runs GETRF in place and returns its info (positive when U is exactly singular).</summary>
    private static int Getrf(IntPtr solver, DeviceBuffer<T> a, int order, DeviceBuffer<int> pivots)
    {
        int lwork;
        Cuda.CheckLibrary(TCuda.GetrfBufferSize(solver, order, a.Pointer, order, &lwork), "cusolver getrf_bufferSize");
        using var work = new DeviceBuffer<T>(lwork);
        using var info = new DeviceBuffer<int>(1);
        Cuda.CheckLibrary(TCuda.Getrf(solver, order, a.Pointer, order, work.Pointer, pivots.Pointer, info.Pointer), "cusolver getrf");
        return CheckInfo(info, "cusolver getrf");
    }

    private static void Getrs(IntPtr solver, DeviceBuffer<T> factored, int order, DeviceBuffer<int> pivots, DeviceBuffer<T> b, int columnsB)
    {
        using var info = new DeviceBuffer<int>(1);
        Cuda.CheckLibrary(TCuda.Getrs(solver, order, columnsB, factored.Pointer, order, pivots.Pointer, b.Pointer, order, info.Pointer), "cusolver getrs");
        CheckInfo(info, "cusolver getrs");
    }

    private static void Potrf(IntPtr solver, DeviceBuffer<T> a, int order, string name)
    {
        int lwork;
        Cuda.CheckLibrary(TCuda.PotrfBufferSize(solver, order, a.Pointer, order, &lwork), "cusolver potrf_bufferSize");
        using var work = new DeviceBuffer<T>(lwork);
        using var info = new DeviceBuffer<int>(1);
        Cuda.CheckLibrary(TCuda.Potrf(solver, order, a.Pointer, order, work.Pointer, lwork, info.Pointer), "cusolver potrf");
        var result = CheckInfo(info, "cusolver potrf");
        if (result > 0)
        {
            throw new ArgumentException($"Matrix must be positive definite (leading minor {result} is not).", name);
        }
    }

    private static int CheckInfo(DeviceBuffer<int> info, string routine)
    {
        var host = new int[1];
        info.Download(host);
        Guard.Info(host[0], routine);
        return host[0];
    }
}
