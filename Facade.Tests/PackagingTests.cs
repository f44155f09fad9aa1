using System.Globalization;
using System.IO.Compression;
using System.Xml.Linq;

namespace FunctionalAD.Facade.Tests;

/// <summary>
/// The packages install and work: pack FunctionalAD.Core, FunctionalAD.Learn, FunctionalAD and
/// FunctionalAD.Providers into a local folder, build a fresh console app that references only
/// FunctionalAD from that folder (alongside the machine's usual package sources), run it and check
/// what it prints — among it, that its first matrix product installed the best provider without
/// being asked; then install them with <c>#r "nuget:"</c>
/// from that folder in the real .NET Interactive C# kernel and compute and display there.
/// </summary>
[Collection(DotnetCliCollection.Name)]
[Trait("Category", "Packaging")]
public class PackagingTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    [Fact]
    public void Packed_libraries_install_into_a_fresh_console_app_and_compute_a_gradient()
    {
        var work = Directory.CreateTempSubdirectory("functionalad-packaging-");
        var artifacts = RepositoryPaths.Combine("artifacts", Path.GetFileName(work.FullName));
        try
        {
            // A version no cache has seen, so the app restores exactly these packages.
            var version = "0.0.0-packaging." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
            var feed = Directory.CreateDirectory(Path.Combine(work.FullName, "feed")).FullName;
            // A private artifacts folder: one fresh build stamps the assemblies with the version and
            // leaves the repository's bin/obj folders (and any concurrent build) alone; pack reuses it.
            // It lies inside the repository (under the ignored artifacts/), as obj/ does in an ordinary
            // build, so the files the build generates map to /_/ in the PDBs like the sources.
            string[] properties = ["-c", "Release", "-p:UseArtifactsOutput=true", $"-p:ArtifactsPath={artifacts}", $"-p:Version={version}"];
            DotnetCli.Run(RepositoryPaths.Root, Limit, null, ["build", "Facade.CSharp/Facade.CSharp.csproj", .. properties]);
            DotnetCli.Run(RepositoryPaths.Root, Limit, null, ["build", "Providers/Providers.csproj", .. properties]);
            DotnetCli.Run(RepositoryPaths.Root, Limit, null, ["build", "Cli/Cli.fsproj", .. properties]);
            foreach (var project in new[] { "Core.FSharp/Core.FSharp.fsproj", "Learn/Learn.fsproj", "Facade.CSharp/Facade.CSharp.csproj", "Providers/Providers.csproj", "Cli/Cli.fsproj" })
                DotnetCli.Run(RepositoryPaths.Root, Limit, null, ["pack", project, "--no-build", "-o", feed, .. properties]);

            var facade = CheckPackage(Path.Combine(feed, $"FunctionalAD.{version}.nupkg"), "FunctionalAD");
            Assert.Equal(version, facade["FunctionalAD.Core"]);
            Assert.Equal(version, facade["FunctionalAD.Learn"]);
            var core = CheckPackage(Path.Combine(feed, $"FunctionalAD.Core.{version}.nupkg"), "FunctionalAD.Core");
            // .NET Interactive kernels carry FSharp.Core 10.0 (assembly 10.0.0.0): a package that needs a
            // later FSharp.Core fails to load there, so the library asks for the lowest it needs.
            Assert.StartsWith("10.0.", core["FSharp.Core"]);
            Assert.Contains("MathNet.Numerics", core.Keys);
            // The core installs the best provider at its first matrix operation, so it brings the providers.
            Assert.Equal(version, core["FunctionalAD.Providers"]);
            var learn = CheckPackage(Path.Combine(feed, $"FunctionalAD.Learn.{version}.nupkg"), "FunctionalAD.Learn");
            Assert.Equal(version, learn["FunctionalAD.Core"]);
            var providers = CheckPackage(Path.Combine(feed, $"FunctionalAD.Providers.{version}.nupkg"), "FunctionalAD.Providers");
            Assert.Contains("MathNet.Numerics", providers.Keys);
            using (var tool = ZipFile.OpenRead(Path.Combine(feed, $"FunctionalAD.Cli.{version}.nupkg")))
            {
                Assert.Contains(tool.Entries, e => e.FullName == "tools/net10.0/any/fad.dll");
                var metadata = Metadata(tool);
                CheckMetadata(tool, metadata);
                Assert.Equal("DotnetTool", (string?)metadata.Descendants(metadata.Name.Namespace + "packageType").Single().Attribute("name"));
            }
            foreach (var (id, assembly) in new[] { ("FunctionalAD", "FunctionalAD"), ("FunctionalAD.Core", "FunctionalAD.Core"), ("FunctionalAD.Learn", "FunctionalAD.Learn"), ("FunctionalAD.Providers", "FunctionalAD.Providers") })
                CheckSymbols(Path.Combine(feed, $"{id}.{version}.snupkg"), $"lib/net10.0/{assembly}.pdb");
            CheckSymbols(Path.Combine(feed, $"FunctionalAD.Cli.{version}.snupkg"), "tools/net10.0/any/fad.pdb");

            var app = Directory.CreateDirectory(Path.Combine(work.FullName, "app")).FullName;
            File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="FunctionalAD" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using System.Globalization;
                using FunctionalAD;

                var df = AD.Grad((Tensor w) => (1 + (-3.5 * w).Exp()).Log());
                Console.WriteLine("gradient " + df(0.5).Item().ToString("R", CultureInfo.InvariantCulture));
                Console.WriteLine("loss " + ML.Losses.Logistic(0.0, 1.0).Item().ToString("R", CultureInfo.InvariantCulture));
                // No provider chosen: the first matrix product installs the best available one.
                var product = Tensors.Ones(64, 64).MatMul(Tensors.Ones(64, 64));
                Console.WriteLine("product " + product.Sum().Item().ToString("R", CultureInfo.InvariantCulture));
                Console.WriteLine("provider " + Providers.Active);
                """);
            // Adds the local folder to the machine's sources (no <clear/>); packages already in the
            // global folder are read from there, the new ones land in a private folder.
            var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                                 ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            new XDocument(new XElement("configuration",
                new XElement("packageSources", new XElement("add", new XAttribute("key", "functionalad-local"), new XAttribute("value", feed))),
                new XElement("fallbackPackageFolders", new XElement("add", new XAttribute("key", "machine"), new XAttribute("value", globalPackages)))))
                .Save(Path.Combine(app, "nuget.config"));
            var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(work.FullName, "packages") };

            var output = DotnetCli.Run(app, Limit, environment, "run", "-c", "Release");
            var line = output.Split('\n').Single(l => l.StartsWith("gradient ", StringComparison.Ordinal));
            var e = Math.Exp(-1.75);
            Assert.Equal(-3.5 * e / (1 + e), double.Parse(line["gradient ".Length..].Trim(), CultureInfo.InvariantCulture), 12);
            var loss = output.Split('\n').Single(l => l.StartsWith("loss ", StringComparison.Ordinal));
            Assert.Equal(Math.Log(2), double.Parse(loss["loss ".Length..].Trim(), CultureInfo.InvariantCulture), 15);
            Assert.Contains(output.Split('\n'), l => l.StartsWith("product 262144", StringComparison.Ordinal));
            var best = FunctionalAD.Native.CudaLinearAlgebraProvider.IsDeviceAvailable ? Providers.Cuda
                : FunctionalAD.Native.OpenBlasLinearAlgebraProvider.IsLibraryAvailable ? Providers.OpenBlas : Providers.Managed;
            Assert.Contains(output.Split('\n'), l => l.Trim() == "provider " + best);

            // The same packages in the real .NET Interactive kernel, installed as a notebook user does.
            var notebook = Path.Combine(work.FullName, "packages.ipynb");
            NotebookKernel.WriteNotebook(notebook,
                $"#i \"nuget: {feed}\"\n#r \"nuget: FunctionalAD, {version}\"",
                "using FunctionalAD;\nvar slope = AD.Grad((Tensor w) => (1 + (-3.5 * w).Exp()).Log())(0.5).Item();\nTensors.Eye(2)",
                "var loadedVersion = typeof(AD).Assembly.GetName().Version!.ToString();");
            var run = NotebookKernel.RunNotebook(notebook, environment, "slope", "loadedVersion").AssertEveryCellSucceeded();
            Assert.Equal(-3.5 * e / (1 + e), run.Value<double>("slope"), 12);
            var eye = XElement.Parse(run.Cells[1].OfMimeType("text/html").Single());
            Assert.Equal(["1", "0", "0", "1"], eye.Descendants("td").Select(c => c.Value));
            Assert.Equal("0.0.0.0", run.Value<string>("loadedVersion")); // the packed assembly, not the repository's build
        }
        finally
        {
            work.Delete(recursive: true);
            if (Directory.Exists(artifacts)) Directory.Delete(artifacts, recursive: true);
        }
    }

    /// <summary>Checks a library package's assembly, XML docs and metadata; returns its dependencies (id → version).</summary>
    private static Dictionary<string, string> CheckPackage(string path, string assembly)
    {
        using var package = ZipFile.OpenRead(path);
        var entries = package.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains($"lib/net10.0/{assembly}.dll", entries);
        Assert.Contains($"lib/net10.0/{assembly}.xml", entries);
        var metadata = Metadata(package);
        CheckMetadata(package, metadata);
        XNamespace ns = metadata.Name.Namespace;
        return metadata.Descendants(ns + "dependency").ToDictionary(d => (string)d.Attribute("id")!, d => (string)d.Attribute("version")!);
    }

    private static XElement Metadata(ZipArchive package)
    {
        using var nuspecStream = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        var nuspec = XDocument.Load(nuspecStream);
        return nuspec.Root!.Element(nuspec.Root.Name.Namespace + "metadata")!;
    }

    /// <summary>Every package: the MIT licence, a README shipped and named, the shared tags, and the commit it was built from.</summary>
    private static void CheckMetadata(ZipArchive package, XElement metadata)
    {
        XNamespace ns = metadata.Name.Namespace;
        var id = (string?)metadata.Element(ns + "id");
        Assert.Equal("MIT", (string?)metadata.Element(ns + "license"));
        Assert.Contains(package.Entries, e => e.FullName == "README.md");
        Assert.Equal("README.md", (string?)metadata.Element(ns + "readme"));
        var tags = ((string?)metadata.Element(ns + "tags") ?? "").Split(' ');
        Assert.True(tags.Contains("automatic-differentiation") && tags.Contains("autodiff"), $"{id}: tags {string.Join(' ', tags)}");
        var commit = (string?)metadata.Element(ns + "repository")?.Attribute("commit");
        Assert.True(commit is { Length: 40 }, $"{id}: no commit in <repository>");
    }

    /// <summary>A symbol package holds the portable PDB, whose source paths are deterministic (/_/…), not this machine's.</summary>
    private static void CheckSymbols(string snupkg, string pdbEntry)
    {
        Assert.True(File.Exists(snupkg), $"no symbol package {snupkg}");
        using var symbols = ZipFile.OpenRead(snupkg);
        using var pdb = new MemoryStream();
        using (var entry = symbols.Entries.Single(e => e.FullName == pdbEntry).Open()) entry.CopyTo(pdb);
        pdb.Position = 0;
        using var provider = System.Reflection.Metadata.MetadataReaderProvider.FromPortablePdbStream(pdb);
        var reader = provider.GetMetadataReader();
        var documents = reader.Documents.Select(d => reader.GetString(reader.GetDocument(d).Name)).ToList();
        Assert.NotEmpty(documents);
        Assert.All(documents, d => Assert.StartsWith("/_/", d));
    }

    [Fact]
    public void The_version_lives_in_Directory_Build_props_and_builds_are_prereleases_unless_released()
    {
        var props = XDocument.Load(RepositoryPaths.Combine("Directory.Build.props"));
        var prefix = props.Descendants("VersionPrefix").Single().Value;
        Assert.Matches(@"^\d+\.\d+\.\d+$", prefix);
        string Version(params string[] properties) =>
            DotnetCli.Run(RepositoryPaths.Root, Limit, null, ["msbuild", "Core.FSharp/Core.FSharp.fsproj", "-getProperty:PackageVersion", .. properties]).Trim();
        Assert.Equal(prefix + "-dev", Version());
        Assert.Equal(prefix, Version("-p:PublicRelease=true"));
        Assert.Equal(prefix + "-ci.42", Version("-p:VersionSuffix=ci.42"));
        Assert.Equal(prefix + "-dev", DotnetCli.Run(RepositoryPaths.Root, Limit, null, ["msbuild", "Cli/Cli.fsproj", "-getProperty:PackageVersion"]).Trim());
    }
}
