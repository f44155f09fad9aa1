namespace FunctionalAD.Native;

/// <summary>
/// Argument checks run before any native call: BLAS and LAPACK trust their size arguments,
/// so a wrong length here would otherwise become memory corruption instead of an exception.
/// </summary>
internal static class Guard
{
    internal static void Dimension(int value, string name) => ArgumentOutOfRangeException.ThrowIfNegative(value, name);

    internal static void Length<T>(T[] array, long expected, string name)
    {
        ArgumentNullException.ThrowIfNull(array, name);
        if (array.LongLength != expected)
        {
            throw new ArgumentException($"Expected an array of length {expected}, got {array.LongLength}.", name);
        }
    }

    internal static void MinLength<T>(T[] array, long minimum, string name)
    {
        ArgumentNullException.ThrowIfNull(array, name);
        if (array.LongLength < minimum)
        {
            throw new ArgumentException($"Expected an array of length at least {minimum}, got {array.LongLength}.", name);
        }
    }

    internal static void Distinct(object first, object second, string name)
    {
        if (ReferenceEquals(first, second))
        {
            throw new ArgumentException("The input and output arrays must be different objects.", name);
        }
    }

    internal static void Defined<TEnum>(TEnum value, string name)
        where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"Not a defined {typeof(TEnum).Name} value.");
        }
    }

    /// <summary>
    /// Converts MathNet's 0-based pivot indices to LAPACK's 1-based ones in a fresh array
    /// (the caller's array stays untouched) after checking that each row index is in range.
    /// </summary>
    internal static int[] OneBasedPivots(int[] ipiv, int order, string name)
    {
        Length(ipiv, order, name);
        var oneBased = new int[order];
        for (var i = 0; i < order; i++)
        {
            if ((uint)ipiv[i] >= (uint)order)
            {
                throw new ArgumentException($"Pivot index {ipiv[i]} at position {i} is outside [0, {order}).", name);
            }

            oneBased[i] = ipiv[i] + 1;
        }

        return oneBased;
    }

    /// <summary>Negative LAPACK <c>info</c> means we passed an invalid argument: a bug here, not a user error.</summary>
    internal static void Info(int info, string routine)
    {
        if (info < 0)
        {
            throw new InvalidOperationException($"{routine} rejected argument {-info}; this is a bug in FunctionalAD.Providers.");
        }
    }
}
