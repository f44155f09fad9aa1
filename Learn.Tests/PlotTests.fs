module FunctionalAD.Learn.Tests.PlotTests

open System
open System.Xml.Linq
open Xunit
open FunctionalAD.Learn

let private svgName (local: string) = XName.Get(local, "http://www.w3.org/2000/svg")

let private plot scale series =
    { Title = "loss <curve> & more"; XLabel = "epoch"; YLabel = "loss"; XScale = Linear; YScale = scale; Series = series }

[<Fact>]
let ``a line plot is well-formed SVG with one polyline and legend entry per series`` () =
    let svg = Plot.lines (plot Linear [ { Name = "train"; Points = [| 1.0, 0.5; 2.0, 0.3; 3.0, 0.2 |] }; { Name = "test"; Points = [| 1.0, 0.6; 2.0, 0.4 |] } ])
    let doc = XDocument.Parse svg
    let polylines = doc.Descendants(svgName "polyline") |> Seq.toArray
    Assert.Equal(2, polylines.Length)
    Assert.Equal(3, (polylines[0].Attribute(XName.Get "points").Value.Split(' ')).Length)
    let texts = doc.Descendants(svgName "text") |> Seq.map (fun t -> t.Value) |> Set.ofSeq
    Assert.Contains("train", texts)
    Assert.Contains("loss <curve> & more", texts)

[<Fact>]
let ``a log axis leaves out points it cannot draw and labels powers of ten`` () =
    let svg = Plot.lines (plot Log10 [ { Name = "error"; Points = [| 1.0, 1e-3; 2.0, 0.0; 3.0, 1e-6; 4.0, nan |] } ])
    let doc = XDocument.Parse svg
    let points = (doc.Descendants(svgName "polyline") |> Seq.exactlyOne).Attribute(XName.Get "points").Value.Split(' ')
    Assert.Equal(2, points.Length)
    let texts = doc.Descendants(svgName "text") |> Seq.map (fun t -> t.Value) |> Set.ofSeq
    Assert.Contains("1e-3", texts)
    Assert.Contains("1e-6", texts)

[<Fact>]
let ``a plot with nothing to draw is refused`` () =
    Assert.Throws<ArgumentException>(fun () -> Plot.lines (plot Log10 [ { Name = "none"; Points = [| 1.0, -1.0 |] } ]) |> ignore) |> ignore
