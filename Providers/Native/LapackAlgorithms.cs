using System.Numerics;
using MathNet.Numerics;
using MathNet.Numerics.LinearAlgebra.Factorization;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace FunctionalAD.Native;

/// <summary>
/// MathNet's provider operations expressed with BLAS/LAPACK, written once for both real
/// element types. Conventions follow MathNet's managed provider so results are
/// interchangeable: column-major arrays, 0-based LU pivots, an explicit Q for QR (with the
/// strictly lower part of R zeroed), descending singular values, ascending symmetric eigenvalues.
/// Leading dimensions are clamped to at least 1 because BLAS rejects 0 even for empty matrices.
/// </summary>
internal static unsafe class LapackAlgorithms<T, TLapack>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TLapack : struct, ILapack<T>
{
    public static void MatrixMultiplyWithUpdate(Transpose transposeA, Transpose transposeB, T alpha, T[] a, int rowsA, int columnsA, T[] b, int rowsB, int columnsB, T beta, T[] c)
    {
        var (transA, transB, m, n, k) = Guard.Product(transposeA, transposeB, a, rowsA, columnsA, b, rowsB, columnsB, c);
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            Scale(beta, c);
            return;
        }

        // GEMM's output must not overlap its inputs.
        if (ReferenceEquals(a, c))
        {
            a = (T[])a.Clone();
        }

        if (ReferenceEquals(b, c))
        {
            b = (T[])b.Clone();
        }

        // beta = 0 means C is not read: clearing it keeps NaNs in it out of gemv's scaling.
        if (T.IsZero(beta) && (m == 1 || n == 1))
        {
            c.AsSpan(0, m * n).Clear();
        }

