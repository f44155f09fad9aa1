namespace FunctionalAD.Facade.Tests;

/// <summary>Bad input fails early with .NET exceptions naming the argument and the shapes.</summary>
public class ValidationTests
{
    private static Tensor Sum3(Tensor a, Tensor b, Tensor c) => a + b + c;

    [Fact]
    public void Null_functions_are_rejected_by_name()
    {
        Assert.Equal("f", Assert.Throws<ArgumentNullException>(() => AD.Grad((Func<Tensor, Tensor>)null!)).ParamName);
        Assert.Equal("f", Assert.Throws<ArgumentNullException>(() => AD.Hessian(null!)).ParamName);
        Assert.Equal("vjp", Assert.Throws<ArgumentNullException>(() => AD.CustomVjp("r", x => x, null!)).ParamName);
    }

    [Fact]
    public void Bad_argnums_are_rejected_before_tracing()
    {
        Func<Tensor, Tensor, Tensor, Tensor> f = Sum3;
        var outOfRange = Assert.Throws<ArgumentOutOfRangeException>(() => AD.Grad(f, 3));
        Assert.Equal("argnums", outOfRange.ParamName);
        Assert.Contains("takes 3 tensors", outOfRange.Message);
        Assert.Equal("argnums", Assert.Throws<ArgumentOutOfRangeException>(() => AD.Grad(f, -1)).ParamName);
        Assert.Equal("argnums", Assert.Throws<ArgumentException>(() => AD.Grad(f, 0, 0)).ParamName);
        Assert.Equal("argnums", Assert.Throws<ArgumentException>(() => AD.ValueAndGrad(f, argnums: [])).ParamName);
    }

    [Fact]
    public void Non_scalar_functions_cannot_be_Grad_differentiated()
    {
        var e = Assert.Throws<ArgumentException>(() => AD.Grad(x => x * 2)(new[] { 1.0, 2.0 }));
        Assert.Contains("[2]", e.Message);
    }

    [Fact]
    public void Shape_mismatches_name_the_shapes()
    {
        var matmul = Assert.ThrowsAny<ArgumentException>(() => Tensors.Ones(2, 3).MatMul(Tensors.Ones(2, 3)));
        Assert.Contains("2", matmul.Message);
        Assert.Contains("3", matmul.Message);
        Assert.ThrowsAny<ArgumentException>(() => AD.Jvp(x => x, new[] { 1.0, 2.0 }, new[] { 1.0 }));
        var slice = Assert.Throws<ArgumentException>(() => Tensors.Ones(2).Slice(.., ..));
        Assert.Equal("ranges", slice.ParamName);
        Assert.Contains("[2]", slice.Message);
        Assert.Equal("ranges", Assert.Throws<ArgumentException>(() => Tensors.Ones(2).Slice(0..5)).ParamName);
        Assert.Equal("data", Assert.Throws<ArgumentException>(() => Tensors.FromArray(new double[5], 2, 3)).ParamName);
    }

    [Fact]
    public void Invalid_numbers_are_rejected_by_name()
    {
        var negative = Assert.Throws<ShapeMismatchException>(() => Tensors.Zeros(2, -1));
        Assert.Equal("shape", negative.ParamName);
        Assert.StartsWith("zeros:", negative.Message);
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => AD.NthDerivative(x => x, -1)).ParamName);
        Assert.Equal("step", Assert.Throws<ArgumentOutOfRangeException>(() => AD.NumericalGradient(x => x.Sum(), new[] { 1.0 }, step: 0)).ParamName);
        Assert.Equal("min", Assert.Throws<ArgumentException>(() => Tensors.Ones(2).Clamp(1, 0)).ParamName);
        var step = Assert.Throws<ArgumentOutOfRangeException>(() => Tensors.Ones(4).Slice(0, 0, 4, 0));
        Assert.Equal("step", step.ParamName);
        Assert.StartsWith("Slice:", step.Message);
        Assert.Equal("jvp", Assert.Throws<ArgumentException>(() => AD.CustomFunction("r", xs => xs[0])).ParamName);
    }
}
