namespace FunctionalAD.Facade.Tests;

/// <summary>Convolutions and pooling from C#, with PyTorch's defaults (a pooling stride is the window's side).</summary>
public class ConvolutionTests
{
    private static readonly Tensor Image = Tensors.Arange(16).Reshape(1, 1, 4, 4);

    [Fact]
    public void Conv2d_and_pooling_give_their_closed_forms()
    {
        Approx.Equal(new[] { 10.0, 14.0, 18.0, 26.0, 30.0, 34.0, 42.0, 46.0, 50.0 }, Image.Conv2d(Tensors.Ones(1, 1, 2, 2)));
        Approx.Equal(new[] { 10.0, 18.0, 42.0, 50.0 }, Image.Conv2d(Tensors.Ones(1, 1, 2, 2), stride: 2));
        Assert.Equal([1, 1, 4, 4], Image.Conv2d(Tensors.Ones(1, 1, 3, 3), ConvPadding.Same).Shape);
        Assert.Equal([1, 1, 6, 6], Image.Conv2d(Tensors.Ones(1, 1, 3, 3), padding: 2).Shape);
        Approx.Equal(new[] { 5.0, 7.0, 13.0, 15.0 }, Image.MaxPool2d(2));
        Approx.Equal(new[] { 2.5, 4.5, 10.5, 12.5 }, Image.AvgPool2d(2));
        Approx.Equal(new[] { 10.0, 11.0, 14.0, 15.0 }, Image.MaxPool2d(3, stride: 1));
        Approx.Equal(new[] { 7.5 }, Image.GlobalAvgPool2d());
        Approx.Equal(new[] { -1.0, -1.0, -1.0, -1.0, 4.0 }, Tensors.Vector(1, 2, 3, 4).Reshape(1, 1, 4).Conv1d(Tensors.Vector(1, -1).Reshape(1, 1, 2), padding: 1));
        var blocks = Tensors.Vector(1, 2, 3, 4).Reshape(1, 1, 2, 2).ConvTranspose2d(Tensors.Ones(1, 1, 2, 2), stride: 2);
        Approx.Equal(new[] { 1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 3.0, 3.0, 4.0, 4.0 }, blocks);
    }

    [Fact]
    public void The_kernel_gradient_of_a_convolution_is_the_correlation_with_the_cotangent()
    {
        // d/dw Σ conv(x, w) = the sum of x over each tap's positions: for a 2 × 2 kernel on the
        // 4 × 4 ramp, the four 3 × 3 corner blocks' sums.
        var gradient = AD.Grad(w => Image.Conv2d(w).Sum())(Tensors.Zeros(1, 1, 2, 2));
        Approx.Equal(new[] { 45.0, 54.0, 81.0, 90.0 }, gradient);
        var pooled = AD.Grad(x => x.MaxPool2d(2).Sum())(Image);
        Approx.Equal(new[] { 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0 }, pooled);
    }

    [Fact]
    public void Bad_settings_are_refused_naming_the_operation_and_the_argument()
    {
        var large = Assert.Throws<ShapeMismatchException>(() => Image.Conv2d(Tensors.Ones(1, 1, 5, 5)));
        Assert.Equal("conv2d", large.Operation);
        Assert.Equal("kernel", large.ParamName);
        Assert.Equal("groups", Assert.Throws<ShapeMismatchException>(() => Image.Conv2d(Tensors.Ones(2, 1, 1, 1), groups: 2)).ParamName);
        Assert.Equal("maxPool2d", Assert.Throws<ShapeMismatchException>(() => Image.MaxPool2d(2, padding: 2)).Operation);
    }
}
