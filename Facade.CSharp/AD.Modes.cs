using System.Runtime.CompilerServices;
using static FunctionalAD.Interop;

namespace FunctionalAD;

public static partial class AD
{
    // Functions of two or three tensors reach the core as functions of one (x, y) value tuple: the core's
    // structures (Tree) accept C# tuples, so tangents and cotangents come back as tuples too.
    private static Microsoft.FSharp.Core.FSharpFunc<(Tensor, Tensor), Tensor> OfPair(Func<Tensor, Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Fs<(Tensor, Tensor), Tensor>(p => f(p.Item1, p.Item2));
    }

    private static Microsoft.FSharp.Core.FSharpFunc<(Tensor, Tensor, Tensor), Tensor> OfTriple(Func<Tensor, Tensor, Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Fs<(Tensor, Tensor, Tensor), Tensor>(p => f(p.Item1, p.Item2, p.Item3));
    }

    private static Microsoft.FSharp.Core.FSharpFunc<(Tensor, Tensor, Tensor, Tensor), Tensor> OfQuadruple(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Fs<(Tensor, Tensor, Tensor, Tensor), Tensor>(p => f(p.Item1, p.Item2, p.Item3, p.Item4));
    }

    /// <summary>Forward mode: the value of <paramref name="f"/> at <paramref name="x"/> and the directional derivative J·v.</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point.</param>
    /// <param name="v">The tangent (direction), shaped like <paramref name="x"/>.</param>
    /// <returns>(f(x), J(x)·v).</returns>
    /// <exception cref="ArgumentException"><paramref name="v"/>'s shape differs from <paramref name="x"/>'s.</exception>
    public static (Tensor Value, Tensor Tangent) Jvp(Func<Tensor, Tensor> f, Tensor x, Tensor v)
    {
        ArgumentNullException.ThrowIfNull(f);
        var result = ADModule.jvp(Fs(f), x, v);
        return (result.Item1, result.Item2);
    }

    /// <summary>Forward mode for a function of two tensors: the value and J·(vx, vy).</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point, one tensor per argument.</param>
    /// <param name="v">The tangents, shaped like <paramref name="x"/>.</param>
    /// <returns>(f(x), the directional derivative).</returns>
    public static (Tensor Value, Tensor Tangent) Jvp(Func<Tensor, Tensor, Tensor> f, (Tensor, Tensor) x, (Tensor, Tensor) v)
    {
        var result = ADModule.jvp(OfPair(f), x, v);
        return (result.Item1, result.Item2);
    }

    /// <summary>Forward mode for a function of three tensors: the value and J·(vx, vy, vz).</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point, one tensor per argument.</param>
    /// <param name="v">The tangents, shaped like <paramref name="x"/>.</param>
    /// <returns>(f(x), the directional derivative).</returns>
    public static (Tensor Value, Tensor Tangent) Jvp(Func<Tensor, Tensor, Tensor, Tensor> f, (Tensor, Tensor, Tensor) x, (Tensor, Tensor, Tensor) v)
    {
        var result = ADModule.jvp(OfTriple(f), x, v);
        return (result.Item1, result.Item2);
    }

    /// <summary>Forward mode for a function of four tensors: the value and J·(v1, v2, v3, v4).</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point, one tensor per argument.</param>
    /// <param name="v">The tangents, shaped like <paramref name="x"/>.</param>
    /// <returns>(f(x), the directional derivative).</returns>
    public static (Tensor Value, Tensor Tangent) Jvp(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, (Tensor, Tensor, Tensor, Tensor) x, (Tensor, Tensor, Tensor, Tensor) v)
    {
        var result = ADModule.jvp(OfQuadruple(f), x, v);
        return (result.Item1, result.Item2);
    }

    /// <summary>Reverse mode: the value of <paramref name="f"/> at <paramref name="x"/> and its pullback u ↦ Jᵀu.</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point.</param>
    /// <returns>The value and a pullback that can be called many times (cotangents shaped like the value).</returns>
    public static (Tensor Value, Func<Tensor, Tensor> Pullback) Vjp(Func<Tensor, Tensor> f, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(f);
        var result = ADModule.vjp(Fs(f), x);
        var pullback = result.Item2;
        return (result.Item1, u => pullback.Invoke(u));
    }

    /// <summary>Reverse mode for a function of two tensors: the value and the pullback u ↦ (Jₓᵀu, Jᵧᵀu).</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The first argument.</param>
    /// <param name="y">The second argument.</param>
    /// <returns>The value and a pullback returning one cotangent per argument.</returns>
    public static (Tensor Value, Func<Tensor, (Tensor, Tensor)> Pullback) Vjp(Func<Tensor, Tensor, Tensor> f, Tensor x, Tensor y)
    {
        var result = ADModule.vjp(OfPair(f), (x, y));
        var pullback = result.Item2;
        return (result.Item1, u => pullback.Invoke(u));
    }

