using System.Globalization;
using System.Text.RegularExpressions;

namespace FunctionalAD.Facade.Tests;

/// <summary>The file-based programs in docs/examples run with <c>dotnet run</c> and print what they promise.</summary>
[Collection(DotnetCliCollection.Name)]
[Trait("Category", "Examples")]
public class ExampleTests
{
    private static string RunExample(string file) =>
        DotnetCli.Run(RepositoryPaths.Root, TimeSpan.FromMinutes(5), null, "run", Path.Combine("docs", "examples", file));

    private static double Number(string output, string label)
    {
        var match = Regex.Match(output, Regex.Escape(label) + @"\s*=?\s*(-?[0-9.]+(?:E-?[0-9]+)?)");
        Assert.True(match.Success, $"'{label}' not found in:\n{output}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Every_example_is_a_file_based_program_referencing_the_facade()
    {
        var files = Directory.GetFiles(RepositoryPaths.Combine("docs", "examples"), "*.cs").Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.Equal(["expressions.cs", "gradient.cs", "jacobian-hessian.cs", "training.cs"], files);
        foreach (var file in files)
        {
            var text = File.ReadAllText(RepositoryPaths.Combine("docs", "examples", file));
            Assert.StartsWith("#:property PublishAot=false\n#:project ../../Facade.CSharp/Facade.CSharp.csproj\n", text);
        }
    }

    [Fact]
    public void Gradient_example_prints_the_closed_form_derivative()
    {
        var output = RunExample("gradient.cs");
        var e = Math.Exp(-1.75);
        Assert.Equal(-3.5 * e / (1 + e), Number(output, "loss'(0.5)"), 12);
        Assert.Equal(3.5 * 3.5 * e / ((1 + e) * (1 + e)), Number(output, "loss''(0.5)"), 12);
        Assert.Contains("v1 = -3.5 * v0", output);
    }

    [Fact]
    public void Expressions_example_prints_compiled_derivatives_their_text_and_a_failed_check()
    {
        var output = RunExample("expressions.cs").ReplaceLineEndings("\n");
        var e = Math.Exp(-1.75);
        Assert.Equal(-3.5 * e / (1 + e), Number(output, "loss'(0.5)"), 15);
        Assert.Contains("var t0 = Math.Exp(-3.5 * x);\n    return -3.5 * t0 / (1 + t0);", output);
        Assert.Contains($"grad f(1.5, 0.5) = (1.5, {(2.25 + Math.Cos(0.5)).ToString("R", CultureInfo.InvariantCulture)})", output);
        Assert.Contains($"hessian f(1.5, 0.5) = [[1, 3], [3, {(-Math.Sin(0.5)).ToString("R", CultureInfo.InvariantCulture)}]]", output);
        Assert.Contains("GradCheck FAILED", output);
    }

    [Fact]
    public void Jacobian_Hessian_example_prints_the_known_matrices()
    {
        var output = RunExample("jacobian-hessian.cs");
        Assert.Equal(2, Number(output, "det J"), 9);
        Assert.Contains("802 -400\n  -400 200", output.ReplaceLineEndings("\n"));
        Assert.Contains("402 -200", output);
    }

    [Fact]
    public void Training_example_reduces_the_loss()
    {
        var output = RunExample("training.cs");
        Assert.True(Number(output, "loss reduced") > 100, output);
        Assert.InRange(Number(output, "prediction at x = 1:"), 0.74, 0.94);
    }
}
