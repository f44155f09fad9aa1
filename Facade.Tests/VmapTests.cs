namespace FunctionalAD.Facade.Tests;

/// <summary>AD.Vmap from C#: per-example gradients, shared inputs, axes, and the new primitives.</summary>
public class VmapTests
{
    private static readonly Tensor Batch = new double[,] { { 0.5, -1.0, 2.0 }, { 1.5, 0.25, -0.75 }, { -2.0, 1.0, 0.1 }, { 0.3, 0.3, 0.3 } };

    [Fact]
    public void Vmap_of_grad_gives_per_example_gradients()
    {
        Tensor w = new[] { 0.2, -0.4, 0.1 };
        // Per example: ∇_w (x·w)² = 2 (x·w) x.
        var perExample = AD.Vmap(x => AD.Grad((Tensor v) => x.Dot(v).Square())(w))(Batch);
        Assert.Equal(new[] { 4, 3 }, perExample.Shape);
        for (var b = 0; b < 4; b++)
        {
            var x = Batch.Index(0, b);
            Approx.Equal(2 * x.Dot(w).ToScalar() * x, perExample.Index(0, b));
        }
    }

    [Fact]
    public void Shared_inputs_and_axes_follow_jax_vmap()
    {
        Tensor w = new[] { 1.0, 2.0, 3.0 };
        var dots = AD.Vmap((Tensor x, Tensor v) => x.Dot(v), inAxisX: 0, inAxisY: null)(Batch, w);
        Approx.Equal(Batch.MatMul(w), dots);
        var columns = AD.Vmap(x => x.Sum(), inAxis: 1)(Batch);
        Approx.Equal(Batch.Sum(0), columns);
        var many = AD.Vmap(xs => xs[0] * xs[1], [0, null])([Batch, w]);
        Approx.Equal(Batch * w, many);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => AD.Vmap(x => x, inAxis: 3)(Batch));
        Assert.Contains("vmap", error.Message);
    }

    [Fact]
    public void Erf_atan_and_atan2_have_their_closed_form_derivatives()
    {
        Approx.Equal(2 / Math.Sqrt(Math.PI) * Math.Exp(-0.49), AD.Grad((Tensor x) => x.Erf())(0.7));
        Approx.Equal(1 / 1.49, AD.Grad((Tensor x) => x.Atan())(0.7));
        var (gy, gx) = AD.Grad((Tensor y, Tensor x) => Tensor.Atan2(y, x))(-0.4, 1.3);
        Approx.Equal(1.3 / 1.85, gy);
        Approx.Equal(0.4 / 1.85, gx);
    }
}
