using MathNet.Numerics.Providers.LinearAlgebra;

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

    /// <summary>
    /// Checks the arguments of a solve A·X = B in place: A is order×order, B is order×columns
    /// (column-major), and B is a different array from A.
    /// </summary>
    internal static void SquareSolve<T>(T[] a, int order, T[] b, int columns, string orderName, string columnsName)
    {
        Dimension(columns, columnsName);
        Dimension(order, orderName);
        Length(a, (long)order * order, nameof(a));
        Length(b, (long)order * columns, nameof(b));
        Distinct(a, b, nameof(b));
    }

    /// <summary>
    /// Checks the arguments of c = op(a)·op(b) (MathNet's column-major convention, sizes as
    /// stored) and returns whether each side is transposed and the product's dimensions m×k·k×n.
    /// </summary>
    internal static (bool TransA, bool TransB, int M, int N, int K) Product<T>(
        Transpose transposeA, Transpose transposeB, T[] a, int rowsA, int columnsA, T[] b, int rowsB, int columnsB, T[] c)
    {
        Defined(transposeA, nameof(transposeA));
        Defined(transposeB, nameof(transposeB));
        Dimension(rowsA, nameof(rowsA));
        Dimension(columnsA, nameof(columnsA));
        Dimension(rowsB, nameof(rowsB));
        Dimension(columnsB, nameof(columnsB));
        Length(a, (long)rowsA * columnsA, nameof(a));
        Length(b, (long)rowsB * columnsB, nameof(b));

        // For real matrices the conjugate transpose is the transpose.
        var transA = transposeA != Transpose.DontTranspose;
        var transB = transposeB != Transpose.DontTranspose;
        var m = transA ? columnsA : rowsA;
        var k = transA ? rowsA : columnsA;
        var kB = transB ? columnsB : rowsB;
        var n = transB ? rowsB : columnsB;
        if (k != kB)
        {
            throw new ArgumentException($"op(a) is {m}x{k} but op(b) is {kB}x{n}: the inner dimensions must agree.", nameof(b));
        }

        Length(c, (long)m * n, nameof(c));
        return (transA, transB, m, n, k);
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
