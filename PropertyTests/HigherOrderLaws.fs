/// Derivatives of any order: n-th derivatives against closed forms, and nested derivatives that
/// keep their perturbations apart.
module FunctionalAD.PropertyTests.HigherOrderLaws

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FunctionalAD
open FunctionalAD.PropertyTests.Generators
open FunctionalAD.PropertyTests.Property
open FunctionalAD.PropertyTests.Subjects

/// A point (a small vector of values in a domain) and an order 0 to 4.
let private pointsAndOrders (domain: Domain) =
    gen {
        let! n = Gen.choose (1, 4)
        let! x = sampleOf domain [| n |]
        let! order = Gen.choose (0, 4)
        return x, order
    }
    |> Arb.fromGen

let private closedForm (domain: Domain) (f: Tensor -> Tensor) (derivative: int -> float -> float) =
    Prop.forAll (pointsAndOrders domain) (fun (x, order) ->
        let actual = (AD.nthDerivative order f x.Tensor).ToArray()
        x.Values |> Array.iteri (fun k xk ->
            let expected = derivative order xk
            // Nested forward sweeps round a few ε per operation on graphs of tens of nodes.
            Approx.within (sprintf "order %d at x = %g" order xk) (Approx.exactTolerance * (1.0 + abs expected)) expected actual[k]))

[<Law "n-th derivative of exp">]
let ``n-th derivatives of exp are exp`` () = closedForm anywhere exp (fun _ x -> Math.Exp x)

[<Law "n-th derivative of sin">]
let ``n-th derivatives of sin are shifted sines`` () =
    closedForm anywhere sin (fun n x -> Math.Sin(x + float n * Math.PI / 2.0))

[<Law "n-th derivative of tanh">]
let ``n-th derivatives of tanh are polynomials in tanh`` () =
    // With t = tanh x and tanh' = 1 − t²:
    //   tanh'    = 1 − t²
    //   tanh''   = −2t(1 − t²)
    //   tanh'''  = −2(1 − t²)(1 − 3t²)
    //   tanh'''' = 8t(1 − t²)(2 − 3t²)
    closedForm anywhere tanh (fun n x ->
        let t = Math.Tanh x
        match n with
        | 0 -> t
        | 1 -> 1.0 - t * t
        | 2 -> -2.0 * t * (1.0 - t * t)
        | 3 -> -2.0 * (1.0 - t * t) * (1.0 - 3.0 * t * t)
        | _ -> 8.0 * t * (1.0 - t * t) * (2.0 - 3.0 * t * t))

/// Polynomials with coefficients in [-5, 5] (degree 0 to 6), a point and an order 0 to 4.
let private polynomials =
    gen {
        let! degree = Gen.choose (0, 6)
        let! coefficients = Gen.arrayOfLength (degree + 1) (Gen.choose (-50, 50) |> Gen.map (fun c -> float c / 10.0))
        let! n = Gen.choose (1, 4)
        let! x = sampleOf anywhere [| n |]
        let! order = Gen.choose (0, 4)
        return coefficients, x, order
    }
    |> Arb.fromGen

[<Law "n-th derivative of a polynomial">]
let ``n-th derivatives of polynomials follow the power rule`` () =
    Prop.forAll polynomials (fun (c, x, order) ->
        // Horner's scheme: c0 + x(c1 + x(c2 + …)).
        let p (x: Tensor) = Array.foldBack (fun ck acc -> ck + x * acc) c[.. c.Length - 2] (x * 0.0 + c[c.Length - 1])
        let fallingFactorial k n = Seq.fold (fun acc j -> acc * float (k - j)) 1.0 (seq { 0 .. n - 1 })
        let expected xk =
            c |> Array.mapi (fun k ck -> if k < order then 0.0 else ck * fallingFactorial k order * Math.Pow(xk, float (k - order))) |> Array.sum
        let scale xk = c |> Array.mapi (fun k ck -> abs ck * fallingFactorial k order * Math.Pow(abs xk, float (max 0 (k - order)))) |> Array.sum
        let actual = (AD.nthDerivative order p x.Tensor).ToArray()
        x.Values |> Array.iteri (fun k xk ->
            Approx.within (sprintf "order %d at x = %g" order xk) (Approx.exactTolerance * (1.0 + scale xk)) (expected xk) actual[k]))

