using System.Linq.Expressions;

namespace FunctionalAD;

// Expression-tree overloads of Grad, Hessian and Derivative. A lambda written without a cast,
// such as AD.Grad(x => x * 2), compiles both over Tensor and over double; C# prefers the
// Expression<Func<double, double>> reading (its inferred return type converts better), which
// would silently change existing calls. The Tensor overloads therefore carry
// [OverloadResolutionPriority(1)], so C# 13 and later bind such lambdas to them as before; the
// expression overloads are chosen by an explicit cast, a variable of expression type, or a
// lambda that only compiles over double (x => Math.Log(x)).
public static partial class AD
{
    // A derivative with more shared subexpressions than a compiled method can hold locals (the
    // runtime's limit is 65 535; a chain of 10⁵ calls has that many) is not valid IL; such a
    // lambda is interpreted instead, which computes the same value more slowly.
    private static TDelegate Compiled<TDelegate>(Expression<TDelegate> e)
    {
        try
        {
            return e.Compile();
        }
        catch (InvalidProgramException)
        {
            return e.Compile(preferInterpretation: true);
        }
    }

    /// <summary>
    /// The derivative of a function of one double, differentiated symbolically and compiled:
    /// <c>AD.Grad((Expression&lt;Func&lt;double, double&gt;&gt;)(x => Math.Log(1 + Math.Exp(-3.5 * x))))</c>.
    /// </summary>
    /// <param name="f">A lambda over one double built from constants, captured values, + − × ÷ and <see cref="Math"/> functions (see <see cref="Expressions"/>).</param>
    /// <returns>x ↦ f′(x), compiled from the simplified derivative expression (<see cref="Derivative(Expression{Func{double, double}})"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    /// <exception cref="NotSupportedException">The lambda uses a construct the translation does not know; the message names it.</exception>
    public static Func<double, double> Grad(Expression<Func<double, double>> f) => Compiled(Derivative(f));

    /// <summary>The gradient of a function of two doubles, differentiated symbolically and compiled.</summary>
    /// <param name="f">A lambda over two doubles.</param>
    /// <returns>(x, y) ↦ (∂f/∂x, ∂f/∂y).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Func<double, double, (double, double)> Grad(Expression<Func<double, double, double>> f)
    {
        var g = Compiled(GradExpression(f));
        return (x, y) => { var d = g(x, y); return (d[0], d[1]); };
    }

    /// <summary>The gradient of a function of three doubles, differentiated symbolically and compiled.</summary>
    /// <param name="f">A lambda over three doubles.</param>
    /// <returns>(x, y, z) ↦ (∂f/∂x, ∂f/∂y, ∂f/∂z).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Func<double, double, double, (double, double, double)> Grad(Expression<Func<double, double, double, double>> f)
    {
        var g = Compiled(GradExpression(f));
        return (x, y, z) => { var d = g(x, y, z); return (d[0], d[1], d[2]); };
    }

    /// <summary>The gradient of a function of four doubles, differentiated symbolically and compiled.</summary>
    /// <param name="f">A lambda over four doubles.</param>
    /// <returns>(a, b, c, d) ↦ the four partial derivatives.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Func<double, double, double, double, (double, double, double, double)> Grad(Expression<Func<double, double, double, double, double>> f)
    {
        var g = Compiled(GradExpression(f));
        return (a, b, c, d) => { var r = g(a, b, c, d); return (r[0], r[1], r[2], r[3]); };
    }

    /// <summary>The Hessian of a function of two doubles, differentiated symbolically and compiled.</summary>
    /// <param name="f">A lambda over two doubles.</param>
    /// <returns>(x, y) ↦ the 2×2 matrix of second partial derivatives.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Func<double, double, double[,]> Hessian(Expression<Func<double, double, double>> f) => Compiled(HessianExpression(f));

    /// <summary>The Hessian of a function of three doubles, differentiated symbolically and compiled.</summary>
    /// <param name="f">A lambda over three doubles.</param>
    /// <returns>(x, y, z) ↦ the 3×3 matrix of second partial derivatives.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Func<double, double, double, double[,]> Hessian(Expression<Func<double, double, double, double>> f) => Compiled(HessianExpression(f));

