namespace FunctionalAD.Display;

/// <summary>
/// Polyglot Notebooks' convention-based formatter registration: the .NET Interactive kernel looks
/// for an attribute with exactly this name and shape on a displayed value's type, creates the
/// <see cref="FormatterSourceType"/> and asks it for formatters. Matching is by name, so this
/// library needs no reference to the kernel's packages (see docs/csharp.md).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct)]
internal sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    /// <summary>The type whose <c>CreateTypeFormatters()</c> returns the formatters.</summary>
    public Type FormatterSourceType { get; } = formatterSourceType;

    /// <summary>The MIME types the kernel should prefer for the attributed type.</summary>
    public string[]? PreferredMimeTypes { get; set; }
}

/// <summary>Something that renders itself as HTML (a table or an inline SVG drawing).</summary>
internal interface IRichDisplay
{
    string ToHtml();
}

/// <summary>The formatter source the kernel instantiates: one formatter per MIME type.</summary>
internal sealed class NotebookFormatterSource
{
    /// <summary>The formatters, in the shape the kernel's convention expects (MimeType, Format).</summary>
    public IEnumerable<object> CreateTypeFormatters()
    {
        yield return new NotebookFormatter("text/html", d => d.ToHtml());
        yield return new NotebookFormatter("text/plain", d => d.ToString() ?? "");
    }
}

/// <summary>One convention-based formatter: writes a value for one MIME type.</summary>
internal sealed class NotebookFormatter(string mimeType, Func<IRichDisplay, string> render)
{
    /// <summary>The MIME type this formatter writes.</summary>
    public string MimeType { get; } = mimeType;

    /// <summary>Writes <paramref name="instance"/>; false when it is not one of ours.</summary>
    public bool Format(object instance, TextWriter writer)
    {
        if (instance is not IRichDisplay display) return false;
        writer.Write(render(display));
        return true;
    }
}
