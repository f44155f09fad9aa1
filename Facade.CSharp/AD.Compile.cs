using static FunctionalAD.Interop;

namespace FunctionalAD;

public static partial class AD
{
    /// <summary>
    /// Trace once, run fast (JAX's <c>jit</c>): a function equal to <paramref name="f"/> that, on its
    /// first call with given input shapes, traces <paramref name="f"/> with abstract inputs and
    /// turns the graph into a cached plan (shared subexpressions, folded constants, fused
    /// elementwise loops, reused buffers, compiled scalar code). Later calls with the same shapes
    /// run the plan. It composes with every transform: <c>AD.Compile(AD.Grad(f))</c> compiles the
    /// gradient, and <c>AD.Grad(AD.Compile(f))</c> differentiates through it.
    /// </summary>
    /// <param name="f">A function of a tensor that does not read tensor values (branch with <c>Where</c>).</param>
    /// <returns>The compiled function; safe to call from several threads.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Func<Tensor, Tensor> Compile(Func<Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var compiled = global::FunctionalAD.Compile.compile(Fs(f));
        return compiled.Invoke;
    }

    /// <summary>
    /// <see cref="Compile(Func{Tensor, Tensor})"/> with its plans made now, one per input shape:
    /// a later call with one of those shapes runs its plan at once, with no tracing, so start-up
    /// pays for tracing and planning instead of the first request or batch.
    /// </summary>
    /// <param name="f">A function of a tensor that does not read tensor values.</param>
    /// <param name="shapes">The input shapes to prepare plans for.</param>
    /// <returns>The compiled function; safe to call from several threads.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> or <paramref name="shapes"/> is null.</exception>
    /// <exception cref="ArgumentException">A shape has a negative dimension.</exception>
    public static Func<Tensor, Tensor> Prepare(Func<Tensor, Tensor> f, params int[][] shapes)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(shapes);
        var examples = shapes.Select(shape =>
        {
            var checkedShape = Guard.Shape(shape, nameof(shapes));
            if (checkedShape.Any(d => d < 0))
            {
                throw new ArgumentException($"Prepare: the shape {Guard.Format(checkedShape)} has a negative dimension", nameof(shapes));
            }

            return TensorModule.zeros(checkedShape);
        }).ToArray();
        var compiled = global::FunctionalAD.Compile.prepare(Fs(f), examples);
        return compiled.Invoke;
    }

    /// <summary>The compiled form of a function of two tensors (see <see cref="Compile(Func{Tensor, Tensor})"/>); plans are cached per pair of input shapes.</summary>
    /// <param name="f">A function of two tensors that does not read tensor values.</param>
    /// <returns>The compiled function.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Func<Tensor, Tensor, Tensor> Compile(Func<Tensor, Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var compiled = CompileOfArgs(a => f(a[0], a[1]));
        return (x, y) => compiled([x, y]);
    }

    /// <summary>The compiled form of a function of three tensors (see <see cref="Compile(Func{Tensor, Tensor})"/>); plans are cached per triple of input shapes.</summary>
    /// <param name="f">A function of three tensors that does not read tensor values.</param>
    /// <returns>The compiled function.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Func<Tensor, Tensor, Tensor, Tensor> Compile(Func<Tensor, Tensor, Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var compiled = CompileOfArgs(a => f(a[0], a[1], a[2]));
        return (x, y, z) => compiled([x, y, z]);
    }

    /// <summary>
    /// Like <see cref="Compile(Func{Tensor, Tensor})"/>, but each call takes its input's buffer
    /// (JAX's donated arguments): an output the size of the input is written into that buffer
    /// wherever the plan no longer needs the input, instead of a new array. The input is given up:
    /// reading it afterwards throws <see cref="InvalidOperationException"/>; use what the function
    /// returned. A buffer another tensor can see (a reshape of it) is never reused.
    /// </summary>
    /// <param name="f">A function of a tensor that does not read tensor values.</param>
    /// <returns>The compiled, donating function.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Func<Tensor, Tensor> CompileDonating(Func<Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return global::FunctionalAD.Compile.compileDonating(Fs(f)).Invoke;
    }

    /// <summary>
    /// The donating compiled form of a function of several tensors, such as a training step that
    /// maps the parameters to the updated parameters: <c>var step = AD.CompileDonating(p =&gt; …);
    /// parameters = step(parameters);</c> updates them in place of the old ones, allocating nothing
    /// in the steady state (see <see cref="CompileDonating(Func{Tensor, Tensor})"/>).
    /// </summary>
    /// <param name="f">A function of tensors that does not read tensor values.</param>
    /// <returns>The compiled, donating function.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Func<Tensor[], Tensor[]> CompileDonating(Func<Tensor[], Tensor[]> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return global::FunctionalAD.Compile.compileDonating(Fs(f)).Invoke;
    }

    // Several arguments reach the core as one Tensor[] structure, whose shapes key the plan cache.
    private static Func<Tensor[], Tensor> CompileOfArgs(Func<Tensor[], Tensor> f) =>
        global::FunctionalAD.Compile.compile(Fs(f)).Invoke;
}
