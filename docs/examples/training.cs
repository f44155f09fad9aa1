#:property PublishAot=false
#:project ../../Facade.CSharp/Facade.CSharp.csproj

// A small training loop: a two-layer network fits y = sin(x) on [-3, 3] by gradient descent,
// with the gradients of all four parameter tensors from one AD.ValueAndGrad call per step.
// Run from the repository root: dotnet run docs/examples/training.cs
using System.Globalization;
using FunctionalAD;

const int hidden = 16;
var x = Tensors.Linspace(-3, 3, 64).Reshape(64, 1);
var y = x.Sin();

Tensor Predict(Tensor w1, Tensor b1, Tensor w2, Tensor b2, Tensor input) =>
    input.MatMul(w1).Add(b1).Tanh().MatMul(w2).Add(b2);

var step = AD.ValueAndGrad((Tensor w1, Tensor b1, Tensor w2, Tensor b2) => (Predict(w1, b1, w2, b2, x) - y).Square().Mean());

var w1 = Tensors.RandomNormal(1, 1, hidden);
var b1 = Tensors.Zeros(hidden);
var w2 = Tensors.RandomNormal(2, hidden, 1) * 0.5;
var b2 = Tensors.Zeros(1);
const double learningRate = 0.05;
double firstLoss = double.NaN, lastLoss = double.NaN;
for (var epoch = 0; epoch <= 2000; epoch++)
{
    var (loss, (g1, gb1, g2, gb2)) = step(w1, b1, w2, b2);
    if (epoch == 0) firstLoss = loss.Item();
    lastLoss = loss.Item();
    if (epoch % 500 == 0) Console.WriteLine($"epoch {epoch,4}  loss {lastLoss.ToString("0.000000", CultureInfo.InvariantCulture)}");
    w1 -= learningRate * g1;
    b1 -= learningRate * gb1;
    w2 -= learningRate * g2;
    b2 -= learningRate * gb2;
}
Console.WriteLine($"loss reduced {(firstLoss / lastLoss).ToString("0", CultureInfo.InvariantCulture)}-fold");
Console.WriteLine($"prediction at x = 1: {Predict(w1, b1, w2, b2, new[,] { { 1.0 } }).Item().ToString("0.000", CultureInfo.InvariantCulture)} (sin 1 = 0.841)");
