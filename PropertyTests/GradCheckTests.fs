/// The public derivative checker: it passes correct derivatives (every primitive, random
/// programs), catches wrong custom rules at the order where they go wrong, and says where.
module FunctionalAD.PropertyTests.GradCheckTests

open System
open Xunit
open FsCheck
open FsCheck.FSharp
open FunctionalAD
open FunctionalAD.PropertyTests.Property
open FunctionalAD.PropertyTests.Subjects

let private x0 = Tensor.ofArray [| 0.3; -1.2; 2.0 |]

/// sin with a wrong derivative: 2·cos instead of cos.
let private wrongSin = Custom.withVjp "sin" sin (fun x _ g -> g * 2.0 * cos x)

/// sin whose VJP is right at first order but blocks its own derivative (cos of a stopped x),
/// so its second derivative is wrong.
let private firstOrderOnlySin = Custom.withVjp "sin" sin (fun x _ g -> g * cos (AD.stopGradient x))

let private gradCheckPasses (s: Subject) =
    let report = GradCheck.checkWith { GradCheckOptions.Default with Seed = 7 } s.F s.X
    if not report.Passed then failwithf "%O" report

[<Law "GradCheck passes correct derivatives / primitives">]
let ``passes correct derivatives at order 1 on primitives`` () = onPrimitives gradCheckPasses

[<Law "GradCheck passes correct derivatives / programs">]
let ``passes correct derivatives at order 1 on programs`` () = onPrograms gradCheckPasses

[<Fact>]
let ``passes every primitive at order 2`` () =
    // One point per primitive (fixed seed), first and second derivatives against finite
    // differences: this covers every primitive's rule and the derivative of its rule.
    let cases = (Gen.sampleWithSeed (Rnd 20261123UL) 5 1 Catalogue.everyPrimitive)[0]
    for case in cases do
        let report = GradCheck.checkWith { GradCheckOptions.Default with Order = 2; Directions = 2 } case.OfPacked case.Packed
        Assert.True(report.Passed, sprintf "%s at %A:\n%O" case.Name case.Args report)

[<Fact>]
let ``passes second order on smooth functions of several inputs`` () =
    let f (xs: Tensor[]) = Tensor.sum (tanh (Tensor.matmul xs[0] xs[1]) * exp (-xs[1].[0]))
    let xs = [| Tensor.randomNormal 1 [| 2; 3 |]; Tensor.randomNormal 2 [| 3; 2 |] |]
    let report = GradCheck.checkManyWith { GradCheckOptions.Default with Order = 2 } f xs
    Assert.True(report.Passed, report.ToString())
    Assert.True(report.Checks > 100, sprintf "%d comparisons" report.Checks)

[<Fact>]
let ``catches a wrong custom VJP in both modes and says where`` () =
    let report = GradCheck.check wrongSin x0
    Assert.False(report.Passed)
    // Reverse mode runs the wrong rule; forward mode is derived from it, so it is wrong too.
    let laws = report.Failures |> List.map (fun f -> f.Law) |> set
    Assert.Contains("jvp = finite differences", laws)
    Assert.Contains("vjp = finite differences", laws)
    // The element checks locate the error to each input element; the worst is at the largest |cos x|.
    Assert.Contains("input 0 element 0", report.Failures |> List.map (fun f -> f.Where) |> String.concat "; ")
    // AD gives 2·cos x where the reference is cos x: a relative error of exactly 1/2.
    Assert.Equal(0.5, report.WorstRelativeError, 6)
    Assert.True(report.Tolerance < 1e-5, sprintf "tolerance %g" report.Tolerance)
    Assert.Contains("FAILED", report.ToString())
    let e = Assert.Throws<GradCheckException>(fun () -> GradCheck.assertGrads wrongSin x0)
    Assert.False(e.Report.Passed)

[<Fact>]
let ``catches a rule that is right at first order only at order 2`` () =
    Assert.True((GradCheck.check firstOrderOnlySin x0).Passed)
    let report = GradCheck.checkWith { GradCheckOptions.Default with Order = 2 } firstOrderOnlySin x0
    Assert.False(report.Passed)
    Assert.StartsWith("order 2", report.Worst.Where)

[<Fact>]
let ``checks one mode at a time`` () =
    // A JVP-only rule that is wrong: the reverse check sees it too (the VJP is built from JVPs).
    let wrongJvp = Custom.withJvp "sin" sin (fun x _ t -> t * 2.0 * cos x)
    for mode in [ ForwardMode; ReverseMode ] do
        let report = GradCheck.checkWith { GradCheckOptions.Default with Modes = [ mode ] } wrongJvp x0
        Assert.False(report.Passed, sprintf "%A" mode)
        Assert.True(report.Failures |> List.forall (fun f -> f.Law <> "<u, J v> = <J^T u, v>"))

[<Fact>]
let ``the same seed gives the same report`` () =
    let f x = Tensor.sum (exp (sin x))
    let a, b = GradCheck.check f x0, GradCheck.check f x0
    Assert.Equal(a.ToString(), b.ToString())
    let c = GradCheck.checkWith { GradCheckOptions.Default with Seed = 5 } f x0
    Assert.NotEqual<string>(a.ToString(), c.ToString())