[<Fact>]
let ``nested derivatives do not confuse perturbations (Siskind and Pearlmutter's example)`` () =
    // d/dx [x · (d/dy (x + y))|y=x] = d/dx [x · 1] = 1; confusing the two perturbations gives 2.
    let f (x: Tensor) = x * AD.derivative (fun y -> x + y) x
    for x in [ -1.5; 0.0; 2.0 ] do
        Assert.Equal(1.0, (AD.derivative f (Tensor.scalar x)).ToScalar())

/// How an inner derivative is taken: a scalar function's derivative at x along v.
type InnerMode =
    | ByJvp
    | ByGrad
    | ByVjp

let private inner (mode: InnerMode) (g: Tensor -> Tensor) (x: Tensor) (v: Tensor) =
    match mode with
    | ByJvp -> snd (AD.jvp g x v)
    | ByGrad -> Tensor.sum (AD.grad g x * v)
    | ByVjp -> let y, pullback = AD.vjp g x in Tensor.sum (pullback (Tensor.onesLike y) * v)

[<Law "nested derivatives keep perturbations apart">]
let ``random nestings of derivatives do not confuse perturbations in either mode`` () =
    // level₀(x) = b(x); level_{k+1}(x) = a(x) · D_y[level_k(y) + c·a(x)](x)[v]. The term c·a(x) is
    // constant in y, so it must not change the inner derivative: the same tower built without
    // it (the reference) has the same outer derivative. A transform that mistook the outer
    // variable's perturbation for its own would differentiate c·a(x) and disagree.
    let cases = Arb.zip (Arb.zip (shortPrograms, shortPrograms), Gen.listOf (Gen.elements [ ByJvp; ByGrad; ByVjp ]) |> Gen.resize 3 |> Arb.fromGen)
    Prop.forAll cases (fun ((p, q), modes) ->
        let q' = { q with Input = p.Input }
        Prop.filter q'.Admissible (lazy (
            let a, b = (ofProgram p).Scalar, (ofProgram q').Scalar
            let x = p.Input.Tensor
            let v = p.DirectionLike 1 x
            let tower (withConstant: bool) =
                modes |> List.fold (fun (level: Tensor -> Tensor) mode ->
                    fun (x: Tensor) ->
                        let constant = if withConstant then 0.75 * a x else Tensor.scalar 0.0
                        a x * inner mode (fun y -> level y + constant) x v) b
            // The outermost derivative in reverse mode (grad) and in forward mode (jvp along w).
            let expected = AD.grad (tower false) x
            Approx.tensorsClose (sprintf "grad of nesting %A" modes) Approx.exactTolerance (p.Scale x + Approx.magnitude expected) expected (AD.grad (tower true) x)
            let w = p.DirectionLike 2 x
            let expected = snd (AD.jvp (tower false) x w)
            let actual = snd (AD.jvp (tower true) x w)
            Approx.tensorsClose (sprintf "jvp of nesting %A" modes) Approx.exactTolerance (p.Scale x + Approx.magnitude expected) expected actual
            // Both towers could be wrong the same way, so the outer derivative is also checked
            // against finite differences of the tower's value (which only needs the inner,
            // first-order derivatives). Each level multiplies by a(x), hence the scale.
            let scale = (1.0 + p.Scale x) ** float (modes.Length + 1) * (1.0 + q'.Scale x)
            Approx.matchesFiniteDifference (sprintf "jvp of nesting %A vs finite differences" modes) (tower true) x w scale actual)))
