using System.Numerics;
using static FunctionalAD.Native.OpenBlasNative;

namespace FunctionalAD.Native;

/// <summary>
/// The BLAS/LAPACK routines the OpenBLAS provider needs, for one element type. Arguments are
/// taken by value and LAPACK's <c>info</c> is returned, so the generic algorithms in
/// <see cref="LapackAlgorithms{T, TLapack}"/> read like the math and are written once for
/// <see cref="double"/> and <see cref="float"/>. Matrices are column-major.
/// </summary>
internal unsafe interface ILapack<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract void Gemm(bool transA, bool transB, int m, int n, int k, T alpha, T* a, int lda, T* b, int ldb, T beta, T* c, int ldc);

    /// <summary><c>y = alpha·op(A)·x + beta·y</c> for an <c>m × n</c> <c>A</c> and contiguous <c>x</c>, <c>y</c>.</summary>
    static abstract void Gemv(bool trans, int m, int n, T alpha, T* a, int lda, T* x, T beta, T* y);

    /// <summary>Solves <c>U X = B</c> in place for an upper-triangular, non-unit <c>U</c>.</summary>
    static abstract void TrsmUpperLeft(int m, int n, T* a, int lda, T* b, int ldb);

    static abstract int Getrf(int m, int n, T* a, int lda, int* ipiv);

    static abstract int Getri(int n, T* a, int lda, int* ipiv, T* work, int lwork);

    static abstract int Getrs(int n, int nrhs, T* a, int lda, int* ipiv, T* b, int ldb);

    static abstract int PotrfLower(int n, T* a, int lda);

    static abstract int PotrsLower(int n, int nrhs, T* a, int lda, T* b, int ldb);

    static abstract int Geqrf(int m, int n, T* a, int lda, T* tau, T* work, int lwork);

    static abstract int Orgqr(int m, int n, int k, T* a, int lda, T* tau, T* work, int lwork);

    static abstract int Gels(int m, int n, int nrhs, T* a, int lda, T* b, int ldb, T* work, int lwork);

    static abstract int Gesdd(byte jobz, int m, int n, T* a, int lda, T* s, T* u, int ldu, T* vt, int ldvt, T* work, int lwork, int* iwork);

    static abstract int Syevd(int n, T* a, int lda, T* w, T* work, int lwork, int* iwork, int liwork);
}

/// <summary>Double-precision routines (the <c>d</c> prefix).</summary>
internal readonly unsafe struct DoubleLapack : ILapack<double>
{
    public static void Gemm(bool transA, bool transB, int m, int n, int k, double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc) =>
        cblas_dgemm(ColumnMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    public static void Gemv(bool trans, int m, int n, double alpha, double* a, int lda, double* x, double beta, double* y) =>
        cblas_dgemv(ColumnMajor, trans ? Trans : NoTrans, m, n, alpha, a, lda, x, 1, beta, y, 1);

    public static void TrsmUpperLeft(int m, int n, double* a, int lda, double* b, int ldb) =>
        cblas_dtrsm(ColumnMajor, Left, Upper, NoTrans, NonUnit, m, n, 1.0, a, lda, b, ldb);

    public static int Getrf(int m, int n, double* a, int lda, int* ipiv)
    {
        int info;
        dgetrf_(&m, &n, a, &lda, ipiv, &info);
        return info;
    }

    public static int Getri(int n, double* a, int lda, int* ipiv, double* work, int lwork)
    {
        int info;
        dgetri_(&n, a, &lda, ipiv, work, &lwork, &info);
        return info;
    }

    public static int Getrs(int n, int nrhs, double* a, int lda, int* ipiv, double* b, int ldb)
    {
        byte trans = (byte)'N';
        int info;
        dgetrs_(&trans, &n, &nrhs, a, &lda, ipiv, b, &ldb, &info, 1);
        return info;
    }

    public static int PotrfLower(int n, double* a, int lda)
    {
        byte uplo = (byte)'L';
        int info;
        dpotrf_(&uplo, &n, a, &lda, &info, 1);
        return info;
    }

    public static int PotrsLower(int n, int nrhs, double* a, int lda, double* b, int ldb)
    {
        byte uplo = (byte)'L';
        int info;
        dpotrs_(&uplo, &n, &nrhs, a, &lda, b, &ldb, &info, 1);
        return info;
    }

    public static int Geqrf(int m, int n, double* a, int lda, double* tau, double* work, int lwork)
    {
        int info;
        dgeqrf_(&m, &n, a, &lda, tau, work, &lwork, &info);
        return info;
    }

    public static int Orgqr(int m, int n, int k, double* a, int lda, double* tau, double* work, int lwork)
    {
        int info;
        dorgqr_(&m, &n, &k, a, &lda, tau, work, &lwork, &info);
        return info;
    }

    public static int Gels(int m, int n, int nrhs, double* a, int lda, double* b, int ldb, double* work, int lwork)
    {
        byte trans = (byte)'N';
        int info;
        dgels_(&trans, &m, &n, &nrhs, a, &lda, b, &ldb, work, &lwork, &info, 1);
        return info;
    }

    public static int Gesdd(byte jobz, int m, int n, double* a, int lda, double* s, double* u, int ldu, double* vt, int ldvt, double* work, int lwork, int* iwork)
    {
        int info;
        dgesdd_(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, &info, 1);
        return info;
    }

    public static int Syevd(int n, double* a, int lda, double* w, double* work, int lwork, int* iwork, int liwork)
    {
        byte jobz = (byte)'V';
        byte uplo = (byte)'U';
        int info;
        dsyevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, &info, 1, 1);
        return info;
    }
}

