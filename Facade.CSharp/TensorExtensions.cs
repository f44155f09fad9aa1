using MathNet.Numerics.LinearAlgebra;

namespace FunctionalAD;

/// <summary>
/// Fluent tensor methods for C#: <c>x.MatMul(w).Add(b).Tanh().Sum()</c>. Every method is
/// differentiable (to any order) unless it says otherwise; negative axes count from the end.
/// </summary>
public static partial class TensorExtensions
{
    // ---- arithmetic ------------------------------------------------------------------------

    /// <summary>x + y, broadcasting.</summary>
    /// <param name="x">The left operand.</param>
    /// <param name="y">The right operand.</param>
    /// <returns>The elementwise sum.</returns>
    public static Tensor Add(this Tensor x, Tensor y) => TensorModule.add(x, y);

    /// <summary>x − y, broadcasting.</summary>
    /// <param name="x">The left operand.</param>
    /// <param name="y">The right operand.</param>
    /// <returns>The elementwise difference.</returns>
    public static Tensor Sub(this Tensor x, Tensor y) => TensorModule.sub(x, y);

    /// <summary>x · y elementwise, broadcasting.</summary>
    /// <param name="x">The left operand.</param>
    /// <param name="y">The right operand.</param>
    /// <returns>The elementwise product.</returns>
    public static Tensor Mul(this Tensor x, Tensor y) => TensorModule.mul(x, y);

    /// <summary>x / y elementwise, broadcasting.</summary>
    /// <param name="x">The left operand.</param>
    /// <param name="y">The right operand.</param>
    /// <returns>The elementwise quotient.</returns>
    public static Tensor Div(this Tensor x, Tensor y) => TensorModule.div(x, y);

    /// <summary>−x.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The negation.</returns>
    public static Tensor Neg(this Tensor x) => TensorModule.neg(x);

    /// <summary>xʸ elementwise, broadcasting.</summary>
    /// <param name="x">The base.</param>
    /// <param name="y">The exponent tensor.</param>
    /// <returns>The elementwise power.</returns>
    public static Tensor Pow(this Tensor x, Tensor y) => TensorModule.pow(x, y);

    /// <summary>xᶜ for a real constant c.</summary>
    /// <param name="x">The base.</param>
    /// <param name="c">The constant exponent.</param>
    /// <returns>The elementwise power.</returns>
    public static Tensor Pow(this Tensor x, double c) => TensorModule.powConst(c, x);

    /// <summary>x².</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise square.</returns>
    public static Tensor Square(this Tensor x) => TensorModule.square(x);

    // ---- elementwise functions -------------------------------------------------------------

    /// <summary>eˣ.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise exponential.</returns>
    public static Tensor Exp(this Tensor x) => TensorModule.exp(x);

    /// <summary>Natural logarithm.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise logarithm.</returns>
    public static Tensor Log(this Tensor x) => TensorModule.log(x);

    /// <summary>log(1 + x), accurate near 0.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise log1p.</returns>
    public static Tensor Log1p(this Tensor x) => TensorModule.log1p(x);

    /// <summary>eˣ − 1, accurate near 0.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise expm1.</returns>
    public static Tensor Expm1(this Tensor x) => TensorModule.expm1(x);

    /// <summary>Square root.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise square root.</returns>
    public static Tensor Sqrt(this Tensor x) => TensorModule.sqrt(x);

    /// <summary>Sine.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise sine.</returns>
    public static Tensor Sin(this Tensor x) => TensorModule.sin(x);

    /// <summary>Cosine.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise cosine.</returns>
    public static Tensor Cos(this Tensor x) => TensorModule.cos(x);

    /// <summary>Tangent.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise tangent.</returns>
    public static Tensor Tan(this Tensor x) => TensorModule.tan(x);

    /// <summary>Hyperbolic tangent.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise tanh.</returns>
    public static Tensor Tanh(this Tensor x) => TensorModule.tanh(x);

    /// <summary>Arctangent.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise arctangent.</returns>
    public static Tensor Atan(this Tensor x) => TensorModule.atan(x);

    /// <summary>The error function erf x = 2/√π ∫₀ˣ e^−t² dt.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise error function.</returns>
    public static Tensor Erf(this Tensor x) => TensorModule.erf(x);

    /// <summary>The logistic function 1 / (1 + e⁻ˣ).</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise sigmoid.</returns>
    public static Tensor Sigmoid(this Tensor x) => TensorModule.sigmoid(x);