    /// <summary>The Hessian of a function of four doubles, differentiated symbolically and compiled.</summary>
    /// <param name="f">A lambda over four doubles.</param>
    /// <returns>(a, b, c, d) ↦ the 4×4 matrix of second partial derivatives.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Func<double, double, double, double, double[,]> Hessian(Expression<Func<double, double, double, double, double>> f) => Compiled(HessianExpression(f));

    /// <summary>
    /// The derivative of a function of one double as a new, simplified expression tree, e.g. for
    /// <c>w => Math.Log(1 + Math.Exp(-3.5 * w))</c> the lambda
    /// <c>w => { var t0 = Math.Exp(-3.5 * w); return -3.5 * t0 / (1 + t0); }</c>.
    /// Print it with <see cref="Format"/>, compile it with <c>.Compile()</c>.
    /// </summary>
    /// <param name="f">A lambda over one double.</param>
    /// <returns>The lambda f′ over the same parameter.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Expression<Func<double, double>> Derivative(Expression<Func<double, double>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Expressions.Derivative(f);
    }

    /// <summary>The gradient of a function of two doubles as a simplified expression returning [∂f/∂x, ∂f/∂y].</summary>
    /// <param name="f">A lambda over two doubles.</param>
    /// <returns>A lambda over the same parameters returning a double[2].</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Expression<Func<double, double, double[]>> GradExpression(Expression<Func<double, double, double>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Expressions.Gradient(f);
    }

    /// <summary>The gradient of a function of three doubles as a simplified expression returning a double[3].</summary>
    /// <param name="f">A lambda over three doubles.</param>
    /// <returns>A lambda over the same parameters returning the three partial derivatives.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Expression<Func<double, double, double, double[]>> GradExpression(Expression<Func<double, double, double, double>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Expressions.Gradient(f);
    }

    /// <summary>The gradient of a function of four doubles as a simplified expression returning a double[4].</summary>
    /// <param name="f">A lambda over four doubles.</param>
    /// <returns>A lambda over the same parameters returning the four partial derivatives.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Expression<Func<double, double, double, double, double[]>> GradExpression(Expression<Func<double, double, double, double, double>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Expressions.Gradient(f);
    }

    /// <summary>The Hessian of a function of two doubles as a simplified expression returning a 2×2 double[,].</summary>
    /// <param name="f">A lambda over two doubles.</param>
    /// <returns>A lambda over the same parameters returning the second partial derivatives.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Expression<Func<double, double, double[,]>> HessianExpression(Expression<Func<double, double, double>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Expressions.Hessian(f);
    }

    /// <summary>The Hessian of a function of three doubles as a simplified expression returning a 3×3 double[,].</summary>
    /// <param name="f">A lambda over three doubles.</param>
    /// <returns>A lambda over the same parameters returning the second partial derivatives.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Expression<Func<double, double, double, double[,]>> HessianExpression(Expression<Func<double, double, double, double>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Expressions.Hessian(f);
    }

    /// <summary>The Hessian of a function of four doubles as a simplified expression returning a 4×4 double[,].</summary>
    /// <param name="f">A lambda over four doubles.</param>
    /// <returns>A lambda over the same parameters returning the second partial derivatives.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Expression<Func<double, double, double, double, double[,]>> HessianExpression(Expression<Func<double, double, double, double, double>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Expressions.Hessian(f);
    }

    /// <summary>A lambda as C# text: <c>w => -3.5 * Math.Exp(-3.5 * w) / (1 + Math.Exp(-3.5 * w))</c>, shared subexpressions as <c>var t0 = …;</c> lines.</summary>
    /// <param name="f">A lambda, typically from <see cref="Derivative(Expression{Func{double, double}})"/> or <c>GradExpression</c>.</param>
    /// <returns>The text.</returns>
    public static string Format(LambdaExpression f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Expressions.Format(f);
    }

    /// <summary>A lambda's body in math notation (<c>exp(x)</c>, <c>x^2</c>): one <c>t0 = …</c> line per shared subexpression, then the result.</summary>
    /// <param name="f">A lambda.</param>
    /// <returns>The text.</returns>
    public static string FormatMath(LambdaExpression f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Expressions.FormatMath(f);
    }
}
