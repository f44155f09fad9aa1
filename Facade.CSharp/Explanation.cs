using System.Globalization;
using System.Net;
using System.Text;
using FunctionalAD.Display;

namespace FunctionalAD;

/// <summary>
/// The lectures' forward/backward table of a scalar function at a point: every node's value, its
/// local derivatives and its adjoint λ = ∂f/∂v. Prints as text; displays as an HTML table in notebooks.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed class Explanation : IHtmlDisplay
{
    internal Explanation(ExplainTable table) => Table = table;

    /// <summary>The core's table.</summary>
    public ExplainTable Table { get; }

    /// <summary>The rows, inputs first, then operations in evaluation order.</summary>
    public IReadOnlyList<ExplainRow> Rows => [.. Table.Rows];

    /// <summary>The adjoint ∂f/∂v of the node named <paramref name="name"/> (e.g. "v0"), as a tensor.</summary>
    /// <param name="name">The node's name in the listing.</param>
    /// <returns>The adjoint (zeros when the output does not depend on the node).</returns>
    /// <exception cref="KeyNotFoundException">No node has that name.</exception>
    public Tensor Adjoint(string name)
    {
        var row = Rows.FirstOrDefault(r => r.Name == name)
                  ?? throw new KeyNotFoundException($"Explain: no node is named '{name}'; the nodes are {string.Join(", ", Rows.Select(r => r.Name))}.");
        return row.Adjoint is null ? TensorModule.zeros(row.Value.Shape) : TensorModule.ofNdArray(row.Adjoint);
    }

    private static string Number(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    private static string Show(NdArray? a)
    {
        if (a is null) return "0";
        var values = a.ToArray();
        return values.Length == 1
            ? Number(values[0])
            : $"{Guard.Format(a.Shape)} ‖·‖ = {Number(Math.Sqrt(values.Sum(v => v * v)))}";
    }

    /// <summary>The table as HTML.</summary>
    public string ToHtml()
    {
        var html = new StringBuilder("<table class=\"functionalad-explain\" style=\"border-collapse:collapse;font-family:monospace\">");
        html.Append("<tr><th>v</th><th>definition</th><th>value</th><th>local derivatives</th><th>adjoint λ = ∂f/∂v</th></tr>");
        foreach (var r in Rows)
        {
            var locals = string.Join("; ", r.LocalDerivatives.Select(d => $"∂/∂{d.Item1} = {Show(d.Item2)}"));
            html.Append("<tr>");
            foreach (var cell in new[] { r.Name, r.Expression, Show(r.Value), locals, Show(r.Adjoint) })
                html.Append("<td style=\"border:1px solid #ccc;padding:2px 6px\">").Append(WebUtility.HtmlEncode(cell)).Append("</td>");
            html.Append("</tr>");
        }
        return html.Append("</table>").ToString();
    }

    /// <summary>The table as aligned text (the core's rendering).</summary>
    public override string ToString() => Table.ToString();
}
