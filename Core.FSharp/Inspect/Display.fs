namespace FunctionalAD.Display

open System
open System.IO

/// Polyglot Notebooks' convention-based formatter registration: the .NET Interactive kernel looks
/// for an attribute with exactly this name and shape on a displayed value's type, creates the
/// `FormatterSourceType` and asks it for formatters. Matching is by name (dotnet/interactive
/// pull requests #2053 and #3038), so no reference to the kernel's packages is needed.
[<Sealed; AttributeUsage(AttributeTargets.Class ||| AttributeTargets.Struct)>]
type TypeFormatterSourceAttribute(formatterSourceType: Type) =
    inherit Attribute()
    /// The type whose `CreateTypeFormatters()` returns the formatters.
    member _.FormatterSourceType = formatterSourceType
    /// The MIME types the kernel should prefer for the attributed type.
    member val PreferredMimeTypes: string[] = [||] with get, set

/// A value that renders itself as HTML (a table or an inline SVG drawing) in notebooks.
type IHtmlDisplay =
    /// The HTML fragment.
    abstract ToHtml: unit -> string

/// One convention-based formatter: writes an `IHtmlDisplay` for one MIME type.
[<Sealed>]
type HtmlFormatter internal (mimeType: string, render: IHtmlDisplay -> string) =
    /// The MIME type this formatter writes.
    member _.MimeType = mimeType
    /// Writes `instance`; false when it is not an `IHtmlDisplay`.
    member _.Format(instance: obj, writer: TextWriter) =
        match instance with
        | :? IHtmlDisplay as display ->
            writer.Write(render display)
            true
        | _ -> false

/// The formatter source the kernel instantiates for types marked with
/// `[<TypeFormatterSource(typeof<HtmlFormatterSource>)>]`: HTML, and the value's text as plain text.
[<Sealed>]
type HtmlFormatterSource() =
    /// The formatters, in the shape the kernel's convention expects (MimeType, Format).
    member _.CreateTypeFormatters() : seq<obj> =
        [ box (HtmlFormatter("text/html", fun d -> d.ToHtml()))
          box (HtmlFormatter("text/plain", fun d -> string d)) ]
