using System.Runtime.CompilerServices;
using static FunctionalAD.Interop;

namespace FunctionalAD;

/// <summary>
/// Automatic differentiation for C#: each method takes a function (a delegate over tensors) and
/// returns its derivative as a delegate again, or evaluates a derivative at a point. The returned
/// delegates can be differentiated in turn (<c>AD.Grad(AD.Grad(f))</c>). Everything is computed
/// exactly by the FunctionalAD core; nothing here is a finite difference unless it says so.
/// </summary>
public static partial class AD
{
    // Functions of several tensors go to the core as functions of one Tensor[] structure; the
    // chosen arguments are substituted into a copy of the call's arguments, so unchosen ones stay
    // constants and carry no derivative work.
    private static Func<Tensor[], (Tensor Value, Tensor[] Gradients)> ValueAndGradOfArgs(
        string operation, Func<Tensor[], Tensor> f, int arity, int[] argnums)
    {
        var chosen = Guard.Argnums(operation, argnums, arity);
        return args =>
        {
            var picked = chosen.Select(i => args[i]).ToArray();
            var result = ADModule.valueAndGrad(Fs<Tensor[], Tensor>(variables => f(Substituted(args, chosen, variables))), picked);
            return (result.Item1, result.Item2);
        };
    }

    /// <summary>A copy of <paramref name="args"/> with the chosen positions replaced by <paramref name="variables"/>, in order.</summary>
    private static Tensor[] Substituted(Tensor[] args, int[] chosen, Tensor[] variables)
    {
        var full = (Tensor[])args.Clone();
        for (var k = 0; k < chosen.Length; k++) full[chosen[k]] = variables[k];
        return full;
    }

    private static int[] All(int arity) => Enumerable.Range(0, arity).ToArray();

    // ---- Grad ----------------------------------------------------------------------------

    /// <summary>The gradient of a scalar function of one tensor, as a function: <c>Grad(f)(x)</c> has x's shape.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <returns>x ↦ ∇f(x); it can be differentiated again.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    [OverloadResolutionPriority(1)] // see AD.Expressions.cs
    public static Func<Tensor, Tensor> Grad(Func<Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var core = Fs(f);
        return x => ADModule.grad(core, x);
    }

    /// <summary>The gradients of a scalar function of two tensors with respect to both.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <returns>(x, y) ↦ (∂f/∂x, ∂f/∂y).</returns>
    [OverloadResolutionPriority(1)] // see AD.Expressions.cs
    public static Func<Tensor, Tensor, (Tensor, Tensor)> Grad(Func<Tensor, Tensor, Tensor> f)
    {
        var g = ValueAndGrad(f);
        return (x, y) => g(x, y).Gradient;
    }

    /// <summary>The gradient of a scalar function of two tensors with respect to one of them.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <param name="argnum">The argument to differentiate (0 or 1).</param>
    /// <returns>(x, y) ↦ ∂f/∂(argument <paramref name="argnum"/>); it can be differentiated again.</returns>
    public static Func<Tensor, Tensor, Tensor> Grad(Func<Tensor, Tensor, Tensor> f, int argnum)
    {
        var g = Grad(f, [argnum]);
        return (x, y) => g(x, y)[0];
    }

    /// <summary>The gradients of a scalar function of two tensors with respect to the chosen arguments.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <param name="argnums">The arguments to differentiate, e.g. <c>AD.Grad(f, 0, 1)</c>.</param>
    /// <returns>A function returning one gradient per chosen argument, in the order of <paramref name="argnums"/>.</returns>
    public static Func<Tensor, Tensor, Tensor[]> Grad(Func<Tensor, Tensor, Tensor> f, params int[] argnums)
    {
        var g = ValueAndGrad(f, argnums);
        return (x, y) => g(x, y).Gradients;
    }

    /// <summary>The gradients of a scalar function of three tensors with respect to all three.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <returns>(x, y, z) ↦ (∂f/∂x, ∂f/∂y, ∂f/∂z).</returns>
    [OverloadResolutionPriority(1)] // see AD.Expressions.cs
    public static Func<Tensor, Tensor, Tensor, (Tensor, Tensor, Tensor)> Grad(Func<Tensor, Tensor, Tensor, Tensor> f)
    {
        var g = ValueAndGrad(f);
        return (x, y, z) => g(x, y, z).Gradient;
    }

