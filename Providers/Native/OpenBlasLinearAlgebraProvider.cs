using System.Numerics;
using System.Runtime.InteropServices;
using MathNet.Numerics.LinearAlgebra.Factorization;
using MathNet.Numerics.Providers.LinearAlgebra;
using D = FunctionalAD.Native.LapackAlgorithms<double, FunctionalAD.Native.DoubleLapack>;
using S = FunctionalAD.Native.LapackAlgorithms<float, FunctionalAD.Native.SingleLapack>;

namespace FunctionalAD.Native;

/// <summary>
/// A MathNet.Numerics linear-algebra provider backed by the system's OpenBLAS
/// (<c>libopenblas.so.0</c>, Debian package <c>libopenblas0-pthread</c>).
/// Matrix products and the LU, Cholesky, QR, SVD and symmetric eigen factorizations of
/// <see cref="double"/> and <see cref="float"/> matrices run natively; everything else
/// (complex element types, element-wise vector operations, norms, non-symmetric eigen)
/// is forwarded to MathNet's managed provider.
/// </summary>
/// <remarks>
/// Constructing the provider never fails; <see cref="IsAvailable"/> reports whether the
/// library can be used, and a native call without it throws <see cref="DllNotFoundException"/>
/// naming the library and the package to install.
/// </remarks>
public sealed class OpenBlasLinearAlgebraProvider : ForwardingLinearAlgebraProvider
{
    /// <summary>Creates the provider; operations it does not run natively go to MathNet's managed provider.</summary>
    public OpenBlasLinearAlgebraProvider()
        : base(new ManagedLinearAlgebraProvider())
    {
    }

    /// <summary>Whether a usable OpenBLAS (with its LAPACK symbols) was found in this process.</summary>
    public static bool IsLibraryAvailable => NativeLibraries.OpenBlasLibrary.IsUsable;

    /// <summary>Why OpenBLAS is unusable, or <c>null</c> when it is usable.</summary>
    public static string? UnavailableReason => NativeLibraries.OpenBlasLibrary.Problem;

    /// <summary>The library name that was loaded, e.g. <c>libopenblas.so.0</c>, or <c>null</c>.</summary>
    public static string? LibraryName => NativeLibraries.OpenBlasLibrary.LoadedName;

    /// <summary>OpenBLAS's build description (version, target core, threading model).</summary>
    /// <exception cref="DllNotFoundException">OpenBLAS is not available.</exception>
    public static unsafe string Configuration => Marshal.PtrToStringUTF8((IntPtr)OpenBlasNative.openblas_get_config()) ?? string.Empty;

    /// <summary>
    /// The kernel family FunctionalAD asked OpenBLAS for (<c>OPENBLAS_CORETYPE</c>, set before the
    /// library loaded from the instruction sets the CPU reports: <c>SkylakeX</c> with AVX-512,
    /// <c>Haswell</c> with AVX2 and FMA), or <c>null</c> when it asked for none — the variable was
    /// set by the user, or the CPU has neither. A DYNAMIC_ARCH OpenBLAS that does not know the CPU's
    /// model would otherwise run its SSE3 kernels, several times slower.
    /// </summary>
    public static string? RequestedKernels
    {
        get
        {
            _ = NativeLibraries.OpenBlasLibrary;
            return OpenBlasKernels.Requested;
        }
    }

