namespace FunctionalAD.Display

open System
open System.Globalization
open System.Net
open System.Text

/// Tensors as HTML tables: a vector is one row, a matrix a grid, higher ranks one grid per
/// leading index. Large tensors are cut with "… more" so a notebook cell stays readable.
module internal TensorHtml =
    let private maxRows, maxColumns, maxBlocks = 20, 12, 6

    let private number (v: float) = v.ToString("G6", CultureInfo.InvariantCulture)

    let private grid (html: StringBuilder) (data: float[]) (offset: int) (rows: int) (columns: int) =
        html.Append("<table style=\"border-collapse:collapse;font-family:monospace\">") |> ignore
        for i in 0 .. min rows maxRows - 1 do
            html.Append("<tr>") |> ignore
            for j in 0 .. min columns maxColumns - 1 do
                html.Append("<td style=\"border:1px solid #ccc;padding:2px 6px;text-align:right\">").Append(number data[offset + i * columns + j]).Append("</td>") |> ignore
            if columns > maxColumns then html.Append(sprintf "<td>… %d more</td>" (columns - maxColumns)) |> ignore
            html.Append("</tr>") |> ignore
        if rows > maxRows then html.Append(sprintf "<tr><td colspan=\"%d\">… %d more rows</td></tr>" (min columns maxColumns) (rows - maxRows)) |> ignore
        html.Append("</table>") |> ignore

    // The leading indices of block b, e.g. [1, 0, :, :].
    let private blockLabel (shape: int[]) (block: int) =
        let leading = Array.zeroCreate (shape.Length - 2)
        let mutable rest = block
        for axis in leading.Length - 1 .. -1 .. 0 do
            leading[axis] <- rest % shape[axis]
            rest <- rest / shape[axis]
        "[" + String.Join(", ", leading) + ", :, :]"

    /// The table of a tensor with the given shape and row-major elements; `traced` marks one
    /// that carries derivative history.
    let render (shape: int[]) (data: float[]) (traced: bool) =
        let html = StringBuilder()
        let shapeText = "[" + String.Join(", ", shape) + "]"
        html.Append(sprintf "<div class=\"functionalad-tensor\"><div><b>Tensor</b> shape %s%s</div>" (WebUtility.HtmlEncode shapeText) (if traced then ", traced" else "")) |> ignore
        if shape.Length <= 2 then
            let rows = if shape.Length = 2 then shape[0] else 1
            let columns = if shape.Length = 0 then 1 else shape[shape.Length - 1]
            grid html data 0 rows columns
        else
            let rows, columns = shape[shape.Length - 2], shape[shape.Length - 1]
            let blockSize = rows * columns
            let blocks = if blockSize = 0 then 0 else data.Length / blockSize
            for b in 0 .. min blocks maxBlocks - 1 do
                html.Append(sprintf "<div>%s</div>" (WebUtility.HtmlEncode(blockLabel shape b))) |> ignore
                grid html data (b * blockSize) rows columns
            if blocks > maxBlocks then html.Append(sprintf "<div>… %d more blocks</div>" (blocks - maxBlocks)) |> ignore
        html.Append("</div>").ToString()

    /// The text of a tensor that has no value yet (traced with abstract inputs), as HTML.
    let renderText (text: string) = "<pre class=\"functionalad-tensor\">" + WebUtility.HtmlEncode text + "</pre>"
