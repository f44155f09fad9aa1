/// Random programs in float32 (issue 16): every value and derivative keeps the program's type,
/// and a float32 program computes what its float64 twin does, within bounds derived from
/// float32's unit roundoff, the program's scale and how many paths its rounding errors travel.
module FunctionalAD.PropertyTests.Float32Laws

open System
open FsCheck.FSharp
open FunctionalAD
open FunctionalAD.PropertyTests.Property
open FunctionalAD.PropertyTests.Programs

/// float32's unit roundoff. A float32 primitive's result is within a few units in the last place
/// of the exact one: its own kernel (TensorPrimitives' float functions, taken as within 2 ulps =
/// 4u) or the float64 evaluation rounded once, sums accumulated in float64 (docs/core.md, "float32").
let private u = Math.Pow(2.0, -24)

let private widen (t: Tensor) = Tensor.cast DType.Float64 t

/// A deterministic weight tensor shaped like `y`, rounded to `y`'s type, so that both programs
/// of a comparison reduce their outputs with the same numbers.
let private weightsLike (p: Program) (y: Tensor) = Tensor.cast y.DType (p.DirectionLike 1 y)

let private assertType (what: string) (expected: DType) (t: Tensor) =
    if t.DType <> expected then failwithf "%s is %s in a %s program" what t.DType.Name expected.Name

[<Law "element types / programs">]
let ``every register, tangent and gradient of a float32 or float64 program has the program's type`` () =
    Prop.forAll (typedPrograms 10) (fun p ->
        let x = p.Start
        p.Registers x |> Array.iteri (fun i r -> assertType (sprintf "register r%d" i) p.DType r)
        let y = p.Run x
        let w = weightsLike p y
        assertType "the gradient" p.DType (AD.grad (fun z -> Tensor.sum (p.Run z * w)) x)
        let v = Tensor.cast p.DType (p.DirectionLike 2 x)
        assertType "the tangent" p.DType (snd (AD.jvp p.Run x v)))

/// Well-conditioned float32 programs (`wellConditionedOps`) of up to 6 instructions.
let private wellConditioned = admissibleOf (programOf wellConditionedOps [ DType.Float32 ] 6)

/// The bounds, for programs of steps that do not amplify errors (`wellConditionedOps`: local
/// derivatives of magnitude ≤ 1.13 in the ∞-norm, second derivatives ≤ 1):
/// - value: a step is at most about 5 primitives (logsumexp: max, sub, exp, sum, log; plus
///   `fitTo`'s mean), each off by at most 4u times a magnitude ≤ S, the largest magnitude of any
///   register: ≤ 24·u·S a step. The error of a register reaches the output along its paths
///   without growth, so |y₃₂ − y₆₄| ≤ E = 24·u·S·Q, with Q the paths summed over registers
///   (`Program.Paths`).
/// - gradient of ⟨w, y⟩: a sum over the ≤ Q paths and the output elements (weighted by |w|, so
///   ‖w‖₁ covers the sums in the transposes of means and broadcasts) of products of ≤ 6 local
///   derivatives (≤ 1.13⁶ ≈ 2.1). Each factor is off by the forward error of its argument times
///   |f''| ≤ 1 (≤ E) and by its own rounding (≤ 4u), so a product is off by ≤ 2.1·6·(E + 4u):
///   |g₃₂ − g₆₄| ≤ 13·(24·u·S·Q + 4u)·Q·‖w‖₁ ≤ 320·u·Q·(S·Q + 1)·‖w‖₁.
/// The float64 program's own error (2⁻⁵³ per rounding) is far below both.
[<Law "float32 = float64 / well-conditioned programs">]
let ``a float32 program's value and gradient agree with its float64 twin within the rounding bounds`` () =
    Prop.forAll wellConditioned (fun p ->
        let x32 = p.Start
        let x64 = widen x32
        let y32, y64 = p.Run x32, p.Run x64
        let q = p.Paths
        let scale = p.Scale x64
        let valueBound = 24.0 * u * scale * q
        Array.iteri2 (fun k e a -> Approx.within (sprintf "float32 value (element %d)" k) valueBound e a) (y64.ToArray()) (y32.ToArray())
        let w32 = weightsLike p y32
        let g32 = AD.grad (fun z -> Tensor.sum (p.Run z * w32)) x32
        let g64 = AD.grad (fun z -> Tensor.sum (p.Run z * widen w32)) x64
        let wNorm = w32.ToArray() |> Array.sumBy abs
        let gradientBound = 320.0 * u * q * (scale * q + 1.0) * wNorm
        Array.iteri2 (fun k e a -> Approx.within (sprintf "float32 gradient (element %d)" k) gradientBound e a) (g64.ToArray()) (g32.ToArray()))

[<Xunit.Fact>]
let ``reductions over an empty axis and constant padding keep float32`` () =
    // found with the element-type law (pad, cumprod) and, alike, by reading: each primitive's
    // constant block is made in its argument's type
    let empty = Tensor.zerosOf DType.Float32 [| 0; 2 |]
    let x = Tensor.cast DType.Float32 (Tensor.ofArray [| 0.5; -1.5; 2.0 |])
    for t in [ Tensor.prodAxes [| 0 |] false empty; Tensor.normAxes infinity [| 0 |] false empty
               Tensor.pad (PadMode.Constant 0.5) [| (1, 2) |] x; Tensor.cumprod 0 x ] do
        assertType "the result" DType.Float32 t
    Xunit.Assert.Equal<float[]>([| 1.0; 1.0 |], (Tensor.prodAxes [| 0 |] false empty).ToArray())
    Xunit.Assert.Equal<float[]>([| 0.5; 0.5; -1.5; 2.0; 0.5; 0.5 |], (Tensor.pad (PadMode.Constant 0.5) [| (1, 2) |] x).ToArray())
