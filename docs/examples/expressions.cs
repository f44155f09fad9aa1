#:property PublishAot=false
#:project ../../Facade.CSharp/Facade.CSharp.csproj

// Derivatives of C# expression trees over doubles: compiled delegates and printable, simplified
// derivative expressions; then a derivative check that catches a wrong custom rule.
// Run from the repository root: dotnet run docs/examples/expressions.cs
using System.Globalization;
using System.Linq.Expressions;
using FunctionalAD;

string Show(double v) => v.ToString("R", CultureInfo.InvariantCulture);

Expression<Func<double, double>> loss = x => Math.Log(1 + Math.Exp(-3.5 * x));
var slope = AD.Grad(loss);
Console.WriteLine($"loss'(0.5)  = {Show(slope(0.5))}");
Console.WriteLine("derivative:");
Console.WriteLine(AD.Format(AD.Derivative(loss)));

Expression<Func<double, double, double>> f = (x, y) => x * x * y + Math.Sin(y);
var (dx, dy) = AD.Grad(f)(1.5, 0.5);
var h = AD.Hessian(f)(1.5, 0.5);
Console.WriteLine($"grad f(1.5, 0.5) = ({Show(dx)}, {Show(dy)})");
Console.WriteLine($"hessian f(1.5, 0.5) = [[{Show(h[0, 0])}, {Show(h[0, 1])}], [{Show(h[1, 0])}, {Show(h[1, 1])}]]");
Console.WriteLine("gradient expression:");
Console.WriteLine(AD.FormatMath(AD.GradExpression(f)));

var wrongSquare = AD.CustomVjp("square", x => x * x, (x, y, ybar) => ybar * x);   // should be 2x
Console.WriteLine(AD.Check(wrongSquare, new[] { 0.3, -1.2 }));
