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

    /// <summary>
    /// docs/compile.md's advice for a faster first run, a ReadyToRun publish of the whole program,
    /// works on a program that builds the library from source (project references): the SDK's own
    /// download of the ReadyToRun compiler once met the library's (Directory.Build.targets) and the
    /// restore refused the duplicate. The published demo runs, and its copy of the library carries
    /// precompiled code. It runs on a copy of the projects it needs: a restore for one runtime adds
    /// a section to the lock files, which the repository's locked restores would then refuse.
    /// </summary>
    [Fact]
    public void The_demo_publishes_with_ReadyToRun_code_and_runs()
    {
        var work = Directory.CreateTempSubdirectory("functionalad-readytorun-");
        try
        {
            foreach (var folder in new[] { "Core.FSharp", "Providers", "Learn", Path.Combine("Samples", "Demo"), "data" })
                CopySources(RepositoryPaths.Combine(folder), Path.Combine(work.FullName, folder));
            foreach (var file in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
                File.Copy(RepositoryPaths.Combine(file), Path.Combine(work.FullName, file));
            var output = Path.Combine(work.FullName, "app");
            var rid = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
            // CI=false: the copy's lock files have no section for this runtime yet, and a locked
            // restore (Directory.Build.props under CI) would refuse to add it.
            DotnetCli.Run(work.FullName, Limit, new Dictionary<string, string> { ["CI"] = "false" }, "publish", Path.Combine("Samples", "Demo"), "-c", "Release", "-r", rid,
                "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", output);
            using (var image = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(Path.Combine(output, "FunctionalAD.Core.dll"))))
                Assert.True(image.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, "FunctionalAD.Core.dll has no ReadyToRun code");
            var lines = DotnetCli.Run(output, Limit, null, "FunctionalAD.Demo.dll").Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
            Assert.Equal("FunctionalAD demo: the lecture notes' worked examples", lines[0]);
            Assert.Contains(lines, l => l.StartsWith("MLP 64-64-64-10 on digits", StringComparison.Ordinal));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>A project folder's files without its build outputs.</summary>
    private static void CopySources(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(source))
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        foreach (var folder in Directory.GetDirectories(source))
        {
            var name = Path.GetFileName(folder);
            if (name is not ("bin" or "obj"))
                CopySources(folder, Path.Combine(destination, name));
        }
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
