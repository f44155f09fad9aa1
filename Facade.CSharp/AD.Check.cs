using Microsoft.FSharp.Collections;
using static FunctionalAD.Interop;

namespace FunctionalAD;

public static partial class AD
{
    private static GradCheckOptions CheckOptions(int order, bool forward, bool reverse, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 1);
        if (!forward && !reverse)
            throw new ArgumentException("Check: choose at least one mode (forward or reverse).", nameof(forward));
        var modes = new List<GradCheckMode>();
        if (forward) modes.Add(GradCheckMode.ForwardMode);
        if (reverse) modes.Add(GradCheckMode.ReverseMode);
        var d = GradCheckOptions.Default;
        return new GradCheckOptions(order, ListModule.OfSeq(modes), d.Directions, d.Step, d.RelativeTolerance, d.AbsoluteTolerance, d.RoundingGrowth, d.MaxElementChecks, seed);
    }

    /// <summary>
    /// Checks the derivatives of <paramref name="f"/> — and so of every custom rule inside it — at
    /// <paramref name="x"/>: forward mode (J·v) and reverse mode (Jᵀu) against central finite
    /// differences along random directions, the two modes against each other
    /// (⟨u, J·v⟩ = ⟨Jᵀu, v⟩), each input element for small inputs, and from order 2 the same
    /// checks one derivative higher plus the symmetry of second derivatives.
    /// </summary>
    /// <param name="f">The function (any output shape).</param>
    /// <param name="x">The point, plain values.</param>
    /// <param name="order">The highest derivative order checked, at least 1.</param>
    /// <param name="forward">Check forward mode.</param>
    /// <param name="reverse">Check reverse mode.</param>
    /// <param name="seed">Seed of the random directions: the same seed gives the same check.</param>
    /// <returns>The report: <c>Passed</c>, the number of comparisons, the worst one and every failure; <c>ToString()</c> describes it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="order"/> is below 1.</exception>
    /// <exception cref="ArgumentException">Neither mode is chosen, or <paramref name="x"/> is not finite.</exception>
    public static GradCheckReport Check(Func<Tensor, Tensor> f, Tensor x, int order = 1, bool forward = true, bool reverse = true, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        return GradCheck.checkWith(CheckOptions(order, forward, reverse, seed), Fs(f), x);
    }

    /// <summary>Checks the derivatives of a function of two tensors with respect to both (see <see cref="Check(Func{Tensor, Tensor}, Tensor, int, bool, bool, int)"/>).</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The first argument.</param>
    /// <param name="y">The second argument.</param>
    /// <param name="order">The highest derivative order checked, at least 1.</param>
    /// <param name="forward">Check forward mode.</param>
    /// <param name="reverse">Check reverse mode.</param>
    /// <param name="seed">Seed of the random directions.</param>
    /// <returns>The report.</returns>
    public static GradCheckReport Check(Func<Tensor, Tensor, Tensor> f, Tensor x, Tensor y, int order = 1, bool forward = true, bool reverse = true, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        return GradCheck.checkManyWith(CheckOptions(order, forward, reverse, seed), Fs<Tensor[], Tensor>(a => f(a[0], a[1])), [x, y]);
    }

    /// <summary>Checks the derivatives of a function of three tensors with respect to all three (see <see cref="Check(Func{Tensor, Tensor}, Tensor, int, bool, bool, int)"/>).</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The first argument.</param>
    /// <param name="y">The second argument.</param>
    /// <param name="z">The third argument.</param>
    /// <param name="order">The highest derivative order checked, at least 1.</param>
    /// <param name="forward">Check forward mode.</param>
    /// <param name="reverse">Check reverse mode.</param>
    /// <param name="seed">Seed of the random directions.</param>
    /// <returns>The report.</returns>
    public static GradCheckReport Check(Func<Tensor, Tensor, Tensor, Tensor> f, Tensor x, Tensor y, Tensor z, int order = 1, bool forward = true, bool reverse = true, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        return GradCheck.checkManyWith(CheckOptions(order, forward, reverse, seed), Fs<Tensor[], Tensor>(a => f(a[0], a[1], a[2])), [x, y, z]);
    }

    /// <summary>Checks a function with full control over steps and tolerances (start from <c>GradCheckOptions.Default</c>).</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point.</param>
    /// <param name="options">The check's settings.</param>
    /// <returns>The report.</returns>
    public static GradCheckReport Check(Func<Tensor, Tensor> f, Tensor x, GradCheckOptions options)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(options);
        return GradCheck.checkWith(options, Fs(f), x);
    }

    /// <summary>Like <see cref="Check(Func{Tensor, Tensor}, Tensor, int, bool, bool, int)"/>, but throws when a comparison fails (for tests).</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The point.</param>
    /// <param name="order">The highest derivative order checked, at least 1.</param>
    /// <param name="forward">Check forward mode.</param>
    /// <param name="reverse">Check reverse mode.</param>
    /// <param name="seed">Seed of the random directions.</param>
    /// <exception cref="GradCheckException">A comparison failed; its <c>Report</c> says which, where and by how much.</exception>
    public static void AssertGradients(Func<Tensor, Tensor> f, Tensor x, int order = 1, bool forward = true, bool reverse = true, int seed = 0) =>
        ThrowIfFailed(Check(f, x, order, forward, reverse, seed));

    /// <summary>Like <see cref="Check(Func{Tensor, Tensor, Tensor}, Tensor, Tensor, int, bool, bool, int)"/>, but throws when a comparison fails.</summary>
    /// <param name="f">The function.</param>
    /// <param name="x">The first argument.</param>
    /// <param name="y">The second argument.</param>
    /// <param name="order">The highest derivative order checked, at least 1.</param>
    /// <param name="forward">Check forward mode.</param>
    /// <param name="reverse">Check reverse mode.</param>
    /// <param name="seed">Seed of the random directions.</param>
    /// <exception cref="GradCheckException">A comparison failed.</exception>
    public static void AssertGradients(Func<Tensor, Tensor, Tensor> f, Tensor x, Tensor y, int order = 1, bool forward = true, bool reverse = true, int seed = 0) =>
        ThrowIfFailed(Check(f, x, y, order, forward, reverse, seed));

    private static void ThrowIfFailed(GradCheckReport report)
    {
        if (!report.Passed) throw new GradCheckException(report);
    }
}
