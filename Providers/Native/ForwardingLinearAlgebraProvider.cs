using System.Numerics;
using MathNet.Numerics;
using MathNet.Numerics.LinearAlgebra.Factorization;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace FunctionalAD.Native;

/// <summary>
/// A linear-algebra provider that forwards every operation to an inner provider.
/// Native providers derive from it and override only what they accelerate, so the
/// remaining operations (complex types, element-wise vector ops, ...) keep the inner
/// provider's exact semantics. MathNet's managed provider cannot be subclassed for
/// this purpose because its interface implementations are not virtual.
/// </summary>
public abstract class ForwardingLinearAlgebraProvider : ILinearAlgebraProvider
{
    /// <summary>Creates a provider forwarding to <paramref name="inner"/>.</summary>
    /// <param name="inner">The provider receiving every operation that is not overridden.</param>
    protected ForwardingLinearAlgebraProvider(ILinearAlgebraProvider inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Inner = inner;
    }

    /// <summary>The provider receiving every operation that is not overridden.</summary>
    protected ILinearAlgebraProvider Inner { get; }

    /// <inheritdoc/>
    public abstract bool IsAvailable();

    /// <inheritdoc/>
    public virtual void InitializeVerify() => Inner.InitializeVerify();

    /// <inheritdoc/>
    public virtual void FreeResources() => Inner.FreeResources();

    // Element type: double.
    /// <inheritdoc/>
    public virtual void AddVectorToScaledVector(double[] y, double alpha, double[] x, double[] result) => Inner.AddVectorToScaledVector(y, alpha, x, result);

    /// <inheritdoc/>
    public virtual void ScaleArray(double alpha, double[] x, double[] result) => Inner.ScaleArray(alpha, x, result);

    /// <inheritdoc/>
    public virtual void ConjugateArray(double[] x, double[] result) => Inner.ConjugateArray(x, result);

    /// <inheritdoc/>
    public virtual double DotProduct(double[] x, double[] y) => Inner.DotProduct(x, y);

    /// <inheritdoc/>
    public virtual void AddArrays(double[] x, double[] y, double[] result) => Inner.AddArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void SubtractArrays(double[] x, double[] y, double[] result) => Inner.SubtractArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWiseMultiplyArrays(double[] x, double[] y, double[] result) => Inner.PointWiseMultiplyArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWiseDivideArrays(double[] x, double[] y, double[] result) => Inner.PointWiseDivideArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWisePowerArrays(double[] x, double[] y, double[] result) => Inner.PointWisePowerArrays(x, y, result);

    /// <inheritdoc/>
    public virtual double MatrixNorm(Norm norm, int rows, int columns, double[] matrix) => Inner.MatrixNorm(norm, rows, columns, matrix);

    /// <inheritdoc/>
    public virtual void MatrixMultiply(double[] x, int rowsX, int columnsX, double[] y, int rowsY, int columnsY, double[] result) => Inner.MatrixMultiply(x, rowsX, columnsX, y, rowsY, columnsY, result);