    /// <summary>log(1 + eˣ).</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise softplus.</returns>
    public static Tensor Softplus(this Tensor x) => TensorModule.softplus(x);

    /// <summary>max(x, 0), with relu′(0) = 0.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise ReLU.</returns>
    public static Tensor Relu(this Tensor x) => TensorModule.relu(x);

    /// <summary>|x|, with abs′(0) = 0.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise absolute value.</returns>
    public static Tensor Abs(this Tensor x) => TensorModule.abs(x);

    /// <summary>−1, 0 or 1 (derivative 0).</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The elementwise sign.</returns>
    public static Tensor Sign(this Tensor x) => TensorModule.sign(x);

    /// <summary>Elementwise maximum; ties split the gradient evenly.</summary>
    /// <param name="x">The first tensor.</param>
    /// <param name="y">The second tensor.</param>
    /// <returns>max(x, y) elementwise.</returns>
    public static Tensor Maximum(this Tensor x, Tensor y) => TensorModule.maximum(x, y);

    /// <summary>Elementwise minimum; ties split the gradient evenly.</summary>
    /// <param name="x">The first tensor.</param>
    /// <param name="y">The second tensor.</param>
    /// <returns>min(x, y) elementwise.</returns>
    public static Tensor Minimum(this Tensor x, Tensor y) => TensorModule.minimum(x, y);

    /// <summary>Clamps into [<paramref name="min"/>, <paramref name="max"/>]; derivative 1 strictly inside, 0 at and beyond the bounds.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="min">The lower bound.</param>
    /// <param name="max">The upper bound, at least <paramref name="min"/>.</param>
    /// <returns>The clamped tensor.</returns>
    /// <exception cref="ArgumentException"><paramref name="min"/> exceeds <paramref name="max"/>.</exception>
    public static Tensor Clamp(this Tensor x, double min, double max)
    {
        if (!(min <= max)) throw new ArgumentException($"Clamp: min ({min}) must not exceed max ({max}).", nameof(min));
        return TensorModule.clamp(min, max, x);
    }

    /// <summary>Chooses elementwise: <paramref name="whenTrue"/> where the mask is non-zero, else <paramref name="whenFalse"/> (broadcasting; no NaN leaks from the branch not taken).</summary>
    /// <param name="condition">A mask, e.g. <c>x &gt; 0</c>.</param>
    /// <param name="whenTrue">Values where the mask is non-zero.</param>
    /// <param name="whenFalse">Values where the mask is zero.</param>
    /// <returns>The selection.</returns>
    public static Tensor Where(this Tensor condition, Tensor whenTrue, Tensor whenFalse) => TensorModule.where(condition, whenTrue, whenFalse);

    /// <summary>The same value with its derivative blocked.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>x, as a constant to every transform.</returns>
    public static Tensor StopGradient(this Tensor x) => TensorModule.stopGradient(x);

    // ---- reductions ------------------------------------------------------------------------

    /// <summary>The sum of all elements.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>A scalar.</returns>
    public static Tensor Sum(this Tensor x) => TensorModule.sum(x);

    /// <summary>The sum along one axis.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">The axis.</param>
    /// <param name="keepDims">Keep the axis with length 1.</param>
    /// <returns>The reduced tensor.</returns>
    public static Tensor Sum(this Tensor x, int axis, bool keepDims = false) => TensorModule.sumAxes([axis], keepDims, x);

    /// <summary>The sum along several axes.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axes">The axes.</param>
    /// <param name="keepDims">Keep the axes with length 1.</param>
    /// <returns>The reduced tensor.</returns>
    public static Tensor Sum(this Tensor x, int[] axes, bool keepDims = false) => TensorModule.sumAxes(Axes(axes), keepDims, x);

    /// <summary>The mean of all elements.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>A scalar.</returns>
    public static Tensor Mean(this Tensor x) => TensorModule.mean(x);

    /// <summary>The mean along one axis.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">The axis.</param>
    /// <param name="keepDims">Keep the axis with length 1.</param>
    /// <returns>The reduced tensor.</returns>
    public static Tensor Mean(this Tensor x, int axis, bool keepDims = false) => TensorModule.meanAxes([axis], keepDims, x);

    /// <summary>The mean along several axes.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axes">The axes.</param>
    /// <param name="keepDims">Keep the axes with length 1.</param>
    /// <returns>The reduced tensor.</returns>
    public static Tensor Mean(this Tensor x, int[] axes, bool keepDims = false) => TensorModule.meanAxes(Axes(axes), keepDims, x);

