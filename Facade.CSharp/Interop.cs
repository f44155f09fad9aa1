using Microsoft.FSharp.Core;

namespace FunctionalAD;

/// <summary>Conversions between C# delegates and the F# core's function values.</summary>
internal static class Interop
{
    internal static FSharpFunc<TIn, TOut> Fs<TIn, TOut>(Func<TIn, TOut> f) =>
        FSharpFunc<TIn, TOut>.FromConverter(new Converter<TIn, TOut>(f));

    /// <summary>A C# two-argument function as the core's curried `a -> b -> result`.</summary>
    internal static FSharpFunc<TA, FSharpFunc<TB, TOut>> Curry<TA, TB, TOut>(Func<TA, TB, TOut> f) =>
        Fs<TA, FSharpFunc<TB, TOut>>(a => Fs<TB, TOut>(b => f(a, b)));

    /// <summary>A C# three-argument rule as the core's curried rule `a -> b -> c -> result`.</summary>
    internal static FSharpFunc<TA, FSharpFunc<TB, FSharpFunc<TC, TOut>>> Curry<TA, TB, TC, TOut>(Func<TA, TB, TC, TOut> f) =>
        Fs<TA, FSharpFunc<TB, FSharpFunc<TC, TOut>>>(a => Curry<TB, TC, TOut>((b, c) => f(a, b, c)));
}

/// <summary>Argument checks shared by the façade: they run before any tracing.</summary>
internal static class Guard
{
    /// <summary>Validates an `argnums` choice for a function of <paramref name="arity"/> tensors.</summary>
    internal static int[] Argnums(string operation, int[]? argnums, int arity)
    {
        ArgumentNullException.ThrowIfNull(argnums);
        if (argnums.Length == 0)
            throw new ArgumentException($"{operation}: choose at least one argument to differentiate.", nameof(argnums));
        foreach (var i in argnums)
        {
            if (i < 0 || i >= arity)
                throw new ArgumentOutOfRangeException(nameof(argnums), i, $"{operation}: argument {i} does not exist; the function takes {arity} tensors (0 to {arity - 1}).");
        }
        if (argnums.Distinct().Count() != argnums.Length)
            throw new ArgumentException($"{operation}: argnums [{string.Join(", ", argnums)}] repeats an argument.", nameof(argnums));
        return (int[])argnums.Clone();
    }

    /// <summary>Validates a shape's presence (the core refuses negative and oversized ones, naming the operation).</summary>
    internal static int[] Shape(int[]? shape, string argument)
    {
        ArgumentNullException.ThrowIfNull(shape, argument);
        return (int[])shape.Clone();
    }

    /// <summary>The shape as text, e.g. [2, 3].</summary>
    internal static string Format(int[] shape) => "[" + string.Join(", ", shape) + "]";
}