/// <summary>Single-precision routines (the <c>s</c> prefix).</summary>
internal readonly unsafe struct SingleLapack : ILapack<float>
{
    public static void Gemm(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc) =>
        cblas_sgemm(ColumnMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    public static void Gemv(bool trans, int m, int n, float alpha, float* a, int lda, float* x, float beta, float* y) =>
        cblas_sgemv(ColumnMajor, trans ? Trans : NoTrans, m, n, alpha, a, lda, x, 1, beta, y, 1);

    public static void TrsmUpperLeft(int m, int n, float* a, int lda, float* b, int ldb) =>
        cblas_strsm(ColumnMajor, Left, Upper, NoTrans, NonUnit, m, n, 1.0f, a, lda, b, ldb);

    public static int Getrf(int m, int n, float* a, int lda, int* ipiv)
    {
        int info;
        sgetrf_(&m, &n, a, &lda, ipiv, &info);
        return info;
    }

    public static int Getri(int n, float* a, int lda, int* ipiv, float* work, int lwork)
    {
        int info;
        sgetri_(&n, a, &lda, ipiv, work, &lwork, &info);
        return info;
    }

    public static int Getrs(int n, int nrhs, float* a, int lda, int* ipiv, float* b, int ldb)
    {
        byte trans = (byte)'N';
        int info;
        sgetrs_(&trans, &n, &nrhs, a, &lda, ipiv, b, &ldb, &info, 1);
        return info;
    }

    public static int PotrfLower(int n, float* a, int lda)
    {
        byte uplo = (byte)'L';
        int info;
        spotrf_(&uplo, &n, a, &lda, &info, 1);
        return info;
    }

    public static int PotrsLower(int n, int nrhs, float* a, int lda, float* b, int ldb)
    {
        byte uplo = (byte)'L';
        int info;
        spotrs_(&uplo, &n, &nrhs, a, &lda, b, &ldb, &info, 1);
        return info;
    }

    public static int Geqrf(int m, int n, float* a, int lda, float* tau, float* work, int lwork)
    {
        int info;
        sgeqrf_(&m, &n, a, &lda, tau, work, &lwork, &info);
        return info;
    }

    public static int Orgqr(int m, int n, int k, float* a, int lda, float* tau, float* work, int lwork)
    {
        int info;
        sorgqr_(&m, &n, &k, a, &lda, tau, work, &lwork, &info);
        return info;
    }

    public static int Gels(int m, int n, int nrhs, float* a, int lda, float* b, int ldb, float* work, int lwork)
    {
        byte trans = (byte)'N';
        int info;
        sgels_(&trans, &m, &n, &nrhs, a, &lda, b, &ldb, work, &lwork, &info, 1);
        return info;
    }

    public static int Gesdd(byte jobz, int m, int n, float* a, int lda, float* s, float* u, int ldu, float* vt, int ldvt, float* work, int lwork, int* iwork)
    {
        int info;
        sgesdd_(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, &info, 1);
        return info;
    }

    public static int Syevd(int n, float* a, int lda, float* w, float* work, int lwork, int* iwork, int liwork)
    {
        byte jobz = (byte)'V';
        byte uplo = (byte)'U';
        int info;
        ssyevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, &info, 1, 1);
        return info;
    }
}