    /// <summary>
    /// The number of threads OpenBLAS uses for one call. OpenBLAS's own default (one per core,
    /// or the <c>OPENBLAS_NUM_THREADS</c> environment variable) is left alone unless set here.
    /// The setting is process-wide.
    /// </summary>
    /// <exception cref="DllNotFoundException">OpenBLAS is not available.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int Threads
    {
        get => OpenBlasNative.openblas_get_num_threads();
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            OpenBlasNative.openblas_set_num_threads(value);
        }
    }

    /// <inheritdoc/>
    public override bool IsAvailable() => IsLibraryAvailable;

    /// <summary>Throws when OpenBLAS is not usable; MathNet calls this when the provider is installed.</summary>
    /// <exception cref="NotSupportedException">OpenBLAS is not available.</exception>
    public override void InitializeVerify()
    {
        if (!IsLibraryAvailable)
        {
            throw new NotSupportedException($"The OpenBLAS provider is unavailable: {UnavailableReason}.");
        }

        Inner.InitializeVerify();
    }

    /// <summary>Describes the provider and the library behind it.</summary>
    /// <returns>A one-line description.</returns>
    public override string ToString() =>
        IsLibraryAvailable
            ? $"OpenBLAS ({LibraryName}; {Configuration}; {Threads} threads{(RequestedKernels is { } kernels ? $"; {OpenBlasKernels.Variable}={kernels} chosen from the CPU's instruction sets" : "")})"
            : $"OpenBLAS (unavailable: {UnavailableReason})";

    /// <inheritdoc/>
    public override void EigenDecomp(bool isSymmetric, int order, double[] matrix, double[] matrixEv, Complex[] vectorEv, double[] matrixD)
    {
        if (isSymmetric)
        {
            D.SymmetricEigenDecomp(order, matrix, matrixEv, vectorEv, matrixD);
        }
        else
        {
            base.EigenDecomp(isSymmetric, order, matrix, matrixEv, vectorEv, matrixD);
        }
    }

    /// <inheritdoc/>
    public override void EigenDecomp(bool isSymmetric, int order, float[] matrix, float[] matrixEv, Complex[] vectorEv, float[] matrixD)
    {
        if (isSymmetric)
        {
            S.SymmetricEigenDecomp(order, matrix, matrixEv, vectorEv, matrixD);
        }
        else
        {
            base.EigenDecomp(isSymmetric, order, matrix, matrixEv, vectorEv, matrixD);
        }
    }

    /// <inheritdoc/>
    public override void MatrixMultiply(double[] x, int rowsX, int columnsX, double[] y, int rowsY, int columnsY, double[] result) => D.MatrixMultiply(x, rowsX, columnsX, y, rowsY, columnsY, result);

    /// <inheritdoc/>
    public override void MatrixMultiplyWithUpdate(Transpose transposeA, Transpose transposeB, double alpha, double[] a, int rowsA, int columnsA, double[] b, int rowsB, int columnsB, double beta, double[] c) => D.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c);

    /// <inheritdoc/>
    public override void LUFactor(double[] data, int order, int[] ipiv) => D.LUFactor(data, order, ipiv);

    /// <inheritdoc/>
    public override void LUInverse(double[] a, int order) => D.LUInverse(a, order);

    /// <inheritdoc/>
    public override void LUInverseFactored(double[] a, int order, int[] ipiv) => D.LUInverseFactored(a, order, ipiv);

    /// <inheritdoc/>
    public override void LUSolve(int columnsOfB, double[] a, int order, double[] b) => D.LUSolve(columnsOfB, a, order, b);

    /// <inheritdoc/>
    public override void LUSolveFactored(int columnsOfB, double[] a, int order, int[] ipiv, double[] b) => D.LUSolveFactored(columnsOfB, a, order, ipiv, b);

    /// <inheritdoc/>
    public override void CholeskyFactor(double[] a, int order) => D.CholeskyFactor(a, order);

    /// <inheritdoc/>
    public override void CholeskySolve(double[] a, int orderA, double[] b, int columnsB) => D.CholeskySolve(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public override void CholeskySolveFactored(double[] a, int orderA, double[] b, int columnsB) => D.CholeskySolveFactored(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public override void QRFactor(double[] a, int rowsA, int columnsA, double[] q, double[] tau) => D.QRFactor(a, rowsA, columnsA, q, tau);

    /// <inheritdoc/>
    public override void ThinQRFactor(double[] a, int rowsA, int columnsA, double[] r, double[] tau) => D.ThinQRFactor(a, rowsA, columnsA, r, tau);

    /// <inheritdoc/>
    public override void QRSolve(double[] a, int rows, int columns, double[] b, int columnsB, double[] x, QRMethod method = QRMethod.Full) => D.QRSolve(a, rows, columns, b, columnsB, x);

    /// <inheritdoc/>
    public override void QRSolveFactored(double[] q, double[] r, int rowsA, int columnsA, double[] tau, double[] b, int columnsB, double[] x, QRMethod method = QRMethod.Full) => D.QRSolveFactored(q, r, rowsA, columnsA, b, columnsB, x, method);

    /// <inheritdoc/>
    public override void SingularValueDecomposition(bool computeVectors, double[] a, int rowsA, int columnsA, double[] s, double[] u, double[] vt) => D.SingularValueDecomposition(computeVectors, a, rowsA, columnsA, s, u, vt);

    /// <inheritdoc/>
    public override void SvdSolve(double[] a, int rowsA, int columnsA, double[] b, int columnsB, double[] x) => D.SvdSolve(a, rowsA, columnsA, b, columnsB, x);

    /// <inheritdoc/>
    public override void SvdSolveFactored(int rowsA, int columnsA, double[] s, double[] u, double[] vt, double[] b, int columnsB, double[] x) => D.SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x);

    /// <inheritdoc/>
    public override void MatrixMultiply(float[] x, int rowsX, int columnsX, float[] y, int rowsY, int columnsY, float[] result) => S.MatrixMultiply(x, rowsX, columnsX, y, rowsY, columnsY, result);

    /// <inheritdoc/>
    public override void MatrixMultiplyWithUpdate(Transpose transposeA, Transpose transposeB, float alpha, float[] a, int rowsA, int columnsA, float[] b, int rowsB, int columnsB, float beta, float[] c) => S.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c);

    /// <inheritdoc/>
    public override void LUFactor(float[] data, int order, int[] ipiv) => S.LUFactor(data, order, ipiv);

    /// <inheritdoc/>
    public override void LUInverse(float[] a, int order) => S.LUInverse(a, order);

    /// <inheritdoc/>
    public override void LUInverseFactored(float[] a, int order, int[] ipiv) => S.LUInverseFactored(a, order, ipiv);

    /// <inheritdoc/>
    public override void LUSolve(int columnsOfB, float[] a, int order, float[] b) => S.LUSolve(columnsOfB, a, order, b);

    /// <inheritdoc/>
    public override void LUSolveFactored(int columnsOfB, float[] a, int order, int[] ipiv, float[] b) => S.LUSolveFactored(columnsOfB, a, order, ipiv, b);

    /// <inheritdoc/>
    public override void CholeskyFactor(float[] a, int order) => S.CholeskyFactor(a, order);

    /// <inheritdoc/>
    public override void CholeskySolve(float[] a, int orderA, float[] b, int columnsB) => S.CholeskySolve(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public override void CholeskySolveFactored(float[] a, int orderA, float[] b, int columnsB) => S.CholeskySolveFactored(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public override void QRFactor(float[] a, int rowsA, int columnsA, float[] q, float[] tau) => S.QRFactor(a, rowsA, columnsA, q, tau);

    /// <inheritdoc/>
    public override void ThinQRFactor(float[] a, int rowsA, int columnsA, float[] r, float[] tau) => S.ThinQRFactor(a, rowsA, columnsA, r, tau);

    /// <inheritdoc/>
    public override void QRSolve(float[] a, int rows, int columns, float[] b, int columnsB, float[] x, QRMethod method = QRMethod.Full) => S.QRSolve(a, rows, columns, b, columnsB, x);

    /// <inheritdoc/>
    public override void QRSolveFactored(float[] q, float[] r, int rowsA, int columnsA, float[] tau, float[] b, int columnsB, float[] x, QRMethod method = QRMethod.Full) => S.QRSolveFactored(q, r, rowsA, columnsA, b, columnsB, x, method);

    /// <inheritdoc/>
    public override void SingularValueDecomposition(bool computeVectors, float[] a, int rowsA, int columnsA, float[] s, float[] u, float[] vt) => S.SingularValueDecomposition(computeVectors, a, rowsA, columnsA, s, u, vt);

    /// <inheritdoc/>
    public override void SvdSolve(float[] a, int rowsA, int columnsA, float[] b, int columnsB, float[] x) => S.SvdSolve(a, rowsA, columnsA, b, columnsB, x);

    /// <inheritdoc/>
    public override void SvdSolveFactored(int rowsA, int columnsA, float[] s, float[] u, float[] vt, float[] b, int columnsB, float[] x) => S.SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x);
}