    /// <summary>The product of all elements.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>A scalar.</returns>
    public static Tensor Prod(this Tensor x) => TensorModule.prod(x);

    /// <summary>The product along one axis.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">The axis.</param>
    /// <param name="keepDims">Keep the axis with length 1.</param>
    /// <returns>The reduced tensor.</returns>
    public static Tensor Prod(this Tensor x, int axis, bool keepDims = false) => TensorModule.prodAxes([axis], keepDims, x);

    /// <summary>The product along several axes.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axes">The axes.</param>
    /// <param name="keepDims">Keep the axes with length 1.</param>
    /// <returns>The reduced tensor.</returns>
    public static Tensor Prod(this Tensor x, int[] axes, bool keepDims = false) => TensorModule.prodAxes(Axes(axes), keepDims, x);

    /// <summary>The maximum of all elements (tied elements share the gradient).</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>A scalar.</returns>
    public static Tensor Max(this Tensor x) => TensorModule.max(x);

    /// <summary>The maximum along one axis.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">The axis.</param>
    /// <param name="keepDims">Keep the axis with length 1.</param>
    /// <returns>The reduced tensor.</returns>
    public static Tensor Max(this Tensor x, int axis, bool keepDims = false) => TensorModule.maxAxes([axis], keepDims, x);

    /// <summary>The maximum along several axes.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axes">The axes.</param>
    /// <param name="keepDims">Keep the axes with length 1.</param>
    /// <returns>The reduced tensor.</returns>
    public static Tensor Max(this Tensor x, int[] axes, bool keepDims = false) => TensorModule.maxAxes(Axes(axes), keepDims, x);

    /// <summary>The minimum of all elements (tied elements share the gradient).</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>A scalar.</returns>
    public static Tensor Min(this Tensor x) => TensorModule.min(x);

    /// <summary>The minimum along one axis.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">The axis.</param>
    /// <param name="keepDims">Keep the axis with length 1.</param>
    /// <returns>The reduced tensor.</returns>
    public static Tensor Min(this Tensor x, int axis, bool keepDims = false) => TensorModule.minAxes([axis], keepDims, x);

    /// <summary>The minimum along several axes.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axes">The axes.</param>
    /// <param name="keepDims">Keep the axes with length 1.</param>
    /// <returns>The reduced tensor.</returns>
    public static Tensor Min(this Tensor x, int[] axes, bool keepDims = false) => TensorModule.minAxes(Axes(axes), keepDims, x);

    /// <summary>log Σ exp of all elements, computed stably.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>A scalar.</returns>
    public static Tensor LogSumExp(this Tensor x) => TensorModule.logsumexp(x);

    /// <summary>log Σ exp along one axis, computed stably.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">The axis.</param>
    /// <param name="keepDims">Keep the axis with length 1.</param>
    /// <returns>The reduced tensor.</returns>
    public static Tensor LogSumExp(this Tensor x, int axis, bool keepDims = false) => TensorModule.logsumexpAxes([axis], keepDims, x);

    /// <summary>Softmax along an axis (default the last).</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">The axis.</param>
    /// <returns>Non-negative values summing to 1 along the axis.</returns>
    public static Tensor Softmax(this Tensor x, int axis = -1) => TensorModule.softmax(axis, x);

    /// <summary>log softmax along an axis (default the last): x − logsumexp(x).</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">The axis.</param>
    /// <returns>The log-probabilities.</returns>
    public static Tensor LogSoftmax(this Tensor x, int axis = -1) => TensorModule.logSoftmax(axis, x);

    private static int[] Axes(int[] axes)
    {
        ArgumentNullException.ThrowIfNull(axes);
        return axes;
    }

    // ---- layout ----------------------------------------------------------------------------

    /// <summary>The same elements under a new shape; one dimension may be −1 (inferred).</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="shape">The new shape.</param>
    /// <returns>The reshaped tensor.</returns>
    public static Tensor Reshape(this Tensor x, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return TensorModule.reshape(shape, x);
    }

    /// <summary>A vector of all elements.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The flattened tensor.</returns>
    public static Tensor Flatten(this Tensor x) => TensorModule.flatten(x);

    /// <summary>Reverses the dimensions (the matrix transpose for rank 2).</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The transposed tensor.</returns>
    public static Tensor Transpose(this Tensor x) => TensorModule.transpose(x);

    /// <summary>Permutes dimensions: output dimension i is input dimension <c>permutation[i]</c>.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="permutation">A permutation of 0 … rank − 1.</param>
    /// <returns>The permuted tensor.</returns>
    public static Tensor Permute(this Tensor x, params int[] permutation)
    {
        ArgumentNullException.ThrowIfNull(permutation);
        return TensorModule.permute(permutation, x);
    }

