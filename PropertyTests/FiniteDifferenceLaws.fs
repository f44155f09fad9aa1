/// Derivatives agree with central finite differences, within the bound of Approx.centralDifference
/// (Richardson-estimated truncation O(h²·|f'''|) plus rounding O(ε·scale/h)).
module FunctionalAD.PropertyTests.FiniteDifferenceLaws

open Xunit
open FunctionalAD
open FunctionalAD.PropertyTests.Property
open FunctionalAD.PropertyTests.Subjects

let private jvpMatchesDifferences (s: Subject) =
    let v = s.Random 1 s.X
    let _, jv = AD.jvp s.F s.X v
    Approx.matchesFiniteDifference "jvp" s.F s.X v s.Scale jv

[<Law "jvp = finite differences / primitives">]
let ``jvp equals the central difference along a random direction on primitives`` () = onPrimitives jvpMatchesDifferences

[<Law "jvp = finite differences / programs">]
let ``jvp equals the central difference along a random direction on programs`` () = onPrograms jvpMatchesDifferences

let private vjpMatchesDifferences (s: Subject) =
    let y, pullback = AD.vjp s.F s.X
    let u = s.Random 2 y
    let v = s.Random 1 s.X
    let fd, bound = Approx.centralDifference s.F s.X v s.Scale
    let expected = Approx.inner u fd
    let tolerance = Array.fold2 (fun acc (ui: float) b -> acc + abs ui * b) 0.0 (u.ToArray()) bound + Approx.exactTolerance * (s.Scale + abs expected)
    Approx.within "<J^T u, v> vs <u, FD v>" tolerance expected (Approx.inner (pullback u) v)

[<Law "vjp = finite differences / primitives">]
let ``vjp paired with a direction equals the cotangent paired with the central difference on primitives`` () = onPrimitives vjpMatchesDifferences

[<Law "vjp = finite differences / programs">]
let ``vjp paired with a direction equals the cotangent paired with the central difference on programs`` () = onPrograms vjpMatchesDifferences

let private gradientMatchesDifferences (s: Subject) =
    let f = s.Scalar
    let g = AD.grad f s.X
    for k in 0 .. s.X.Size - 1 do
        let e = Tensor.create s.X.Shape (Array.init s.X.Size (fun i -> if i = k then 1.0 else 0.0))
        let gk = Tensor.scalar (g.ToArray()[k])
        Approx.matchesFiniteDifference (sprintf "gradient element %d" k) f s.X e (s.Scale * Approx.magnitude (s.Random 99 (s.F s.X)) + s.Scale) gk

[<Law "gradient = finite differences / primitives">]
let ``every gradient element equals the central difference along its unit vector on primitives`` () = onPrimitives gradientMatchesDifferences

[<Law "gradient = finite differences / programs">]
let ``every gradient element equals the central difference along its unit vector on programs`` () = onPrograms gradientMatchesDifferences
