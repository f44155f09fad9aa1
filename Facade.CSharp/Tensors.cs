using MathNet.Numerics.LinearAlgebra;

namespace FunctionalAD;

/// <summary>Creating tensors: <c>Tensors.Zeros(2, 3)</c>, <c>Tensors.Vector(1, 2, 3)</c>, <c>Tensors.RandomNormal(seed: 42, 3, 4)</c>.</summary>
public static class Tensors
{
    /// <summary>A rank-0 tensor.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The scalar tensor.</returns>
    public static Tensor Scalar(double value) => TensorModule.scalar(value);

    /// <summary>A vector of the given values (copied).</summary>
    /// <param name="values">The elements.</param>
    /// <returns>The vector.</returns>
    public static Tensor Vector(params double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return TensorModule.ofArray(values);
    }

    /// <summary>A vector holding a copy of the array.</summary>
    /// <param name="values">The elements.</param>
    /// <returns>The vector.</returns>
    public static Tensor FromArray(double[] values) => Vector(values);

    /// <summary>A matrix holding a copy of the 2-D array.</summary>
    /// <param name="values">The elements, [row, column].</param>
    /// <returns>The matrix.</returns>
    public static Tensor FromArray(double[,] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return TensorModule.ofArray2D(values);
    }

    /// <summary>A tensor of any shape from row-major data (copied).</summary>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="shape">The shape; its product must equal the data length.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    public static Tensor FromArray(double[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        var s = Guard.Shape(shape, nameof(shape));
        var size = s.Aggregate(1L, (acc, d) => acc * d);
        if (size != data.Length)
            throw new ArgumentException($"FromArray: shape {Guard.Format(s)} holds {size} elements but {data.Length} were given.", nameof(data));
        return TensorModule.create(s, data);
    }

    /// <summary>A float32 vector holding a copy of the array.</summary>
    /// <param name="values">The elements.</param>
    /// <returns>The vector, of type <see cref="DType.Float32"/>.</returns>
    public static Tensor FromArray(float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return TensorModule.ofArray32(values);
    }

    /// <summary>A float32 tensor of any shape from row-major data (copied).</summary>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="shape">The shape; its product must equal the data length.</param>
    /// <returns>The tensor, of type <see cref="DType.Float32"/>.</returns>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        return TensorModule.create32(Guard.Shape(shape, nameof(shape)), data);
    }

    /// <summary>A matrix from a MathNet matrix.</summary>
    /// <param name="matrix">The matrix.</param>
    /// <returns>The tensor.</returns>
    public static Tensor FromMatrix(Matrix<double> matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        return TensorModule.ofMatrix(matrix);
    }

    /// <summary>A float32 matrix from a MathNet float32 matrix.</summary>
    /// <param name="matrix">The matrix.</param>
    /// <returns>The tensor, of type <see cref="DType.Float32"/>.</returns>
    public static Tensor FromMatrix(Matrix<float> matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        return TensorModule.ofMatrix32(matrix);
    }

    /// <summary>A vector from a MathNet vector.</summary>
    /// <param name="vector">The vector.</param>
    /// <returns>The tensor.</returns>
    public static Tensor FromVector(Vector<double> vector)
    {
        ArgumentNullException.ThrowIfNull(vector);
        return TensorModule.ofVector(vector);
    }

    /// <summary>Zeros of the given shape.</summary>
    /// <param name="shape">The shape.</param>
    /// <returns>The tensor.</returns>
    public static Tensor Zeros(params int[] shape) => TensorModule.zeros(Guard.Shape(shape, nameof(shape)));

    /// <summary>Ones of the given shape.</summary>
    /// <param name="shape">The shape.</param>
    /// <returns>The tensor.</returns>
    public static Tensor Ones(params int[] shape) => TensorModule.ones(Guard.Shape(shape, nameof(shape)));

    /// <summary>Zeros of the given element type and shape.</summary>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The shape.</param>
    /// <returns>The tensor.</returns>
    public static Tensor Zeros(DType dtype, params int[] shape) => TensorModule.zerosOf(dtype, Guard.Shape(shape, nameof(shape)));

    /// <summary>Ones of the given element type and shape.</summary>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The shape.</param>
    /// <returns>The tensor.</returns>
    public static Tensor Ones(DType dtype, params int[] shape) => TensorModule.onesOf(dtype, Guard.Shape(shape, nameof(shape)));

    /// <summary>A tensor of the given shape filled with one value.</summary>
    /// <param name="value">The value.</param>
    /// <param name="shape">The shape.</param>
    /// <returns>The tensor.</returns>
    public static Tensor Full(double value, params int[] shape) => TensorModule.full(Guard.Shape(shape, nameof(shape)), value);

    /// <summary>Zeros shaped like <paramref name="x"/>.</summary>
    /// <param name="x">The template.</param>
    /// <returns>The tensor.</returns>
    public static Tensor ZerosLike(Tensor x) => TensorModule.zerosLike(x);

    /// <summary>Ones shaped like <paramref name="x"/>.</summary>
    /// <param name="x">The template.</param>
    /// <returns>The tensor.</returns>
    public static Tensor OnesLike(Tensor x) => TensorModule.onesLike(x);

    /// <summary>The n×n identity matrix.</summary>
    /// <param name="n">The size, at least 0.</param>
    /// <returns>The identity.</returns>
    public static Tensor Eye(int n) => TensorModule.eye(n);

    /// <summary>0, 1, …, n − 1.</summary>
    /// <param name="n">The count, at least 0.</param>
    /// <returns>The vector.</returns>
    public static Tensor Arange(int n) => TensorModule.arange(n);

    /// <summary><paramref name="count"/> evenly spaced values from <paramref name="start"/> to <paramref name="stop"/> inclusive.</summary>
    /// <param name="start">The first value.</param>
    /// <param name="stop">The last value.</param>
    /// <param name="count">The number of values, at least 0.</param>
    /// <returns>The vector.</returns>
    public static Tensor Linspace(double start, double stop, int count) => TensorModule.linspace(start, stop, count);

    /// <summary>Standard normal samples from a seeded generator (reproducible).</summary>
    /// <param name="seed">The seed.</param>
    /// <param name="shape">The shape.</param>
    /// <returns>The tensor.</returns>
    public static Tensor RandomNormal(int seed, params int[] shape) => TensorModule.randomNormal(seed, Guard.Shape(shape, nameof(shape)));

    /// <summary>Uniform samples in [<paramref name="low"/>, <paramref name="high"/>) from a seeded generator.</summary>
    /// <param name="seed">The seed.</param>
    /// <param name="low">The lower bound.</param>
    /// <param name="high">The upper bound.</param>
    /// <param name="shape">The shape.</param>
    /// <returns>The tensor.</returns>
    public static Tensor RandomUniform(int seed, double low, double high, params int[] shape)
    {
        if (!(low <= high)) throw new ArgumentException($"RandomUniform: low ({low}) must not exceed high ({high}).", nameof(low));
        return TensorModule.randomUniform(seed, low, high, Guard.Shape(shape, nameof(shape)));
    }

    /// <summary>Joins tensors along an existing axis.</summary>
    /// <param name="axis">The axis.</param>
    /// <param name="parts">The tensors, at least one.</param>
    /// <returns>The concatenation.</returns>
    public static Tensor Concat(int axis, params Tensor[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return TensorModule.concat(axis, parts);
    }

    /// <summary>Stacks tensors of one shape along a new axis.</summary>
    /// <param name="axis">The new axis.</param>
    /// <param name="parts">The tensors, at least one.</param>
    /// <returns>The stack.</returns>
    public static Tensor Stack(int axis, params Tensor[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return TensorModule.stack(axis, parts);
    }

    /// <summary>
    /// Einstein summation, e.g. <c>Tensors.Einsum("ij,jk->ik", a, b)</c>; <c>...</c> stands for
    /// the axes an operand's letters leave, broadcast between operands as in NumPy
    /// (<c>"...ij,...jk->...ik"</c> is a batched product).
    /// </summary>
    /// <param name="spec">The subscripts.</param>
    /// <param name="operands">The tensors.</param>
    /// <returns>The result.</returns>
    public static Tensor Einsum(string spec, params Tensor[] operands)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(operands);
        return TensorModule.einsum(spec, operands);
    }

    /// <summary>Where: <paramref name="whenTrue"/> where <paramref name="condition"/> is non-zero, else <paramref name="whenFalse"/>.</summary>
    /// <param name="condition">A mask.</param>
    /// <param name="whenTrue">Values where the mask is non-zero.</param>
    /// <param name="whenFalse">Values where the mask is zero.</param>
    /// <returns>The selection.</returns>
    public static Tensor Where(Tensor condition, Tensor whenTrue, Tensor whenFalse) => TensorModule.where(condition, whenTrue, whenFalse);
}
