using Microsoft.FSharp.Core;

namespace FunctionalAD.Facade.Tests;

/// <summary>Forward and reverse mode, Jacobians, Hessians, and agreement with the F# core.</summary>
public class ModeTests
{
    // f(x) = [x0·x1, sin x0, x1²]: J = [[x1, x0], [cos x0, 0], [0, 2 x1]].
    private static Tensor F(Tensor x) => Tensors.Stack(0, x[0] * x[1], x[0].Sin(), x[1].Square());

    private static readonly Tensor X = new[] { 0.4, -1.3 };

    private static double[] ClosedJacobian => [-1.3, 0.4, Math.Cos(0.4), 0, 0, -2.6];

    [Fact]
    public void Jacobians_in_every_mode_match_the_closed_form()
    {
        foreach (var mode in new[] { JacobianMode.Auto, JacobianMode.Forward, JacobianMode.Reverse })
        {
            var j = AD.Jacobian(F, mode)(X);
            Assert.Equal([3, 2], j.Shape);
            Approx.Equal(ClosedJacobian, j);
        }
        Approx.Equal(ClosedJacobian, AD.Jacobian(F)(X));
        Approx.Equal(ClosedJacobian, AD.JacFwd(F)(X));
        Approx.Equal(ClosedJacobian, AD.JacRev(F)(X));
    }

    [Fact]
    public void Jvp_Vjp_and_Linearize_are_products_with_the_Jacobian()
    {
        Tensor v = new[] { 2.0, 3.0 };
        var jv = Enumerable.Range(0, 3).Select(i => ClosedJacobian[2 * i] * 2 + ClosedJacobian[2 * i + 1] * 3).ToArray();
        var (value, tangent) = AD.Jvp(F, X, v);
        Approx.Equal(F(X), value);
        Approx.Equal(jv, tangent);

        var (_, pushforward) = AD.Linearize(F, X);
        Approx.Equal(jv, pushforward(v));

        Tensor u = new[] { 1.0, -1.0, 0.5 };
        var (_, pullback) = AD.Vjp(F, X);
        var jtu = Enumerable.Range(0, 2).Select(k => ClosedJacobian[k] * 1 - ClosedJacobian[2 + k] + ClosedJacobian[4 + k] * 0.5).ToArray();
        Approx.Equal(jtu, pullback(u));
        Approx.Equal(jtu, pullback(u)); // a pullback can be called again
    }

    [Fact]
    public void Two_argument_Jvp_and_Vjp_use_tuples()
    {
        Func<Tensor, Tensor, Tensor> f = (x, y) => x * y.Exp();
        var (value, tangent) = AD.Jvp(f, (2.0, 0.0), (1.0, 1.0));
        Approx.Equal(2, value);
        Approx.Equal(1 + 2, tangent); // e^y + x e^y at (2, 0)

        var (_, pullback) = AD.Vjp(f, 2, 0);
        var (gx, gy) = pullback(3.0);
        Approx.Equal(3, gx);
        Approx.Equal(6, gy);
    }

    [Fact]
    public void Three_and_four_argument_Jvp_and_Vjp_use_tuples()
    {
        // f = x·y·z: ∂f = (yz, xz, xy) = (6, 3, 2) at (1, 2, 3)
        Func<Tensor, Tensor, Tensor, Tensor> f = (x, y, z) => x * y * z;
        var (value, tangent) = AD.Jvp(f, (1.0, 2.0, 3.0), (1.0, 10.0, 100.0));
        Approx.Equal(6, value);
        Approx.Equal(6 + 30 + 200, tangent);
        var (_, pullback) = AD.Vjp(f, 1, 2, 3);
        var (gx, gy, gz) = pullback(2.0);
        Approx.Equal(12, gx);
        Approx.Equal(6, gy);
        Approx.Equal(4, gz);

        // g = a·b + c·sin d: ∂g = (b, a, sin d, c cos d) at (1, 2, 3, 0) = (2, 1, 0, 3)
        Func<Tensor, Tensor, Tensor, Tensor, Tensor> g = (a, b, c, d) => a * b + c * d.Sin();
        var (value4, tangent4) = AD.Jvp(g, (1.0, 2.0, 3.0, 0.0), (1.0, 1.0, 1.0, 1.0));
        Approx.Equal(2, value4);
        Approx.Equal(2 + 1 + 0 + 3, tangent4);
        var (_, pullback4) = AD.Vjp(g, 1, 2, 3, 0);
        var (g1, g2, g3, g4) = pullback4(1.0);
        Approx.Equal(2, g1);
        Approx.Equal(1, g2);
        Approx.Equal(0, g3);
        Approx.Equal(3, g4);
    }

    [Fact]
    public void Hessian_and_Hvp_match_the_closed_form()
    {
        // f = x0² x1 + x1³: H = [[2 x1, 2 x0], [2 x0, 6 x1]].
        Func<Tensor, Tensor> f = x => x[0].Square() * x[1] + x[1].Pow(3);
        Tensor x = new[] { 1.5, -0.5 };
        var h = AD.Hessian(f)(x);
        Assert.Equal([2, 2], h.Shape);
        Approx.Equal(new[] { -1.0, 3.0, 3.0, -3.0 }, h);
        Approx.Equal(new[] { -1.0 * 2 + 3 * 1, 3.0 * 2 - 3 * 1 }, AD.Hvp(f, x, new[] { 2.0, 1.0 }));
    }

    [Fact]
    public void Facade_and_core_give_identical_results()
    {
        Func<Tensor, Tensor> f = x => (x.Sin() * x.Exp()).Sum() + x.Square().Mean().Log();
        var x = Tensors.RandomNormal(7, 5);
        var core = FSharpFunc<Tensor, Tensor>.FromConverter(new Converter<Tensor, Tensor>(f));
        Assert.Equal(ADModule.grad(core, x).ToArray(), AD.Grad(f)(x).ToArray());
        Assert.Equal(ADModule.hessian(core, x).ToArray(), AD.Hessian(f)(x).ToArray());
        Assert.Equal(ADModule.jacobian(core, x).ToArray(), AD.Jacobian(f)(x).ToArray());
        Assert.Equal(ADModule.valueAndGrad(core, x).Item1.ToScalar(), AD.ValueAndGrad(f)(x).Value.ToScalar());
    }
}
