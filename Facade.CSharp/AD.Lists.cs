using System.Runtime.CompilerServices;
using static FunctionalAD.Interop;

namespace FunctionalAD;

public static partial class AD
{
    // Functions of any number of tensors take them as one Tensor[] (a model's parameter list, say)
    // and reach the core as functions of that array structure. The returned delegates accept any
    // IReadOnlyList<Tensor> (an array, a List<Tensor>). These overloads rank below the fixed-arity
    // ones, so a lambda that fits both (x => x[0] * x[1]) keeps its existing single-tensor meaning;
    // write the parameter's type, (Tensor[] p) => ..., to choose the list form.

    private static Tensor[] ListArgument(IReadOnlyList<Tensor> tensors, string argument)
    {
        ArgumentNullException.ThrowIfNull(tensors, argument);
        return tensors.ToArray();
    }

    /// <summary>A Jacobian or Hessian in blocks needs at least one block.</summary>
    private static Tensor[] NonEmptyListArgument(IReadOnlyList<Tensor> tensors, string operation)
    {
        var array = ListArgument(tensors, "args");
        if (array.Length == 0) throw new ArgumentException($"AD.{operation}: the list must hold at least one tensor.", "args");
        return array;
    }

    /// <summary>The gradients of a scalar function of a list of tensors with respect to every tensor of the list.</summary>
    /// <param name="f">A function of the tensors, returning a one-element tensor; write its parameter type, <c>(Tensor[] p) =&gt; …</c>.</param>
    /// <returns>A function returning one gradient per tensor, each shaped like its tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    [OverloadResolutionPriority(-1)]
    public static Func<IReadOnlyList<Tensor>, Tensor[]> Grad(Func<Tensor[], Tensor> f)
    {
        var g = ValueAndGrad(f);
        return xs => g(xs).Gradients;
    }

    /// <summary>The gradients of a scalar function of a list of tensors with respect to the chosen tensors.</summary>
    /// <param name="f">A function of the tensors, returning a one-element tensor.</param>
    /// <param name="argnums">The positions in the list to differentiate; the others are constants.</param>
    /// <returns>A function returning one gradient per chosen tensor, in the order of <paramref name="argnums"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">When called: a position outside the list.</exception>
    [OverloadResolutionPriority(-1)]
    public static Func<IReadOnlyList<Tensor>, Tensor[]> Grad(Func<Tensor[], Tensor> f, params int[] argnums)
    {
        var g = ValueAndGrad(f, argnums);
        return xs => g(xs).Gradients;
    }

    /// <summary>The value of a scalar function of a list of tensors and its gradients with respect to every tensor (one traced evaluation).</summary>
    /// <param name="f">A function of the tensors, returning a one-element tensor.</param>
    /// <returns>A function returning the value and one gradient per tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    [OverloadResolutionPriority(-1)]
    public static Func<IReadOnlyList<Tensor>, (Tensor Value, Tensor[] Gradients)> ValueAndGrad(Func<Tensor[], Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var core = Fs(f);
        return xs =>
        {
            var result = ADModule.valueAndGrad(core, ListArgument(xs, "args"));
            return (result.Item1, result.Item2);
        };
    }

