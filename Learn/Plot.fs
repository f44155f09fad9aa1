namespace FunctionalAD.Learn

open System
open System.Globalization
open System.IO
open System.Text

/// How an axis maps values to positions.
type AxisScale =
    | Linear
    /// Base-10 logarithmic; values ≤ 0 are left out.
    | Log10

/// One named line of points (x, y).
type Series = { Name: string; Points: (float * float)[] }

/// A line plot: title, axis labels and scales, and the lines.
type LinePlot =
    { Title: string
      XLabel: string
      YLabel: string
      XScale: AxisScale
      YScale: AxisScale
      Series: Series list }

/// A small SVG line-plot writer (no dependencies): axes with ticks, one coloured polyline with
/// markers per series, and a legend. Enough for loss curves and error-versus-step plots.
[<RequireQualifiedAccess>]
module Plot =
    let private width, height = 640.0, 420.0
    let private left, right, top, bottom = 78.0, 20.0, 40.0, 56.0
    let private palette = [| "#1f77b4"; "#d62728"; "#2ca02c"; "#ff7f0e"; "#9467bd"; "#8c564b"; "#e377c2"; "#17becf" |]
    let private num (v: float) = v.ToString("0.##", CultureInfo.InvariantCulture)
    let private label (v: float) = v.ToString("G4", CultureInfo.InvariantCulture)
    let private escape (s: string) = s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;")

    let private transform scale (v: float) = match scale with Linear -> v | Log10 -> Math.Log10 v
    let private usable scale (v: float) = Double.IsFinite v && (scale = Linear || v > 0.0)

    /// Round tick values covering [lo, hi] (transformed coordinates): steps of 1, 2 or 5 × 10ᵏ
    /// on a linear axis, whole powers of ten on a log axis.
    let private ticks scale (lo: float) (hi: float) =
        match scale with
        | Log10 ->
            let first, last = Math.Ceiling lo, Math.Floor hi
            let stride = Math.Max(1.0, Math.Ceiling((last - first + 1.0) / 8.0))
            [ first .. stride .. last ]
        | Linear ->
            let raw = (hi - lo) / 6.0
            let magnitude = Math.Pow(10.0, Math.Floor(Math.Log10 raw))
            let step = [ 1.0; 2.0; 5.0; 10.0 ] |> List.map (fun m -> m * magnitude) |> List.find (fun s -> s >= raw)
            // + 0.0 turns a tick at −0 into 0
            [ Math.Ceiling(lo / step) * step + 0.0 .. step .. hi + step * 1e-9 ]

    let private range (values: float[]) =
        let lo, hi = Array.min values, Array.max values
        if hi - lo < 1e-12 * Math.Max(1.0, Math.Abs hi) then lo - 0.5, hi + 0.5
        else lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo)

    /// The plot as an SVG document.
    let lines (plot: LinePlot) =
        let kept =
            plot.Series |> List.map (fun s ->
                s, s.Points |> Array.filter (fun (x, y) -> usable plot.XScale x && usable plot.YScale y)
                            |> Array.map (fun (x, y) -> transform plot.XScale x, transform plot.YScale y))
        let all = kept |> List.collect (fun (_, p) -> List.ofArray p) |> Array.ofList
        if all.Length = 0 then invalidArg "plot" (sprintf "Plot.lines: '%s' has no point that can be drawn" plot.Title)
        let xLo, xHi = range (Array.map fst all)
        let yLo, yHi = range (Array.map snd all)
        let px x = left + (x - xLo) / (xHi - xLo) * (width - left - right)
        let py y = height - bottom - (y - yLo) / (yHi - yLo) * (height - top - bottom)
        let tickText scale t = match scale with Linear -> label t | Log10 -> sprintf "1e%d" (int t)
        let svg = StringBuilder()
        let add (s: string) = svg.AppendLine s |> ignore
        add (sprintf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">" (num width) (num height) (num width) (num height))
        add (sprintf "<rect width=\"%s\" height=\"%s\" fill=\"white\"/>" (num width) (num height))
        add (sprintf "<text x=\"%s\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">%s</text>" (num (width / 2.0)) (escape plot.Title))
        for t in ticks plot.XScale xLo xHi do
            add (sprintf "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#e5e5e5\"/>" (num (px t)) (num top) (num (px t)) (num (height - bottom)))
            add (sprintf "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>" (num (px t)) (num (height - bottom + 16.0)) (tickText plot.XScale t))
        for t in ticks plot.YScale yLo yHi do
            add (sprintf "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#e5e5e5\"/>" (num left) (num (py t)) (num (width - right)) (num (py t)))
            add (sprintf "<text x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>" (num (left - 6.0)) (num (py t + 4.0)) (tickText plot.YScale t))
        add (sprintf "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"none\" stroke=\"#333\"/>" (num left) (num top) (num (width - left - right)) (num (height - top - bottom)))
        add (sprintf "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>" (num ((left + width - right) / 2.0)) (num (height - 14.0)) (escape plot.XLabel))
        add (sprintf "<text transform=\"translate(18 %s) rotate(-90)\" text-anchor=\"middle\">%s</text>" (num ((top + height - bottom) / 2.0)) (escape plot.YLabel))
        kept |> List.iteri (fun i (_, points) ->
            let colour = palette[i % palette.Length]
            let path = String.Join(" ", points |> Array.map (fun (x, y) -> num (px x) + "," + num (py y)))
            add (sprintf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"%s\"/>" colour path)
            if points.Length <= 60 then
                for (x, y) in points do add (sprintf "<circle cx=\"%s\" cy=\"%s\" r=\"2.6\" fill=\"%s\"/>" (num (px x)) (num (py y)) colour))
        // The legend: a white box sized to its longest name.
        let legendWidth = 36.0 + 6.6 * float (plot.Series |> List.map (fun s -> s.Name.Length) |> List.max)
        let legendHeight = 8.0 + 18.0 * float plot.Series.Length
        // The corner of the plot area that hides the fewest points.
        let x0, y0 =
            let hidden (x0, y0) = all |> Array.filter (fun (x, y) -> let u, v = px x, py y in u >= x0 && u <= x0 + legendWidth && v >= y0 && v <= y0 + legendHeight) |> Array.length
            [ width - right - 8.0 - legendWidth, top + 6.0; left + 8.0, top + 6.0
              width - right - 8.0 - legendWidth, height - bottom - 6.0 - legendHeight; left + 8.0, height - bottom - 6.0 - legendHeight ]
            |> List.minBy hidden
        add (sprintf "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#bbb\"/>" (num x0) (num y0) (num legendWidth) (num legendHeight))
        plot.Series |> List.iteri (fun i series ->
            let colour = palette[i % palette.Length]
            let ly = y0 + 16.0 + 18.0 * float i
            add (sprintf "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"2.5\"/>" (num (x0 + 6.0)) (num (ly - 4.0)) (num (x0 + 28.0)) (num (ly - 4.0)) colour)
            add (sprintf "<text x=\"%s\" y=\"%s\">%s</text>" (num (x0 + 34.0)) (num ly) (escape series.Name)))
        add "</svg>"
        svg.ToString()

    /// Writes the plot as an SVG file (creating the folder), returning the path.
    let save (path: string) (plot: LinePlot) =
        let folder = Path.GetDirectoryName(Path.GetFullPath path)
        Directory.CreateDirectory folder |> ignore
        File.WriteAllText(path, lines plot)
        path