    /// <inheritdoc/>
    public virtual void MatrixMultiplyWithUpdate(Transpose transposeA, Transpose transposeB, double alpha, double[] a, int rowsA, int columnsA, double[] b, int rowsB, int columnsB, double beta, double[] c) => Inner.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c);

    /// <inheritdoc/>
    public virtual void LUFactor(double[] data, int order, int[] ipiv) => Inner.LUFactor(data, order, ipiv);

    /// <inheritdoc/>
    public virtual void LUInverse(double[] a, int order) => Inner.LUInverse(a, order);

    /// <inheritdoc/>
    public virtual void LUInverseFactored(double[] a, int order, int[] ipiv) => Inner.LUInverseFactored(a, order, ipiv);

    /// <inheritdoc/>
    public virtual void LUSolve(int columnsOfB, double[] a, int order, double[] b) => Inner.LUSolve(columnsOfB, a, order, b);

    /// <inheritdoc/>
    public virtual void LUSolveFactored(int columnsOfB, double[] a, int order, int[] ipiv, double[] b) => Inner.LUSolveFactored(columnsOfB, a, order, ipiv, b);

    /// <inheritdoc/>
    public virtual void CholeskyFactor(double[] a, int order) => Inner.CholeskyFactor(a, order);

    /// <inheritdoc/>
    public virtual void CholeskySolve(double[] a, int orderA, double[] b, int columnsB) => Inner.CholeskySolve(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public virtual void CholeskySolveFactored(double[] a, int orderA, double[] b, int columnsB) => Inner.CholeskySolveFactored(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public virtual void QRFactor(double[] a, int rowsA, int columnsA, double[] q, double[] tau) => Inner.QRFactor(a, rowsA, columnsA, q, tau);

    /// <inheritdoc/>
    public virtual void ThinQRFactor(double[] a, int rowsA, int columnsA, double[] r, double[] tau) => Inner.ThinQRFactor(a, rowsA, columnsA, r, tau);

    /// <inheritdoc/>
    public virtual void QRSolve(double[] a, int rows, int columns, double[] b, int columnsB, double[] x, QRMethod method = QRMethod.Full) => Inner.QRSolve(a, rows, columns, b, columnsB, x, method);

    /// <inheritdoc/>
    public virtual void QRSolveFactored(double[] q, double[] r, int rowsA, int columnsA, double[] tau, double[] b, int columnsB, double[] x, QRMethod method = QRMethod.Full) => Inner.QRSolveFactored(q, r, rowsA, columnsA, tau, b, columnsB, x, method);

    /// <inheritdoc/>
    public virtual void SingularValueDecomposition(bool computeVectors, double[] a, int rowsA, int columnsA, double[] s, double[] u, double[] vt) => Inner.SingularValueDecomposition(computeVectors, a, rowsA, columnsA, s, u, vt);

    /// <inheritdoc/>
    public virtual void SvdSolve(double[] a, int rowsA, int columnsA, double[] b, int columnsB, double[] x) => Inner.SvdSolve(a, rowsA, columnsA, b, columnsB, x);

    /// <inheritdoc/>
    public virtual void SvdSolveFactored(int rowsA, int columnsA, double[] s, double[] u, double[] vt, double[] b, int columnsB, double[] x) => Inner.SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x);

    /// <inheritdoc/>
    public virtual void EigenDecomp(bool isSymmetric, int order, double[] matrix, double[] matrixEv, Complex[] vectorEv, double[] matrixD) => Inner.EigenDecomp(isSymmetric, order, matrix, matrixEv, vectorEv, matrixD);

    // Element type: float.
    /// <inheritdoc/>
    public virtual void AddVectorToScaledVector(float[] y, float alpha, float[] x, float[] result) => Inner.AddVectorToScaledVector(y, alpha, x, result);

    /// <inheritdoc/>
    public virtual void ScaleArray(float alpha, float[] x, float[] result) => Inner.ScaleArray(alpha, x, result);

    /// <inheritdoc/>
    public virtual void ConjugateArray(float[] x, float[] result) => Inner.ConjugateArray(x, result);

    /// <inheritdoc/>
    public virtual float DotProduct(float[] x, float[] y) => Inner.DotProduct(x, y);

    /// <inheritdoc/>
    public virtual void AddArrays(float[] x, float[] y, float[] result) => Inner.AddArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void SubtractArrays(float[] x, float[] y, float[] result) => Inner.SubtractArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWiseMultiplyArrays(float[] x, float[] y, float[] result) => Inner.PointWiseMultiplyArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWiseDivideArrays(float[] x, float[] y, float[] result) => Inner.PointWiseDivideArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWisePowerArrays(float[] x, float[] y, float[] result) => Inner.PointWisePowerArrays(x, y, result);

    /// <inheritdoc/>
    public virtual double MatrixNorm(Norm norm, int rows, int columns, float[] matrix) => Inner.MatrixNorm(norm, rows, columns, matrix);

    /// <inheritdoc/>
    public virtual void MatrixMultiply(float[] x, int rowsX, int columnsX, float[] y, int rowsY, int columnsY, float[] result) => Inner.MatrixMultiply(x, rowsX, columnsX, y, rowsY, columnsY, result);

    /// <inheritdoc/>
    public virtual void MatrixMultiplyWithUpdate(Transpose transposeA, Transpose transposeB, float alpha, float[] a, int rowsA, int columnsA, float[] b, int rowsB, int columnsB, float beta, float[] c) => Inner.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c);

    /// <inheritdoc/>
    public virtual void LUFactor(float[] data, int order, int[] ipiv) => Inner.LUFactor(data, order, ipiv);

    /// <inheritdoc/>
    public virtual void LUInverse(float[] a, int order) => Inner.LUInverse(a, order);

    /// <inheritdoc/>
    public virtual void LUInverseFactored(float[] a, int order, int[] ipiv) => Inner.LUInverseFactored(a, order, ipiv);

    /// <inheritdoc/>
    public virtual void LUSolve(int columnsOfB, float[] a, int order, float[] b) => Inner.LUSolve(columnsOfB, a, order, b);

    /// <inheritdoc/>
    public virtual void LUSolveFactored(int columnsOfB, float[] a, int order, int[] ipiv, float[] b) => Inner.LUSolveFactored(columnsOfB, a, order, ipiv, b);

    /// <inheritdoc/>
    public virtual void CholeskyFactor(float[] a, int order) => Inner.CholeskyFactor(a, order);

    /// <inheritdoc/>
    public virtual void CholeskySolve(float[] a, int orderA, float[] b, int columnsB) => Inner.CholeskySolve(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public virtual void CholeskySolveFactored(float[] a, int orderA, float[] b, int columnsB) => Inner.CholeskySolveFactored(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public virtual void QRFactor(float[] a, int rowsA, int columnsA, float[] q, float[] tau) => Inner.QRFactor(a, rowsA, columnsA, q, tau);

    /// <inheritdoc/>
    public virtual void ThinQRFactor(float[] a, int rowsA, int columnsA, float[] r, float[] tau) => Inner.ThinQRFactor(a, rowsA, columnsA, r, tau);

    /// <inheritdoc/>
    public virtual void QRSolve(float[] a, int rows, int columns, float[] b, int columnsB, float[] x, QRMethod method = QRMethod.Full) => Inner.QRSolve(a, rows, columns, b, columnsB, x, method);

    /// <inheritdoc/>
    public virtual void QRSolveFactored(float[] q, float[] r, int rowsA, int columnsA, float[] tau, float[] b, int columnsB, float[] x, QRMethod method = QRMethod.Full) => Inner.QRSolveFactored(q, r, rowsA, columnsA, tau, b, columnsB, x, method);

    /// <inheritdoc/>
    public virtual void SingularValueDecomposition(bool computeVectors, float[] a, int rowsA, int columnsA, float[] s, float[] u, float[] vt) => Inner.SingularValueDecomposition(computeVectors, a, rowsA, columnsA, s, u, vt);

    /// <inheritdoc/>
    public virtual void SvdSolve(float[] a, int rowsA, int columnsA, float[] b, int columnsB, float[] x) => Inner.SvdSolve(a, rowsA, columnsA, b, columnsB, x);

    /// <inheritdoc/>
    public virtual void SvdSolveFactored(int rowsA, int columnsA, float[] s, float[] u, float[] vt, float[] b, int columnsB, float[] x) => Inner.SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x);

    /// <inheritdoc/>
    public virtual void EigenDecomp(bool isSymmetric, int order, float[] matrix, float[] matrixEv, Complex[] vectorEv, float[] matrixD) => Inner.EigenDecomp(isSymmetric, order, matrix, matrixEv, vectorEv, matrixD);

    // Element type: Complex.
    /// <inheritdoc/>
    public virtual void AddVectorToScaledVector(Complex[] y, Complex alpha, Complex[] x, Complex[] result) => Inner.AddVectorToScaledVector(y, alpha, x, result);

    /// <inheritdoc/>
    public virtual void ScaleArray(Complex alpha, Complex[] x, Complex[] result) => Inner.ScaleArray(alpha, x, result);

    /// <inheritdoc/>
    public virtual void ConjugateArray(Complex[] x, Complex[] result) => Inner.ConjugateArray(x, result);

    /// <inheritdoc/>
    public virtual Complex DotProduct(Complex[] x, Complex[] y) => Inner.DotProduct(x, y);

    /// <inheritdoc/>
    public virtual void AddArrays(Complex[] x, Complex[] y, Complex[] result) => Inner.AddArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void SubtractArrays(Complex[] x, Complex[] y, Complex[] result) => Inner.SubtractArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWiseMultiplyArrays(Complex[] x, Complex[] y, Complex[] result) => Inner.PointWiseMultiplyArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWiseDivideArrays(Complex[] x, Complex[] y, Complex[] result) => Inner.PointWiseDivideArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWisePowerArrays(Complex[] x, Complex[] y, Complex[] result) => Inner.PointWisePowerArrays(x, y, result);

    /// <inheritdoc/>
    public virtual double MatrixNorm(Norm norm, int rows, int columns, Complex[] matrix) => Inner.MatrixNorm(norm, rows, columns, matrix);

    /// <inheritdoc/>
    public virtual void MatrixMultiply(Complex[] x, int rowsX, int columnsX, Complex[] y, int rowsY, int columnsY, Complex[] result) => Inner.MatrixMultiply(x, rowsX, columnsX, y, rowsY, columnsY, result);

    /// <inheritdoc/>
    public virtual void MatrixMultiplyWithUpdate(Transpose transposeA, Transpose transposeB, Complex alpha, Complex[] a, int rowsA, int columnsA, Complex[] b, int rowsB, int columnsB, Complex beta, Complex[] c) => Inner.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c);

    /// <inheritdoc/>
    public virtual void LUFactor(Complex[] data, int order, int[] ipiv) => Inner.LUFactor(data, order, ipiv);

    /// <inheritdoc/>
    public virtual void LUInverse(Complex[] a, int order) => Inner.LUInverse(a, order);

    /// <inheritdoc/>
    public virtual void LUInverseFactored(Complex[] a, int order, int[] ipiv) => Inner.LUInverseFactored(a, order, ipiv);

    /// <inheritdoc/>
    public virtual void LUSolve(int columnsOfB, Complex[] a, int order, Complex[] b) => Inner.LUSolve(columnsOfB, a, order, b);

    /// <inheritdoc/>
    public virtual void LUSolveFactored(int columnsOfB, Complex[] a, int order, int[] ipiv, Complex[] b) => Inner.LUSolveFactored(columnsOfB, a, order, ipiv, b);

    /// <inheritdoc/>
    public virtual void CholeskyFactor(Complex[] a, int order) => Inner.CholeskyFactor(a, order);

    /// <inheritdoc/>
    public virtual void CholeskySolve(Complex[] a, int orderA, Complex[] b, int columnsB) => Inner.CholeskySolve(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public virtual void CholeskySolveFactored(Complex[] a, int orderA, Complex[] b, int columnsB) => Inner.CholeskySolveFactored(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public virtual void QRFactor(Complex[] a, int rowsA, int columnsA, Complex[] q, Complex[] tau) => Inner.QRFactor(a, rowsA, columnsA, q, tau);

    /// <inheritdoc/>
    public virtual void ThinQRFactor(Complex[] a, int rowsA, int columnsA, Complex[] r, Complex[] tau) => Inner.ThinQRFactor(a, rowsA, columnsA, r, tau);

    /// <inheritdoc/>
    public virtual void QRSolve(Complex[] a, int rows, int columns, Complex[] b, int columnsB, Complex[] x, QRMethod method = QRMethod.Full) => Inner.QRSolve(a, rows, columns, b, columnsB, x, method);

    /// <inheritdoc/>
    public virtual void QRSolveFactored(Complex[] q, Complex[] r, int rowsA, int columnsA, Complex[] tau, Complex[] b, int columnsB, Complex[] x, QRMethod method = QRMethod.Full) => Inner.QRSolveFactored(q, r, rowsA, columnsA, tau, b, columnsB, x, method);

    /// <inheritdoc/>
    public virtual void SingularValueDecomposition(bool computeVectors, Complex[] a, int rowsA, int columnsA, Complex[] s, Complex[] u, Complex[] vt) => Inner.SingularValueDecomposition(computeVectors, a, rowsA, columnsA, s, u, vt);

    /// <inheritdoc/>
    public virtual void SvdSolve(Complex[] a, int rowsA, int columnsA, Complex[] b, int columnsB, Complex[] x) => Inner.SvdSolve(a, rowsA, columnsA, b, columnsB, x);

    /// <inheritdoc/>
    public virtual void SvdSolveFactored(int rowsA, int columnsA, Complex[] s, Complex[] u, Complex[] vt, Complex[] b, int columnsB, Complex[] x) => Inner.SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x);

    /// <inheritdoc/>
    public virtual void EigenDecomp(bool isSymmetric, int order, Complex[] matrix, Complex[] matrixEv, Complex[] vectorEv, Complex[] matrixD) => Inner.EigenDecomp(isSymmetric, order, matrix, matrixEv, vectorEv, matrixD);

    // Element type: Complex32.
    /// <inheritdoc/>
    public virtual void AddVectorToScaledVector(Complex32[] y, Complex32 alpha, Complex32[] x, Complex32[] result) => Inner.AddVectorToScaledVector(y, alpha, x, result);

    /// <inheritdoc/>
    public virtual void ScaleArray(Complex32 alpha, Complex32[] x, Complex32[] result) => Inner.ScaleArray(alpha, x, result);

    /// <inheritdoc/>
    public virtual void ConjugateArray(Complex32[] x, Complex32[] result) => Inner.ConjugateArray(x, result);

    /// <inheritdoc/>
    public virtual Complex32 DotProduct(Complex32[] x, Complex32[] y) => Inner.DotProduct(x, y);

    /// <inheritdoc/>
    public virtual void AddArrays(Complex32[] x, Complex32[] y, Complex32[] result) => Inner.AddArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void SubtractArrays(Complex32[] x, Complex32[] y, Complex32[] result) => Inner.SubtractArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWiseMultiplyArrays(Complex32[] x, Complex32[] y, Complex32[] result) => Inner.PointWiseMultiplyArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWiseDivideArrays(Complex32[] x, Complex32[] y, Complex32[] result) => Inner.PointWiseDivideArrays(x, y, result);

    /// <inheritdoc/>
    public virtual void PointWisePowerArrays(Complex32[] x, Complex32[] y, Complex32[] result) => Inner.PointWisePowerArrays(x, y, result);

    /// <inheritdoc/>
    public virtual double MatrixNorm(Norm norm, int rows, int columns, Complex32[] matrix) => Inner.MatrixNorm(norm, rows, columns, matrix);

    /// <inheritdoc/>
    public virtual void MatrixMultiply(Complex32[] x, int rowsX, int columnsX, Complex32[] y, int rowsY, int columnsY, Complex32[] result) => Inner.MatrixMultiply(x, rowsX, columnsX, y, rowsY, columnsY, result);

    /// <inheritdoc/>
    public virtual void MatrixMultiplyWithUpdate(Transpose transposeA, Transpose transposeB, Complex32 alpha, Complex32[] a, int rowsA, int columnsA, Complex32[] b, int rowsB, int columnsB, Complex32 beta, Complex32[] c) => Inner.MatrixMultiplyWithUpdate(transposeA, transposeB, alpha, a, rowsA, columnsA, b, rowsB, columnsB, beta, c);

    /// <inheritdoc/>
    public virtual void LUFactor(Complex32[] data, int order, int[] ipiv) => Inner.LUFactor(data, order, ipiv);

    /// <inheritdoc/>
    public virtual void LUInverse(Complex32[] a, int order) => Inner.LUInverse(a, order);

    /// <inheritdoc/>
    public virtual void LUInverseFactored(Complex32[] a, int order, int[] ipiv) => Inner.LUInverseFactored(a, order, ipiv);

    /// <inheritdoc/>
    public virtual void LUSolve(int columnsOfB, Complex32[] a, int order, Complex32[] b) => Inner.LUSolve(columnsOfB, a, order, b);

    /// <inheritdoc/>
    public virtual void LUSolveFactored(int columnsOfB, Complex32[] a, int order, int[] ipiv, Complex32[] b) => Inner.LUSolveFactored(columnsOfB, a, order, ipiv, b);

    /// <inheritdoc/>
    public virtual void CholeskyFactor(Complex32[] a, int order) => Inner.CholeskyFactor(a, order);

    /// <inheritdoc/>
    public virtual void CholeskySolve(Complex32[] a, int orderA, Complex32[] b, int columnsB) => Inner.CholeskySolve(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public virtual void CholeskySolveFactored(Complex32[] a, int orderA, Complex32[] b, int columnsB) => Inner.CholeskySolveFactored(a, orderA, b, columnsB);

    /// <inheritdoc/>
    public virtual void QRFactor(Complex32[] a, int rowsA, int columnsA, Complex32[] q, Complex32[] tau) => Inner.QRFactor(a, rowsA, columnsA, q, tau);

    /// <inheritdoc/>
    public virtual void ThinQRFactor(Complex32[] a, int rowsA, int columnsA, Complex32[] r, Complex32[] tau) => Inner.ThinQRFactor(a, rowsA, columnsA, r, tau);

    /// <inheritdoc/>
    public virtual void QRSolve(Complex32[] a, int rows, int columns, Complex32[] b, int columnsB, Complex32[] x, QRMethod method = QRMethod.Full) => Inner.QRSolve(a, rows, columns, b, columnsB, x, method);

    /// <inheritdoc/>
    public virtual void QRSolveFactored(Complex32[] q, Complex32[] r, int rowsA, int columnsA, Complex32[] tau, Complex32[] b, int columnsB, Complex32[] x, QRMethod method = QRMethod.Full) => Inner.QRSolveFactored(q, r, rowsA, columnsA, tau, b, columnsB, x, method);

    /// <inheritdoc/>
    public virtual void SingularValueDecomposition(bool computeVectors, Complex32[] a, int rowsA, int columnsA, Complex32[] s, Complex32[] u, Complex32[] vt) => Inner.SingularValueDecomposition(computeVectors, a, rowsA, columnsA, s, u, vt);

    /// <inheritdoc/>
    public virtual void SvdSolve(Complex32[] a, int rowsA, int columnsA, Complex32[] b, int columnsB, Complex32[] x) => Inner.SvdSolve(a, rowsA, columnsA, b, columnsB, x);

    /// <inheritdoc/>
    public virtual void SvdSolveFactored(int rowsA, int columnsA, Complex32[] s, Complex32[] u, Complex32[] vt, Complex32[] b, int columnsB, Complex32[] x) => Inner.SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x);

    /// <inheritdoc/>
    public virtual void EigenDecomp(bool isSymmetric, int order, Complex32[] matrix, Complex32[] matrixEv, Complex[] vectorEv, Complex32[] matrixD) => Inner.EigenDecomp(isSymmetric, order, matrix, matrixEv, vectorEv, matrixD);
}