        fixed (T* pa = a, pb = b, pc = c)
        {
            // OpenBLAS 0.3.21 runs gemm with n = 1 or m = 1 2–3.5× slower than gemv, so products
            // with one result column or row go to gemv. A vector operand is contiguous whatever
            // its transpose flag (a k × 1 or 1 × k column-major array).
            if (n == 1)
            {
                // c = alpha·op(A)·b + beta·c.
                TLapack.Gemv(transA, rowsA, columnsA, alpha, pa, rowsA, pb, beta, pc);
            }
            else if (m == 1)
            {
                // cᵀ = alpha·op(B)ᵀ·aᵀ + beta·cᵀ, and op(B)ᵀ is B transposed exactly when op(B) is not.
                TLapack.Gemv(!transB, rowsB, columnsB, alpha, pb, rowsB, pa, beta, pc);
            }
            else
            {
                TLapack.Gemm(transA, transB, m, n, k, alpha, pa, Math.Max(1, rowsA), pb, Math.Max(1, rowsB), beta, pc, m);
            }
        }
    }

    public static void MatrixMultiply(T[] x, int rowsX, int columnsX, T[] y, int rowsY, int columnsY, T[] result) =>
        MatrixMultiplyWithUpdate(Transpose.DontTranspose, Transpose.DontTranspose, T.One, x, rowsX, columnsX, y, rowsY, columnsY, T.Zero, result);

    public static void LUFactor(T[] data, int order, int[] ipiv)
    {
        Guard.Dimension(order, nameof(order));
        Guard.Length(data, (long)order * order, nameof(data));
        Guard.Length(ipiv, order, nameof(ipiv));
        if (order == 0)
        {
            return;
        }

        // A positive info (exactly singular U) is not an error here, as in the managed provider:
        // the factors are still valid and singularity surfaces when they are used.
        fixed (T* pa = data)
        fixed (int* pp = ipiv)
        {
            Guard.Info(TLapack.Getrf(order, order, pa, order, pp), "getrf");
        }

        for (var i = 0; i < order; i++)
        {
            ipiv[i] -= 1;
        }
    }

    public static void LUInverse(T[] a, int order)
    {
        Guard.Dimension(order, nameof(order));
        Guard.Length(a, (long)order * order, nameof(a));
        if (order == 0)
        {
            return;
        }

        var ipiv = new int[order];
        fixed (T* pa = a)
        fixed (int* pp = ipiv)
        {
            ThrowIfSingular(TLapack.Getrf(order, order, pa, order, pp), "getrf");
        }

        Invert(a, order, ipiv);
    }

    public static void LUInverseFactored(T[] a, int order, int[] ipiv)
    {
        Guard.Dimension(order, nameof(order));
        Guard.Length(a, (long)order * order, nameof(a));
        var oneBased = Guard.OneBasedPivots(ipiv, order, nameof(ipiv));
        if (order == 0)
        {
            return;
        }

        Invert(a, order, oneBased);
    }

    public static void LUSolve(int columnsOfB, T[] a, int order, T[] b)
    {
        Guard.SquareSolve(a, order, b, columnsOfB, nameof(order), nameof(columnsOfB));
        if (order == 0 || columnsOfB == 0)
        {
            return;
        }

        var lu = (T[])a.Clone();
        var ipiv = new int[order];
        fixed (T* pa = lu, pb = b)
        fixed (int* pp = ipiv)
        {
            ThrowIfSingular(TLapack.Getrf(order, order, pa, order, pp), "getrf");
            Guard.Info(TLapack.Getrs(order, columnsOfB, pa, order, pp, pb, order), "getrs");
        }
    }

    public static void LUSolveFactored(int columnsOfB, T[] a, int order, int[] ipiv, T[] b)
    {
        Guard.SquareSolve(a, order, b, columnsOfB, nameof(order), nameof(columnsOfB));
        var oneBased = Guard.OneBasedPivots(ipiv, order, nameof(ipiv));
        if (order == 0 || columnsOfB == 0)
        {
            return;
        }

        fixed (T* pa = a, pb = b)
        fixed (int* pp = oneBased)
        {
            Guard.Info(TLapack.Getrs(order, columnsOfB, pa, order, pp, pb, order), "getrs");
        }
    }

    public static void CholeskyFactor(T[] a, int order)
    {
        Guard.Dimension(order, nameof(order));
        Guard.Length(a, (long)order * order, nameof(a));
        if (order == 0)
        {
            return;
        }

        fixed (T* pa = a)
        {
            ThrowIfNotPositiveDefinite(TLapack.PotrfLower(order, pa, order), nameof(a));
        }

        // POTRF leaves the strict upper triangle untouched; MathNet's factor is the lower triangle alone.
        for (var column = 1; column < order; column++)
        {
            Array.Clear(a, column * order, column);
        }
    }

    public static void CholeskySolve(T[] a, int orderA, T[] b, int columnsB)
    {
        Guard.Dimension(orderA, nameof(orderA));
        Guard.SquareSolve(a, orderA, b, columnsB, nameof(orderA), nameof(columnsB));
        if (orderA == 0 || columnsB == 0)
        {
            return;
        }

        var factor = (T[])a.Clone();
        fixed (T* pa = factor, pb = b)
        {
            ThrowIfNotPositiveDefinite(TLapack.PotrfLower(orderA, pa, orderA), nameof(a));
            Guard.Info(TLapack.PotrsLower(orderA, columnsB, pa, orderA, pb, orderA), "potrs");
        }
    }

    public static void CholeskySolveFactored(T[] a, int orderA, T[] b, int columnsB)
    {
        Guard.Dimension(orderA, nameof(orderA));
        Guard.SquareSolve(a, orderA, b, columnsB, nameof(orderA), nameof(columnsB));
        if (orderA == 0 || columnsB == 0)
        {
            return;
        }

        fixed (T* pa = a, pb = b)
        {
            Guard.Info(TLapack.PotrsLower(orderA, columnsB, pa, orderA, pb, orderA), "potrs");
        }
    }

    public static void QRFactor(T[] r, int rowsR, int columnsR, T[] q, T[] tau)
    {
        Guard.Dimension(rowsR, nameof(rowsR));
        Guard.Dimension(columnsR, nameof(columnsR));
        Guard.Length(r, (long)rowsR * columnsR, nameof(r));
        Guard.Length(q, (long)rowsR * rowsR, nameof(q));
        var reflectors = Math.Min(rowsR, columnsR);
        Guard.MinLength(tau, reflectors, nameof(tau));
        if (reflectors == 0)
        {
            SetIdentity(q, rowsR);
            return;
        }

        var m = rowsR;
        Geqrf(r, m, columnsR, tau);

        // Move the Householder vectors below R's diagonal into Q, where ORGQR expands them.
        for (var j = 0; j < reflectors; j++)
        {
            var below = r.AsSpan(j * m + j + 1, m - j - 1);
            below.CopyTo(q.AsSpan(j * m + j + 1));
            below.Clear();
        }

        Orgqr(q, m, m, reflectors, tau);
    }

    public static void ThinQRFactor(T[] a, int rowsA, int columnsA, T[] r, T[] tau)
    {
        Guard.Dimension(rowsA, nameof(rowsA));
        Guard.Dimension(columnsA, nameof(columnsA));
        if (rowsA < columnsA)
        {
            throw new ArgumentException($"A thin QR factorization needs rowsA >= columnsA, got {rowsA}x{columnsA}.", nameof(rowsA));
        }

        Guard.Length(a, (long)rowsA * columnsA, nameof(a));
        Guard.Length(r, (long)columnsA * columnsA, nameof(r));
        Guard.MinLength(tau, columnsA, nameof(tau));
        if (columnsA == 0)
        {
            return;
        }

        int m = rowsA, n = columnsA;
        Geqrf(a, m, n, tau);
        for (var j = 0; j < n; j++)
        {
            a.AsSpan(j * m, j + 1).CopyTo(r.AsSpan(j * n));
            r.AsSpan(j * n + j + 1, n - j - 1).Clear();
        }

        Orgqr(a, m, n, n, tau);
    }

    public static void QRSolve(T[] a, int rows, int columns, T[] b, int columnsB, T[] x)
    {
        Guard.Dimension(rows, nameof(rows));
        Guard.Dimension(columns, nameof(columns));
        Guard.Dimension(columnsB, nameof(columnsB));
        if (rows < columns)
        {
            throw new ArgumentException($"QR solving needs rows >= columns, got {rows}x{columns}.", nameof(rows));
        }

        Guard.Length(a, (long)rows * columns, nameof(a));
        Guard.Length(b, (long)rows * columnsB, nameof(b));
        Guard.Length(x, (long)columns * columnsB, nameof(x));
        if (columns == 0 || columnsB == 0)
        {
            return;
        }

        // GELS overwrites both inputs; the least-squares solution is the top `columns` rows of B.
        var factor = (T[])a.Clone();
        var solution = (T[])b.Clone();
        fixed (T* pa = factor, pb = solution)
        {
            T query;
            Guard.Info(TLapack.Gels(rows, columns, columnsB, pa, rows, pb, rows, &query, -1), "gels");
            var work = new T[WorkSize(query)];
            fixed (T* pw = work)
            {
                var info = TLapack.Gels(rows, columns, columnsB, pa, rows, pb, rows, pw, work.Length);
                Guard.Info(info, "gels");
                if (info > 0)
                {
                    throw new ArgumentException("Matrix must not be rank deficient.", nameof(a));
                }
            }
        }

        for (var j = 0; j < columnsB; j++)
        {
            solution.AsSpan(j * rows, columns).CopyTo(x.AsSpan(j * columns));
        }
    }

    public static void QRSolveFactored(T[] q, T[] r, int rowsA, int columnsA, T[] b, int columnsB, T[] x, QRMethod method)
    {
        Guard.Dimension(rowsA, nameof(rowsA));
        Guard.Dimension(columnsA, nameof(columnsA));
        Guard.Dimension(columnsB, nameof(columnsB));
        if (rowsA < columnsA)
        {
            throw new ArgumentException($"QR solving needs rowsA >= columnsA, got {rowsA}x{columnsA}.", nameof(rowsA));
        }

        var full = method == QRMethod.Full;
        var rowsR = full ? rowsA : columnsA;
        Guard.Length(q, (long)rowsA * (full ? rowsA : columnsA), nameof(q));
        Guard.Length(r, (long)rowsR * columnsA, nameof(r));
        Guard.Length(b, (long)rowsA * columnsB, nameof(b));
        Guard.Length(x, (long)columnsA * columnsB, nameof(x));
        Guard.Distinct(b, x, nameof(x));
        if (columnsA == 0 || columnsB == 0)
        {
            return;
        }

        // x = R⁻¹ (Q₁ᵀ b) where Q₁ is the first columnsA columns of Q, the same for thin and full Q.
        // Using the explicit Q (not Householder vectors) keeps this compatible with the managed QRFactor.
        fixed (T* pq = q, pr = r, pb = b, px = x)
        {
            TLapack.Gemm(true, false, columnsA, columnsB, rowsA, T.One, pq, rowsA, pb, rowsA, T.Zero, px, columnsA);
            TLapack.TrsmUpperLeft(columnsA, columnsB, pr, rowsR, px, columnsA);
        }
    }

    public static void SingularValueDecomposition(bool computeVectors, T[] a, int rowsA, int columnsA, T[] s, T[] u, T[] vt)
    {
        Guard.Dimension(rowsA, nameof(rowsA));
        Guard.Dimension(columnsA, nameof(columnsA));
        Guard.Length(a, (long)rowsA * columnsA, nameof(a));
        var k = Math.Min(rowsA, columnsA);
        Guard.Length(s, k, nameof(s));
        Guard.Length(u, (long)rowsA * rowsA, nameof(u));
        Guard.Length(vt, (long)columnsA * columnsA, nameof(vt));
        if (k == 0)
        {
            if (computeVectors)
            {
                SetIdentity(u, rowsA);
                SetIdentity(vt, columnsA);
            }

            return;
        }

        // GESDD (divide and conquer) is markedly faster than GESVD for the full U and Vᵀ MathNet asks for.
        var jobz = computeVectors ? (byte)'A' : (byte)'N';
        var iwork = new int[8 * k];
        fixed (T* pa = a, ps = s, pu = u, pvt = vt)
        fixed (int* pi = iwork)
        {
            T query;
            Guard.Info(TLapack.Gesdd(jobz, rowsA, columnsA, pa, rowsA, ps, pu, rowsA, pvt, columnsA, &query, -1, pi), "gesdd");
            var work = new T[WorkSize(query)];
            fixed (T* pw = work)
            {
                ThrowIfNotConverged(TLapack.Gesdd(jobz, rowsA, columnsA, pa, rowsA, ps, pu, rowsA, pvt, columnsA, pw, work.Length, pi), "gesdd");
            }
        }
    }

    public static void SvdSolve(T[] a, int rowsA, int columnsA, T[] b, int columnsB, T[] x)
    {
        Guard.Dimension(rowsA, nameof(rowsA));
        Guard.Dimension(columnsA, nameof(columnsA));
        Guard.Length(a, (long)rowsA * columnsA, nameof(a));
        var s = new T[Math.Min(rowsA, columnsA)];
        var u = new T[rowsA * rowsA];
        var vt = new T[columnsA * columnsA];
        SingularValueDecomposition(true, (T[])a.Clone(), rowsA, columnsA, s, u, vt);
        SvdSolveFactored(rowsA, columnsA, s, u, vt, b, columnsB, x);
    }

    public static void SvdSolveFactored(int rowsA, int columnsA, T[] s, T[] u, T[] vt, T[] b, int columnsB, T[] x)
    {
        Guard.Dimension(rowsA, nameof(rowsA));
        Guard.Dimension(columnsA, nameof(columnsA));
        Guard.Dimension(columnsB, nameof(columnsB));
        var k = Math.Min(rowsA, columnsA);
        Guard.Length(s, k, nameof(s));
        Guard.Length(u, (long)rowsA * rowsA, nameof(u));
        Guard.Length(vt, (long)columnsA * columnsA, nameof(vt));
        Guard.Length(b, (long)rowsA * columnsB, nameof(b));
        Guard.Length(x, (long)columnsA * columnsB, nameof(x));
        Guard.Distinct(b, x, nameof(x));
        if (columnsA == 0 || columnsB == 0)
        {
            return;
        }

        if (k == 0)
        {
            Array.Clear(x);
            return;
        }

        // x = V₁ Σ⁻¹ U₁ᵀ b over the k = min(m, n) singular triplets. Like the managed provider this
        // divides by every singular value; truncating small ones is the caller's policy, not ours.
        var projected = new T[k * columnsB];
        fixed (T* pu = u, pvt = vt, pb = b, px = x, pt = projected)
        {
            TLapack.Gemm(true, false, k, columnsB, rowsA, T.One, pu, rowsA, pb, rowsA, T.Zero, pt, k);
            for (var column = 0; column < columnsB; column++)
            {
                for (var i = 0; i < k; i++)
                {
                    pt[column * k + i] /= s[i];
                }
            }

            TLapack.Gemm(true, false, columnsA, columnsB, k, T.One, pvt, columnsA, pt, k, T.Zero, px, columnsA);
        }
    }

    public static void SymmetricEigenDecomp(int order, T[] matrix, T[] matrixEv, Complex[] vectorEv, T[] matrixD)
    {
        Guard.Dimension(order, nameof(order));
        Guard.Length(matrix, (long)order * order, nameof(matrix));
        Guard.Length(matrixEv, (long)order * order, nameof(matrixEv));
        Guard.Length(vectorEv, order, nameof(vectorEv));
        Guard.Length(matrixD, (long)order * order, nameof(matrixD));
        if (order == 0)
        {
            return;
        }

        Array.Copy(matrix, matrixEv, matrix.Length);
        var values = new T[order];
        fixed (T* pa = matrixEv, pw = values)
        {
            T query;
            int iquery;
            Guard.Info(TLapack.Syevd(order, pa, order, pw, &query, -1, &iquery, -1), "syevd");
            var work = new T[WorkSize(query)];
            var iwork = new int[Math.Max(1, iquery)];
            fixed (T* pwork = work)
            fixed (int* piwork = iwork)
            {
                ThrowIfNotConverged(TLapack.Syevd(order, pa, order, pw, pwork, work.Length, piwork, iwork.Length), "syevd");
            }
        }

        Array.Clear(matrixD);
        for (var i = 0; i < order; i++)
        {
            vectorEv[i] = new Complex(double.CreateTruncating(values[i]), 0.0);
            matrixD[i * order + i] = values[i];
        }
    }

    private static void Invert(T[] factored, int order, int[] oneBasedPivots)
    {
        fixed (T* pa = factored)
        fixed (int* pp = oneBasedPivots)
        {
            T query;
            Guard.Info(TLapack.Getri(order, pa, order, pp, &query, -1), "getri");
            var work = new T[WorkSize(query)];
            fixed (T* pw = work)
            {
                ThrowIfSingular(TLapack.Getri(order, pa, order, pp, pw, work.Length), "getri");
            }
        }
    }

    private static void Geqrf(T[] a, int m, int n, T[] tau)
    {
        fixed (T* pa = a, pt = tau)
        {
            T query;
            Guard.Info(TLapack.Geqrf(m, n, pa, m, pt, &query, -1), "geqrf");
            var work = new T[WorkSize(query)];
            fixed (T* pw = work)
            {
                Guard.Info(TLapack.Geqrf(m, n, pa, m, pt, pw, work.Length), "geqrf");
            }
        }
    }

    private static void Orgqr(T[] q, int m, int n, int reflectors, T[] tau)
    {
        fixed (T* pq = q, pt = tau)
        {
            T query;
            Guard.Info(TLapack.Orgqr(m, n, reflectors, pq, m, pt, &query, -1), "orgqr");
            var work = new T[WorkSize(query)];
            fixed (T* pw = work)
            {
                Guard.Info(TLapack.Orgqr(m, n, reflectors, pq, m, pt, pw, work.Length), "orgqr");
            }
        }
    }

    /// <summary>
    /// LAPACK reports optimal workspace sizes as floating-point numbers; in single precision a
    /// large size can round down, so it is nudged up by a couple of ulps before truncation.
    /// </summary>
    private static int WorkSize(T query) =>
        Math.Max(1, (int)Math.Ceiling(double.CreateTruncating(query) * (1.0 + 2.5e-7)));

    private static void Scale(T beta, T[] c)
    {
        // BLAS semantics: with beta = 0 the old contents of c are ignored, even NaN or infinity.
        if (beta == T.Zero)
        {
            Array.Clear(c);
            return;
        }

        for (var i = 0; i < c.Length; i++)
        {
            c[i] *= beta;
        }
    }

    private static void SetIdentity(T[] matrix, int order)
    {
        Array.Clear(matrix);
        for (var i = 0; i < order; i++)
        {
            matrix[i * order + i] = T.One;
        }
    }

    private static void ThrowIfSingular(int info, string routine)
    {
        Guard.Info(info, routine);
        if (info > 0)
        {
            throw new SingularUMatrixException(info);
        }
    }

    private static void ThrowIfNotPositiveDefinite(int info, string name)
    {
        Guard.Info(info, "potrf");
        if (info > 0)
        {
            throw new ArgumentException($"Matrix must be positive definite (leading minor {info} is not).", name);
        }
    }

    private static void ThrowIfNotConverged(int info, string routine)
    {
        Guard.Info(info, routine);
        if (info > 0)
        {
            throw new NonConvergenceException($"{routine} failed to converge (info = {info}).");
        }
    }
}
