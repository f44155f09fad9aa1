/// Forward and reverse mode describe one linear map: adjointness, equal Jacobians, and
/// `linearize` agreeing with `jvp`.
module FunctionalAD.PropertyTests.ModeLaws

open Xunit
open FunctionalAD
open FunctionalAD.PropertyTests.Property
open FunctionalAD.PropertyTests.Subjects

let private adjointness (s: Subject) =
    let v = s.Random 1 s.X
    let y, jv = AD.jvp s.F s.X v
    let _, pullback = AD.vjp s.F s.X
    let u = s.Random 2 y
    let jtu = pullback u
    // Both sides sum products of exact derivatives; their rounding is relative to Σ|terms|.
    let scale = Approx.absInner u jv + Approx.absInner jtu v
    Approx.within "adjointness" (Approx.exactTolerance * (1.0 + scale)) (Approx.inner u jv) (Approx.inner jtu v)

[<Law "<u, J v> = <J^T u, v> / primitives">]
let ``vjp is the adjoint of jvp on primitives`` () = onPrimitives adjointness

[<Law "<u, J v> = <J^T u, v> / programs">]
let ``vjp is the adjoint of jvp on programs`` () = onPrograms adjointness

let private jacobiansAgree (s: Subject) =
    let forward = AD.jacfwd s.F s.X
    Approx.tensorsClose "jacfwd vs jacrev" Approx.exactTolerance (s.Scale + Approx.magnitude forward) forward (AD.jacrev s.F s.X)

[<Law "jacfwd = jacrev / primitives">]
let ``forward and reverse Jacobians agree on primitives`` () = onPrimitives jacobiansAgree

[<Law "jacfwd = jacrev / programs">]
let ``forward and reverse Jacobians agree on programs`` () = onPrograms jacobiansAgree

let private linearizeIsJvp (s: Subject) =
    let y, pushforward = AD.linearize s.F s.X
    let y', _ = AD.jvp s.F s.X (s.Random 1 s.X)
    Approx.tensorsClose "linearize value" 0.0 0.0 y' y
    for k in 1 .. 3 do
        let v = s.Random k s.X
        let expected = snd (AD.jvp s.F s.X v)
        Approx.tensorsClose (sprintf "linearize along direction %d" k) Approx.exactTolerance s.Scale expected (pushforward v)

[<Law "linearize = jvp / primitives">]
let ``linearize agrees with jvp on primitives`` () = onPrimitives linearizeIsJvp

[<Law "linearize = jvp / programs">]
let ``linearize agrees with jvp on programs`` () = onPrograms linearizeIsJvp

[<Fact>]
let ``the Jacobian of a function with an empty output or input is empty in both modes`` () =
    // Found by the property above: slicing a length-1 axis from 1 with step 2 leaves nothing.
    let emptyOutput (x: Tensor) = Tensor.slice [| (1, 1, 1) |] (sin x)
    let x = Tensor.ofArray [| 0.5; 1.5 |]
    for jacobian in [ AD.jacfwd emptyOutput; AD.jacrev emptyOutput ] do
        Assert.Equal<int[]>([| 0; 2 |], (jacobian x).Shape)
    let ofEmpty (x: Tensor) = Tensor.sum (exp x) + Tensor.scalar 1.0 * Tensor.ofArray [| 1.0; 2.0 |]
    let empty = Tensor.zeros [| 0 |]
    for jacobian in [ AD.jacfwd ofEmpty; AD.jacrev ofEmpty ] do
        Assert.Equal<int[]>([| 2; 0 |], (jacobian empty).Shape)