    /// <summary>Inserts a dimension of length 1 at <paramref name="axis"/>.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">Where to insert.</param>
    /// <returns>The expanded tensor.</returns>
    public static Tensor ExpandDims(this Tensor x, int axis) => TensorModule.expandDims(axis, x);

    /// <summary>Broadcasts to a larger shape (NumPy rules).</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="shape">The target shape.</param>
    /// <returns>The broadcast tensor.</returns>
    public static Tensor BroadcastTo(this Tensor x, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return TensorModule.broadcastTo(shape, x);
    }

    /// <summary>
    /// A sub-tensor by C# ranges, one per leading axis (missing trailing axes are taken whole):
    /// <c>m.Slice(1..3, ..)</c>, <c>v.Slice(^2..)</c>.
    /// </summary>
    /// <param name="x">The tensor.</param>
    /// <param name="ranges">At most one range per axis.</param>
    /// <returns>The slice (the rank is unchanged).</returns>
    /// <exception cref="ArgumentException">More ranges than axes, or a range outside an axis.</exception>
    public static Tensor Slice(this Tensor x, params Range[] ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var shape = x.Shape;
        if (ranges.Length > shape.Length)
            throw new ArgumentException($"Slice: {ranges.Length} ranges for a tensor of shape {Guard.Format(shape)}.", nameof(ranges));
        var triples = new Tuple<int, int, int>[shape.Length];
        for (var axis = 0; axis < shape.Length; axis++)
        {
            var range = axis < ranges.Length ? ranges[axis] : Range.All;
            int start, length;
            try
            {
                (start, length) = range.GetOffsetAndLength(shape[axis]);
            }
            catch (ArgumentOutOfRangeException)
            {
                throw new ArgumentException($"Slice: range {range} is outside axis {axis} of length {shape[axis]} (shape {Guard.Format(shape)}).", nameof(ranges));
            }
            triples[axis] = Tuple.Create(start, start + length, 1);
        }
        return TensorModule.slice(triples, x);
    }

    /// <summary>Every <paramref name="step"/>-th element from <paramref name="start"/> (inclusive) to <paramref name="stop"/> (exclusive) along one axis; negative bounds count from the end.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">The axis.</param>
    /// <param name="start">The first index.</param>
    /// <param name="stop">The index after the last.</param>
    /// <param name="step">The stride, positive.</param>
    /// <returns>The slice.</returns>
    public static Tensor Slice(this Tensor x, int axis, int start, int stop, int step = 1)
    {
        var shape = x.Shape;
        var a = axis < 0 ? axis + shape.Length : axis;
        if (a < 0 || a >= shape.Length)
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Slice: no axis {axis} in shape {Guard.Format(shape)}.");
        if (step <= 0)
            throw new ArgumentOutOfRangeException(nameof(step), step, "Slice: the step must be positive.");
        var triples = shape.Select((d, k) => k == a ? Tuple.Create(start, stop, step) : Tuple.Create(0, d, 1)).ToArray();
        return TensorModule.slice(triples, x);
    }

    /// <summary>The sub-tensor at index <paramref name="index"/> of an axis (the axis is removed).</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">The axis.</param>
    /// <param name="index">The index; negative counts from the end.</param>
    /// <returns>A tensor of rank one less.</returns>
    public static Tensor Index(this Tensor x, int axis, int index) => TensorModule.index(axis, index, x);

    /// <summary>Entries at integer indices along an axis (repeats allowed; NumPy's take).</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="axis">The axis.</param>
    /// <param name="indices">The indices.</param>
    /// <returns>The gathered tensor.</returns>
    public static Tensor Gather(this Tensor x, int axis, params int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        return TensorModule.gather(axis, indices, x);
    }

    // ---- linear algebra --------------------------------------------------------------------

    /// <summary>NumPy's matmul: matrix products over the last two axes with broadcast batch axes.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>The product.</returns>
    public static Tensor MatMul(this Tensor a, Tensor b) => TensorModule.matmul(a, b);

    /// <summary>The inner product of two vectors, or matmul for higher ranks.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>The product.</returns>
    public static Tensor Dot(this Tensor a, Tensor b) => TensorModule.dot(a, b);

    /// <summary>The outer product of two vectors.</summary>
    /// <param name="a">The left vector.</param>
    /// <param name="b">The right vector.</param>
    /// <returns>The matrix a bᵀ.</returns>
    public static Tensor Outer(this Tensor a, Tensor b) => TensorModule.outer(a, b);

