using System.Text.Json;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace FunctionalAD.Facade.Tests;

/// <summary>
/// Runs a Polyglot notebook's C# cells in order in one scripting session, as the notebook kernel
/// would: each cell continues the previous cell's state. <c>#r</c> lines naming the FunctionalAD
/// build are replaced by references to the assemblies this test was built against.
/// </summary>
internal static class NotebookRunner
{
    internal sealed record Cell(int Index, string Source, object? ReturnValue);

    private static readonly string[] KernelImports =
        ["System", "System.IO", "System.Linq", "System.Text", "System.Collections.Generic", "System.Threading.Tasks"];

    /// <summary>The C# code cells of a notebook.</summary>
    internal static IReadOnlyList<string> CodeCells(string notebookPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(notebookPath));
        var cells = new List<string>();
        foreach (var cell in document.RootElement.GetProperty("cells").EnumerateArray())
        {
            if (cell.GetProperty("cell_type").GetString() != "code") continue;
            var language = cell.GetProperty("metadata").GetProperty("dotnet_interactive").GetProperty("language").GetString();
            if (language != "csharp") throw new InvalidDataException($"{notebookPath}: a code cell is in {language}, not C#.");
            cells.Add(string.Concat(cell.GetProperty("source").EnumerateArray().Select(line => line.GetString())));
        }
        return cells;
    }

    /// <summary>A cell with its <c>#r</c> lines removed; they must name the FunctionalAD build.</summary>
    private static string WithoutReferences(string source)
    {
        var lines = source.Split('\n');
        foreach (var line in lines.Where(l => l.TrimStart().StartsWith("#r ", StringComparison.Ordinal)))
        {
            if (!line.Contains("/bin/Release/net10.0/FunctionalAD.dll\"", StringComparison.Ordinal))
                throw new InvalidDataException($"Unexpected reference in a notebook: {line}");
        }
        return string.Join('\n', lines.Select(l => l.TrimStart().StartsWith("#r ", StringComparison.Ordinal) ? "" : l));
    }

    /// <summary>Runs every code cell in order with the notebook's folder as the current directory; returns each cell's value and the final state.</summary>
    internal static async Task<(IReadOnlyList<Cell> Cells, ScriptState<object> State)> RunAsync(string notebookPath)
    {
        var options = ScriptOptions.Default
            .WithReferences(typeof(AD).Assembly, typeof(Tensor).Assembly, typeof(MathNet.Numerics.LinearAlgebra.Matrix<double>).Assembly, typeof(Microsoft.FSharp.Core.FSharpFunc<,>).Assembly)
            .WithImports(KernelImports);
        var previousDirectory = Environment.CurrentDirectory;
        Environment.CurrentDirectory = Path.GetDirectoryName(notebookPath)!;
        try
        {
            var results = new List<Cell>();
            ScriptState<object>? state = null;
            var sources = CodeCells(notebookPath);
            for (var i = 0; i < sources.Count; i++)
            {
                var code = WithoutReferences(sources[i]);
                try
                {
                    state = state is null
                        ? await CSharpScript.RunAsync(code, options)
                        : await state.ContinueWithAsync(code, options);
                }
                catch (CompilationErrorException e)
                {
                    throw new InvalidOperationException($"{Path.GetFileName(notebookPath)}, code cell {i}: {string.Join("\n", e.Diagnostics)}\n---\n{sources[i]}", e);
                }
                catch (Exception e) when (e is not InvalidOperationException)
                {
                    throw new InvalidOperationException($"{Path.GetFileName(notebookPath)}, code cell {i} threw: {e}\n---\n{sources[i]}", e);
                }
                results.Add(new Cell(i, sources[i], state.ReturnValue));
            }
            return (results, state ?? throw new InvalidDataException($"{notebookPath} has no code cells."));
        }
        finally
        {
            Environment.CurrentDirectory = previousDirectory;
        }
    }
}
