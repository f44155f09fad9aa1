using System.Xml.Linq;

namespace FunctionalAD.Facade.Tests;

/// <summary>
/// Every notebook in docs/notebooks runs from top to bottom in the real .NET Interactive C# kernel
/// without error, with the results and displays it claims.
/// </summary>
[Collection(DotnetCliCollection.Name)]
public class NotebookTests
{
    private static string Notebook(string name) => RepositoryPaths.Combine("docs", "notebooks", name);

    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Every_notebook_is_a_CSharp_Polyglot_notebook_with_code()
    {
        var notebooks = Directory.GetFiles(RepositoryPaths.Combine("docs", "notebooks"), "*.ipynb").Select(p => Path.GetFileName(p)).Order().ToArray();
        Assert.Equal(["cnn-digits.ipynb", "lectures.ipynb", "logistic-regression.ipynb", "quickstart.ipynb"], notebooks);
        foreach (var name in notebooks)
        {
            var text = File.ReadAllText(Notebook(name));
            Assert.Contains("\".net-csharp\"", text);
            Assert.Contains("\"language\": \"csharp\"", text);
        }
    }

    [Fact]
    public void Quickstart_computes_the_seeds_derivative_and_shows_tensors_and_a_graph()
    {
        var run = NotebookKernel.RunNotebook(Notebook("quickstart.ipynb"), "slope", "curvature", "gradientOfX", "gradientOfA", "hessianXX")
            .AssertEveryCellSucceeded();
        var e = Math.Exp(-1.75);
        Assert.Equal(-3.5 * e / (1 + e), run.Value<double>("slope"), 12);
        Assert.Equal(3.5 * 3.5 * e / ((1 + e) * (1 + e)), run.Value<double>("curvature"), 12);
        // xᵀ A x at x = (0.5, −2), A = [[1, 3], [−1, 4]] over the list [x, A].
        Assert.Equal([-3.0, -15.0], run.Value<double[]>("gradientOfX"));
        Assert.Equal([0.25, -1.0, -1.0, 4.0], run.Value<double[]>("gradientOfA"));
        Assert.Equal([2.0, 2.0, 2.0, 8.0], run.Value<double[]>("hessianXX"));
        // y = tanh(A x + 1) = tanh([6, 7.5]) as the kernel's text/html: a table of the values.
        var y = XElement.Parse(run.Cells[1].OfMimeType("text/html").Single());
        Assert.Equal("functionalad-tensor", (string?)y.Attribute("class"));
        Assert.Contains("shape [2]", y.Value);
        Tensor shown = y.Descendants("td").Select(c => double.Parse(c.Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Approx.Equal([Math.Tanh(6), Math.Tanh(7.5)], shown, 1e-6); // the table shows six significant digits
        // The last cell prints the listing and returns the traced graph, drawn as SVG.
        var last = run.Cells[^1];
        Assert.Contains("v4 = log v3", string.Concat(last.OfMimeType("text/plain")));
        var svg = XElement.Parse(last.OfMimeType("text/html").Single()).Element(Svg + "svg")!;
        Assert.Equal(5, svg.Descendants(Svg + "g").Count(g => (string?)g.Attribute("class") == "node"));
    }

    [Fact]
    public void Lectures_show_linear_AD_graphs_against_exponential_symbolic_swell()
    {
        var run = NotebookKernel.RunNotebook(Notebook("lectures.ipynb"), "adOperationCounts", "symbolicSizes", "adjointOfW", "sinDerivativesAtZero")
            .AssertEveryCellSucceeded();
        var adCounts = run.Value<int[]>("adOperationCounts");
        var symbolicSizes = run.Value<long[]>("symbolicSizes");
        Assert.Equal(adCounts.Length, symbolicSizes.Length);
        // AD graph of the derivative: the same number of extra operations for every extra function.
        Assert.Single(adCounts.Zip(adCounts.Skip(1), (a, b) => b - a).Distinct());
        // Symbolic derivative without sharing: the size at least doubles with every extra function.
        Assert.All(symbolicSizes.Zip(symbolicSizes.Skip(1)), p => Assert.True(p.Second >= 2 * p.First));
        Assert.Equal(40.0, run.Value<double>("adjointOfW"), 12);
        Assert.Equal([0.0, 1.0, 0.0, -1.0, 0.0], run.Value<double[]>("sinDerivativesAtZero").Select(v => Math.Round(v, 12)));
        var html = run.Cells.SelectMany(c => c.OfMimeType("text/html")).ToList();
        Assert.Contains(html, h => h.StartsWith("<table class=\"functionalad-explain\"", StringComparison.Ordinal));
        Assert.Contains(html, h => h.StartsWith("<div class=\"functionalad-graph\"><svg", StringComparison.Ordinal));
        Assert.Contains(html, h => h.StartsWith("<div class=\"functionalad-tensor\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Logistic_regression_reaches_95_percent_test_accuracy()
    {
        var run = NotebookKernel.RunNotebook(Notebook("logistic-regression.ipynb"), "testAccuracy", "gradientCheckError", "losses")
            .AssertEveryCellSucceeded();
        Assert.InRange(run.Value<double>("testAccuracy"), 0.95, 1.0);
        Assert.True(run.Value<double>("gradientCheckError") < 1e-7);
        var losses = run.Value<List<double>>("losses");
        Assert.True(losses[^1] < losses[0] / 3);
    }

    [Fact]
    public void The_digits_CNN_reaches_98_percent_test_accuracy_in_eight_epochs()
    {
        var run = NotebookKernel.RunNotebook(Notebook("cnn-digits.ipynb"), "testAccuracy", "epochLosses", "saliency")
            .AssertEveryCellSucceeded();
        Assert.InRange(run.Value<double>("testAccuracy"), 0.98, 1.0);
        var losses = run.Value<List<double>>("epochLosses");
        Assert.Equal(8, losses.Count);
        Assert.True(losses[^1] < losses[0] / 3, string.Join(", ", losses));
        // A tensor of several elements is no JSON value: the host reports its type.
        Assert.Equal("FunctionalAD.Tensor", (string?)run.Values["saliency"]!["unserializable"]);
        // The last cell's value is a tensor, shown as the tensor table.
        Assert.Contains(run.Cells[^1].OfMimeType("text/html"), h => h.StartsWith("<div class=\"functionalad-tensor\"", StringComparison.Ordinal));
    }

    [Fact]
    public void The_host_reports_a_value_it_cannot_write_as_JSON_by_its_type()
    {
        var folder = Directory.CreateTempSubdirectory("functionalad-notebook-");
        try
        {
            var path = Path.Combine(folder.FullName, "values.ipynb");
            NotebookKernel.WriteNotebook(path, "var grid = new double[2, 2]; var count = 3;");
            var run = NotebookKernel.RunNotebook(path, "grid", "count", "missing").AssertEveryCellSucceeded();
            Assert.Equal(3, run.Value<int>("count"));
            Assert.Equal("System.Double[,]", (string?)run.Values["grid"]!["unserializable"]);
            Assert.Null(run.Values["missing"]);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("a.NoSuchMethod()", "CS1061")]
    [InlineData("throw new FormatException(\"boom\");", "boom")]
    // The kernel imports System but not System.IO: a notebook must say `using System.IO;`.
    [InlineData("File.Exists(\"x\")", "CS0103: The name 'File' does not exist")]
    public void A_failing_cell_is_reported_with_its_number_and_message(string failingCell, string expected)
    {
        var folder = Directory.CreateTempSubdirectory("functionalad-notebook-");
        try
        {
            var path = Path.Combine(folder.FullName, "failing.ipynb");
            NotebookKernel.WriteNotebook(path, "var a = 1;", failingCell);
            var run = NotebookKernel.RunNotebook(path);
            Assert.Null(run.Cells[0].Error);
            Assert.Contains(expected, run.Cells[1].Error);
            var error = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => run.AssertEveryCellSucceeded());
            Assert.Contains("failing.ipynb, code cell 1", error.Message);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
