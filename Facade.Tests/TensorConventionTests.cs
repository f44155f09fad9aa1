namespace FunctionalAD.Facade.Tests;

/// <summary>Indexing, slicing and printing conventions of tensors as C# sees them.</summary>
public class TensorConventionTests
{
    [Fact]
    public void Two_and_three_indices_give_one_element()
    {
        Tensor m = new[,] { { 1.0, 2.0, 3.0 }, { 4.0, 5.0, 6.0 } };
        Assert.Equal(6.0, m[1, 2].Item());
        Assert.Equal(4.0, m[-1, 0].Item());
        Assert.Equal(2.0, m[0][1].Item());
        Assert.Equal(23.0, Tensors.Arange(24).Reshape(2, 3, 4)[1, 2, 3].Item());
        Assert.Contains("two indices for a tensor of rank 1", Assert.ThrowsAny<ArgumentException>(() => Tensors.Vector(1, 2)[0, 0]).Message);
    }

    [Fact]
    public void CSharp_ranges_exclude_their_end_as_for_CSharp_arrays()
    {
        var v = Tensors.Arange(6);
        double[] array = [0, 1, 2, 3, 4, 5];
        Assert.Equal(array[1..3], v.Slice(1..3).ToArray());   // elements 1 and 2
        Assert.Equal(array[^2..], v.Slice(^2..).ToArray());
        Assert.Equal([0.0, 2.0, 4.0], v.Slice(axis: 0, start: 0, stop: 6, step: 2).ToArray());
        Assert.Equal([2, 1], Tensors.Arange(6).Reshape(3, 2).Slice(1.., 1..).Shape);
    }

    [Fact]
    public void Large_tensors_print_elided_under_PrintOptions_Threshold()
    {
        var big = Tensors.Arange(1010).Reshape(10, 101);
        var text = big.ToString();
        Assert.True(text.Length < 400, $"{text.Length} characters");
        Assert.Contains("[[0, 1, 2, ..., 98, 99, 100],", text);
        Assert.Equal(1000, PrintOptions.Threshold);
        Assert.Equal(3, PrintOptions.EdgeItems);
        Assert.Throws<ArgumentOutOfRangeException>(() => PrintOptions.Threshold = -1);
    }
}
