/// A small SVG line plot with logarithmic axes (for cost-growth figures).
module FunctionalAD.Benchmarks.SvgPlot

open System
open System.Globalization
open System.Text

let private palette = [| "#1f77b4"; "#d62728"; "#2ca02c"; "#9467bd"; "#ff7f0e" |]
let private num (v: float) = v.ToString("0.##", CultureInfo.InvariantCulture)

/// A log–log line plot of named series of (x, y) points (x, y > 0), with decade grid lines.
let logLog (title: string) (xLabel: string) (yLabel: string) (series: (string * (float * float)[]) list) =
    let width, height = 720.0, 420.0
    let left, right, top, bottom = 70.0, 230.0, 40.0, 50.0
    let points = series |> List.collect (fun (_, p) -> List.ofArray p)
    let decades (values: float list) =
        let logs = values |> List.map Math.Log10
        floor (List.min logs), ceil (List.max logs)
    let x0, x1 = decades (points |> List.map fst)
    let y0, y1 = decades (points |> List.map snd)
    let span a b = if b > a then b - a else 1.0
    let px x = left + (Math.Log10 x - x0) / span x0 x1 * (width - left - right)
    let py y = height - bottom - (Math.Log10 y - y0) / span y0 y1 * (height - top - bottom)
    let svg = StringBuilder()
    let add (s: string) = svg.AppendLine s |> ignore
    add (sprintf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" font-family=\"sans-serif\" font-size=\"12\">" (num width) (num height))
    add "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
    add (sprintf "<text x=\"%s\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">%s</text>" (num ((width - right + left) / 2.0)) title)
    for d in int x0 .. int x1 do
        let x = px (10.0 ** float d)
        add (sprintf "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#ddd\"/>" (num x) (num top) (num x) (num (height - bottom)))
        add (sprintf "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\">1e%d</text>" (num x) (num (height - bottom + 18.0)) d)
    for d in int y0 .. int y1 do
        let y = py (10.0 ** float d)
        add (sprintf "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#ddd\"/>" (num left) (num y) (num (width - right)) (num y))
        add (sprintf "<text x=\"%s\" y=\"%s\" text-anchor=\"end\">1e%d</text>" (num (left - 6.0)) (num (y + 4.0)) d)
    add (sprintf "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>" (num ((width - right + left) / 2.0)) (num (height - 12.0)) xLabel)
    add (sprintf "<text transform=\"translate(18,%s) rotate(-90)\" text-anchor=\"middle\">%s</text>" (num ((height - bottom + top) / 2.0)) yLabel)
    series |> List.iteri (fun i (name, p) ->
        let colour = palette[i % palette.Length]
        let path = p |> Array.map (fun (x, y) -> num (px x) + "," + num (py y)) |> String.concat " "
        add (sprintf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>" colour path)
        for x, y in p do add (sprintf "<circle cx=\"%s\" cy=\"%s\" r=\"3\" fill=\"%s\"/>" (num (px x)) (num (py y)) colour)
        let ly = top + 20.0 + 20.0 * float i
        add (sprintf "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"2\"/>" (num (width - right + 15.0)) (num ly) (num (width - right + 35.0)) (num ly) colour)
        add (sprintf "<text x=\"%s\" y=\"%s\">%s</text>" (num (width - right + 40.0)) (num (ly + 4.0)) name))
    add "</svg>"
    svg.ToString()
