/// stopGradient, custom rules, and the size of derivative graphs.
module FunctionalAD.PropertyTests.StructureLaws

open Xunit
open FsCheck.FSharp
open FunctionalAD
open FunctionalAD.PropertyTests.Programs
open FunctionalAD.PropertyTests.Property
open FunctionalAD.PropertyTests.Subjects

/// Two programs at the first one's point (kept when both are admissible there).
let private pairs = Arb.zip (programs, programs)
let private atSamePoint (p: Program) (q: Program) = { q with Input = p.Input }

let private close law (scale: float) (expected: Tensor) (actual: Tensor) =
    Approx.tensorsClose law Approx.exactTolerance (scale + Approx.magnitude expected) expected actual

[<Law "stopGradient blocks one path">]
let ``stopGradient blocks exactly the path through it`` () =
    // h(x) = p(x) · q(stopGradient x): the value is p(x)·q(x); every derivative treats q(x) as a
    // constant and still differentiates p.
    Prop.forAll pairs (fun (p, q) ->
        let q' = atSamePoint p q
        Prop.filter q'.Admissible (lazy (
            let a, b = (ofProgram p).Scalar, (ofProgram q').Scalar
            let x = p.Input.Tensor
            let h (x: Tensor) = a x * b (AD.stopGradient x)
            let scale = p.Scale x * (1.0 + q'.Scale x)
            Approx.within "value" (Approx.exactTolerance * scale) ((a x * b x).ToScalar()) ((h x).ToScalar())
            close "reverse mode" scale (b x * AD.grad a x) (AD.grad h x)
            let v = p.DirectionLike 1 x
            close "forward mode" scale (b x * snd (AD.jvp a x v)) (snd (AD.jvp h x v))
            close "second order" scale (b x * AD.hvp a x v) (AD.hvp h x v))))

let private stoppedHasZeroDerivatives (s: Subject) =
    let h (x: Tensor) = s.F (AD.stopGradient x)
    let v = s.Random 1 s.X
    Assert.True((snd (AD.jvp h s.X v)).ToArray() |> Array.forall ((=) 0.0))
    Assert.True((AD.grad (fun x -> Tensor.sum (h x)) s.X).ToArray() |> Array.forall ((=) 0.0))

[<Law "D f(stopGradient x) = 0 / primitives">]
let ``a function of stopGradient alone has zero derivatives on primitives`` () = onPrimitives stoppedHasZeroDerivatives

[<Law "D f(stopGradient x) = 0 / programs">]
let ``a function of stopGradient alone has zero derivatives on programs`` () = onPrograms stoppedHasZeroDerivatives

let private customRulesUsed (s: Subject) =
    // A rule that returns 3× the true derivative: reverse mode uses the VJP rule, and forward
    // mode (derived from it) and the JVP-only variant follow it.
    let tripledVjp = Custom.withVjp "tripled" s.F (fun x _ g -> 3.0 * snd (AD.vjp s.F x) g)
    let tripledJvp = Custom.withJvp "tripled" s.F (fun x _ t -> 3.0 * snd (AD.jvp s.F x t))
    let v = s.Random 1 s.X
    let y, jv = AD.jvp s.F s.X v
    let u = s.Random 2 y
    let _, pullback = AD.vjp s.F s.X
    let jtu = pullback u
    for name, f in [ "withVjp", tripledVjp; "withJvp", tripledJvp ] do
        close (name + " value") s.Scale y (f s.X)
        close (name + " forward") s.Scale (3.0 * jv) (snd (AD.jvp f s.X v))
        close (name + " reverse") s.Scale (3.0 * jtu) (snd (AD.vjp f s.X) u)

[<Law "custom rules are used / primitives">]
let ``custom rules are the ones used, in both modes on primitives`` () = onPrimitives customRulesUsed

[<Law "custom rules are used / programs">]
let ``custom rules are the ones used, in both modes on programs`` () = onPrograms customRulesUsed

// softplus with its textbook derivative sigmoid, as a VJP rule and as a JVP rule.
let private vjpRule = Custom.withVjp "softplus" Tensor.softplus (fun x _ g -> g * Tensor.sigmoid x)
let private jvpRule = Custom.withJvp "softplus" Tensor.softplus (fun x _ t -> t * Tensor.sigmoid x)

let private customSoftplusMatchesDifferences (s: Subject) =
    let v = s.Random 1 s.X
    for name, rule in [ "withVjp", vjpRule; "withJvp", jvpRule ] do
        let f = s.F >> rule
        let scale = s.Scale + 1.0
        Approx.matchesFiniteDifference (name + " forward") f s.X v scale (snd (AD.jvp f s.X v))
        let y, pullback = AD.vjp f s.X
        let u = s.Random 2 y
        let fd, bound = Approx.centralDifference f s.X v scale
        let expected = Approx.inner u fd
        let tolerance = Array.fold2 (fun acc (ui: float) b -> acc + abs ui * b) 0.0 (u.ToArray()) bound + Approx.exactTolerance * (scale + abs expected)
        Approx.within (name + " reverse") tolerance expected (Approx.inner (pullback u) v)

[<Law "custom softplus = finite differences / primitives">]
let ``a correct custom rule agrees with finite differences in both modes on primitives`` () = onPrimitives customSoftplusMatchesDifferences

[<Law "custom softplus = finite differences / programs">]
let ``a correct custom rule agrees with finite differences in both modes on programs`` () = onPrograms customSoftplusMatchesDifferences

[<Law "count (grad f) <= 16 count f + 16">]
let ``the gradient's graph is at most a constant times the function's`` () =
    // The gradient's graph is the forward pass plus, per primitive, the nodes of its VJP rule
    // plus one `add` per extra use of a value (fan-out). The largest rules (pow, cholesky) build
    // about 13 nodes, most build 1 to 3, so count(grad f) ≤ (1 + 13 + 1)·count(f) + a few for
    // the seed and the final reshape: 16·count(f) + 16. Expression swell (the lectures'
    // symbolic differentiation) would break any linear bound. Measured on 1000 random
    // programs: ratio at most 3.9 (cholesky of cholesky), 1.85 on average.
    Prop.forAll programs (fun p ->
        let s = (ofProgram p).Scalar
        let forward = Inspect.count s p.Input.Tensor
        let backward = Inspect.count (AD.grad s) p.Input.Tensor
        if backward > 16 * forward + 16 then
            failwithf "the gradient has %d operations for a function of %d" backward forward)