    /// <summary>X with A·X = B, over leading batch dimensions broadcast as in matmul.</summary>
    /// <param name="a">The square matrix A, or a batch of them <c>[..., n, n]</c>.</param>
    /// <param name="b">The right-hand side B: a vector, a batch of vectors (A's shape without its last dimension) or a batch of matrices <c>[..., n, k]</c>.</param>
    /// <returns>The solution X.</returns>
    public static Tensor Solve(this Tensor a, Tensor b) => TensorModule.solve(a, b);

    /// <summary>A⁻¹, of each matrix of a batch.</summary>
    /// <param name="a">A square matrix or a batch of them <c>[..., n, n]</c>.</param>
    /// <returns>The inverse.</returns>
    public static Tensor Inverse(this Tensor a) => TensorModule.inverse(a);

    /// <summary>det A, of each matrix of a batch; the gradient (the transposed adjugate) is defined at singular matrices too.</summary>
    /// <param name="a">A square matrix or a batch of them <c>[..., n, n]</c>.</param>
    /// <returns>A scalar, or a tensor of the batch shape.</returns>
    public static Tensor Det(this Tensor a) => TensorModule.det(a);

    /// <summary>log |det A| of a non-singular matrix, or of each matrix of a batch.</summary>
    /// <param name="a">A square matrix or a batch of them <c>[..., n, n]</c>.</param>
    /// <returns>A scalar, or a tensor of the batch shape.</returns>
    public static Tensor LogDet(this Tensor a) => TensorModule.logDet(a);

    /// <summary>The lower Cholesky factor of a symmetric positive-definite matrix, or of each matrix of a batch.</summary>
    /// <param name="a">A symmetric positive-definite matrix or a batch of them.</param>
    /// <returns>L with L Lᵀ = A.</returns>
    public static Tensor Cholesky(this Tensor a) => TensorModule.cholesky(a);

    /// <summary>The trace of a square matrix.</summary>
    /// <param name="a">A square matrix.</param>
    /// <returns>A scalar.</returns>
    public static Tensor Trace(this Tensor a) => TensorModule.trace(a);

    /// <summary>A vector's diagonal matrix, or a square matrix's diagonal.</summary>
    /// <param name="x">A vector or a square matrix.</param>
    /// <returns>The diagonal matrix or the diagonal.</returns>
    public static Tensor Diag(this Tensor x) => TensorModule.diag(x);

    // ---- conversions -----------------------------------------------------------------------

    /// <summary>The single element of a one-element tensor (PyTorch's <c>item()</c>).</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The element.</returns>
    public static double Item(this Tensor x) => x.ToScalar();

    /// <summary>A MathNet matrix (a copy) of a rank-2 tensor.</summary>
    /// <param name="x">A matrix.</param>
    /// <returns>The matrix.</returns>
    public static Matrix<double> ToMatrix(this Tensor x) => TensorModule.toMatrix(x);

    /// <summary>A MathNet float32 matrix (a copy) of a rank-2 tensor; float64 elements are rounded.</summary>
    /// <param name="x">A matrix.</param>
    /// <returns>The matrix.</returns>
    public static Matrix<float> ToMatrix32(this Tensor x) => TensorModule.toMatrix32(x);

    /// <summary>A MathNet vector (a copy) of the elements in row-major order.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>The vector.</returns>
    public static Vector<double> ToVector(this Tensor x) => TensorModule.toVector(x);

    /// <summary>A 2-D array of a rank-2 tensor's elements.</summary>
    /// <param name="x">A matrix.</param>
    /// <returns>The array.</returns>
    public static double[,] ToArray2D(this Tensor x) => TensorModule.toArray2D(x);

    /// <summary>The tensor with elements of <paramref name="dtype"/>: rounded to nearest when
    /// narrowing, <paramref name="x"/> itself when it has them. Differentiable: the gradient is
    /// cast back to <paramref name="x"/>'s type.</summary>
    /// <param name="x">The tensor.</param>
    /// <param name="dtype">The element type of the result.</param>
    /// <returns>The converted tensor.</returns>
    public static Tensor Cast(this Tensor x, DType dtype) => TensorModule.cast(dtype, x);

    /// <summary>The tensor wrapped for display. A tensor already renders as an HTML table in Polyglot Notebooks (the core's <c>Tensor.ToHtml()</c>); the view keeps older notebooks working.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>A view whose notebook rendering is a table.</returns>
    public static TensorView Show(this Tensor x) => new(x);
}
