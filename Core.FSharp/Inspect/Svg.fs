namespace FunctionalAD

open System.Collections.Generic
open System.Globalization
open System.Net
open System.Text

/// One node of a graph drawing: its id (v0, v1, …), its text, and the ids of its arguments.
type internal DrawnNode =
    { Id: string
      Label: string
      IsInput: bool
      IsOutput: bool
      Arguments: string[] }

/// A self-contained SVG drawing of a program graph, without Graphviz: a layered left-to-right
/// layout where inputs sit in the first column and each operation one column right of its
/// latest argument, so every edge points right. Inputs are square boxes, operations rounded,
/// outputs get a second inner border. Nodes are `<g class="node" id="vK">` groups and edges
/// `<path class="edge" data-from data-to>` paths, so tests and scripts can read the drawing.
module internal GraphSvg =
    let private charWidth, nodeHeight, rowGap, columnGap, margin = 7.0, 28.0, 16.0, 48.0, 12.0

    let private number (v: float) = v.ToString("0.#", CultureInfo.InvariantCulture)

    /// The drawing of nodes given arguments-first; arguments that are not nodes (inline
    /// constants) get no edge.
    let render (nodes: DrawnNode[]) : string =
        let layer = Dictionary<string, int>()
        for n in nodes do
            layer[n.Id] <- n.Arguments |> Array.choose (fun a -> match layer.TryGetValue a with | true, l -> Some(l + 1) | _ -> None) |> Array.fold max 0
        let columns = nodes |> Array.groupBy (fun n -> layer[n.Id]) |> Array.sortBy fst |> Array.map snd
        let widths = columns |> Array.map (Array.map (fun n -> float n.Label.Length * charWidth + 16.0) >> Array.max)
        let columnX = widths |> Array.scan (fun x w -> x + w + columnGap) margin
        let position = Dictionary<string, float * float * float>()
        columns |> Array.iteri (fun c column ->
            column |> Array.iteri (fun row n -> position[n.Id] <- (columnX[c], margin + float row * (nodeHeight + rowGap), widths[c])))
        let width = max (columnX[columnX.Length - 1] - columnGap + margin) (2.0 * margin)
        let rows = columns |> Array.map Array.length |> Array.fold max 0
        let height = max (2.0 * margin + float rows * (nodeHeight + rowGap) - rowGap) (2.0 * margin)
        let svg = StringBuilder()
        let add (s: string) = svg.Append(s) |> ignore
        add (sprintf """<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" font-family="monospace" font-size="12">""" (number width) (number height))
        add """<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>"""
        for n in nodes do
            let tx, ty, _ = position[n.Id]
            for a in n.Arguments |> Array.distinct |> Array.filter position.ContainsKey do
                let sx, sy, sw = position[a]
                let x1, y1, x2, y2 = sx + sw, sy + nodeHeight / 2.0, tx, ty + nodeHeight / 2.0
                let mid = (x1 + x2) / 2.0
                add (sprintf """<path class="edge" data-from="%s" data-to="%s" d="M%s,%s C%s,%s %s,%s %s,%s" fill="none" stroke="#555" marker-end="url(#arrow)"/>"""
                        a n.Id (number x1) (number y1) (number mid) (number y1) (number mid) (number y2) (number x2) (number y2))
        for n in nodes do
            let x, y, w = position[n.Id]
            let fill, rounding = if n.IsInput then "#e8f0fe", 0.0 else "#fff8e1", 12.0
            add (sprintf """<g class="node" id="%s" data-kind="%s">""" n.Id (if n.IsInput then "input" else "operation"))
            add (sprintf """<rect x="%s" y="%s" width="%s" height="%s" rx="%s" fill="%s" stroke="#333"/>""" (number x) (number y) (number w) (number nodeHeight) (number rounding) fill)
            if n.IsOutput then
                add (sprintf """<rect class="output" x="%s" y="%s" width="%s" height="%s" rx="%s" fill="none" stroke="#333"/>"""
                        (number (x + 3.0)) (number (y + 3.0)) (number (w - 6.0)) (number (nodeHeight - 6.0)) (number (max (rounding - 3.0) 0.0)))
            add (sprintf """<text x="%s" y="%s" text-anchor="middle">%s</text></g>""" (number (x + w / 2.0)) (number (y + nodeHeight / 2.0 + 4.0)) (WebUtility.HtmlEncode n.Label))
        add "</svg>"
        svg.ToString()