    /// <summary>The value of a scalar function of a list of tensors and its gradients with respect to the chosen tensors.</summary>
    /// <param name="f">A function of the tensors, returning a one-element tensor.</param>
    /// <param name="argnums">The positions in the list to differentiate; the others are constants.</param>
    /// <returns>A function returning the value and one gradient per chosen tensor.</returns>
    /// <exception cref="ArgumentOutOfRangeException">When called: a position outside the list.</exception>
    [OverloadResolutionPriority(-1)]
    public static Func<IReadOnlyList<Tensor>, (Tensor Value, Tensor[] Gradients)> ValueAndGrad(Func<Tensor[], Tensor> f, params int[] argnums)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(argnums);
        return xs =>
        {
            var args = ListArgument(xs, "args");
            return ValueAndGradOfArgs(nameof(ValueAndGrad), f, args.Length, argnums)(args);
        };
    }

    /// <summary>Forward mode for a function of a list of tensors: the value and the directional derivative J·v.</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point, a list of tensors.</param>
    /// <param name="v">The tangents, one per tensor of <paramref name="x"/> and shaped like it.</param>
    /// <returns>(f(x), J(x)·v).</returns>
    /// <exception cref="ArgumentException"><paramref name="v"/> has another length or shapes than <paramref name="x"/>.</exception>
    [OverloadResolutionPriority(-1)]
    public static (Tensor Value, Tensor Tangent) Jvp(Func<Tensor[], Tensor> f, IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> v)
    {
        ArgumentNullException.ThrowIfNull(f);
        var result = ADModule.jvp(Fs(f), ListArgument(x, nameof(x)), ListArgument(v, nameof(v)));
        return (result.Item1, result.Item2);
    }

    /// <summary>Reverse mode for a function of a list of tensors: the value and the pullback u ↦ (J₁ᵀu, …, Jₙᵀu).</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point, a list of tensors.</param>
    /// <returns>The value and a pullback returning one cotangent per tensor of <paramref name="x"/>; it can be called many times.</returns>
    [OverloadResolutionPriority(-1)]
    public static (Tensor Value, Func<Tensor, Tensor[]> Pullback) Vjp(Func<Tensor[], Tensor> f, IReadOnlyList<Tensor> x)
    {
        ArgumentNullException.ThrowIfNull(f);
        var result = ADModule.vjp(Fs(f), ListArgument(x, nameof(x)));
        var pullback = result.Item2;
        return (result.Item1, u => pullback.Invoke(u));
    }

    /// <summary>
    /// The Jacobian of a function of a list of tensors in blocks, one per tensor: block j is
    /// ∂f/∂xⱼ, shaped as the output's shape followed by xⱼ's shape.
    /// </summary>
    /// <param name="f">The function.</param>
    /// <param name="mode">Forward (one sweep per input element), Reverse (one per output element) or Auto (the fewer); default Auto.</param>
    /// <returns>A function returning one block per tensor.</returns>
    [OverloadResolutionPriority(-1)]
    public static Func<IReadOnlyList<Tensor>, Tensor[]> Jacobian(Func<Tensor[], Tensor> f, JacobianMode? mode = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        var core = Fs<Tensor[], Tensor[]>(xs => [f(xs)]);
        var chosen = mode ?? JacobianMode.Auto;
        Func<Microsoft.FSharp.Core.FSharpFunc<Tensor[], Tensor[]>, Tensor[], Tensor[][]> jacobian =
            chosen.IsForward ? ADModule.jacfwdArgs : chosen.IsReverse ? ADModule.jacrevArgs : ADModule.jacobianArgs;
        return xs => jacobian(core, NonEmptyListArgument(xs, nameof(Jacobian)))[0];
    }

    /// <summary>
    /// The Hessian of a scalar function of a list of tensors in blocks by pairs (as jax.hessian
    /// with argnums): block [i][j] is ∂²f/∂xᵢ∂xⱼ, shaped as xᵢ's shape followed by xⱼ's shape;
    /// forward-over-reverse.
    /// </summary>
    /// <param name="f">A function of the tensors, returning a one-element tensor.</param>
    /// <returns>A function returning the blocks, one row of blocks per tensor.</returns>
    [OverloadResolutionPriority(-1)]
    public static Func<IReadOnlyList<Tensor>, Tensor[][]> Hessian(Func<Tensor[], Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var core = Fs(f);
        return xs => ADModule.hessianArgs(core, NonEmptyListArgument(xs, nameof(Hessian)));
    }

    /// <summary>The Hessian blocks of a scalar function of a list of tensors for the chosen tensors only: block [a][b] is ∂²f/∂x_{argnums[a]}∂x_{argnums[b]}.</summary>
    /// <param name="f">A function of the tensors, returning a one-element tensor.</param>
    /// <param name="argnums">The positions in the list to differentiate; the others are constants.</param>
    /// <returns>A function returning the blocks for the chosen tensors, in the order of <paramref name="argnums"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException">When called: a position outside the list.</exception>
    [OverloadResolutionPriority(-1)]
    public static Func<IReadOnlyList<Tensor>, Tensor[][]> Hessian(Func<Tensor[], Tensor> f, params int[] argnums)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(argnums);
        return xs =>
        {
            var args = NonEmptyListArgument(xs, nameof(Hessian));
            var chosen = Guard.Argnums(nameof(Hessian), argnums, args.Length);
            return ADModule.hessianArgs(Fs<Tensor[], Tensor>(picked => f(Substituted(args, chosen, picked))), chosen.Select(i => args[i]).ToArray());
        };
    }
}
