#:property PublishAot=false
#:project ../../Facade.CSharp/Facade.CSharp.csproj

// The lectures' logistic loss of one sample and its exact derivative, first and second order.
// Run from the repository root: dotnet run docs/examples/gradient.cs
using System.Globalization;
using FunctionalAD;

Func<Tensor, Tensor> loss = w => (1 + (-3.5 * w).Exp()).Log();
var dLoss = AD.Grad(loss);
var d2Loss = AD.Grad(dLoss);

var e = Math.Exp(-1.75);
string Show(double v) => v.ToString("R", CultureInfo.InvariantCulture);
Console.WriteLine($"loss(0.5)        = {Show(loss(0.5).Item())}");
Console.WriteLine($"loss'(0.5)       = {Show(dLoss(0.5).Item())}");
Console.WriteLine($"closed form      = {Show(-3.5 * e / (1 + e))}");
Console.WriteLine($"loss''(0.5)      = {Show(d2Loss(0.5).Item())}");
Console.WriteLine($"central diff.    = {Show(AD.NumericalDerivative(loss, 0.5).Item())}");
Console.WriteLine();
Console.WriteLine(AD.Listing(loss, 0.5));
