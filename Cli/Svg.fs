namespace FunctionalAD.Cli

open System
open System.Collections.Generic
open System.Security
open System.Text
open System.Text.RegularExpressions

/// Draws the Graphviz DOT that `Inspect.dot` writes as an SVG without Graphviz: a layered
/// layout, left to right, where a node's layer is one more than its deepest argument's.
module Svg =
    type private Vertex = { Name: string; Shape: string; Lines: string[] }

    let private nodeLine = Regex("""^\s*(\w+) \[shape=(\w+), label="((?:[^"\\]|\\.)*)"\];$""")
    let private edgeLine = Regex("""^\s*(\w+) -> (\w+);$""")

    let private columnGap, rowHeight, charWidth, margin = 60.0, 70.0, 7.5, 20.0

    /// The SVG picture of a DOT digraph in the form `Inspect.dot` writes (nodes listed with
    /// their arguments first).
    let ofDot (dot: string) : string =
        let vertices = List<Vertex>()
        let edges = List<string * string>()
        for line in dot.Split('\n') do
            let n = nodeLine.Match line
            if n.Success then
                let label = n.Groups[3].Value.Replace("\\\"", "\"")
                vertices.Add { Name = n.Groups[1].Value; Shape = n.Groups[2].Value; Lines = label.Split("\\n") }
            else
                let e = edgeLine.Match line
                if e.Success then edges.Add((e.Groups[1].Value, e.Groups[2].Value))
        let layer = Dictionary<string, int>()
        for v in vertices do
            let sources = edges |> Seq.filter (fun (_, target) -> target = v.Name) |> Seq.choose (fun (s, _) -> match layer.TryGetValue s with | true, l -> Some l | _ -> None)
            layer[v.Name] <- if Seq.isEmpty sources then 0 else 1 + Seq.max sources
        let width (v: Vertex) = 24.0 + charWidth * float (v.Lines |> Array.map String.length |> Array.max)
        let layers = vertices |> Seq.groupBy (fun v -> layer[v.Name]) |> Seq.sortBy fst |> Seq.map (snd >> Seq.toArray) |> Seq.toArray
        let columnWidth = layers |> Array.map (fun vs -> vs |> Array.map width |> Array.max)
        let columnX = columnWidth |> Array.scan (fun x w -> x + w + columnGap) margin
        let position = Dictionary<string, float * float * float>()
        layers |> Array.iteri (fun l vs -> vs |> Array.iteri (fun row v -> position[v.Name] <- (columnX[l] + columnWidth[l] / 2.0, margin + rowHeight * (float row + 0.5), width v)))
        let totalWidth = columnX[columnX.Length - 1] - columnGap + margin
        let totalHeight = 2.0 * margin + rowHeight * float (layers |> Array.map Array.length |> Array.max)
        let svg = StringBuilder()
        let add (s: string) = svg.Append(s).Append('\n') |> ignore
        add (sprintf """<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="Helvetica, Arial, sans-serif" font-size="12">""" totalWidth totalHeight)
        add """<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>"""
        for source, target in edges do
            let x1, y1, w1 = position[source]
            let x2, y2, w2 = position[target]
            add (sprintf """<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black" marker-end="url(#arrow)"/>""" (x1 + w1 / 2.0) y1 (x2 - w2 / 2.0) y2)
        for v in vertices do
            let x, y, w = position[v.Name]
            match v.Shape with
            | "box" -> add (sprintf """<rect x="%.1f" y="%.1f" width="%.1f" height="40" fill="white" stroke="black"/>""" (x - w / 2.0) (y - 20.0) w)
            | "doublecircle" ->
                add (sprintf """<ellipse cx="%.1f" cy="%.1f" rx="%.1f" ry="24" fill="white" stroke="black"/>""" x y (w / 2.0 + 4.0))
                add (sprintf """<ellipse cx="%.1f" cy="%.1f" rx="%.1f" ry="20" fill="white" stroke="black"/>""" x y (w / 2.0))
            | _ -> add (sprintf """<ellipse cx="%.1f" cy="%.1f" rx="%.1f" ry="20" fill="white" stroke="black"/>""" x y (w / 2.0))
            v.Lines |> Array.iteri (fun i text ->
                let dy = 4.0 + 14.0 * (float i - float (v.Lines.Length - 1) / 2.0)
                add (sprintf """<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>""" x (y + dy) (SecurityElement.Escape text)))
        add "</svg>"
        svg.ToString().TrimEnd()
