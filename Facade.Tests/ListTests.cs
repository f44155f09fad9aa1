namespace FunctionalAD.Facade.Tests;

/// <summary>Grad, ValueAndGrad, Jvp, Vjp, Jacobian and Hessian of functions of any number of tensors.</summary>
public class ListTests
{
    // A three-layer perceptron's loss over its six parameter tensors (W1, b1, W2, b2, W3, b3).
    private static readonly Tensor Inputs = new[,] { { 0.5, -1.0 }, { 1.5, 0.25 }, { -0.75, 2.0 } };
    private static readonly Tensor Targets = new[] { 1.0, -0.5, 0.25 };

    private static Tensor MlpLoss(Tensor[] p)
    {
        var h1 = Inputs.MatMul(p[0]).Add(p[1]).Tanh();
        var h2 = h1.MatMul(p[2]).Add(p[3]).Tanh();
        return (h2.MatMul(p[4]).Add(p[5]) - Targets).Square().Mean();
    }

    private static Tensor[] MlpParameters() =>
        [ML.Init.Glorot(1, 2, 4), Tensors.Zeros(4), ML.Init.Glorot(2, 4, 3), Tensors.Zeros(3), ML.Init.Glorot(3, 3, 1).Reshape(3), 0.1];

    [Fact]
    public void Gradients_of_six_parameter_tensors_match_each_tensors_own_gradient()
    {
        var parameters = MlpParameters();
        var (value, gradients) = AD.ValueAndGrad((Func<Tensor[], Tensor>)MlpLoss)(parameters);
        Approx.Equal(MlpLoss(parameters).Item(), value);
        Assert.Equal(6, gradients.Length);
        for (var k = 0; k < parameters.Length; k++)
        {
            var only = k;
            var alone = AD.Grad((Tensor t) => MlpLoss([.. parameters.Select((q, i) => i == only ? t : q)]))(parameters[only]);
            Approx.Equal(alone, gradients[k]);
            Approx.Equal(AD.NumericalGradient(t => MlpLoss([.. parameters.Select((q, i) => i == only ? t : q)]), parameters[only]), gradients[k], 1e-6);
        }
        // The returned function takes any list, and Grad agrees with ValueAndGrad.
        var fromList = AD.Grad((Func<Tensor[], Tensor>)MlpLoss)(new List<Tensor>(parameters));
        for (var k = 0; k < parameters.Length; k++) Approx.Equal(gradients[k], fromList[k]);
    }

    [Fact]
    public void Argnums_choose_and_order_the_tensors_of_the_list()
    {
        var f = (Tensor[] p) => (p[0] * p[1]).Sum() + p[2].Square().Sum();
        Tensor[] point = [new[] { 1.0, 2.0 }, new[] { 3.0, -1.0 }, new[] { 0.5, 4.0 }];
        var chosen = AD.Grad(f, 2, 0)(point);
        Assert.Equal(2, chosen.Length);
        Approx.Equal([1.0, 8.0], chosen[0]);
        Approx.Equal([3.0, -1.0], chosen[1]);
        var (value, all) = AD.ValueAndGrad(f)(point);
        Approx.Equal(3 - 2 + 0.25 + 16, value);
        Approx.Equal([1.0, 2.0], all[1]);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => AD.Grad(f, 3)(point));
        Assert.Contains("argument 3 does not exist; the function takes 3 tensors", error.Message);
        Assert.Throws<ArgumentNullException>(() => AD.Grad(f)(null!));
    }

    [Fact]
    public void Jvp_and_Vjp_take_lists_of_tensors()
    {
        var f = (Tensor[] p) => (p[0] * p[1]).Sum();
        Tensor a = new[] { 1.0, 2.0 }, b = new[] { 3.0, -1.0 };
        var (value, tangent) = AD.Jvp(f, [a, b], [new[] { 1.0, 0.0 }, new[] { 0.0, 2.0 }]);
        Approx.Equal(1, value);
        Approx.Equal(3 * 1 + 2 * 2, tangent); // u·b + a·v
        var (_, pullback) = AD.Vjp(f, [a, b]);
        var cotangents = pullback(2.0);
        Approx.Equal([6.0, -2.0], cotangents[0]);
        Approx.Equal([2.0, 4.0], cotangents[1]);
        Assert.Throws<ArgumentException>(() => AD.Jvp(f, [a, b], [a]));
    }

    [Fact]
    public void Jacobian_blocks_are_the_partial_Jacobians_in_every_mode()
    {
        var f = (Tensor[] p) => p[0] * p[1].Exp();
        Tensor x = new[] { 1.0, 2.0, 3.0 }, y = new[] { 0.5, -1.0, 0.0 };
        foreach (var mode in new[] { JacobianMode.Auto, JacobianMode.Forward, JacobianMode.Reverse })
        {
            var blocks = AD.Jacobian(f, mode)([x, y]);
            Assert.Equal(2, blocks.Length);
            Approx.Equal(y.Exp().Diag(), blocks[0], 1e-14);
            Approx.Equal((x * y.Exp()).Diag(), blocks[1], 1e-14);
        }
    }

    [Fact]
    public void Hessian_blocks_by_pair_give_the_joint_Hessian_of_x_and_A()
    {
        // f(x, A) = xᵀ A x: H_xx = A + Aᵀ, H_AA = 0, H_xA[i, j, k] = δᵢⱼ x_k + x_j δᵢₖ.
        var f = (Tensor[] p) => (p[0] * p[1].MatMul(p[0])).Sum();
        Tensor x = new[] { 0.5, -2.0 };
        Tensor a = new[,] { { 1.0, 3.0 }, { -1.0, 4.0 } };
        var h = AD.Hessian(f)([x, a]);
        Approx.Equal(new[,] { { 2.0, 2.0 }, { 2.0, 8.0 } }, h[0][0]);
        Assert.Equal([2, 2, 2], h[0][1].Shape);
        Approx.Equal([1.0, -2.0, -2.0, 0.0, 0.0, 0.5, 0.5, -4.0], h[0][1]);
        Assert.Equal([2, 2, 2], h[1][0].Shape);
        Approx.Equal(Tensors.Zeros(2, 2, 2, 2), h[1][1]);
        // argnums: only A's block, and the blocks in the chosen order.
        var onlyA = AD.Hessian(f, 1)([x, a]);
        Approx.Equal(h[1][1], Assert.Single(Assert.Single(onlyA)));
        var swapped = AD.Hessian(f, 1, 0)([x, a]);
        Approx.Equal(h[0][0], swapped[1][1]);
        Approx.Equal(h[1][0], swapped[0][1]);
        Assert.Contains("AD.Hessian: the list must hold at least one tensor", Assert.Throws<ArgumentException>(() => AD.Hessian(f)([])).Message);
        Assert.Contains("AD.Jacobian: the list must hold at least one tensor", Assert.Throws<ArgumentException>(() => AD.Jacobian(f)([])).Message);
    }

    [Fact]
    public void A_lambda_that_fits_one_tensor_keeps_the_single_tensor_meaning()
    {
        Func<Tensor, Tensor> single = AD.Grad(p => p[0] * p[1]);
        Approx.Equal([5.0, 2.0], single(new[] { 2.0, 5.0 }));
        Func<IReadOnlyList<Tensor>, Tensor[]> list = AD.Grad((Tensor[] p) => p[0] * p[1]);
        Assert.Equal(2, list([2.0, 5.0]).Length);
    }
}
