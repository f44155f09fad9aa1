using System.Runtime.InteropServices;

namespace FunctionalAD.Native;

/// <summary>
/// Raw bindings to OpenBLAS: CBLAS for the level-2 and level-3 kernels and the Fortran LAPACK symbols
/// (OpenBLAS exports LAPACK but, in Debian's build, not LAPACKE). Fortran passes every
/// argument by reference and appends one hidden length argument per CHARACTER argument;
/// those lengths are passed explicitly because gfortran-compiled LAPACK may rely on them.
/// </summary>
internal static unsafe partial class OpenBlasNative
{
    internal const int ColumnMajor = 102;
    internal const int NoTrans = 111;
    internal const int Trans = 112;
    internal const int Left = 141;
    internal const int Upper = 121;
    internal const int NonUnit = 131;

    static OpenBlasNative() => NativeLibraries.EnsureResolver();

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial int openblas_get_num_threads();

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void openblas_set_num_threads(int threads);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial byte* openblas_get_config();

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void cblas_dgemm(int order, int transA, int transB, int m, int n, int k, double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void cblas_dgemv(int order, int trans, int m, int n, double alpha, double* a, int lda, double* x, int incx, double beta, double* y, int incy);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void cblas_sgemv(int order, int trans, int m, int n, float alpha, float* a, int lda, float* x, int incx, float beta, float* y, int incy);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void cblas_dtrsm(int order, int side, int uplo, int transA, int diag, int m, int n, double alpha, double* a, int lda, double* b, int ldb);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void cblas_strsm(int order, int side, int uplo, int transA, int diag, int m, int n, float alpha, float* a, int lda, float* b, int ldb);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void dgetrf_(int* m, int* n, double* a, int* lda, int* ipiv, int* info);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void sgetrf_(int* m, int* n, float* a, int* lda, int* ipiv, int* info);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void dgetri_(int* n, double* a, int* lda, int* ipiv, double* work, int* lwork, int* info);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void sgetri_(int* n, float* a, int* lda, int* ipiv, float* work, int* lwork, int* info);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void dgetrs_(byte* trans, int* n, int* nrhs, double* a, int* lda, int* ipiv, double* b, int* ldb, int* info, nuint transLength);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void sgetrs_(byte* trans, int* n, int* nrhs, float* a, int* lda, int* ipiv, float* b, int* ldb, int* info, nuint transLength);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void dpotrf_(byte* uplo, int* n, double* a, int* lda, int* info, nuint uploLength);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void spotrf_(byte* uplo, int* n, float* a, int* lda, int* info, nuint uploLength);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void dpotrs_(byte* uplo, int* n, int* nrhs, double* a, int* lda, double* b, int* ldb, int* info, nuint uploLength);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void spotrs_(byte* uplo, int* n, int* nrhs, float* a, int* lda, float* b, int* ldb, int* info, nuint uploLength);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void dgeqrf_(int* m, int* n, double* a, int* lda, double* tau, double* work, int* lwork, int* info);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void sgeqrf_(int* m, int* n, float* a, int* lda, float* tau, float* work, int* lwork, int* info);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void dorgqr_(int* m, int* n, int* k, double* a, int* lda, double* tau, double* work, int* lwork, int* info);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void sorgqr_(int* m, int* n, int* k, float* a, int* lda, float* tau, float* work, int* lwork, int* info);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void dgels_(byte* trans, int* m, int* n, int* nrhs, double* a, int* lda, double* b, int* ldb, double* work, int* lwork, int* info, nuint transLength);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void sgels_(byte* trans, int* m, int* n, int* nrhs, float* a, int* lda, float* b, int* ldb, float* work, int* lwork, int* info, nuint transLength);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void dgesdd_(byte* jobz, int* m, int* n, double* a, int* lda, double* s, double* u, int* ldu, double* vt, int* ldvt, double* work, int* lwork, int* iwork, int* info, nuint jobzLength);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void sgesdd_(byte* jobz, int* m, int* n, float* a, int* lda, float* s, float* u, int* ldu, float* vt, int* ldvt, float* work, int* lwork, int* iwork, int* info, nuint jobzLength);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void dsyevd_(byte* jobz, byte* uplo, int* n, double* a, int* lda, double* w, double* work, int* lwork, int* iwork, int* liwork, int* info, nuint jobzLength, nuint uploLength);

    [LibraryImport(NativeLibraries.OpenBlas)]
    internal static partial void ssyevd_(byte* jobz, byte* uplo, int* n, float* a, int* lda, float* w, float* work, int* lwork, int* iwork, int* liwork, int* info, nuint jobzLength, nuint uploLength);
}
