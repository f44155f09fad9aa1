namespace FunctionalAD.Facade.Tests;

/// <summary>Every notebook in docs/notebooks runs from top to bottom without error, with the results it claims.</summary>
public class NotebookTests
{
    private static string Notebook(string name) => RepositoryPaths.Combine("docs", "notebooks", name);

    private static T Variable<T>(Microsoft.CodeAnalysis.Scripting.ScriptState<object> state, string name) =>
        (T)(state.GetVariable(name) ?? throw new KeyNotFoundException($"The notebook defines no variable '{name}'.")).Value;

    [Fact]
    public void Every_notebook_is_a_CSharp_Polyglot_notebook_with_code()
    {
        var notebooks = Directory.GetFiles(RepositoryPaths.Combine("docs", "notebooks"), "*.ipynb").Select(p => Path.GetFileName(p)).Order().ToArray();
        Assert.Equal(["lectures.ipynb", "logistic-regression.ipynb", "quickstart.ipynb"], notebooks);
        foreach (var name in notebooks)
        {
            var text = File.ReadAllText(Notebook(name));
            Assert.Contains("\".net-csharp\"", text);
            Assert.NotEmpty(NotebookRunner.CodeCells(Notebook(name)));
        }
    }

    [Fact]
    public async Task Quickstart_runs_and_computes_the_seeds_derivative()
    {
        var (cells, state) = await NotebookRunner.RunAsync(Notebook("quickstart.ipynb"));
        var e = Math.Exp(-1.75);
        Assert.Equal(-3.5 * e / (1 + e), Variable<double>(state, "slope"), 12);
        Assert.Equal(3.5 * 3.5 * e / ((1 + e) * (1 + e)), Variable<double>(state, "curvature"), 12);
        Assert.Contains(cells, c => c.ReturnValue is ComputationGraph);
        Assert.Contains(cells, c => c.ReturnValue is TensorView);
    }

    [Fact]
    public async Task Lectures_run_and_show_linear_AD_graphs_against_exponential_symbolic_swell()
    {
        var (cells, state) = await NotebookRunner.RunAsync(Notebook("lectures.ipynb"));
        var adCounts = Variable<int[]>(state, "adOperationCounts");
        var symbolicSizes = Variable<long[]>(state, "symbolicSizes");
        Assert.Equal(adCounts.Length, symbolicSizes.Length);
        // AD graph of the derivative: the same number of extra operations for every extra function.
        var steps = adCounts.Zip(adCounts.Skip(1), (a, b) => b - a).Distinct().ToArray();
        Assert.Single(steps);
        // Symbolic derivative without sharing: the size at least doubles with every extra function.
        Assert.All(symbolicSizes.Zip(symbolicSizes.Skip(1)), p => Assert.True(p.Second >= 2 * p.First));
        Assert.Equal(40.0, Variable<double>(state, "adjointOfW"), 12);
        Assert.Equal([0.0, 1.0, 0.0, -1.0, 0.0], Variable<double[]>(state, "sinDerivativesAtZero").Select(v => Math.Round(v, 12)));
        Assert.Contains(cells, c => c.ReturnValue is Explanation);
        Assert.Contains(cells, c => c.ReturnValue is ComputationGraph);
    }

    [Fact]
    public async Task Logistic_regression_reaches_95_percent_test_accuracy()
    {
        var (_, state) = await NotebookRunner.RunAsync(Notebook("logistic-regression.ipynb"));
        Assert.InRange(Variable<double>(state, "testAccuracy"), 0.95, 1.0);
        Assert.True(Variable<double>(state, "gradientCheckError") < 1e-7);
        var losses = Variable<List<double>>(state, "losses");
        Assert.True(losses[^1] < losses[0] / 3);
    }
}
