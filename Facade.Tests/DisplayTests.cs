using System.Reflection;
using System.Xml.Linq;

namespace FunctionalAD.Facade.Tests;

/// <summary>HTML tables, SVG graphs and the notebook formatter convention.</summary>
public class DisplayTests
{
    private static Tensor Loss(Tensor w) => (1 + (-3.5 * w).Exp()).Log();

    [Fact]
    public void A_matrix_renders_as_an_HTML_table_with_its_values()
    {
        var html = new Tensor[] { new[,] { { 1.5, -2.0 }, { 3.0, 4.25 } } }[0].ToHtml();
        var table = XElement.Parse(html);
        var rows = table.Descendants("tr").ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal(["1.5", "-2"], rows[0].Elements("td").Select(c => c.Value));
        Assert.Equal(["3", "4.25"], rows[1].Elements("td").Select(c => c.Value));
        Assert.Contains("shape [2, 2]", table.Value);
    }

    [Fact]
    public void Large_and_high_rank_tensors_are_truncated_by_block()
    {
        var big = XElement.Parse(Tensors.Arange(100).Reshape(50, 2).ToHtml());
        Assert.Equal(21, big.Descendants("tr").Count()); // 20 rows shown, then "… 30 more rows"
        Assert.Contains("30 more rows", big.Value);
        var cube = XElement.Parse(Tensors.Arange(24).Reshape(2, 3, 4).ToHtml());
        Assert.Equal(2, cube.Descendants("table").Count());
        Assert.Contains("[1, :, :]", cube.Value);
        Assert.Equal(["12", "13", "14", "15"], cube.Descendants("table").Last().Descendants("tr").First().Elements("td").Select(c => c.Value));
    }

    [Fact]
    public void The_graph_SVG_has_one_node_per_listing_line_and_one_edge_per_argument()
    {
        var graph = AD.Trace(Loss, 0.5);
        Assert.Equal(graph.Listing, AD.Listing(Loss, 0.5));
        Assert.StartsWith("digraph", AD.Dot(Loss, 0.5));
        var svg = XElement.Parse(graph.ToSvg());
        XNamespace ns = "http://www.w3.org/2000/svg";
        var nodes = svg.Descendants(ns + "g").Where(g => (string?)g.Attribute("class") == "node").ToList();
        Assert.Equal(1 + graph.OperationCount, nodes.Count);
        var edges = svg.Descendants(ns + "path").Where(p => (string?)p.Attribute("class") == "edge")
            .Select(p => ((string?)p.Attribute("data-from"), (string?)p.Attribute("data-to"))).ToList();
        // log(1 + exp(-3.5 w)) is a chain v0 → v1 → v2 → v3 → v4.
        Assert.Equal([("v0", "v1"), ("v1", "v2"), ("v2", "v3"), ("v3", "v4")], edges);
        var output = nodes.Single(n => n.Descendants(ns + "rect").Any(r => (string?)r.Attribute("class") == "output"));
        Assert.Equal("v4", (string?)output.Attribute("id"));
        // Layers go left to right: each operation sits right of its argument.
        double X(string id) => double.Parse((string)nodes.Single(n => (string?)n.Attribute("id") == id).Element(ns + "rect")!.Attribute("x")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(X("v0") < X("v1") && X("v1") < X("v2") && X("v3") < X("v4"));
    }

    [Fact]
    public void Explanations_render_as_HTML_tables()
    {
        var table = XElement.Parse(AD.Explain(Loss, 0.5).ToHtml());
        Assert.Equal(1 + 5, table.Elements("tr").Count()); // header, input, 4 operations
        Assert.Contains("exp", table.Value);
    }

    // The .NET Interactive kernel finds an attribute named TypeFormatterSourceAttribute on the
    // value's type, creates its FormatterSourceType and calls CreateTypeFormatters(); each
    // formatter has MimeType and Format(object, TextWriter). This replays that discovery.
    private static string FormatLikeTheKernel(object value, string mimeType)
    {
        var attribute = value.GetType().GetCustomAttributes(true).Single(a => a.GetType().Name == "TypeFormatterSourceAttribute");
        var sourceType = (Type)attribute.GetType().GetProperty("FormatterSourceType")!.GetValue(attribute)!;
        Assert.Contains("text/html", (string[])attribute.GetType().GetProperty("PreferredMimeTypes")!.GetValue(attribute)!);
        var source = Activator.CreateInstance(sourceType)!;
        var formatters = (IEnumerable<object>)sourceType.GetMethod("CreateTypeFormatters")!.Invoke(source, null)!;
        var formatter = formatters.Single(f => (string)f.GetType().GetProperty("MimeType")!.GetValue(f)! == mimeType);
        using var writer = new StringWriter();
        Assert.True((bool)formatter.GetType().GetMethod("Format", [typeof(object), typeof(TextWriter)])!.Invoke(formatter, [value, writer])!);
        return writer.ToString();
    }

    [Fact]
    public void Notebook_formatters_are_found_by_the_kernel_convention()
    {
        Assert.Contains("<svg", FormatLikeTheKernel(AD.Trace(Loss, 0.5), "text/html"));
        Assert.Equal(AD.Listing(Loss, 0.5), FormatLikeTheKernel(AD.Trace(Loss, 0.5), "text/plain"));
        Assert.Contains("<table", FormatLikeTheKernel(Tensors.Eye(2).Show(), "text/html"));
        Assert.Contains("adjoint", FormatLikeTheKernel(AD.Explain(Loss, 0.5), "text/html"));
    }

    [Fact]
    public void A_tensor_displays_as_a_table_without_Show()
    {
        Tensor m = new[,] { { 1.5, -2.0 }, { 3.0, 4.25 } };
        var table = XElement.Parse(FormatLikeTheKernel(m, "text/html"));
        Assert.Equal(["1.5", "-2", "3", "4.25"], table.Descendants("td").Select(c => c.Value));
        Assert.Equal(m.ToString(), FormatLikeTheKernel(m, "text/plain"));
        Assert.Equal(m.ToHtml(), FormatLikeTheKernel(m.Show(), "text/html"));
        // Inside a transform the tensor is traced; a compiled function's trace has no values yet.
        AD.Grad((Tensor x) =>
        {
            Assert.Contains("shape [], traced", x.ToHtml());
            return x * x;
        })(2.0);
        AD.Compile((Tensor x) =>
        {
            Assert.StartsWith("<pre class=\"functionalad-tensor\">Tensor(abstract", x.ToHtml());
            return x;
        })(2.0);
    }
}