    /// <summary>The gradient of a scalar function of three tensors with respect to one of them.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <param name="argnum">The argument to differentiate (0 to 2).</param>
    /// <returns>A function returning that argument's gradient; it can be differentiated again.</returns>
    public static Func<Tensor, Tensor, Tensor, Tensor> Grad(Func<Tensor, Tensor, Tensor, Tensor> f, int argnum)
    {
        var g = Grad(f, [argnum]);
        return (x, y, z) => g(x, y, z)[0];
    }

    /// <summary>The gradients of a scalar function of three tensors with respect to the chosen arguments.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <param name="argnums">The arguments to differentiate, e.g. <c>AD.Grad(f, 0, 2)</c>.</param>
    /// <returns>A function returning one gradient per chosen argument, in the order of <paramref name="argnums"/>.</returns>
    public static Func<Tensor, Tensor, Tensor, Tensor[]> Grad(Func<Tensor, Tensor, Tensor, Tensor> f, params int[] argnums)
    {
        var g = ValueAndGrad(f, argnums);
        return (x, y, z) => g(x, y, z).Gradients;
    }

    /// <summary>The gradients of a scalar function of four tensors with respect to all four.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <returns>(a, b, c, d) ↦ the four partial gradients.</returns>
    [OverloadResolutionPriority(1)] // see AD.Expressions.cs
    public static Func<Tensor, Tensor, Tensor, Tensor, (Tensor, Tensor, Tensor, Tensor)> Grad(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f)
    {
        var g = ValueAndGrad(f);
        return (a, b, c, d) => g(a, b, c, d).Gradient;
    }

    /// <summary>The gradient of a scalar function of four tensors with respect to one of them.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <param name="argnum">The argument to differentiate (0 to 3).</param>
    /// <returns>A function returning that argument's gradient; it can be differentiated again.</returns>
    public static Func<Tensor, Tensor, Tensor, Tensor, Tensor> Grad(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, int argnum)
    {
        var g = Grad(f, [argnum]);
        return (a, b, c, d) => g(a, b, c, d)[0];
    }

    /// <summary>The gradients of a scalar function of four tensors with respect to the chosen arguments.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <param name="argnums">The arguments to differentiate.</param>
    /// <returns>A function returning one gradient per chosen argument, in the order of <paramref name="argnums"/>.</returns>
    public static Func<Tensor, Tensor, Tensor, Tensor, Tensor[]> Grad(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, params int[] argnums)
    {
        var g = ValueAndGrad(f, argnums);
        return (a, b, c, d) => g(a, b, c, d).Gradients;
    }

    // ---- ValueAndGrad --------------------------------------------------------------------

    /// <summary>The value of a scalar function of one tensor together with its gradient (one traced evaluation).</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <returns>x ↦ (f(x), ∇f(x)).</returns>
    public static Func<Tensor, (Tensor Value, Tensor Gradient)> ValueAndGrad(Func<Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var core = Fs(f);
        return x =>
        {
            var result = ADModule.valueAndGrad(core, x);
            return (result.Item1, result.Item2);
        };
    }

    /// <summary>The value of a scalar function of two tensors and its gradients with respect to both.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <returns>(x, y) ↦ (f(x, y), (∂f/∂x, ∂f/∂y)); deconstruct with <c>var (loss, (gx, gy)) = ...</c>.</returns>
    public static Func<Tensor, Tensor, (Tensor Value, (Tensor, Tensor) Gradient)> ValueAndGrad(Func<Tensor, Tensor, Tensor> f)
    {
        var g = ValueAndGrad(f, All(2));
        return (x, y) =>
        {
            var (value, grads) = g(x, y);
            return (value, (grads[0], grads[1]));
        };
    }

