using Microsoft.FSharp.Core;
using static FunctionalAD.Interop;

namespace FunctionalAD;

public static partial class AD
{
    private static FSharpOption<int>[] Axes(params int?[] axes) =>
        axes.Select(a => a.HasValue ? FSharpOption<int>.Some(a.Value) : FSharpOption<int>.None).ToArray();

    /// <summary>
    /// <paramref name="f"/> mapped over the examples of a batch (<c>jax.vmap</c>): the function is traced once on one
    /// example and rewritten into one program on the whole batch, so <c>AD.Vmap(AD.Grad(loss))</c> gives per-example
    /// gradients in a few large operations. It composes with every other transform in both orders.
    /// </summary>
    /// <param name="f">The function of one example.</param>
    /// <param name="inAxis">The axis of the input that holds the examples (negative counts from the end).</param>
    /// <param name="outAxis">Where the output gets the batch axis.</param>
    /// <returns>xs ↦ the results for every example, stacked along <paramref name="outAxis"/>.</returns>
    public static Func<Tensor, Tensor> Vmap(Func<Tensor, Tensor> f, int inAxis = 0, int outAxis = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        var core = Fs(f);
        var (inAxes, outAxes) = (Axes(inAxis), Axes(outAxis));
        return xs => ADModule.vmapWith(inAxes, outAxes, core, xs);
    }

    /// <summary><paramref name="f"/> of two tensors mapped over a batch; an input whose axis is null is the same for every example.</summary>
    /// <param name="f">The function of one example.</param>
    /// <param name="inAxisX">The batch axis of the first input, or null for an input shared by every example.</param>
    /// <param name="inAxisY">The batch axis of the second input, or null.</param>
    /// <param name="outAxis">Where the output gets the batch axis.</param>
    /// <returns>(x, y) ↦ the results for every example.</returns>
    public static Func<Tensor, Tensor, Tensor> Vmap(Func<Tensor, Tensor, Tensor> f, int? inAxisX = 0, int? inAxisY = 0, int outAxis = 0)
    {
        var core = OfPair(f);
        var (inAxes, outAxes) = (Axes(inAxisX, inAxisY), Axes(outAxis));
        return (x, y) => ADModule.vmapWith(inAxes, outAxes, core, (x, y));
    }

    /// <summary><paramref name="f"/> of any number of tensors mapped over a batch.</summary>
    /// <param name="f">The function of one example's tensors.</param>
    /// <param name="inAxes">The batch axis of each input (null for an input shared by every example); one entry applies to all.</param>
    /// <param name="outAxis">Where the output gets the batch axis.</param>
    /// <returns>The inputs ↦ the results for every example.</returns>
    public static Func<Tensor[], Tensor> Vmap(Func<Tensor[], Tensor> f, int?[] inAxes, int outAxis = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inAxes);
        var core = Fs(f);
        var (axes, outAxes) = (Axes(inAxes), Axes(outAxis));
        return xs => ADModule.vmapWith(axes, outAxes, core, xs);
    }
}
