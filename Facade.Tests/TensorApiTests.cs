namespace FunctionalAD.Facade.Tests;

/// <summary>Fluent methods, factories, operators and conversions from C#.</summary>
public class TensorApiTests
{
    private static readonly Tensor M = new[,] { { 1.0, 2.0, 3.0 }, { 4.0, 5.0, 6.0 } };

    [Fact]
    public void Operators_and_implicit_conversions_work_from_CSharp()
    {
        Tensor x = new[] { -1.0, 2.0 };
        Approx.Equal(new[] { -1.0, 5.0 }, 2 * x + 1);
        Approx.Equal(new[] { 0.0, 1.0 }, x > 0);
        Approx.Equal(new[] { 1.0, 0.0 }, x <= 0.5);
        Approx.Equal(new[] { 0.5, 1.0 }, 1 / (x * x) * (-x).Abs() * 0.5 * (x * x));
        Approx.Equal(new[] { 4.0, 5.0, 6.0 }, M[1]);
    }

    [Fact]
    public void Fluent_layer_matches_a_hand_computation()
    {
        Tensor w = new[] { 0.5, -1.0, 2.0 };
        Tensor b = new[] { 0.1, 0.2 };
        var y = M.MatMul(w).Add(b).Tanh().Sum();
        Approx.Equal(Math.Tanh(0.5 - 2 + 6 + 0.1) + Math.Tanh(2 - 5 + 12 + 0.2), y);
    }

    [Fact]
    public void Elementwise_methods_match_Math()
    {
        Tensor x = new[] { 0.5, 1.5 };
        double[] Map(Func<double, double> f) => [f(0.5), f(1.5)];
        Approx.Equal(Map(Math.Exp), x.Exp());
        Approx.Equal(Map(Math.Log), x.Log());
        Approx.Equal(Map(Math.Sqrt), x.Sqrt());
        Approx.Equal(Map(Math.Sin), x.Sin());
        Approx.Equal(Map(Math.Cos), x.Cos());
        Approx.Equal(Map(Math.Tanh), x.Tanh());
        Approx.Equal(Map(v => 1 / (1 + Math.Exp(-v))), x.Sigmoid());
        Approx.Equal(Map(v => Math.Log(1 + Math.Exp(v))), x.Softplus());
        Approx.Equal(Map(v => v * v * v), x.Pow(3));
        Approx.Equal(Map(v => Math.Pow(v, v)), x.Pow(x));
        Approx.Equal(Map(v => v * v), x.Square());
        Approx.Equal(new[] { 0.0, 0.5 }, (x - 1).Relu());
        Approx.Equal(new[] { -0.5, -1.5 }, x.Sub(1).Add(1).Mul(2).Div(2).Neg());
        Approx.Equal(new[] { 0.5, 0.0 }, (x < 1).Where(x, 0));
        Approx.Equal(new[] { 0.5, 1.5 }, (-x).Abs());
        Approx.Equal(new[] { 0.6, 1.0 }, x.Clamp(0.6, 1.0));
        Approx.Equal(new[] { 0.5, 1.0 }, x.Minimum(1.0));
        Approx.Equal(new[] { 1.0, 1.5 }, x.Maximum(1.0));
    }

    [Fact]
    public void Reductions_over_all_elements_and_axes()
    {
        Approx.Equal(21, M.Sum());
        Approx.Equal(new[] { 5.0, 7.0, 9.0 }, M.Sum(0));
        Assert.Equal([2, 1], M.Sum(1, keepDims: true).Shape);
        Approx.Equal(new[] { 6.0, 15.0 }, M.Sum([1]));
        Approx.Equal(3.5, M.Mean());
        Approx.Equal(new[] { 2.0, 5.0 }, M.Mean(-1));
        Approx.Equal(720, M.Prod());
        Approx.Equal(new[] { 6.0, 120.0 }, M.Prod(1));
        Approx.Equal(6, M.Max());
        Approx.Equal(new[] { 4.0, 5.0, 6.0 }, M.Max(0));
        Approx.Equal(1, M.Min());
        Approx.Equal(new[] { 1.0, 4.0 }, M.Min([1]));
        Approx.Equal(Math.Log(Enumerable.Range(1, 6).Sum(i => Math.Exp(i))), M.LogSumExp());
        Approx.Equal(new[] { 1.0, 1.0 }, M.Softmax().Sum(1));
        Approx.Equal(M.Softmax().Log(), M.LogSoftmax());
        Approx.Equal(M.LogSumExp(1), M.Exp().Sum(1).Log());
    }

