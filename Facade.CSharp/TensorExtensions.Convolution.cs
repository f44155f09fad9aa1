namespace FunctionalAD;

/// <summary>Convolutions and pooling over [N, C, H, W] batches (PyTorch's layouts).</summary>
public static partial class TensorExtensions
{
    /// <summary>
    /// The 2-D convolution (cross-correlation, as in PyTorch) of a batch [N, C, H, W] with a kernel
    /// [O, C / groups, KH, KW]: [N, O, OH, OW], one matrix product of the kernel with the input's
    /// patches on the active provider.
    /// </summary>
    /// <param name="input">The batch, [N, C, H, W].</param>
    /// <param name="kernel">The kernels, [O, C / groups, KH, KW].</param>
    /// <param name="stride">The step between windows, on both axes.</param>
    /// <param name="padding">Zeros added on every side.</param>
    /// <param name="dilation">The spacing of a window's taps.</param>
    /// <param name="groups">Channel groups convolved on their own (dividing C and O).</param>
    /// <returns>The convolution, differentiable in the input and the kernel.</returns>
    public static Tensor Conv2d(this Tensor input, Tensor kernel, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        input.Conv2d(kernel, ConvPadding.Symmetric(padding), stride, dilation, groups);

    /// <summary>The 2-D convolution with a padding rule for both axes, such as <see cref="ConvPadding.Same"/>.</summary>
    /// <param name="input">The batch, [N, C, H, W].</param>
    /// <param name="kernel">The kernels, [O, C / groups, KH, KW].</param>
    /// <param name="padding">How both spatial axes are padded: <c>ConvPadding.Same</c>, <c>ConvPadding.Valid</c> or <c>ConvPadding.NewPad(before, after)</c>.</param>
    /// <param name="stride">The step between windows, on both axes.</param>
    /// <param name="dilation">The spacing of a window's taps.</param>
    /// <param name="groups">Channel groups convolved on their own (dividing C and O).</param>
    /// <returns>The convolution, differentiable in the input and the kernel.</returns>
    public static Tensor Conv2d(this Tensor input, Tensor kernel, ConvPadding padding, int stride = 1, int dilation = 1, int groups = 1) =>
        TensorModule.conv2dWith(new Conv2dOptions(Tuple.Create(stride, stride), Tuple.Create(padding, padding), Tuple.Create(dilation, dilation), groups), input, kernel);

    /// <summary>The 1-D convolution of a batch [N, C, L] with a kernel [O, C / groups, K]: [N, O, OL].</summary>
    /// <param name="input">The batch, [N, C, L].</param>
    /// <param name="kernel">The kernels, [O, C / groups, K].</param>
    /// <param name="stride">The step between windows.</param>
    /// <param name="padding">Zeros added at both ends.</param>
    /// <param name="dilation">The spacing of a window's taps.</param>
    /// <param name="groups">Channel groups convolved on their own (dividing C and O).</param>
    /// <returns>The convolution, differentiable in the input and the kernel.</returns>
    public static Tensor Conv1d(this Tensor input, Tensor kernel, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        TensorModule.conv1dWith(new Conv1dOptions(stride, ConvPadding.Symmetric(padding), dilation, groups), input, kernel);

    /// <summary>
    /// The 2-D transposed convolution (PyTorch's conv_transpose2d) of a batch [N, C, H, W] with a
    /// kernel [C, O / groups, KH, KW]: the transpose of the convolution with these settings, of
    /// height (H − 1)·stride − 2·padding + dilation·(KH − 1) + outputPadding + 1.
    /// </summary>
    /// <param name="input">The batch, [N, C, H, W].</param>
    /// <param name="kernel">The kernels, [C, O / groups, KH, KW].</param>
    /// <param name="stride">The stride of the convolution it transposes.</param>
    /// <param name="padding">The padding of the convolution it transposes.</param>
    /// <param name="outputPadding">Rows and columns added at the bottom and right (below the stride or the dilation).</param>
    /// <param name="dilation">The spacing of a window's taps.</param>
    /// <param name="groups">Channel groups (dividing C).</param>
    /// <returns>The transposed convolution, differentiable in the input and the kernel.</returns>
    public static Tensor ConvTranspose2d(this Tensor input, Tensor kernel, int stride = 1, int padding = 0, int outputPadding = 0, int dilation = 1, int groups = 1) =>
        TensorModule.convTranspose2dWith(
            new ConvTranspose2dOptions(Tuple.Create(stride, stride), Tuple.Create(padding, padding), Tuple.Create(outputPadding, outputPadding), Tuple.Create(dilation, dilation), groups), input, kernel);

    /// <summary>The maximum of each square window of each channel of [N, C, H, W]; tied maxima share the derivative evenly.</summary>
    /// <param name="x">The batch, [N, C, H, W].</param>
    /// <param name="size">The window's side.</param>
    /// <param name="stride">The step between windows (the window's side when omitted, as in PyTorch).</param>
    /// <param name="padding">Padding on every side, at most half the window; it never wins.</param>
    /// <returns>[N, C, OH, OW].</returns>
    public static Tensor MaxPool2d(this Tensor x, int size, int? stride = null, int padding = 0) =>
        TensorModule.maxPool2dWith(size, size, stride ?? size, stride ?? size, padding, padding, x);

    /// <summary>The mean of each square window of each channel of [N, C, H, W], the zero padding counted.</summary>
    /// <param name="x">The batch, [N, C, H, W].</param>
    /// <param name="size">The window's side.</param>
    /// <param name="stride">The step between windows (the window's side when omitted, as in PyTorch).</param>
    /// <param name="padding">Zeros added on every side.</param>
    /// <returns>[N, C, OH, OW].</returns>
    public static Tensor AvgPool2d(this Tensor x, int size, int? stride = null, int padding = 0) =>
        TensorModule.avgPool2dWith(size, size, stride ?? size, stride ?? size, padding, padding, x);

    /// <summary>The mean of each channel over its whole plane: [N, C, H, W] to [N, C].</summary>
    /// <param name="x">The batch, [N, C, H, W].</param>
    /// <returns>[N, C].</returns>
    public static Tensor GlobalAvgPool2d(this Tensor x) => TensorModule.globalAvgPool2d(x);
}
