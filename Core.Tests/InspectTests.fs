/// Listings, DOT export and node counts.
module FunctionalAD.Tests.InspectTests

open Xunit
open FunctionalAD
open FunctionalAD.Tests.TestSupport

[<Fact>]
let ``the seeds' function prints as a numbered listing`` () =
    let listing = Inspect.listing (fun (w: Tensor) -> log (1.0 + exp (-3.5 * w))) (s 0.5)
    Assert.Equal("v0 = input []\nv1 = -3.5 * v0\nv2 = exp v1\nv3 = 1 + v2\nv4 = log v3\nreturn v4", listing.Replace("\r", ""))

[<Fact>]
let ``derivative programs print too`` () =
    let listing = Inspect.listing (AD.grad (fun (w: Tensor) -> w * w)) (s 3.0)
    Assert.Contains("v0 = input []", listing)
    Assert.Contains("mulNoNan", listing)
    Assert.Equal(3, Inspect.count (AD.grad (fun (w: Tensor) -> w * w)) (s 3.0))

[<Fact>]
let ``DOT export names every operation and edge`` () =
    let dot = Inspect.dot (fun (x: Tensor, y: Tensor) -> x * sin y) (s 1.0, s 2.0)
    Assert.StartsWith("digraph program {", dot)
    Assert.Contains("v2 [shape=ellipse, label=\"v2 = sin v1\"];", dot)
    Assert.Contains("v1 -> v2;", dot)
    Assert.Contains("v0 -> v3;", dot)
    Assert.Contains("doublecircle", dot)

[<Fact>]
let ``the explain table prints every row`` () =
    let text = (Explain.table (fun (w: Tensor) -> log (1.0 + exp (-3.5 * w))) (s 0.5)).ToString()
    Assert.Contains("adjoint λ = ∂f/∂v", text)
    Assert.Contains("v4 | log v3", text)
    Assert.Contains("-0.518165", text)
