using System.Numerics;
using MathNet.Numerics;
using MathNet.Numerics.LinearAlgebra.Factorization;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace FunctionalAD.ProviderTests;

/// <summary>
/// LU, Cholesky, QR, SVD and symmetric eigen through OpenBLAS, for one element type. Factors are
/// checked by reconstruction (sign and ordering choices of vectors may legitimately differ from the
/// managed provider); solutions and singular/eigen values are compared with the managed provider.
/// Tolerances are multiples of n·ε: the backward-error scale of these algorithms on the well
/// conditioned matrices used here.
/// </summary>
public abstract class FactorizationTests<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly int[] Orders = [0, 1, 2, 3, 8, 17, 40];

    private static readonly (int Rows, int Columns)[] Shapes = [(0, 0), (0, 3), (3, 0), (1, 1), (1, 4), (4, 1), (5, 3), (3, 5), (9, 9), (30, 12), (12, 30)];

    private readonly ILinearAlgebraProvider<T> native = TestProviders.OpenBlas<T>();
    private readonly ILinearAlgebraProvider<T> managed = TestProviders.Managed<T>();

    private static double Tolerance(int n) => 64.0 * Math.Max(1, n) * Dense.Epsilon<T>();

    [Fact]
    public void LUFactorMatchesManagedPivotsAndReconstructs()
    {
        var random = new Random(1);
        foreach (var n in Orders)
        {
            var a = Dense.Random<T>(random, n, n);
            var factors = (T[])a.Clone();
            var pivots = new int[n];
            var managedFactors = (T[])a.Clone();
            var managedPivots = new int[n];

            native.LUFactor(factors, n, pivots);
            managed.LUFactor(managedFactors, n, managedPivots);

            Assert.Equal(managedPivots, pivots);
            var f = Dense.ToDouble(factors);
            var lower = Dense.Identity(n);
            var upper = new double[n * n];
            for (var j = 0; j < n; j++)
            {
                for (var i = 0; i < n; i++)
                {
                    if (i > j)
                    {
                        lower[j * n + i] = f[j * n + i];
                    }
                    else
                    {
                        upper[j * n + i] = f[j * n + i];
                    }
                }
            }

            var permuted = Dense.ToDouble(a);
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    (permuted[j * n + i], permuted[j * n + pivots[i]]) = (permuted[j * n + pivots[i]], permuted[j * n + i]);
                }
            }

            Dense.AssertClose(permuted, Dense.Multiply(lower, n, n, upper, n), Tolerance(n), $"P·A = L·U, n={n}");
            Dense.AssertClose(Dense.ToDouble(managedFactors), f, Tolerance(n) * n, $"LU factors vs managed, n={n}");
        }
    }

    [Fact]
    public void LUSolvesAgreeWithManaged()
    {
        var random = new Random(2);
        foreach (var n in Orders)
        {
            foreach (var columns in new[] { 0, 1, 3 })
            {
                var a = Dense.WellConditioned<T>(random, n);
                var b = Dense.Random<T>(random, n, columns);
                var expected = (T[])b.Clone();
                var direct = (T[])b.Clone();
                managed.LUSolve(columns, a, n, expected);
                native.LUSolve(columns, a, n, direct);

                var factors = (T[])a.Clone();
                var pivots = new int[n];
                native.LUFactor(factors, n, pivots);
                var pivotsBefore = (int[])pivots.Clone();
                var factored = (T[])b.Clone();
                native.LUSolveFactored(columns, factors, n, pivots, factored);

                Assert.Equal(pivotsBefore, pivots);
                Dense.AssertClose(Dense.ToDouble(expected), Dense.ToDouble(direct), Tolerance(n), $"LUSolve n={n} columns={columns}");
                Dense.AssertClose(Dense.ToDouble(expected), Dense.ToDouble(factored), Tolerance(n), $"LUSolveFactored n={n} columns={columns}");
                Dense.AssertClose(Dense.ToDouble(b), Dense.Multiply(Dense.ToDouble(a), n, n, Dense.ToDouble(direct), columns), Tolerance(n), $"A·X = B, n={n}");
            }
        }
    }

    [Fact]
    public void LUInversesAgreeWithManaged()
    {
        var random = new Random(3);
        foreach (var n in Orders)
        {
            var a = Dense.WellConditioned<T>(random, n);
            var expected = (T[])a.Clone();
            managed.LUInverse(expected, n);
            var inverse = (T[])a.Clone();
            native.LUInverse(inverse, n);

            var factored = (T[])a.Clone();
            var pivots = new int[n];
            native.LUFactor(factored, n, pivots);
            native.LUInverseFactored(factored, n, pivots);

            Dense.AssertClose(Dense.ToDouble(expected), Dense.ToDouble(inverse), Tolerance(n), $"LUInverse n={n}");
            Dense.AssertClose(Dense.ToDouble(expected), Dense.ToDouble(factored), Tolerance(n), $"LUInverseFactored n={n}");
            Dense.AssertClose(Dense.Identity(n), Dense.Multiply(Dense.ToDouble(a), n, n, Dense.ToDouble(inverse), n), Tolerance(n), $"A·A⁻¹ = I, n={n}");
        }
    }

    [Fact]
    public void SingularMatricesAreReported()
    {
        var singular = new T[] { T.One, T.CreateTruncating(2.0), T.CreateTruncating(2.0), T.CreateTruncating(4.0) };

        Assert.Throws<SingularUMatrixException>(() => native.LUInverse((T[])singular.Clone(), 2));
        Assert.Throws<SingularUMatrixException>(() => native.LUSolve(1, singular, 2, new T[2]));
    }

    [Fact]
    public void InvalidPivotsAreRejected()
    {
        var a = new T[] { T.One, T.Zero, T.Zero, T.One };

        Assert.Equal("ipiv", Assert.Throws<ArgumentException>(() => native.LUSolveFactored(1, a, 2, [0, 2], new T[2])).ParamName);
        Assert.Equal("ipiv", Assert.Throws<ArgumentException>(() => native.LUInverseFactored(a, 2, [-1, 1])).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => native.LUSolve(1, a, 2, a)).ParamName);
    }

    [Fact]
    public void CholeskyAgreesWithManaged()
    {
        var random = new Random(4);
        foreach (var n in Orders)
        {
            var a = Dense.SymmetricPositiveDefinite<T>(random, n);
            var expected = (T[])a.Clone();
            managed.CholeskyFactor(expected, n);
            var factor = (T[])a.Clone();
            native.CholeskyFactor(factor, n);

            var l = Dense.ToDouble(factor);
            Dense.AssertUpperTriangular(Dense.Transpose(l, n, n), n, n, $"Cholesky factor is lower triangular, n={n}");
            Dense.AssertClose(Dense.ToDouble(expected), l, Tolerance(n), $"Cholesky factor vs managed, n={n}");
            Dense.AssertClose(Dense.ToDouble(a), Dense.Multiply(l, n, n, Dense.Transpose(l, n, n), n), Tolerance(n), $"A = L·Lᵀ, n={n}");

            foreach (var columns in new[] { 0, 1, 4 })
            {
                var b = Dense.Random<T>(random, n, columns);
                var solution = (T[])b.Clone();
                managed.CholeskySolve(a, n, solution, columns);
                var direct = (T[])b.Clone();
                native.CholeskySolve(a, n, direct, columns);
                var factored = (T[])b.Clone();
                native.CholeskySolveFactored(factor, n, factored, columns);

                Dense.AssertClose(Dense.ToDouble(solution), Dense.ToDouble(direct), Tolerance(n), $"CholeskySolve n={n}");
                Dense.AssertClose(Dense.ToDouble(solution), Dense.ToDouble(factored), Tolerance(n), $"CholeskySolveFactored n={n}");
            }
        }
    }

    [Fact]
    public void CholeskyRejectsIndefiniteMatrices()
    {
        var indefinite = new T[] { T.One, T.CreateTruncating(2.0), T.CreateTruncating(2.0), T.One };

        Assert.Equal("a", Assert.Throws<ArgumentException>(() => native.CholeskyFactor((T[])indefinite.Clone(), 2)).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => native.CholeskySolve(indefinite, 2, new T[2], 1)).ParamName);
    }

    [Fact]
    public void QRFactorReconstructs()
    {
        var random = new Random(5);
        foreach (var (m, n) in Shapes)
        {
            var a = Dense.Random<T>(random, m, n);
            var r = (T[])a.Clone();
            var q = Enumerable.Repeat(T.NaN, m * m).ToArray();
            var tau = new T[Math.Min(m, n)];

            native.QRFactor(r, m, n, q, tau);

            var qd = Dense.ToDouble(q);
            var rd = Dense.ToDouble(r);
            Dense.AssertUpperTriangular(rd, m, n, $"R of {m}x{n}");
            Dense.AssertClose(Dense.Identity(m), Dense.Multiply(Dense.Transpose(qd, m, m), m, m, qd, m), Tolerance(m), $"QᵀQ = I for {m}x{n}");
            Dense.AssertClose(Dense.ToDouble(a), Dense.Multiply(qd, m, m, rd, n), Tolerance(Math.Max(m, n)), $"A = Q·R for {m}x{n}");
        }
    }

    [Fact]
    public void ThinQRFactorReconstructs()
    {
        var random = new Random(6);
        foreach (var (m, n) in Shapes.Where(shape => shape.Rows >= shape.Columns))
        {
            var a = Dense.Random<T>(random, m, n);
            var q = (T[])a.Clone();
            var r = Enumerable.Repeat(T.NaN, n * n).ToArray();

            native.ThinQRFactor(q, m, n, r, new T[n]);

            var qd = Dense.ToDouble(q);
            var rd = Dense.ToDouble(r);
            Dense.AssertUpperTriangular(rd, n, n, $"thin R of {m}x{n}");
            Dense.AssertClose(Dense.Identity(n), Dense.Multiply(Dense.Transpose(qd, m, n), n, m, qd, n), Tolerance(m), $"thin QᵀQ = I for {m}x{n}");
            Dense.AssertClose(Dense.ToDouble(a), Dense.Multiply(qd, m, n, rd, n), Tolerance(m), $"A = Q·R (thin) for {m}x{n}");
        }
    }

    [Theory]
    [InlineData(QRMethod.Full)]
    [InlineData(QRMethod.Thin)]
    public void QRSolvesAgreeWithManaged(QRMethod method)
    {
        var random = new Random(7 + (int)method);
        foreach (var (m, n) in Shapes.Where(shape => shape.Rows >= shape.Columns))
        {
            foreach (var columns in new[] { 0, 1, 3 })
            {
                var a = Dense.Random<T>(random, m, n);
                for (var i = 0; i < n; i++)
                {
                    a[i * m + i] += T.CreateTruncating(3.0);
                }

                var b = Dense.Random<T>(random, m, columns);
                var expected = new T[n * columns];
                managed.QRSolve(a, m, n, b, columns, expected, method);
                var direct = new T[n * columns];
                native.QRSolve(a, m, n, b, columns, direct, method);

                var (q, r) = method == QRMethod.Full ? (new T[m * m], (T[])a.Clone()) : ((T[])a.Clone(), new T[n * n]);
                var tau = new T[n];
                if (method == QRMethod.Full)
                {
                    native.QRFactor(r, m, n, q, tau);
                }
                else
                {
                    native.ThinQRFactor(q, m, n, r, tau);
                }

                var factored = new T[n * columns];
                native.QRSolveFactored(q, r, m, n, tau, b, columns, factored, method);

                Dense.AssertClose(Dense.ToDouble(expected), Dense.ToDouble(direct), Tolerance(m), $"QRSolve {m}x{n} columns={columns}");
                Dense.AssertClose(Dense.ToDouble(expected), Dense.ToDouble(factored), Tolerance(m), $"QRSolveFactored {m}x{n} columns={columns}");
            }
        }
    }

    [Fact]
    public void QRSolveFactoredAcceptsManagedFactors()
    {
        var random = new Random(9);
        const int m = 12, n = 7;
        var a = Dense.WellConditioned<T>(random, m)[..(m * n)];
        var b = Dense.Random<T>(random, m, 2);
        var r = (T[])a.Clone();
        var q = new T[m * m];
        managed.QRFactor(r, m, n, q, new T[n]);
        var expected = new T[n * 2];
        managed.QRSolveFactored(q, r, m, n, null, b, 2, expected);
        var actual = new T[n * 2];

        native.QRSolveFactored(q, r, m, n, null, b, 2, actual);

        Dense.AssertClose(Dense.ToDouble(expected), Dense.ToDouble(actual), Tolerance(m), "native solve with managed factors");
    }

    [Fact]
    public void SingularValueDecompositionAgreesWithManaged()
    {
        var random = new Random(10);
        foreach (var (m, n) in Shapes)
        {
            var k = Math.Min(m, n);
            var a = Dense.Random<T>(random, m, n);
            var expectedS = new T[k];
            if (k > 0)
            {
                // MathNet's managed SVD indexes out of range on empty matrices, so it is the reference only for k > 0.
                managed.SingularValueDecomposition(true, (T[])a.Clone(), m, n, expectedS, new T[m * m], new T[n * n]);
            }
            var s = new T[k];
            var u = new T[m * m];
            var vt = new T[n * n];
            native.SingularValueDecomposition(true, (T[])a.Clone(), m, n, s, u, vt);
            var valuesOnly = new T[k];
            native.SingularValueDecomposition(false, (T[])a.Clone(), m, n, valuesOnly, new T[m * m], new T[n * n]);

            var tolerance = Tolerance(Math.Max(m, n));
            Dense.AssertClose(Dense.ToDouble(expectedS), Dense.ToDouble(s), tolerance, $"singular values of {m}x{n}");
            Dense.AssertClose(Dense.ToDouble(s), Dense.ToDouble(valuesOnly), tolerance, $"singular values without vectors of {m}x{n}");
            var ud = Dense.ToDouble(u);
            var vtd = Dense.ToDouble(vt);
            var sigma = new double[m * n];
            for (var i = 0; i < k; i++)
            {
                sigma[i * m + i] = double.CreateTruncating(s[i]);
            }

            Dense.AssertClose(Dense.Identity(m), Dense.Multiply(Dense.Transpose(ud, m, m), m, m, ud, m), tolerance, $"UᵀU = I for {m}x{n}");
            Dense.AssertClose(Dense.Identity(n), Dense.Multiply(vtd, n, n, Dense.Transpose(vtd, n, n), n), tolerance, $"VᵀV = I for {m}x{n}");
            Dense.AssertClose(Dense.ToDouble(a), Dense.Multiply(Dense.Multiply(ud, m, m, sigma, n), m, n, vtd, n), tolerance, $"A = U·Σ·Vᵀ for {m}x{n}");
        }
    }

    [Fact]
    public void SvdSolvesAgreeWithManaged()
    {
        var random = new Random(11);
        foreach (var (m, n) in Shapes.Where(shape => shape.Rows >= shape.Columns && shape.Columns > 0))
        {
            var a = Dense.Random<T>(random, m, n);
            for (var i = 0; i < n; i++)
            {
                a[i * m + i] += T.CreateTruncating(3.0);
            }

            var b = Dense.Random<T>(random, m, 2);
            var expected = new T[n * 2];
            managed.SvdSolve(a, m, n, b, 2, expected);
            var direct = new T[n * 2];
            native.SvdSolve(a, m, n, b, 2, direct);

            var s = new T[n];
            var u = new T[m * m];
            var vt = new T[n * n];
            native.SingularValueDecomposition(true, (T[])a.Clone(), m, n, s, u, vt);
            var factored = new T[n * 2];
            native.SvdSolveFactored(m, n, s, u, vt, b, 2, factored);

            Dense.AssertClose(Dense.ToDouble(expected), Dense.ToDouble(direct), Tolerance(m), $"SvdSolve {m}x{n}");
            Dense.AssertClose(Dense.ToDouble(expected), Dense.ToDouble(factored), Tolerance(m), $"SvdSolveFactored {m}x{n}");
        }
    }

    [Fact]
    public void SymmetricEigenDecompositionAgreesWithManaged()
    {
        var random = new Random(12);
        foreach (var n in Orders)
        {
            var a = Dense.Symmetric<T>(random, n);
            var expectedValues = new Complex[n];
            if (n > 0)
            {
                // MathNet's managed eigen solver indexes out of range on an empty matrix.
                managed.EigenDecomp(true, n, a, new T[n * n], expectedValues, new T[n * n]);
            }
            var vectors = new T[n * n];
            var values = new Complex[n];
            var d = Enumerable.Repeat(T.NaN, n * n).ToArray();
            native.EigenDecomp(true, n, a, vectors, values, d);

            var tolerance = Tolerance(n);
            Dense.AssertClose(expectedValues.Select(v => v.Real).ToArray(), values.Select(v => v.Real).ToArray(), tolerance, $"eigenvalues n={n}");
            Assert.All(values, v => Assert.Equal(0.0, v.Imaginary));
            var v = Dense.ToDouble(vectors);
            var dd = Dense.ToDouble(d);
            var diagonal = new double[n * n];
            for (var i = 0; i < n; i++)
            {
                diagonal[i * n + i] = values[i].Real;
            }

            Assert.Equal(diagonal, dd);
            Dense.AssertClose(Dense.Identity(n), Dense.Multiply(Dense.Transpose(v, n, n), n, n, v, n), tolerance, $"VᵀV = I, n={n}");
            Dense.AssertClose(Dense.Multiply(Dense.ToDouble(a), n, n, v, n), Dense.Multiply(v, n, n, dd, n), tolerance, $"A·V = V·D, n={n}");
        }
    }

    [Fact]
    public void NonSymmetricEigenDecompositionIsTheManagedOne()
    {
        const int n = 6;
        var a = Dense.Random<T>(new Random(13), n, n);
        var expected = (new T[n * n], new Complex[n], new T[n * n]);
        managed.EigenDecomp(false, n, a, expected.Item1, expected.Item2, expected.Item3);
        var actual = (new T[n * n], new Complex[n], new T[n * n]);

        native.EigenDecomp(false, n, a, actual.Item1, actual.Item2, actual.Item3);

        Assert.Equal(expected.Item1, actual.Item1);
        Assert.Equal(expected.Item2, actual.Item2);
        Assert.Equal(expected.Item3, actual.Item3);
    }
}

public sealed class DoubleFactorizationTests : FactorizationTests<double>;

public sealed class SingleFactorizationTests : FactorizationTests<float>;
