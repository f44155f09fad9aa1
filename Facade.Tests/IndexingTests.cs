namespace FunctionalAD.Facade.Tests;

/// <summary>Indexing along an axis, scans, padding and norms from C#.</summary>
public class IndexingTests
{
    private static readonly Tensor M = new[,] { { 0.0, 1.0, 2.0, 3.0 }, { 4.0, 5.0, 6.0, 7.0 } };

    [Fact]
    public void TakeAlongAxis_picks_one_entry_per_row_and_its_gradient_scatters_back()
    {
        Tensor labels = new[,] { { 3.0 }, { 0.0 } };
        Approx.Equal(new[] { 3.0, 4.0 }, M.TakeAlongAxis(1, labels));
        Approx.Equal(new[] { 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0 }, AD.Grad(x => x.TakeAlongAxis(1, labels).Sum())(M));
        Approx.Equal(new[] { 0.0, 1.0, 2.0, 5.0, 6.0, 5.0, 6.0, 7.0 }, M.ScatterAdd(1, labels, Tensors.Vector(2, 2).Reshape(2, 1)));
        Approx.Equal(new[] { 0.0, 1.0, 2.0, 3.0, 8.0, 11.0, 14.0, 17.0 }, M.IndexAdd(0, [1, 1], M));
        Approx.Equal(new[] { 0.0, 1.0, 1.0, 0.0 }, Tensors.Vector(1, 0).OneHot(2));
        Approx.Equal(new[] { 4.0, 5.0, 6.0, 7.0, 0.0, 1.0, 2.0, 3.0 }, M.Embedding(Tensors.Vector(1, 0)));
    }

    [Fact]
    public void Scans_flips_and_padding_match_NumPy()
    {
        Approx.Equal(new[] { 0.0, 1.0, 3.0, 6.0, 4.0, 9.0, 15.0, 22.0 }, M.CumSum(-1));
        Approx.Equal(new[] { 0.0, 5.0, 12.0, 21.0 }, M.CumProd(0).Index(0, 1));
        Approx.Equal(new[] { 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0 }, M.Flip(0, 1));
        Approx.Equal(new[] { 3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 3.0 }, Tensors.Vector(1, 2, 3, 4).PadReflect((2, 1)));
        Approx.Equal(new[] { 9.0, 1.0, 2.0, 9.0, 9.0 }, Tensors.Vector(1, 2).Pad([(1, 2)], 9.0));
    }

    [Fact]
    public void Norms_and_spread_match_NumPy_with_derivative_zero_at_zero()
    {
        Tensor v = new[] { 3.0, -4.0 };
        Approx.Equal(5.0, v.Norm());
        Approx.Equal(7.0, v.Norm(1));
        Approx.Equal(4.0, v.Norm(double.PositiveInfinity));
        Approx.Equal(new[] { Math.Sqrt(14.0), Math.Sqrt(126.0) }, M.Norm(2, [1]));
        Approx.Equal(12.25, v.Var());
        Approx.Equal(new[] { 8.0, 8.0, 8.0, 8.0 }, M.Var([0], ddof: 1));
        Approx.Equal(new[] { 2.0, 2.0, 2.0, 2.0 }, M.Std([0]));
        Approx.Equal(new[] { 0.0, 0.0 }, AD.Grad(x => x.Norm())(Tensors.Zeros(2)));
        Approx.Equal(new[] { 0.0, 0.0 }, AD.Grad(x => x.Std(1))(Tensors.Full(3.0, 2)));
    }

    [Fact]
    public void Bad_indices_and_widths_name_the_operation_and_the_argument()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => M.TakeAlongAxis(1, new[,] { { 4.0 }, { 0.0 } }));
        Assert.Equal("indices", e.ParamName);
        Assert.StartsWith("takeAlongAxis:", e.Message);
        Assert.Equal("widths", Assert.Throws<ShapeMismatchException>(() => Tensors.Vector(1, 2).PadReflect((2, 0))).ParamName);
        Assert.Throws<ArgumentNullException>(() => M.Pad(null!));
    }
}
