namespace FunctionalAD.Facade.Tests;

/// <summary>float32 tensors from C#: conversions, the element type, casts, promotion with double
/// constants, float32 gradients and compile in float32.</summary>
public class Float32Tests
{
    [Fact]
    public void A_float_array_converts_to_a_float32_tensor_and_back()
    {
        Tensor x = new[] { 1.5f, -2.25f, 3f };
        Assert.Equal(DType.Float32, x.DType);
        Assert.Equal(new[] { 1.5f, -2.25f, 3f }, x.ToArray32());
        Assert.Equal(new[] { 1.5, -2.25, 3.0 }, x.ToArray());
        Tensor y = new[] { 1.5, -2.25, 3.0 };
        Assert.Equal(DType.Float64, y.DType);
        var m = Tensors.FromArray(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3);
        Assert.Equal(DType.Float32, m.DType);
        Assert.Equal(new[] { 2, 3 }, m.Shape);
        Assert.Equal(DType.Float32, Tensors.Zeros(DType.Float32, 2, 2).DType);
        Assert.Equal(new[] { 1f, 1f }, Tensors.Ones(DType.Float32, 2).ToArray32());
        var matrix = MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.DenseOfArray(new[,] { { 1f, 2f }, { 3f, 4f } });
        Tensor fromMatrix = matrix;
        Assert.Equal(DType.Float32, fromMatrix.DType);
        Assert.Equal(new[] { 1f, 2f, 3f, 4f }, Tensors.FromMatrix(matrix).ToArray32());
        Assert.Equal(matrix, fromMatrix.ToMatrix32());
    }

    [Fact]
    public void Cast_rounds_to_float32_and_widens_back_exactly()
    {
        Tensor x = new[] { 0.1, 1.0 / 3.0 };
        var narrowed = x.Cast(DType.Float32);
        Assert.Equal(DType.Float32, narrowed.DType);
        Assert.Equal(new[] { (float)0.1, (float)(1.0 / 3.0) }, narrowed.ToArray32());
        Assert.Equal(new[] { (double)(float)0.1, (double)(float)(1.0 / 3.0) }, narrowed.Cast(DType.Float64).ToArray());
    }

    [Fact]
    public void Double_constants_keep_float32_tensors_float32_and_float64_tensors_promote()
    {
        Tensor x = new[] { 1f, 2f };
        Assert.Equal(DType.Float32, (x * 2.0).DType);
        Assert.Equal(DType.Float32, (1.0 - x).DType);
        Assert.Equal(DType.Float32, x.Maximum(0.5).DType);
        Tensor y = new[] { 3.0, 4.0 };
        Assert.Equal(DType.Float64, (x + y).DType);
        Assert.Equal(new[] { 4.0, 6.0 }, (x + y).ToArray());
    }

    [Fact]
    public void Gradients_of_float32_functions_are_float32()
    {
        Tensor x = new[] { 0.5f, -1.5f };
        var g = AD.Grad((Tensor t) => (t * t).Tanh().Sum())(x);
        Assert.Equal(DType.Float32, g.DType);
        var expected = AD.Grad((Tensor t) => (t * t).Tanh().Sum())(x.Cast(DType.Float64)).ToArray();
        var actual = g.ToArray();
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal((float)expected[i], (float)actual[i], 1e-6f);
    }

    [Fact]
    public void Compile_computes_a_float32_argument_in_float32()
    {
        var f = AD.Compile((Tensor t) => (t * t).Sum());
        var result = f(new[] { 1.5f, 2.25f });
        Assert.Equal(DType.Float32, result.DType);
        Assert.Equal(new[] { 1.5f * 1.5f + 2.25f * 2.25f }, result.ToArray32());
        Assert.Equal(5.0, f(new[] { 1.0, 2.0 }).Item());
    }
}
