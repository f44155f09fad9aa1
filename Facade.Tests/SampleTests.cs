using System.Text.RegularExpressions;

namespace FunctionalAD.Facade.Tests;

/// <summary>The first-run experience: the README's demo command and the machine-learning sample's figures.</summary>
[Collection(DotnetCliCollection.Name)]
public class SampleTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    [Fact]
    public void The_demo_runs_in_Release_and_names_its_provider_in_one_quiet_line()
    {
        var output = DotnetCli.Run(RepositoryPaths.Root, Limit, null, "run", "-c", "Release", "--project", "Samples/Demo");
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal("FunctionalAD demo: the lecture notes' worked examples", lines[0]);
        Assert.Matches(@"^Linear-algebra provider: (managed|openblas|cuda) \(--providers says why the others are not used\)$", lines[1]);
        Assert.Single(lines, l => l.Contains("provider", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("libcudart", output);
        // The reasons, on request: one line per provider.
        var detailed = DotnetCli.Run(RepositoryPaths.Root, Limit, null, "run", "-c", "Release", "--project", "Samples/Demo", "--", "--providers");
        Assert.Contains(detailed.Split('\n'), l => Regex.IsMatch(l, "^cuda: (available|unavailable)"));
        Assert.Contains(detailed.Split('\n'), l => Regex.IsMatch(l, "^openblas: (available|unavailable)"));
    }

    [Fact]
    public void The_learning_sample_writes_its_figures_to_the_output_folder_not_to_docs()
    {
        var tracked = RepositoryPaths.Combine("docs", "figures", "logistic-convergence.svg");
        var before = File.ReadAllBytes(tracked);
        var folder = Directory.CreateTempSubdirectory("functionalad-figures-");
        try
        {
            DotnetCli.Run(RepositoryPaths.Root, Limit, null, "run", "-c", "Release", "--project", "Samples/Learn", "--", "logistic", "--output", folder.FullName);
            var written = Path.Combine(folder.FullName, "logistic-convergence.svg");
            Assert.StartsWith("<svg", File.ReadAllText(written));
            Assert.Equal(before, File.ReadAllBytes(tracked));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
