using Microsoft.FSharp.Core;
using static FunctionalAD.Interop;

namespace FunctionalAD;

public static partial class AD
{
    /// <summary>
    /// A function of one tensor with a user-defined reverse-mode rule (JAX's custom_vjp). The rule is
    /// written with tensor operations, so it is differentiable in turn; forward mode and Hessians work too.
    /// </summary>
    /// <param name="name">The name shown in listings and error messages.</param>
    /// <param name="f">The function (evaluated on plain values).</param>
    /// <param name="vjp">The rule (x, y, ȳ) ↦ x̄: the cotangent of x given the output y = f(x) and the output's cotangent ȳ.</param>
    /// <returns>f with the rule attached.</returns>
    public static Func<Tensor, Tensor> CustomVjp(string name, Func<Tensor, Tensor> f, Func<Tensor, Tensor, Tensor, Tensor> vjp)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(vjp);
        var custom = global::FunctionalAD.Custom.withVjp(name, Fs(f), Curry(vjp));
        return x => custom.Invoke(x);
    }

    /// <summary>
    /// A function of one tensor with a user-defined forward-mode rule (JAX's custom_jvp); reverse mode
    /// is derived from it (exactly, at the cost of one JVP per input element).
    /// </summary>
    /// <param name="name">The name shown in listings and error messages.</param>
    /// <param name="f">The function (evaluated on plain values).</param>
    /// <param name="jvp">The rule (x, y, ẋ) ↦ ẏ: the output tangent given the input tangent ẋ.</param>
    /// <returns>f with the rule attached.</returns>
    public static Func<Tensor, Tensor> CustomJvp(string name, Func<Tensor, Tensor> f, Func<Tensor, Tensor, Tensor, Tensor> jvp)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(jvp);
        var custom = global::FunctionalAD.Custom.withJvp(name, Fs(f), Curry(jvp));
        return x => custom.Invoke(x);
    }

    /// <summary>A function of several tensors with user-defined rules; give at least one of the two.</summary>
    /// <param name="name">The name shown in listings and error messages.</param>
    /// <param name="f">The function of the inputs (evaluated on plain values).</param>
    /// <param name="jvp">Optional forward rule (inputs, output, input tangents) ↦ output tangent.</param>
    /// <param name="vjp">Optional reverse rule (inputs, output, output cotangent) ↦ one cotangent per input.</param>
    /// <returns>f with the rules attached.</returns>
    /// <exception cref="ArgumentException">Neither rule is given.</exception>
    public static Func<Tensor[], Tensor> CustomFunction(
        string name,
        Func<Tensor[], Tensor> f,
        Func<Tensor[], Tensor, Tensor[], Tensor>? jvp = null,
        Func<Tensor[], Tensor, Tensor, Tensor[]>? vjp = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(f);
        if (jvp is null && vjp is null)
            throw new ArgumentException($"{name}: give at least one derivative rule (jvp or vjp).", nameof(jvp));
        var rules = new global::FunctionalAD.Custom.Rules(
            jvp is null ? FSharpOption<FSharpFunc<Tensor[], FSharpFunc<Tensor, FSharpFunc<Tensor[], Tensor>>>>.None : Curry(jvp),
            vjp is null ? FSharpOption<FSharpFunc<Tensor[], FSharpFunc<Tensor, FSharpFunc<Tensor, Tensor[]>>>>.None : Curry(vjp));
        var custom = global::FunctionalAD.Custom.define(name, Fs(f), rules);
        return xs => custom.Invoke(xs);
    }
}
