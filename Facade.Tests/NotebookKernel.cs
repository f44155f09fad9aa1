using System.Text.Json;
using System.Text.Json.Nodes;

namespace FunctionalAD.Facade.Tests;

/// <summary>
/// Runs a notebook in the real .NET Interactive C# kernel: the repository's <c>NotebookKernel</c>
/// host, in its own process (so the notebook loads FunctionalAD itself, with <c>#r</c>, as a
/// user's kernel does), and reads what each cell produced.
/// </summary>
internal static class NotebookKernel
{
    /// <summary>One output of a cell: its kind (return, display, stdout, stderr) and its text by MIME type.</summary>
    internal sealed record Output(string Kind, IReadOnlyDictionary<string, string> ByMimeType);

    /// <summary>A code cell: its source, its outputs in order, and the kernel's error message if it failed.</summary>
    internal sealed record Cell(int Index, string Source, IReadOnlyList<Output> Outputs, string? Error)
    {
        /// <summary>The cell's outputs of one MIME type.</summary>
        internal IEnumerable<string> OfMimeType(string mimeType) =>
            Outputs.Select(o => o.ByMimeType.GetValueOrDefault(mimeType)).OfType<string>();
    }

    /// <summary>What a run produced: the cells and the requested variables' values as JSON.</summary>
    internal sealed record Run(string Notebook, IReadOnlyList<Cell> Cells, JsonObject Values)
    {
        /// <summary>A requested variable's value.</summary>
        internal T Value<T>(string name) =>
            (Values[name] ?? throw new KeyNotFoundException($"{Notebook} defines no variable '{name}'.")).Deserialize<T>()!;

        /// <summary>Fails with the first failing cell's number, message and source.</summary>
        internal Run AssertEveryCellSucceeded()
        {
            var failed = Cells.FirstOrDefault(c => c.Error is not null);
            Assert.True(failed is null, failed is null ? "" : $"{Notebook}, code cell {failed.Index}: {failed.Error}\n---\n{failed.Source}");
            return this;
        }
    }

    private static readonly string Host = RepositoryPaths.Combine("NotebookKernel", "bin", "Release", "net10.0", "notebook-kernel.dll");

    /// <summary>Runs every code cell of the notebook in order and reads back the named variables.</summary>
    internal static Run RunNotebook(string notebookPath, params string[] variables) =>
        RunNotebook(notebookPath, null, variables);

    /// <summary>As <see cref="RunNotebook(string, string[])"/>, with extra environment variables for the kernel's process.</summary>
    internal static Run RunNotebook(string notebookPath, IReadOnlyDictionary<string, string>? environment, params string[] variables)
    {
        if (!File.Exists(Host)) throw new FileNotFoundException($"The kernel host is not built: run dotnet build -c Release NotebookKernel.", Host);
        var resultPath = Path.Combine(Path.GetTempPath(), $"functionalad-notebook-{Guid.NewGuid():N}.json");
        try
        {
            DotnetCli.Run(RepositoryPaths.Root, TimeSpan.FromMinutes(5), environment, [Host, notebookPath, resultPath, .. variables]);
            var result = JsonNode.Parse(File.ReadAllText(resultPath))!.AsObject();
            var cells = result["cells"]!.AsArray().Select((cell, i) => new Cell(
                i,
                (string)cell!["source"]!,
                cell["outputs"]!.AsArray().Select(o => new Output(
                    (string)o!["kind"]!,
                    o.AsObject().Where(p => p.Key != "kind").ToDictionary(p => p.Key, p => (string)p.Value!))).ToList(),
                (string?)cell["error"])).ToList();
            return new Run(Path.GetFileName(notebookPath), cells, result["values"]!.AsObject());
        }
        finally
        {
            File.Delete(resultPath);
        }
    }

    /// <summary>Writes a notebook of C# code cells, shaped as Polyglot Notebooks saves one.</summary>
    internal static void WriteNotebook(string path, params string[] cells)
    {
        var metadata = new JsonObject { ["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" } };
        var notebook = new JsonObject
        {
            ["cells"] = new JsonArray(cells.Select(source => (JsonNode)new JsonObject
            {
                ["cell_type"] = "code",
                ["metadata"] = metadata.DeepClone(),
                ["source"] = new JsonArray(source),
            }).ToArray()),
            ["metadata"] = new JsonObject { ["kernelspec"] = new JsonObject { ["name"] = ".net-csharp" } },
        };
        File.WriteAllText(path, notebook.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
