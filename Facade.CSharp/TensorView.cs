using FunctionalAD.Display;

namespace FunctionalAD;

/// <summary>
/// A tensor wrapped for display: an HTML table in Polyglot Notebooks (<c>x.Show()</c> as a cell's
/// last expression), the tensor's text elsewhere.
/// </summary>
[TypeFormatterSource(typeof(HtmlFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed class TensorView : IHtmlDisplay
{
    internal TensorView(Tensor tensor) => Tensor = tensor;

    /// <summary>The tensor shown.</summary>
    public Tensor Tensor { get; }

    /// <summary>The tensor as an HTML table (large tensors are truncated with "… more").</summary>
    public string ToHtml() => Tensor.ToHtml();

    /// <summary>The tensor's text.</summary>
    public override string ToString() => Tensor.ToString();
}