    [Fact]
    public void Layout_methods_take_CSharp_ranges_and_indices()
    {
        Approx.Equal(new[] { 2.0, 3.0, 5.0, 6.0 }, M.Slice(.., 1..));
        Approx.Equal(new[] { 4.0, 5.0, 6.0 }, M.Slice(^1..));
        Assert.Equal([1, 3], M.Slice(^1..).Shape);
        Approx.Equal(new[] { 1.0, 3.0, 4.0, 6.0 }, M.Slice(1, 0, 3, 2));
        Approx.Equal(new[] { 2.0, 5.0 }, M.Index(1, 1));
        Approx.Equal(new[] { 3.0, 1.0, 6.0, 4.0 }, M.Gather(1, 2, 0));
        Assert.Equal([3, 2], M.Transpose().Shape);
        Approx.Equal(new[] { 1.0, 4.0, 2.0, 5.0, 3.0, 6.0 }, M.Permute(1, 0));
        Assert.Equal([3, 2], M.Reshape(3, -1).Shape);
        Assert.Equal([6], M.Flatten().Shape);
        Assert.Equal([2, 1, 3], M.ExpandDims(1).Shape);
        Assert.Equal([4, 2, 3], M.BroadcastTo(4, 2, 3).Shape);
    }

    [Fact]
    public void Linear_algebra_methods_solve_known_systems()
    {
        Tensor a = new[,] { { 4.0, 2.0 }, { 2.0, 3.0 } };
        Tensor b = new[] { 2.0, 1.0 };
        Approx.Equal(new[] { 0.5, 0.0 }, a.Solve(b));
        Approx.Equal(8, a.Det());
        Approx.Equal(Math.Log(8), a.LogDet());
        Approx.Equal(new[] { 3 / 8.0, -2 / 8.0, -2 / 8.0, 4 / 8.0 }, a.Inverse());
        var l = a.Cholesky();
        Approx.Equal(a, l.MatMul(l.Transpose()));
        Approx.Equal(7, a.Trace());
        Approx.Equal(new[] { 4.0, 3.0 }, a.Diag());
        Approx.Equal(5, b.Dot(b));
        Approx.Equal(new[] { 4.0, 2.0, 2.0, 1.0 }, b.Outer(b));
        Approx.Equal(Tensors.Einsum("ij,j->i", a, b), a.MatMul(b));
    }

    [Fact]
    public void Factories_and_conversions_round_trip()
    {
        Assert.Equal([2, 3], Tensors.Zeros(2, 3).Shape);
        Approx.Equal(new[] { 1.0, 1.0 }, Tensors.Ones(2));
        Approx.Equal(new[] { 7.0, 7.0 }, Tensors.Full(7, 2));
        Approx.Equal(new[] { 1.0, 0.0, 0.0, 1.0 }, Tensors.Eye(2));
        Approx.Equal(new[] { 0.0, 1.0, 2.0 }, Tensors.Arange(3));
        Approx.Equal(new[] { 0.0, 0.5, 1.0 }, Tensors.Linspace(0, 1, 3));
        Approx.Equal(Tensors.RandomNormal(3, 4), Tensors.RandomNormal(3, 4));
        Assert.All(Tensors.RandomUniform(1, 2, 3, 100).ToArray(), v => Assert.InRange(v, 2, 3));
        Approx.Equal(new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0 }, Tensors.FromArray([1.0, 2, 3, 4, 5, 6], 3, 2).Flatten());
        Approx.Equal(M, Tensors.FromMatrix(M.ToMatrix()));
        Approx.Equal(M.Flatten(), Tensors.FromVector(M.ToVector()));
        Approx.Equal(M, Tensors.FromArray(M.ToArray2D()));
        Assert.Equal(6.0, M.ToMatrix()[1, 2]);
        Assert.Equal(2.5, Tensors.Scalar(2.5).Item());
        Approx.Equal(new[] { 1.0, 2.0, 3.0, 1.0, 2.0, 3.0 }, Tensors.Concat(0, Tensors.Vector(1, 2, 3), Tensors.Vector(1, 2, 3)));
        Assert.Equal([2, 3], Tensors.Stack(0, Tensors.Vector(1, 2, 3), Tensors.Vector(1, 2, 3)).Shape);
        Approx.Equal(new[] { 1.0, 0.0 }, Tensors.Where(Tensors.Vector(1, 0), 1, 0));
        Approx.Equal(Tensors.ZerosLike(M), Tensors.OnesLike(M) - 1);
    }
}
