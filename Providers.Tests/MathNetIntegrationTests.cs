using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace FunctionalAD.ProviderTests;

/// <summary>
/// MathNet's own matrix API with OpenBLAS installed must give the managed provider's results:
/// this checks the conventions MathNet relies on (pivots, explicit Q, R's zeroed lower part, ...).
/// </summary>
[Collection(ProviderSwitchingCollection.Name)]
public sealed class MathNetIntegrationTests : ProviderSwitchingTest
{
    private const double Tolerance = 1e-10;

    [Fact]
    public void DenseDoubleOperationsMatchTheManagedProvider()
    {
        TestProviders.OpenBlas();
        var a = Matrix<double>.Build.Random(60, 45, 1);
        var b = Matrix<double>.Build.Random(45, 30, 2);
        var square = Matrix<double>.Build.Random(40, 40, 3) + 40 * Matrix<double>.Build.DenseIdentity(40);
        var spd = square * square.Transpose();
        var symmetric = square + square.Transpose();
        var rhs = Matrix<double>.Build.Random(40, 3, 4);
        var tall = Matrix<double>.Build.Random(60, 3, 5);

        var expected = Compute(a, b, square, spd, symmetric, rhs, tall);
        Providers.UseOpenBlas();
        var actual = Compute(a, b, square, spd, symmetric, rhs, tall);

        Assert.Equal(expected.Count, actual.Count);
        foreach (var (name, value) in expected)
        {
            var difference = (value - actual[name]).FrobeniusNorm();
            Assert.True(difference <= Tolerance * Math.Max(1.0, value.FrobeniusNorm()), $"{name}: difference {difference:e3}");
        }
    }

    [Fact]
    public void QRFactorsAreWellFormedUnderOpenBlas()
    {
        TestProviders.OpenBlas();
        Providers.UseOpenBlas();
        var a = Matrix<float>.Build.Random(20, 8, 6);

        var full = a.QR(QRMethod.Full);
        var thin = a.QR(QRMethod.Thin);

        Assert.Equal(full.R, full.R.UpperTriangle());
        Assert.True((full.Q * full.R - a).FrobeniusNorm() < 1e-4);
        Assert.True((thin.Q * thin.R - a).FrobeniusNorm() < 1e-4);
    }

    private static Dictionary<string, Matrix<double>> Compute(Matrix<double> a, Matrix<double> b, Matrix<double> square, Matrix<double> spd, Matrix<double> symmetric, Matrix<double> rhs, Matrix<double> tall)
    {
        var evd = symmetric.Evd(Symmetricity.Symmetric);
        return new Dictionary<string, Matrix<double>>
        {
            ["A·B"] = a * b,
            ["Aᵀ·A"] = a.TransposeThisAndMultiply(a),
            ["A·Aᵀ"] = a.TransposeAndMultiply(a),
            ["LU solve"] = square.LU().Solve(rhs),
            ["LU determinant"] = Matrix<double>.Build.Dense(1, 1, square.LU().Determinant),
            ["inverse"] = square.Inverse(),
            ["Cholesky factor"] = spd.Cholesky().Factor,
            ["Cholesky solve"] = spd.Cholesky().Solve(rhs),
            ["QR solve"] = square.QR().Solve(rhs),
            ["thin QR least squares"] = a.QR(QRMethod.Thin).Solve(tall),
            ["singular values"] = a.Svd().S.ToColumnMatrix(),
            ["SVD solve"] = square.Svd().Solve(rhs),
            ["eigenvalues"] = evd.EigenValues.Map(value => value.Real).ToColumnMatrix(),
            ["eigen reconstruction"] = evd.EigenVectors * evd.D * evd.EigenVectors.Transpose(),
        };
    }
}
