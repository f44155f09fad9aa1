using System.Runtime.InteropServices;

namespace FunctionalAD.Native;

/// <summary>
/// Raw bindings to the CUDA runtime (device memory), cuBLAS (GEMM) and cuSOLVER dense
/// (LU and Cholesky). Every function returns a status code, 0 meaning success.
/// </summary>
internal static unsafe partial class CudaNative
{
    internal const int MemcpyHostToDevice = 1;
    internal const int MemcpyDeviceToHost = 2;
    internal const int OpNone = 0;
    internal const int OpTranspose = 1;
    internal const int FillLower = 0;

    static CudaNative() => NativeLibraries.EnsureResolver();

    [LibraryImport(NativeLibraries.CudaRuntime)]
    internal static partial int cudaGetDeviceCount(int* count);

    [LibraryImport(NativeLibraries.CudaRuntime)]
    internal static partial byte* cudaGetErrorString(int error);

    [LibraryImport(NativeLibraries.CudaRuntime)]
    internal static partial int cudaMalloc(void** pointer, nuint size);

    [LibraryImport(NativeLibraries.CudaRuntime)]
    internal static partial int cudaFree(void* pointer);

    [LibraryImport(NativeLibraries.CudaRuntime)]
    internal static partial int cudaMemcpy(void* destination, void* source, nuint count, int kind);

    [LibraryImport(NativeLibraries.Cublas)]
    internal static partial int cublasCreate_v2(IntPtr* handle);

    [LibraryImport(NativeLibraries.Cublas)]
    internal static partial int cublasDestroy_v2(IntPtr handle);

    [LibraryImport(NativeLibraries.Cublas)]
    internal static partial int cublasDgemm_v2(IntPtr handle, int transA, int transB, int m, int n, int k, double* alpha, double* a, int lda, double* b, int ldb, double* beta, double* c, int ldc);

    [LibraryImport(NativeLibraries.Cublas)]
    internal static partial int cublasSgemm_v2(IntPtr handle, int transA, int transB, int m, int n, int k, float* alpha, float* a, int lda, float* b, int ldb, float* beta, float* c, int ldc);

    [LibraryImport(NativeLibraries.Cusolver)]
    internal static partial int cusolverDnCreate(IntPtr* handle);

    [LibraryImport(NativeLibraries.Cusolver)]
    internal static partial int cusolverDnDestroy(IntPtr handle);

    [LibraryImport(NativeLibraries.Cusolver)]
    internal static partial int cusolverDnDgetrf_bufferSize(IntPtr handle, int m, int n, double* a, int lda, int* lwork);

    [LibraryImport(NativeLibraries.Cusolver)]
    internal static partial int cusolverDnSgetrf_bufferSize(IntPtr handle, int m, int n, float* a, int lda, int* lwork);

    [LibraryImport(NativeLibraries.Cusolver)]
    internal static partial int cusolverDnDgetrf(IntPtr handle, int m, int n, double* a, int lda, double* workspace, int* ipiv, int* info);

    [LibraryImport(NativeLibraries.Cusolver)]
    internal static partial int cusolverDnSgetrf(IntPtr handle, int m, int n, float* a, int lda, float* workspace, int* ipiv, int* info);

    [LibraryImport(NativeLibraries.Cusolver)]
    internal static partial int cusolverDnDgetrs(IntPtr handle, int trans, int n, int nrhs, double* a, int lda, int* ipiv, double* b, int ldb, int* info);

    [LibraryImport(NativeLibraries.Cusolver)]
    internal static partial int cusolverDnSgetrs(IntPtr handle, int trans, int n, int nrhs, float* a, int lda, int* ipiv, float* b, int ldb, int* info);

    [LibraryImport(NativeLibraries.Cusolver)]
    internal static partial int cusolverDnDpotrf_bufferSize(IntPtr handle, int uplo, int n, double* a, int lda, int* lwork);

    [LibraryImport(NativeLibraries.Cusolver)]
    internal static partial int cusolverDnSpotrf_bufferSize(IntPtr handle, int uplo, int n, float* a, int lda, int* lwork);

    [LibraryImport(NativeLibraries.Cusolver)]
    internal static partial int cusolverDnDpotrf(IntPtr handle, int uplo, int n, double* a, int lda, double* workspace, int lwork, int* info);

    [LibraryImport(NativeLibraries.Cusolver)]
    internal static partial int cusolverDnSpotrf(IntPtr handle, int uplo, int n, float* a, int lda, float* workspace, int lwork, int* info);

    [LibraryImport(NativeLibraries.Cusolver)]
    internal static partial int cusolverDnDpotrs(IntPtr handle, int uplo, int n, int nrhs, double* a, int lda, double* b, int ldb, int* info);

    [LibraryImport(NativeLibraries.Cusolver)]
    internal static partial int cusolverDnSpotrs(IntPtr handle, int uplo, int n, int nrhs, float* a, int lda, float* b, int ldb, int* info);
}