    /// <summary>Reverse mode for a function of three tensors: the value and the pullback u ↦ (Jₓᵀu, Jᵧᵀu, J_zᵀu).</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The first argument.</param>
    /// <param name="y">The second argument.</param>
    /// <param name="z">The third argument.</param>
    /// <returns>The value and a pullback returning one cotangent per argument.</returns>
    public static (Tensor Value, Func<Tensor, (Tensor, Tensor, Tensor)> Pullback) Vjp(Func<Tensor, Tensor, Tensor, Tensor> f, Tensor x, Tensor y, Tensor z)
    {
        var result = ADModule.vjp(OfTriple(f), (x, y, z));
        var pullback = result.Item2;
        return (result.Item1, u => pullback.Invoke(u));
    }

    /// <summary>Reverse mode for a function of four tensors: the value and the pullback returning one cotangent per argument.</summary>
    /// <param name="f">The function.</param>
    /// <param name="x1">The first argument.</param>
    /// <param name="x2">The second argument.</param>
    /// <param name="x3">The third argument.</param>
    /// <param name="x4">The fourth argument.</param>
    /// <returns>The value and a pullback returning one cotangent per argument.</returns>
    public static (Tensor Value, Func<Tensor, (Tensor, Tensor, Tensor, Tensor)> Pullback) Vjp(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, Tensor x1, Tensor x2, Tensor x3, Tensor x4)
    {
        var result = ADModule.vjp(OfQuadruple(f), (x1, x2, x3, x4));
        var pullback = result.Item2;
        return (result.Item1, u => pullback.Invoke(u));
    }

    /// <summary>The value of <paramref name="f"/> at <paramref name="x"/> and the linear map v ↦ J·v, reusing one recorded graph for every v.</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point.</param>
    /// <returns>The value and the pushforward.</returns>
    public static (Tensor Value, Func<Tensor, Tensor> Pushforward) Linearize(Func<Tensor, Tensor> f, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(f);
        var result = ADModule.linearize(Fs(f), x);
        var pushforward = result.Item2;
        return (result.Item1, v => pushforward.Invoke(v));
    }

    /// <summary>The Jacobian as a function; its shape is the output shape followed by the input shape.</summary>
    /// <param name="f">The function.</param>
    /// <param name="mode">Forward (one sweep per input element), Reverse (one per output element) or Auto (the fewer); default Auto.</param>
    /// <returns>x ↦ J(x).</returns>
    public static Func<Tensor, Tensor> Jacobian(Func<Tensor, Tensor> f, JacobianMode? mode = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        var core = Fs(f);
        var chosen = mode ?? JacobianMode.Auto;
        return x => ADModule.jacobianWith(chosen, core, x);
    }

    /// <summary>The Jacobian by forward mode (one forward sweep per input element).</summary>
    /// <param name="f">The function.</param>
    /// <returns>x ↦ J(x).</returns>
    public static Func<Tensor, Tensor> JacFwd(Func<Tensor, Tensor> f) => Jacobian(f, JacobianMode.Forward);

    /// <summary>The Jacobian by reverse mode (one reverse sweep per output element).</summary>
    /// <param name="f">The function.</param>
    /// <returns>x ↦ J(x).</returns>
    public static Func<Tensor, Tensor> JacRev(Func<Tensor, Tensor> f) => Jacobian(f, JacobianMode.Reverse);

    /// <summary>The Hessian of a scalar function (input shape followed by input shape), forward-over-reverse.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <returns>x ↦ H(x).</returns>
    [OverloadResolutionPriority(1)] // see AD.Expressions.cs
    public static Func<Tensor, Tensor> Hessian(Func<Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var core = Fs(f);
        return x => ADModule.hessian(core, x);
    }

    /// <summary>The Hessian-vector product H(x)·v of a scalar function, without forming H.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <param name="x">The point.</param>
    /// <param name="v">The vector, shaped like <paramref name="x"/>.</param>
    /// <returns>H(x)·v, shaped like <paramref name="x"/>.</returns>
    public static Tensor Hvp(Func<Tensor, Tensor> f, Tensor x, Tensor v)
    {
        ArgumentNullException.ThrowIfNull(f);
        return ADModule.hvp(Fs(f), x, v);
    }

    /// <summary>The derivative of a function of a scalar (elementwise for an elementwise function), by forward mode.</summary>
    /// <param name="f">The function.</param>
    /// <returns>x ↦ f′(x); it can be differentiated again.</returns>
    [OverloadResolutionPriority(1)] // see AD.Expressions.cs
    public static Func<Tensor, Tensor> Derivative(Func<Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var core = Fs(f);
        return x => ADModule.derivative(core, x);
    }

    /// <summary>The n-th derivative of a function of a scalar (n = 0 gives the function itself).</summary>
    /// <param name="f">The function.</param>
    /// <param name="n">The order, at least 0.</param>
    /// <returns>x ↦ f⁽ⁿ⁾(x).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public static Func<Tensor, Tensor> NthDerivative(Func<Tensor, Tensor> f, int n)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var derivative = ADModule.nthDerivative(n, Fs(f));
        return x => derivative.Invoke(x);
    }

    /// <summary>The same value with its derivative blocked: every transform treats it as a constant.</summary>
    /// <param name="x">The tensor.</param>
    /// <returns>x, without derivative history.</returns>
    public static Tensor StopGradient(Tensor x) => ADModule.stopGradient(x);
}
