namespace FunctionalAD.Facade.Tests;

/// <summary>Batched linear algebra, einsum's ellipsis and layer normalisation from C#.</summary>
public class LinearAlgebraTests
{
    /// <summary>[[4, 7], [2, 6]] (det 10) and the swap [[0, 1], [1, 0]] (det −1).</summary>
    private static readonly Tensor Pair = Tensors.FromArray([4.0, 7.0, 2.0, 6.0, 0.0, 1.0, 1.0, 0.0], 2, 2, 2);

    [Fact]
    public void Batched_solve_det_and_slogdet_match_NumPy()
    {
        Approx.Equal(new[] { 10.0, -1.0 }, Pair.Det());
        Approx.Equal(new[] { 0.6, -0.7, -0.2, 0.4, 0.0, 1.0, 1.0, 0.0 }, Pair.Inverse());
        Approx.Equal(new[] { -0.8, 0.6, 2.0, 1.0 }, Pair.Solve(Tensors.Vector(1, 2)));
        var (sign, logAbsDet) = Pair.Slogdet();
        Approx.Equal(new[] { 1.0, -1.0 }, sign);
        Approx.Equal(new[] { Math.Log(10.0), 0.0 }, logAbsDet);
        Approx.Equal(new[] { 6.0, -2.0, -7.0, 4.0, 0.0, -1.0, -1.0, 0.0 }, AD.Grad(a => a.Det().Sum())(Pair));
    }

    [Fact]
    public void Cholesky_and_triangular_solves_match_SciPy()
    {
        Tensor spd = new[,] { { 4.0, 2.0 }, { 2.0, 3.0 } };
        var l = spd.Cholesky();
        Approx.Equal(new[] { 2.0, 0.0, 1.0, Math.Sqrt(2.0) }, l);
        Tensor b = new[] { 4.0, 5.0 };
        Approx.Equal(new[] { 2.0, 3.0 / Math.Sqrt(2.0) }, l.TriangularSolve(b, lower: true));
        Approx.Equal(spd.Solve(b), l.TriangularSolve(l.TriangularSolve(b, lower: true), lower: true, transpose: true));
        Tensor unit = new[,] { { 5.0, 99.0 }, { 1.0, 7.0 } };
        Approx.Equal(new[] { 4.0, 1.0 }, unit.TriangularSolve(b, lower: true, unitDiagonal: true));
    }

    [Fact]
    public void Einsum_ellipsis_and_layer_norm_match_NumPy_and_PyTorch()
    {
        Approx.Equal(Pair.Permute(0, 2, 1), Tensors.Einsum("...ij->...ji", Pair));
        Approx.Equal(Pair.MatMul(Pair), Tensors.Einsum("...ij,...jk->...ik", Pair, Pair));
        var r = 1.0 / Math.Sqrt(1.25);
        Approx.Equal(new[] { -1.5 * r, -0.5 * r, 0.5 * r, 1.5 * r }, Tensors.Vector(1, 2, 3, 4).LayerNorm(0.0));
        Approx.Equal(new[] { -1.5 * r, 1.0, 1.5 * r, 3.0 }, Tensors.Vector(1, 2, 3, 4).LayerNorm(0.0, Tensors.Vector(1, 0, 3, 0), Tensors.Vector(0, 1, 0, 3)));
    }

    [Fact]
    public void Non_square_batches_and_bad_right_hand_sides_name_the_operation_and_the_argument()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => Tensors.Zeros(2, 2, 3).Slogdet());
        Assert.Equal("a", e.ParamName);
        Assert.StartsWith("slogdet:", e.Message);
        Assert.Equal("b", Assert.Throws<ShapeMismatchException>(() => Pair.TriangularSolve(Tensors.Zeros(3), lower: false)).ParamName);
    }
}
