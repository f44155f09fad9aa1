using System.Globalization;
using System.Net;
using System.Text;

namespace FunctionalAD.Display;

/// <summary>Tensors as HTML tables: a vector is one row, a matrix a grid, higher ranks one grid per leading index.</summary>
internal static class TensorHtml
{
    private const int MaxRows = 20;
    private const int MaxColumns = 12;
    private const int MaxBlocks = 6;

    internal static string Number(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    internal static string Render(Tensor t)
    {
        var shape = t.Shape;
        var data = t.ToArray();
        var html = new StringBuilder();
        var kind = t.IsConstant ? "" : ", traced";
        html.Append($"<div class=\"functionalad-tensor\"><div><b>Tensor</b> shape {WebUtility.HtmlEncode(Guard.Format(shape))}{kind}</div>");
        if (shape.Length <= 2)
        {
            var rows = shape.Length == 2 ? shape[0] : 1;
            var columns = shape.Length == 0 ? 1 : shape[^1];
            Grid(html, data, 0, rows, columns);
        }
        else
        {
            var rows = shape[^2];
            var columns = shape[^1];
            var blockSize = rows * columns;
            var blocks = blockSize == 0 ? 0 : data.Length / blockSize;
            for (var b = 0; b < Math.Min(blocks, MaxBlocks); b++)
            {
                html.Append($"<div>{WebUtility.HtmlEncode(BlockLabel(shape, b))}</div>");
                Grid(html, data, b * blockSize, rows, columns);
            }
            if (blocks > MaxBlocks) html.Append($"<div>… {blocks - MaxBlocks} more blocks</div>");
        }
        return html.Append("</div>").ToString();
    }

    // The leading indices of block b, e.g. [1, 0, :, :].
    private static string BlockLabel(int[] shape, int block)
    {
        var leading = new int[shape.Length - 2];
        for (var axis = leading.Length - 1; axis >= 0; axis--)
        {
            leading[axis] = block % shape[axis];
            block /= shape[axis];
        }
        return "[" + string.Join(", ", leading) + ", :, :]";
    }

    private static void Grid(StringBuilder html, double[] data, int offset, int rows, int columns)
    {
        html.Append("<table style=\"border-collapse:collapse;font-family:monospace\">");
        for (var i = 0; i < Math.Min(rows, MaxRows); i++)
        {
            html.Append("<tr>");
            for (var j = 0; j < Math.Min(columns, MaxColumns); j++)
                html.Append("<td style=\"border:1px solid #ccc;padding:2px 6px;text-align:right\">").Append(Number(data[offset + i * columns + j])).Append("</td>");
            if (columns > MaxColumns) html.Append($"<td>… {columns - MaxColumns} more</td>");
            html.Append("</tr>");
        }
        if (rows > MaxRows) html.Append($"<tr><td colspan=\"{Math.Min(columns, MaxColumns)}\">… {rows - MaxRows} more rows</td></tr>");
        html.Append("</table>");
    }
}
