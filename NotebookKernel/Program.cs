using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.DotNet.Interactive.PackageManagement;

// Runs a C# Polyglot notebook in the real .NET Interactive C# kernel, cell by cell, as a
// notebook front end does: the kernel is set up as dotnet-interactive sets up its C# kernel
// (kernel helpers, #r "nuget:" and #i), with nothing imported beyond what that kernel imports,
// and the notebook's folder as the working directory. Writes one JSON object to RESULT.json:
// each code cell's outputs (by MIME type) and error, and the values, as JSON, of the variables
// named after it.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: notebook-kernel NOTEBOOK.ipynb RESULT.json [VARIABLE...]");
    return 2;
}

var notebook = Path.GetFullPath(args[0]);
var resultPath = Path.GetFullPath(args[1]);
var valueNames = args[2..];
Environment.CurrentDirectory = Path.GetDirectoryName(notebook)!;

using var kernel = new CSharpKernel()
    .UseKernelHelpers()
    .UseNugetDirective((k, references) =>
    {
        k.AddAssemblyReferences(references.SelectMany(r => r.AssemblyPaths));
        return Task.CompletedTask;
    });

var cells = new JsonArray();
foreach (var source in CodeCells(notebook))
{
    var result = await kernel.SendAsync(new SubmitCode(source));
    var outputs = new JsonArray();
    string? error = null;
    foreach (var e in result.Events)
    {
        switch (e)
        {
            case ReturnValueProduced r: outputs.Add(Output("return", r.FormattedValues)); break;
            case DisplayedValueProduced d: outputs.Add(Output("display", d.FormattedValues)); break;
            case StandardOutputValueProduced o: outputs.Add(Output("stdout", o.FormattedValues)); break;
            case StandardErrorValueProduced o: outputs.Add(Output("stderr", o.FormattedValues)); break;
            case CommandFailed f: error = f.Message; break;
        }
    }
    cells.Add(new JsonObject { ["source"] = source, ["outputs"] = outputs, ["error"] = error });
}

var values = new JsonObject();
foreach (var name in valueNames)
    values[name] = kernel.TryGetValue<object>(name, out var value) ? Serialized(value) : null;

File.WriteAllText(resultPath, new JsonObject { ["cells"] = cells, ["values"] = values }.ToJsonString());
return 0;

// A value System.Text.Json cannot write (a 2-D array; a tensor, whose scalar property refuses a
// tensor of several elements) is reported, not a crash.
static JsonNode? Serialized(object value)
{
    try
    {
        return JsonSerializer.SerializeToNode(value);
    }
    catch (Exception e) when (e is NotSupportedException or ArgumentException or InvalidOperationException)
    {
        return new JsonObject { ["unserializable"] = value.GetType().FullName, ["reason"] = e.Message };
    }
}

static JsonObject Output(string kind, IEnumerable<FormattedValue> formatted)
{
    var output = new JsonObject { ["kind"] = kind };
    foreach (var f in formatted) output[f.MimeType] = f.Value;
    return output;
}

static IEnumerable<string> CodeCells(string path)
{
    using var document = JsonDocument.Parse(File.ReadAllText(path));
    foreach (var cell in document.RootElement.GetProperty("cells").EnumerateArray())
    {
        if (cell.GetProperty("cell_type").GetString() != "code") continue;
        var language = cell.GetProperty("metadata").GetProperty("dotnet_interactive").GetProperty("language").GetString();
        if (language != "csharp") throw new InvalidDataException($"{path}: a code cell is in {language}; this host runs C# cells only.");
        yield return string.Concat(cell.GetProperty("source").EnumerateArray().Select(line => line.GetString()));
    }
}
