using System.Numerics;
using System.Runtime.InteropServices;
using static FunctionalAD.Native.CudaNative;

namespace FunctionalAD.Native;

/// <summary>The cuBLAS/cuSOLVER routines the CUDA provider needs, for one element type; pointers are device pointers.</summary>
internal unsafe interface ICudaOps<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract int Gemm(IntPtr blas, bool transA, bool transB, int m, int n, int k, T alpha, T* a, int lda, T* b, int ldb, T beta, T* c, int ldc);

    static abstract int GetrfBufferSize(IntPtr solver, int n, T* a, int lda, int* lwork);

    static abstract int Getrf(IntPtr solver, int n, T* a, int lda, T* workspace, int* ipiv, int* info);

    static abstract int Getrs(IntPtr solver, int n, int nrhs, T* a, int lda, int* ipiv, T* b, int ldb, int* info);

    static abstract int PotrfBufferSize(IntPtr solver, int n, T* a, int lda, int* lwork);

    static abstract int Potrf(IntPtr solver, int n, T* a, int lda, T* workspace, int lwork, int* info);

    static abstract int Potrs(IntPtr solver, int n, int nrhs, T* a, int lda, T* b, int ldb, int* info);
}

/// <summary>Double-precision cuBLAS/cuSOLVER routines.</summary>
internal readonly unsafe struct DoubleCuda : ICudaOps<double>
{
    public static int Gemm(IntPtr blas, bool transA, bool transB, int m, int n, int k, double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc) =>
        cublasDgemm_v2(blas, transA ? OpTranspose : OpNone, transB ? OpTranspose : OpNone, m, n, k, &alpha, a, lda, b, ldb, &beta, c, ldc);

    public static int GetrfBufferSize(IntPtr solver, int n, double* a, int lda, int* lwork) => cusolverDnDgetrf_bufferSize(solver, n, n, a, lda, lwork);

    public static int Getrf(IntPtr solver, int n, double* a, int lda, double* workspace, int* ipiv, int* info) => cusolverDnDgetrf(solver, n, n, a, lda, workspace, ipiv, info);

    public static int Getrs(IntPtr solver, int n, int nrhs, double* a, int lda, int* ipiv, double* b, int ldb, int* info) => cusolverDnDgetrs(solver, OpNone, n, nrhs, a, lda, ipiv, b, ldb, info);

    public static int PotrfBufferSize(IntPtr solver, int n, double* a, int lda, int* lwork) => cusolverDnDpotrf_bufferSize(solver, FillLower, n, a, lda, lwork);

    public static int Potrf(IntPtr solver, int n, double* a, int lda, double* workspace, int lwork, int* info) => cusolverDnDpotrf(solver, FillLower, n, a, lda, workspace, lwork, info);

    public static int Potrs(IntPtr solver, int n, int nrhs, double* a, int lda, double* b, int ldb, int* info) => cusolverDnDpotrs(solver, FillLower, n, nrhs, a, lda, b, ldb, info);
}

/// <summary>Single-precision cuBLAS/cuSOLVER routines.</summary>
internal readonly unsafe struct SingleCuda : ICudaOps<float>
{
    public static int Gemm(IntPtr blas, bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
        cublasSgemm_v2(blas, transA ? OpTranspose : OpNone, transB ? OpTranspose : OpNone, m, n, k, &alpha, a, lda, b, ldb, &beta, c, ldc);

    public static int GetrfBufferSize(IntPtr solver, int n, float* a, int lda, int* lwork) => cusolverDnSgetrf_bufferSize(solver, n, n, a, lda, lwork);

    public static int Getrf(IntPtr solver, int n, float* a, int lda, float* workspace, int* ipiv, int* info) => cusolverDnSgetrf(solver, n, n, a, lda, workspace, ipiv, info);

    public static int Getrs(IntPtr solver, int n, int nrhs, float* a, int lda, int* ipiv, float* b, int ldb, int* info) => cusolverDnSgetrs(solver, OpNone, n, nrhs, a, lda, ipiv, b, ldb, info);

    public static int PotrfBufferSize(IntPtr solver, int n, float* a, int lda, int* lwork) => cusolverDnSpotrf_bufferSize(solver, FillLower, n, a, lda, lwork);

    public static int Potrf(IntPtr solver, int n, float* a, int lda, float* workspace, int lwork, int* info) => cusolverDnSpotrf(solver, FillLower, n, a, lda, workspace, lwork, info);

    public static int Potrs(IntPtr solver, int n, int nrhs, float* a, int lda, float* b, int ldb, int* info) => cusolverDnSpotrs(solver, FillLower, n, nrhs, a, lda, b, ldb, info);
}

/// <summary>A block of device memory holding a fixed number of elements of <typeparamref name="T"/>.</summary>
internal sealed unsafe class DeviceBuffer<T> : IDisposable
    where T : unmanaged
{
    private void* pointer;

    public DeviceBuffer(long length)
    {
        void* allocated;
        Cuda.Check(cudaMalloc(&allocated, (nuint)(Math.Max(1, length) * sizeof(T))), "cudaMalloc");
        pointer = allocated;
    }

    public T* Pointer => (T*)pointer;

    public static DeviceBuffer<T> From(T[] host)
    {
        var buffer = new DeviceBuffer<T>(host.LongLength);
        buffer.Upload(host);
        return buffer;
    }

    public void Upload(T[] host)
    {
        fixed (T* source = host)
        {
            Cuda.Check(cudaMemcpy(pointer, source, (nuint)(host.LongLength * sizeof(T)), MemcpyHostToDevice), "cudaMemcpy to device");
        }
    }

    public void Download(T[] host)
    {
        fixed (T* destination = host)
        {
            Cuda.Check(cudaMemcpy(destination, pointer, (nuint)(host.LongLength * sizeof(T)), MemcpyDeviceToHost), "cudaMemcpy to host");
        }
    }

    public void Dispose()
    {
        if (pointer != null)
        {
            // A failing free during cleanup must not mask the exception that may be unwinding.
            _ = cudaFree(pointer);
            pointer = null;
        }
    }
}

/// <summary>Status checks and device discovery for the CUDA runtime.</summary>
internal static unsafe class Cuda
{
    private static readonly Lazy<string?> DeviceProblem = new(FindDeviceProblem);

    /// <summary>Why CUDA cannot be used, or <c>null</c> when a device and all three libraries are usable.</summary>
    internal static string? Problem => DeviceProblem.Value;

    internal static void Check(int status, string call)
    {
        if (status != 0)
        {
            var text = Marshal.PtrToStringUTF8((IntPtr)cudaGetErrorString(status));
            throw new InvalidOperationException($"{call} failed with CUDA error {status}: {text}");
        }
    }

    internal static void CheckLibrary(int status, string call)
    {
        if (status != 0)
        {
            throw new InvalidOperationException($"{call} failed with status {status}.");
        }
    }

    private static string? FindDeviceProblem()
    {
        var problem = NativeLibraries.CudaRuntimeLibrary.Problem ?? NativeLibraries.CublasLibrary.Problem ?? NativeLibraries.CusolverLibrary.Problem;
        if (problem is not null)
        {
            return problem;
        }

        // Without a driver or a device this returns an error code rather than crashing.
        int count;
        var status = cudaGetDeviceCount(&count);
        if (status != 0)
        {
            return $"cudaGetDeviceCount failed with CUDA error {status}: {Marshal.PtrToStringUTF8((IntPtr)cudaGetErrorString(status))}";
        }

        return count > 0 ? null : "no CUDA device present";
    }
}
