using static FunctionalAD.Interop;

namespace FunctionalAD;

public static partial class AD
{
    /// <summary>Traces <paramref name="f"/> at <paramref name="x"/> into a <see cref="ComputationGraph"/> (listing, DOT, SVG).</summary>
    /// <param name="f">The function; derivatives such as <c>AD.Grad(f)</c> can be traced too.</param>
    /// <param name="x">The point (fixes the shapes and any branches on values).</param>
    /// <returns>The graph.</returns>
    public static ComputationGraph Trace(Func<Tensor, Tensor> f, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new ComputationGraph(Inspect.trace(Fs(f), x));
    }

    /// <summary>Traces a function of two tensors.</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The first argument (v0 in the listing).</param>
    /// <param name="y">The second argument (v1).</param>
    /// <returns>The graph.</returns>
    public static ComputationGraph Trace(Func<Tensor, Tensor, Tensor> f, Tensor x, Tensor y) =>
        new(Inspect.trace(OfPair(f), (x, y)));

    /// <summary>Traces a function of three tensors.</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The first argument (v0 in the listing).</param>
    /// <param name="y">The second argument (v1).</param>
    /// <param name="z">The third argument (v2).</param>
    /// <returns>The graph.</returns>
    public static ComputationGraph Trace(Func<Tensor, Tensor, Tensor, Tensor> f, Tensor x, Tensor y, Tensor z)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new ComputationGraph(Inspect.trace(Fs<(Tensor, Tensor, Tensor), Tensor>(p => f(p.Item1, p.Item2, p.Item3)), (x, y, z)));
    }

    /// <summary>The numbered listing of <paramref name="f"/> at <paramref name="x"/>, e.g. <c>v1 = -3.5 * v0</c>.</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point.</param>
    /// <returns>One operation a line, outputs last.</returns>
    public static string Listing(Func<Tensor, Tensor> f, Tensor x) => Trace(f, x).Listing;

    /// <summary><paramref name="f"/> at <paramref name="x"/> as Graphviz DOT source.</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point.</param>
    /// <returns>A <c>digraph</c>.</returns>
    public static string Dot(Func<Tensor, Tensor> f, Tensor x) => Trace(f, x).Dot;

    /// <summary>The number of operations <paramref name="f"/> performs at <paramref name="x"/> (for derivatives: <c>OperationCount(AD.Grad(f), x)</c>).</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point.</param>
    /// <returns>The number of primitive applications.</returns>
    public static int OperationCount(Func<Tensor, Tensor> f, Tensor x) => Trace(f, x).OperationCount;

    /// <summary>The forward/backward table of a scalar function of one tensor at <paramref name="x"/>.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <param name="x">The point.</param>
    /// <returns>Values, local derivatives and adjoints of every node.</returns>
    public static Explanation Explain(Func<Tensor, Tensor> f, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new Explanation(FunctionalAD.Explain.table(Fs(f), x));
    }

    /// <summary>The forward/backward table of a scalar function of two tensors.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <param name="x">The first argument (v0).</param>
    /// <param name="y">The second argument (v1).</param>
    /// <returns>Values, local derivatives and adjoints of every node.</returns>
    public static Explanation Explain(Func<Tensor, Tensor, Tensor> f, Tensor x, Tensor y) =>
        new(FunctionalAD.Explain.table(OfPair(f), (x, y)));

    /// <summary>The forward/backward table of a scalar function of three tensors.</summary>
    /// <param name="f">A function returning a one-element tensor.</param>
    /// <param name="x">The first argument (v0).</param>
    /// <param name="y">The second argument (v1).</param>
    /// <param name="z">The third argument (v2).</param>
    /// <returns>Values, local derivatives and adjoints of every node.</returns>
    public static Explanation Explain(Func<Tensor, Tensor, Tensor, Tensor> f, Tensor x, Tensor y, Tensor z)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new Explanation(FunctionalAD.Explain.table(Fs<(Tensor, Tensor, Tensor), Tensor>(p => f(p.Item1, p.Item2, p.Item3)), (x, y, z)));
    }
}
