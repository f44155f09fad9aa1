namespace FunctionalAD;

/// <summary>Indexing along an axis, scans, flips, padding, norms and variance.</summary>
public static partial class TensorExtensions
{
    // ---- indexing along an axis ------------------------------------------------------------

    /// <summary>
    /// Entry (…, j, …) is the entry (…, indices[…, j, …], …) along the axis: NumPy's
    /// take_along_axis, PyTorch's gather. The result has the shape of the indices.
    /// </summary>
    /// <param name="x">The tensor to index.</param>
    /// <param name="axis">The axis the indices run along.</param>
    /// <param name="indices">Whole numbers inside the axis, of <paramref name="x"/>'s rank and dimensions except along the axis.</param>
    /// <returns>The entries taken; the derivative is a scatter-add.</returns>
    public static Tensor TakeAlongAxis(this Tensor x, int axis, Tensor indices) => TensorModule.takeAlongAxis(axis, indices, x);

    /// <summary>
    /// <paramref name="target"/> with each entry of <paramref name="source"/> added at its index
    /// along the axis (PyTorch's scatter_add, the transpose of <see cref="TakeAlongAxis"/>);
    /// repeated indices add up.
    /// </summary>
    /// <param name="target">The tensor added into.</param>
    /// <param name="axis">The axis the indices run along.</param>
    /// <param name="indices">Whole numbers inside the axis, of <paramref name="source"/>'s shape.</param>
    /// <param name="source">The entries to add, of <paramref name="target"/>'s dimensions except along the axis.</param>
    /// <returns>The sum, differentiable in the target and the source.</returns>
    public static Tensor ScatterAdd(this Tensor target, int axis, Tensor indices, Tensor source) =>
        TensorModule.scatterAdd(axis, indices, source, target);

    /// <summary>
    /// <paramref name="target"/> with slice k of <paramref name="source"/> along the axis added
    /// at position indices[k] (PyTorch's index_add, the transpose of <see cref="Gather"/>);
    /// repeated indices add up.
    /// </summary>
    /// <param name="target">The tensor added into.</param>
    /// <param name="axis">The axis the indices run along.</param>
    /// <param name="indices">Positions inside the target's axis, one per slice of the source.</param>
    /// <param name="source">The slices to add: the target's shape with one entry per index along the axis.</param>
    /// <returns>The sum, differentiable in the target and the source.</returns>
    public static Tensor IndexAdd(this Tensor target, int axis, int[] indices, Tensor source)
    {
        ArgumentNullException.ThrowIfNull(indices);
        return TensorModule.indexAdd(axis, indices, source, target);
    }

    /// <summary>Labels as one-hot vectors along a new last axis (a constant).</summary>
    /// <param name="labels">Whole numbers in 0 … classes − 1, of any shape.</param>
    /// <param name="classes">The number of classes, the length of the new axis.</param>
    /// <returns>1 at each label, 0 elsewhere.</returns>
    public static Tensor OneHot(this Tensor labels, int classes) => TensorModule.oneHot(classes, labels);

    /// <summary>The rows (axis 0) of a table at the given indices.</summary>
    /// <param name="table">The table of rows.</param>
    /// <param name="indices">Whole numbers inside the table's rows, of any shape.</param>
    /// <returns>The indices' shape followed by a row's; repeated rows add their gradients.</returns>
    public static Tensor Embedding(this Tensor table, Tensor indices) => TensorModule.embedding(indices, table);

    // ---- scans, flips and padding ----------------------------------------------------------

    /// <summary>Running sums along an axis: entry k is x₀ + … + x_k.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">The axis.</param>
    /// <returns>The running sums.</returns>
    public static Tensor CumSum(this Tensor x, int axis) => TensorModule.cumsum(axis, x);

    /// <summary>Running products along an axis, differentiable to every order also at zeros.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">The axis.</param>
    /// <returns>The running products.</returns>
    public static Tensor CumProd(this Tensor x, int axis) => TensorModule.cumprod(axis, x);

