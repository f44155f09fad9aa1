using FunctionalAD.Display;

namespace FunctionalAD;

/// <summary>
/// A traced function: its numbered listing, Graphviz source and an SVG drawing. In Polyglot
/// Notebooks a graph displays itself as the SVG drawing.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed class ComputationGraph : IHtmlDisplay
{
    internal ComputationGraph(TracedProgram program)
    {
        Program = program;
        Listing = Inspect.listingOf(program);
    }

    /// <summary>The core's traced program.</summary>
    public TracedProgram Program { get; }

    /// <summary>The numbered listing, one operation a line (<c>v1 = -3.5 * v0</c>), outputs last.</summary>
    public string Listing { get; }

    /// <summary>The program as Graphviz DOT source.</summary>
    public string Dot => Inspect.dotOf(Program);

    /// <summary>The number of operations (primitive applications).</summary>
    public int OperationCount => Program.OperationCount;

    /// <summary>A self-contained SVG drawing: inputs left, operations in layers to the right, outputs double-bordered.</summary>
    public string ToSvg() => Inspect.svgOf(Program);

    /// <summary>The SVG drawing inside a div, for HTML output.</summary>
    public string ToHtml() => "<div class=\"functionalad-graph\">" + ToSvg() + "</div>";

    /// <summary>The numbered listing.</summary>
    public override string ToString() => Listing;
}