[<Fact>]
let ``bad options and inputs are rejected before any work`` () =
    let f (x: Tensor) = x
    let reject options = Assert.Throws<ArgumentException>(fun () -> GradCheck.checkWith options f x0 |> ignore) |> ignore
    reject { GradCheckOptions.Default with Order = 0 }
    reject { GradCheckOptions.Default with Modes = [] }
    reject { GradCheckOptions.Default with Directions = 0 }
    reject { GradCheckOptions.Default with Step = 0.0 }
    reject { GradCheckOptions.Default with RelativeTolerance = -1.0 }
    Assert.Throws<ArgumentException>(fun () -> GradCheck.checkMany (fun xs -> xs[0]) [||] |> ignore) |> ignore
    Assert.Throws<ArgumentException>(fun () -> GradCheck.check f (Tensor.ofArray [| nan |]) |> ignore) |> ignore

[<Fact>]
let ``locates a wrong rule to the argument it belongs to`` () =
    // x·y with a VJP whose cotangent for y is wrong (x² instead of x).
    let product =
        Custom.define "product" (fun xs -> xs[0] * xs[1])
            { Jvp = None; Vjp = Some(fun xs _ g -> [| g * xs[1]; g * xs[0] * xs[0] |]) }
    let report = GradCheck.checkMany product [| Tensor.scalar 1.5; Tensor.scalar -0.5 |]
    Assert.False(report.Passed)
    let located = report.Failures |> List.filter (fun f -> f.Where.StartsWith "input")
    Assert.NotEmpty(located)
    Assert.All(located, fun f -> Assert.StartsWith("input 1 element 0", f.Where))

let private gradCheckPassesInFloat32 (p: Programs.Program) =
    let report = GradCheck.checkWith { GradCheckOptions.Default with Seed = 7 } p.Run p.Start
    if not report.Passed then failwithf "%O" report

/// With the default rounding growth (2¹⁴ unit roundoffs of the compared tensor's scale): the
/// programs of steps that do not amplify errors (`Programs.wellConditionedOps`, see
/// Float32Laws for the bounds), where 2¹⁴ covers their path counts.
[<Law "GradCheck passes correct derivatives / float32 programs">]
let ``passes correct derivatives of float32 programs against float64 and finite differences`` () =
    Prop.forAll (Programs.admissibleOf (Programs.programOf Programs.wellConditionedOps [ DType.Float32 ] 6)) gradCheckPassesInFloat32

let private x32 = Tensor.cast DType.Float32 x0

[<Fact>]
let ``checks a float32 function against its float64 program, finite differences of that, and the derivatives' types`` () =
    let f (xs: Tensor[]) = Tensor.sum (tanh (Tensor.matmul xs[0] xs[1]))
    let xs = [| Tensor.cast DType.Float32 (Tensor.randomNormal 1 [| 2; 3 |]); Tensor.randomNormal 2 [| 3; 2 |] |]
    let report = GradCheck.checkManyWith { GradCheckOptions.Default with Order = 2 } f xs
    Assert.True(report.Passed, report.ToString())
    let float64 = GradCheck.checkManyWith { GradCheckOptions.Default with Order = 2 } f (Array.map (Tensor.cast DType.Float64) xs)
    // every comparison of the float64 check, plus the value (1 element) and, per direction (3),
    // the jvp's element and the vjp's 6 + 6, and the types of 1 tangent and 2 gradients
    Assert.Equal(float64.Checks + 1 + 3 * (1 + 12) + 3 * (1 + 2), report.Checks)

[<Fact>]
let ``catches a float32 computation that differs from its float64 program`` () =
    // a function that reads its input's type: 1 % more in float32
    let f (x: Tensor) = if x.DType = DType.Float32 then 1.01 * sin x else sin x
    let report = GradCheck.check f x32
    Assert.False(report.Passed)
    let laws = report.Failures |> List.map (fun f -> f.Law) |> set
    Assert.Equal<Set<string>>(set [ "value = value of the float64 program"; "jvp = jvp of the float64 program"; "vjp = vjp of the float64 program" ], laws)
    // the tolerance: 2¹⁴ · 2⁻²⁴ times the largest |sin x| of the float64 program (x = −1.2, rounded), plus 1e-9
    let value = report.Failures |> List.find (fun f -> f.Law = "value = value of the float64 program")
    Assert.Equal(1e-9 + Math.Pow(2.0, -10) * abs (sin (float (float32 -1.2))), value.Tolerance, 15)

[<Fact>]
let ``catches a wrong rule on float32 inputs by the float64 program's finite differences`` () =
    let report = GradCheck.check wrongSin x32
    Assert.False(report.Passed)
    Assert.Contains("vjp = finite differences", report.Failures |> List.map (fun f -> f.Law))
    Assert.StartsWith("float64 program, ", report.Worst.Where)
    Assert.Throws<ArgumentException>(fun () -> GradCheck.checkWith { GradCheckOptions.Default with RoundingGrowth = -1.0 } sin x32 |> ignore) |> ignore
