/// The rules of calculus, each checked on the derivatives the library computes: linearity,
/// the product, quotient and chain rules, and the sum rule for an input used twice. Both sides
/// are exact derivatives, so they agree up to rounding (Approx.exactTolerance).
module FunctionalAD.PropertyTests.CalculusRules

open Xunit
open FsCheck.FSharp
open FunctionalAD
open FunctionalAD.PropertyTests.Generators
open FunctionalAD.PropertyTests.Programs
open FunctionalAD.PropertyTests.Property
open FunctionalAD.PropertyTests.Subjects

/// Two random programs run at the first one's point (kept when both are admissible there).
let private onPairs (law: Subject -> Subject -> unit) =
    Prop.forAll (Arb.zip (programs, programs)) (fun (p, q) ->
        let q' = { q with Input = p.Input }
        Prop.filter q'.Admissible (lazy (law (ofProgram p) (ofProgram q'))))

let private close law (scale: float) (expected: Tensor) (actual: Tensor) =
    Approx.tensorsClose law Approx.exactTolerance (scale + Approx.magnitude expected) expected actual

let private linearInDirection (s: Subject) =
    let v, w = s.Random 1 s.X, s.Random 2 s.X
    let jvp d = snd (AD.jvp s.F s.X d)
    let separate = 2.5 * jvp v - 0.75 * jvp w
    close "linearity in the direction" s.Scale separate (jvp (2.5 * v - 0.75 * w))

[<Law "J (a v + b w) = a J v + b J w / primitives">]
let ``the derivative is linear in the direction on primitives`` () = onPrimitives linearInDirection

[<Law "J (a v + b w) = a J v + b J w / programs">]
let ``the derivative is linear in the direction on programs`` () = onPrograms linearInDirection

[<Law "grad (a f + b g) = a grad f + b grad g">]
let ``the derivative of a linear combination is the combination of the derivatives`` () =
    onPairs (fun a b ->
        let f, g = a.Scalar, b.Scalar
        let separate = 1.5 * AD.grad f a.X - 4.0 * AD.grad g a.X
        close "linearity" (a.Scale + b.Scale) separate (AD.grad (fun x -> 1.5 * f x - 4.0 * g x) a.X))

[<Law "grad (f g) = g grad f + f grad g">]
let ``product rule`` () =
    onPairs (fun a b ->
        let f, g = a.Scalar, b.Scalar
        let expected = g a.X * AD.grad f a.X + f a.X * AD.grad g a.X
        close "product rule" (a.Scale * b.Scale) expected (AD.grad (fun x -> f x * g x) a.X))

[<Law "grad (f / (1 + g^2)) = (grad f (1 + g^2) - f 2g grad g) / (1 + g^2)^2">]
let ``quotient rule`` () =
    onPairs (fun a b ->
        let f, g = a.Scalar, b.Scalar
        let fx, gx = f a.X, g a.X
        let denominator = 1.0 + gx * gx
        let expected = (AD.grad f a.X * denominator - fx * 2.0 * gx * AD.grad g a.X) / (denominator * denominator)
        close "quotient rule" (a.Scale * (1.0 + b.Scale)) expected (AD.grad (fun x -> f x / (1.0 + g x * g x)) a.X))

[<Law "D(q o p) = Dq(p x) Dp(x)">]
let ``chain rule in both modes`` () =
    // The outer program runs on the inner one's output (steps adapt to any shape).
    Prop.forAll (Arb.zip (programs, programs)) (fun (p, q) ->
        let x = p.Input.Tensor
        let y = p.Run x
        let q' = { q with Input = { Shape = y.Shape; Values = y.ToArray() } }
        Prop.filter q'.Admissible (lazy (
            let composed = p.Run >> q'.Run
            let scale = p.Scale x * (1.0 + q'.Scale y)
            let v = p.DirectionLike 1 x
            let forward = snd (AD.jvp q'.Run y (snd (AD.jvp p.Run x v)))
            close "chain rule, forward" scale forward (snd (AD.jvp composed x v))
            let _, pullbackQ = AD.vjp q'.Run y
            let _, pullbackP = AD.vjp p.Run x
            let u = p.DirectionLike 2 (composed x)
            let _, pullback = AD.vjp composed x
            close "chain rule, reverse" scale (pullbackP (pullbackQ u)) (pullback u))))

[<Law "D_Z f(Z, 2Z) = D_X f + 2 D_Y f">]
let ``sum rule for an input used twice`` () =
    // The lectures' D_Z f(Z, 2Z) = D_X f(z, 2z) + 2 D_Y f(z, 2z), for f(X, Y) = p(X)·q(Y/2) + p(Y/2).
    onPairs (fun a b ->
        let p, q = a.Scalar, b.Scalar
        let f (args: Tensor[]) = p args[0] * q (0.5 * args[1]) + p (0.5 * args[1])
        let z = a.X
        let parts = AD.gradArgs [| 0; 1 |] f [| z; 2.0 * z |]
        close "sum rule" (a.Scale * (1.0 + b.Scale)) (parts[0] + 2.0 * parts[1]) (AD.grad (fun z -> f [| z; 2.0 * z |]) z))
