#:property PublishAot=false
#:project ../../Facade.CSharp/Facade.CSharp.csproj

// Jacobians in forward and reverse mode, a Hessian and a Hessian-vector product.
// Run from the repository root: dotnet run docs/examples/jacobian-hessian.cs
using System.Globalization;
using FunctionalAD;

string Row(IEnumerable<double> values) => string.Join(" ", values.Select(v => v.ToString("0.######", CultureInfo.InvariantCulture)));
void Print(string title, Tensor t)
{
    Console.WriteLine($"{title} {FormatShape(t.Shape)}");
    if (t.Rank == 2)
        for (var i = 0; i < t.Shape[0]; i++) Console.WriteLine("  " + Row(t[i].ToArray()));
    else Console.WriteLine("  " + Row(t.ToArray()));
}
string FormatShape(int[] shape) => "[" + string.Join(", ", shape) + "]";

// Polar to Cartesian coordinates: J = [[cos θ, −r sin θ], [sin θ, r cos θ]], det J = r.
Func<Tensor, Tensor> polar = p => Tensors.Stack(0, p[0] * p[1].Cos(), p[0] * p[1].Sin());
Tensor point = new[] { 2.0, Math.PI / 3 };
var forward = AD.JacFwd(polar)(point);
var reverse = AD.JacRev(polar)(point);
Print("Jacobian (forward mode)", forward);
Print("Jacobian (reverse mode)", reverse);
Console.WriteLine($"det J = {forward.Det().Item().ToString("0.######", CultureInfo.InvariantCulture)} (equals r = 2)");

// Rosenbrock's function: the Hessian at the minimum (1, 1) is [[802, -400], [-400, 200]].
Func<Tensor, Tensor> rosenbrock = p => (1 - p[0]).Square() + 100 * (p[1] - p[0].Square()).Square();
Print("Hessian of Rosenbrock at (1, 1)", AD.Hessian(rosenbrock)(new[] { 1.0, 1.0 }));
Print("H·(1, 1)", AD.Hvp(rosenbrock, new[] { 1.0, 1.0 }, new[] { 1.0, 1.0 }));