    /// <summary>The value of a scalar function of two tensors and its gradients with respect to the chosen arguments.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <param name="argnums">The arguments to differentiate.</param>
    /// <returns>A function returning the value and one gradient per chosen argument.</returns>
    public static Func<Tensor, Tensor, (Tensor Value, Tensor[] Gradients)> ValueAndGrad(Func<Tensor, Tensor, Tensor> f, params int[] argnums)
    {
        ArgumentNullException.ThrowIfNull(f);
        var g = ValueAndGradOfArgs(nameof(ValueAndGrad), a => f(a[0], a[1]), 2, argnums);
        return (x, y) => g([x, y]);
    }

    /// <summary>The value of a scalar function of three tensors and its gradients with respect to all three.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <returns>(x, y, z) ↦ (f, (∂f/∂x, ∂f/∂y, ∂f/∂z)).</returns>
    public static Func<Tensor, Tensor, Tensor, (Tensor Value, (Tensor, Tensor, Tensor) Gradient)> ValueAndGrad(Func<Tensor, Tensor, Tensor, Tensor> f)
    {
        var g = ValueAndGrad(f, All(3));
        return (x, y, z) =>
        {
            var (value, grads) = g(x, y, z);
            return (value, (grads[0], grads[1], grads[2]));
        };
    }

    /// <summary>The value of a scalar function of three tensors and its gradients with respect to the chosen arguments.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <param name="argnums">The arguments to differentiate.</param>
    /// <returns>A function returning the value and one gradient per chosen argument.</returns>
    public static Func<Tensor, Tensor, Tensor, (Tensor Value, Tensor[] Gradients)> ValueAndGrad(Func<Tensor, Tensor, Tensor, Tensor> f, params int[] argnums)
    {
        ArgumentNullException.ThrowIfNull(f);
        var g = ValueAndGradOfArgs(nameof(ValueAndGrad), a => f(a[0], a[1], a[2]), 3, argnums);
        return (x, y, z) => g([x, y, z]);
    }

    /// <summary>The value of a scalar function of four tensors and its gradients with respect to all four.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <returns>(a, b, c, d) ↦ (f, the four partial gradients).</returns>
    public static Func<Tensor, Tensor, Tensor, Tensor, (Tensor Value, (Tensor, Tensor, Tensor, Tensor) Gradient)> ValueAndGrad(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f)
    {
        var g = ValueAndGrad(f, All(4));
        return (a, b, c, d) =>
        {
            var (value, grads) = g(a, b, c, d);
            return (value, (grads[0], grads[1], grads[2], grads[3]));
        };
    }

    /// <summary>The value of a scalar function of four tensors and its gradients with respect to the chosen arguments.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <param name="argnums">The arguments to differentiate.</param>
    /// <returns>A function returning the value and one gradient per chosen argument.</returns>
    public static Func<Tensor, Tensor, Tensor, Tensor, (Tensor Value, Tensor[] Gradients)> ValueAndGrad(Func<Tensor, Tensor, Tensor, Tensor, Tensor> f, params int[] argnums)
    {
        ArgumentNullException.ThrowIfNull(f);
        var g = ValueAndGradOfArgs(nameof(ValueAndGrad), a => f(a[0], a[1], a[2], a[3]), 4, argnums);
        return (a, b, c, d) => g([a, b, c, d]);
    }

    /// <summary>
    /// Like <see cref="ValueAndGrad(Func{Tensor, Tensor})"/> for a function that also returns auxiliary data
    /// (predictions, metrics), which is passed through without being differentiated.
    /// </summary>
    /// <typeparam name="TAux">The type of the auxiliary data.</typeparam>
    /// <param name="f">A function returning a one-element tensor and auxiliary data.</param>
    /// <returns>x ↦ (f's value, the auxiliary data, ∇f(x)).</returns>
    public static Func<Tensor, (Tensor Value, TAux Aux, Tensor Gradient)> ValueAndGradAux<TAux>(Func<Tensor, (Tensor Value, TAux Aux)> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var core = Fs<Tensor, Tuple<Tensor, TAux>>(x =>
        {
            var (value, aux) = f(x);
            return Tuple.Create(value, aux);
        });
        return x =>
        {
            var result = ADModule.valueAndGradAux(core, x);
            return (result.Item1.Item1, result.Item1.Item2, result.Item2);
        };
    }
}
