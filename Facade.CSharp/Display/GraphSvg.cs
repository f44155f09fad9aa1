using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace FunctionalAD.Display;

/// <summary>
/// A self-contained SVG drawing of a traced program, read from its numbered listing: inputs on the
/// left, each operation one column right of its latest argument (a layered left-to-right layout),
/// edges from arguments to users, outputs drawn with a double border. No Graphviz needed.
/// </summary>
internal static partial class GraphSvg
{
    private const int CharWidth = 7;
    private const int NodeHeight = 28;
    private const int RowGap = 16;
    private const int ColumnGap = 48;
    private const int Margin = 12;

    internal sealed record Node(string Name, string Label, bool IsInput, IReadOnlyList<string> Arguments);

    [GeneratedRegex(@"\bv\d+\b")]
    private static partial Regex Reference();

    /// <summary>The nodes and outputs of a listing (`vK = input [..]`, `vK = expression`, `return vA, vB`).</summary>
    internal static (IReadOnlyList<Node> Nodes, IReadOnlySet<string> Outputs) Parse(string listing)
    {
        var nodes = new List<Node>();
        var outputs = new HashSet<string>();
        foreach (var line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("return ", StringComparison.Ordinal))
            {
                outputs.UnionWith(line["return ".Length..].Split(", "));
                continue;
            }
            var separator = line.IndexOf(" = ", StringComparison.Ordinal);
            if (separator < 0) continue;
            var name = line[..separator];
            var expression = line[(separator + 3)..];
            var isInput = expression.StartsWith("input", StringComparison.Ordinal);
            var arguments = isInput ? [] : Reference().Matches(expression).Select(m => m.Value).Distinct().ToList();
            nodes.Add(new Node(name, isInput ? name + " " + expression["input ".Length..] : line, isInput, arguments));
        }
        return (nodes, outputs);
    }

    internal static string Render(string listing)
    {
        var (nodes, outputs) = Parse(listing);
        var layer = new Dictionary<string, int>();
        foreach (var n in nodes)
            layer[n.Name] = n.Arguments.Where(layer.ContainsKey).Select(a => layer[a] + 1).DefaultIfEmpty(0).Max();
        var columns = nodes.GroupBy(n => layer[n.Name]).OrderBy(g => g.Key).Select(g => g.ToList()).ToList();
        var widths = columns.Select(c => c.Max(n => n.Label.Length * CharWidth + 16)).ToList();

        var position = new Dictionary<string, (double X, double Y, double Width)>();
        double x = Margin;
        for (var c = 0; c < columns.Count; c++)
        {
            for (var r = 0; r < columns[c].Count; r++)
                position[columns[c][r].Name] = (x, Margin + r * (NodeHeight + RowGap), widths[c]);
            x += widths[c] + ColumnGap;
        }
        var width = Math.Max(x - ColumnGap + Margin, 2 * Margin);
        var height = Margin * 2 + columns.Select(c => c.Count).DefaultIfEmpty(0).Max() * (NodeHeight + RowGap) - RowGap;

        string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{F(width)}\" height=\"{F(Math.Max(height, 2 * Margin))}\" font-family=\"monospace\" font-size=\"12\">");
        svg.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>");
        foreach (var n in nodes)
        {
            var (tx, ty, _) = position[n.Name];
            foreach (var a in n.Arguments.Where(position.ContainsKey))
            {
                var (sx, sy, sw) = position[a];
                double x1 = sx + sw, y1 = sy + NodeHeight / 2.0, x2 = tx, y2 = ty + NodeHeight / 2.0, mid = (x1 + x2) / 2;
                svg.Append($"<path class=\"edge\" data-from=\"{a}\" data-to=\"{n.Name}\" d=\"M{F(x1)},{F(y1)} C{F(mid)},{F(y1)} {F(mid)},{F(y2)} {F(x2)},{F(y2)}\" fill=\"none\" stroke=\"#555\" marker-end=\"url(#arrow)\"/>");
            }
        }
        foreach (var n in nodes)
        {
            var (nx, ny, nw) = position[n.Name];
            var fill = n.IsInput ? "#e8f0fe" : "#fff8e1";
            var rounding = n.IsInput ? 0 : 12;
            svg.Append($"<g class=\"node\" id=\"{n.Name}\">");
            svg.Append($"<rect x=\"{F(nx)}\" y=\"{F(ny)}\" width=\"{F(nw)}\" height=\"{NodeHeight}\" rx=\"{rounding}\" fill=\"{fill}\" stroke=\"#333\"/>");
            if (outputs.Contains(n.Name))
                svg.Append($"<rect class=\"output\" x=\"{F(nx + 3)}\" y=\"{F(ny + 3)}\" width=\"{F(nw - 6)}\" height=\"{NodeHeight - 6}\" rx=\"{Math.Max(rounding - 3, 0)}\" fill=\"none\" stroke=\"#333\"/>");
            svg.Append($"<text x=\"{F(nx + nw / 2)}\" y=\"{F(ny + NodeHeight / 2.0 + 4)}\" text-anchor=\"middle\">{WebUtility.HtmlEncode(n.Label)}</text></g>");
        }
        return svg.Append("</svg>").ToString();
    }
}
