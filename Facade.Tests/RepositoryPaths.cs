namespace FunctionalAD.Facade.Tests;

/// <summary>Locations in the repository, found from the test's output folder.</summary>
internal static class RepositoryPaths
{
    /// <summary>The repository root: the nearest ancestor holding Directory.Build.props and Facade.CSharp/.</summary>
    internal static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")) && Directory.Exists(Path.Combine(dir.FullName, "Facade.CSharp")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException($"No repository root above {AppContext.BaseDirectory}.");
    }

    internal static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);
}