    /// <summary>The entries along each of the axes in reverse order.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axes">The axes to reverse.</param>
    /// <returns>The flipped tensor.</returns>
    public static Tensor Flip(this Tensor x, params int[] axes) => TensorModule.flip(Axes(axes), x);

    /// <summary>The tensor surrounded by a constant, (before, after) entries along each axis.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="widths">One non-negative (before, after) pair per axis.</param>
    /// <param name="value">The value of the new entries.</param>
    /// <returns>The padded tensor.</returns>
    public static Tensor Pad(this Tensor x, (int Before, int After)[] widths, double value = 0.0) =>
        TensorModule.pad(PadMode.NewConstant(value), Widths(widths), x);

    /// <summary>The tensor mirrored at its edges without repeating them (NumPy's "reflect").</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="widths">One non-negative (before, after) pair per axis, each below the axis's length.</param>
    /// <returns>The padded tensor.</returns>
    public static Tensor PadReflect(this Tensor x, params (int Before, int After)[] widths) =>
        TensorModule.pad(PadMode.Reflect, Widths(widths), x);

    private static Tuple<int, int>[] Widths((int Before, int After)[] widths)
    {
        ArgumentNullException.ThrowIfNull(widths);
        return widths.Select(w => Tuple.Create(w.Before, w.After)).ToArray();
    }

    // ---- norms and spread ------------------------------------------------------------------

    /// <summary>The p-norm of all elements (p ≥ 1 or ∞; the Frobenius norm of a matrix for p = 2), with derivative 0 at 0.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="p">The order: 1, 2, ∞ or any p ≥ 1.</param>
    /// <returns>(Σ|x|ᵖ)^(1/p), or max |x| for p = ∞.</returns>
    public static Tensor Norm(this Tensor x, double p = 2.0) => TensorModule.norm(p, x);

    /// <summary>The vector p-norm over the given axes, with derivative 0 where those entries are all 0.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="p">The order: 1, 2, ∞ or any p ≥ 1.</param>
    /// <param name="axes">The axes reduced.</param>
    /// <param name="keepDims">Whether reduced axes stay as length 1.</param>
    /// <returns>The norms.</returns>
    public static Tensor Norm(this Tensor x, double p, int[] axes, bool keepDims = false) => TensorModule.normAxes(p, Axes(axes), keepDims, x);

    /// <summary>The variance Σ(x − mean)² / (N − ddof) of all elements.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="ddof">Subtracted from the count (1: the unbiased estimate).</param>
    /// <returns>The variance.</returns>
    public static Tensor Var(this Tensor x, int ddof = 0) => TensorModule.var(ddof, x);

    /// <summary>The variance over the given axes.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axes">The axes reduced.</param>
    /// <param name="ddof">Subtracted from the count (1: the unbiased estimate).</param>
    /// <param name="keepDims">Whether reduced axes stay as length 1.</param>
    /// <returns>The variances.</returns>
    public static Tensor Var(this Tensor x, int[] axes, int ddof = 0, bool keepDims = false) => TensorModule.varAxes(ddof, Axes(axes), keepDims, x);

    /// <summary>The standard deviation of all elements, with derivative 0 where the variance is 0.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="ddof">Subtracted from the count (1: from the unbiased variance).</param>
    /// <returns>The standard deviation.</returns>
    public static Tensor Std(this Tensor x, int ddof = 0) => TensorModule.std(ddof, x);

    /// <summary>The standard deviation over the given axes, with derivative 0 where the variance is 0.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axes">The axes reduced.</param>
    /// <param name="ddof">Subtracted from the count (1: from the unbiased variance).</param>
    /// <param name="keepDims">Whether reduced axes stay as length 1.</param>
    /// <returns>The standard deviations.</returns>
    public static Tensor Std(this Tensor x, int[] axes, int ddof = 0, bool keepDims = false) => TensorModule.stdAxes(ddof, Axes(axes), keepDims, x);
}
