namespace FunctionalAD

open System

/// Which differentiation modes a derivative check exercises.
type GradCheckMode =
    /// Forward mode: `jvp` against finite differences.
    | ForwardMode
    /// Reverse mode: `vjp` against finite differences.
    | ReverseMode

/// Settings of a derivative check. Start from `GradCheckOptions.Default` and change fields.
type GradCheckOptions =
    { /// Highest derivative order checked: 1 checks first derivatives; 2 also checks the
      /// derivatives of the jvp/vjp functions (second derivatives) and their symmetry; and so on.
      Order: int
      /// The modes to check (both by default).
      Modes: GradCheckMode list
      /// Random directions (and cotangents) per check.
      Directions: int
      /// Relative finite-difference step h (scaled by max(1, max |x|)), used for central
      /// differences; 1e-5 balances truncation (h²) against rounding (ε/h) for smooth functions.
      Step: float
      /// Relative tolerance, on top of the estimated finite-difference error.
      RelativeTolerance: float
      /// Absolute tolerance, for results that are zero or nearly so.
      AbsoluteTolerance: float
      /// For inputs narrower than float64 (float32): how many unit roundoffs of the narrowest
      /// input type (2⁻²⁴ for float32) a value, jvp or vjp may differ from the float64 computation
      /// of the same program, relative to the largest magnitude of the compared tensor. Rounding
      /// errors of u per operation add up over a program's operations and are amplified by its
      /// conditioning; the default 2¹⁴ (about 1e-3 for float32) leaves room for about 10⁴
      /// roundings of condition 1.
      RoundingGrowth: float
      /// Input element checks (one finite difference per input element, which locates an error
      /// to an element) run when the inputs have at most this many elements in total; 0 turns
      /// them off.
      MaxElementChecks: int
      /// Seed of the random directions: the same seed gives the same check.
      Seed: int }

    /// Order 1, both modes, 3 directions, step 1e-5, tolerances 1e-6 (relative) and 1e-9
    /// (absolute), rounding growth 2¹⁴ for float32 inputs, element checks up to 64 input
    /// elements, seed 0.
    static member Default =
        { Order = 1
          Modes = [ ForwardMode; ReverseMode ]
          Directions = 3
          Step = 1e-5
          RelativeTolerance = 1e-6
          AbsoluteTolerance = 1e-9
          RoundingGrowth = 16384.0
          MaxElementChecks = 64
          Seed = 0 }

/// One comparison a derivative check made: the law, where, the two values and the tolerance.
type GradCheckFinding =
    { /// The law compared, e.g. "jvp = finite differences".
      Law: string
      /// The order, direction, input element and output element compared.
      Where: string
      /// The reference value (finite differences, or the other side of an identity).
      Expected: float
      /// The value computed by automatic differentiation.
      Actual: float
      /// The largest difference accepted here: the tolerances plus, for finite differences, the
      /// estimated truncation and rounding error of the difference quotient.
      Tolerance: float }

    /// |actual − expected|.
    member f.AbsoluteError = abs (f.Actual - f.Expected)
    /// |actual − expected| / max(|actual|, |expected|), 0 when both are 0.
    member f.RelativeError =
        let scale = max (abs f.Actual) (abs f.Expected)
        if scale = 0.0 then f.AbsoluteError else f.AbsoluteError / scale
    /// True when the difference is within the tolerance.
    member f.Passed = f.AbsoluteError <= f.Tolerance

/// The result of a derivative check: whether every comparison passed, and the comparison that
/// came closest to (or went furthest past) its tolerance.
type GradCheckReport =
    { /// True when every comparison was within its tolerance.
      Passed: bool
      /// How many comparisons were made.
      Checks: int
      /// The comparison with the largest error relative to its tolerance.
      Worst: GradCheckFinding
      /// Every comparison that failed (empty when the check passed).
      Failures: GradCheckFinding list
      /// The options the check ran with.
      Options: GradCheckOptions }

    /// The law of the worst comparison.
    member r.Law = r.Worst.Law
    /// Where the worst comparison was made (order, direction, input and output element).
    member r.Where = r.Worst.Where
    /// The worst comparison's relative error.
    member r.WorstRelativeError = r.Worst.RelativeError
    /// The tolerance the worst comparison was held to.
    member r.Tolerance = r.Worst.Tolerance

    override r.ToString() =
        let w = r.Worst
        let verdict = if r.Passed then "passed" else sprintf "FAILED (%d of %d comparisons)" r.Failures.Length r.Checks
        sprintf "GradCheck %s: %d comparisons up to order %d (seed %d, step %g).\nWorst: %s at %s\n  automatic %.17g\n  reference %.17g\n  absolute error %.3g, relative error %.3g, tolerance %.3g"
            verdict r.Checks r.Options.Order r.Options.Seed r.Options.Step w.Law w.Where w.Actual w.Expected w.AbsoluteError w.RelativeError w.Tolerance

/// Raised by `GradCheck.assertGrads` when a derivative check fails; carries the report.
type GradCheckException(report: GradCheckReport) =
    inherit Exception(report.ToString())
    /// The failed check's report.
    member _.Report = report

/// Checks the derivatives of a function — and so of any custom derivative rule inside it —
/// against finite differences and the laws that tie the modes together, in the spirit of
/// torch.autograd.gradcheck and JAX's check_grads:
/// - forward mode: J·v (jvp) equals the central difference along random directions v;
/// - reverse mode: ⟨Jᵀu, v⟩ (vjp) equals ⟨u, central difference along v⟩;
/// - both modes: ⟨u, J·v⟩ = ⟨Jᵀu, v⟩;
/// - small inputs: each input element's column of J equals its finite difference (this locates
///   an error to an element);
/// - order ≥ 2: the same checks on the functions x ↦ J(x)·v and x ↦ J(x)ᵀu, and the symmetry
///   of the second derivative: D²f[v, w] = D²f[w, v].
/// A finite difference is trusted up to its estimated error: truncation, O(h²·|f'''|), is
/// estimated by Richardson's comparison of steps h and 2h (their difference is about three
/// times the truncation error at h), and rounding is bounded by 16·ε·|f|/h.
///
/// Inputs of a narrower type (float32) are checked in two parts: every check above runs on the
/// same program at the inputs widened (exactly) to float64, where finite differences are
/// accurate; and the program's value, jvp and vjp at the float32 inputs are compared with those
/// of the float64 program (same directions, rounded to float32 first), each element within
/// `RoundingGrowth` unit roundoffs of float32 times the largest magnitude of its tensor, and
/// every tangent and gradient must have its primal's type.
module GradCheck =
    let private epsilon = Math.Pow(2.0, -52)

    let private law = {| Jvp = "jvp = finite differences"
                         Vjp = "vjp = finite differences"
                         Adjoint = "<u, J v> = <J^T u, v>"
                         ForwardElement = "jvp of a unit vector = finite differences"
                         ReverseElement = "vjp element = finite differences"
                         Symmetry = "second derivative symmetric"
                         NarrowValue = "value = value of the float64 program"
                         NarrowJvp = "jvp = jvp of the float64 program"
                         NarrowVjp = "vjp = vjp of the float64 program"
                         ElementType = "derivative element size (bytes) = its primal's" |}

    let private valuesOf (ts: Tensor[]) = ts |> Array.collect (fun t -> t.ToArray())
    let private inner (a: float[]) (b: float[]) = Array.fold2 (fun acc x y -> acc + x * y) 0.0 a b
    let private absInner (a: float[]) (b: float[]) = Array.fold2 (fun acc x y -> acc + abs (x * y)) 0.0 a b

    /// A function of several tensors and its position in the tower of derivatives.
    type private Level =
        { Function: Tensor[] -> Tensor[]
          Order: int
          Label: string }

    let private locate (shapes: int[][]) (flat: int) =
        let mutable rest = flat
        let mutable part = 0
        while rest >= Shape.size shapes[part] do
            rest <- rest - Shape.size shapes[part]
            part <- part + 1
        part, rest

    type private Checker(options: GradCheckOptions, xs: Tensor[]) =
        let h = options.Step * max 1.0 (xs |> Array.collect (fun x -> x.ToArray()) |> Array.fold (fun m v -> max m (abs v)) 0.0)
        let findings = Collections.Generic.List<GradCheckFinding>()
        let inputShapes = xs |> Array.map (fun x -> x.Shape)
        let mutable randomCount = 0

        let random (shapes: int[][]) =
            shapes |> Array.map (fun s ->
                randomCount <- randomCount + 1
                Tensor.randomNormal (options.Seed * 7919 + randomCount) s)

        let unit (k: int) =
            let part, element = locate inputShapes k
            xs |> Array.mapi (fun i x ->
                let data = Array.zeroCreate x.Size
                if i = part then data[element] <- 1.0
                Tensor.create x.Shape data)

        let tolerance (a: float) (b: float) = options.AbsoluteTolerance + options.RelativeTolerance * max (abs a) (abs b)

        /// Central differences at steps h and 2h, with each element's error bound.
        let difference (f: Tensor[] -> Tensor[]) (v: Tensor[]) =
            let at (s: float) = valuesOf (f (Array.map2 (fun (x: Tensor) (d: Tensor) -> Tensor.ofNdArray (x + s * d).Value) xs v))
            let p1, m1, p2, m2 = at h, at -h, at (2.0 * h), at (-2.0 * h)
            let d1 = Array.init p1.Length (fun k -> (p1[k] - m1[k]) / (2.0 * h))
            let d2 = Array.init p1.Length (fun k -> (p2[k] - m2[k]) / (4.0 * h))
            let bound = Array.init p1.Length (fun k ->
                let scale = max (max (abs p1[k]) (abs m1[k])) (max (abs p2[k]) (abs m2[k]))
                abs (d1[k] - d2[k]) + 16.0 * epsilon * scale / h)
            d1, bound

        let record lawName where expected actual extra =
            findings.Add { Law = lawName; Where = where; Expected = expected; Actual = actual; Tolerance = tolerance expected actual + extra }

        let outputWhere (shapes: int[][]) (k: int) =
            if shapes.Length = 1 && shapes[0].Length = 0 then "" else let o, e = locate shapes k in sprintf ", output %d element %d" o e

        let inputWhere (k: int) = let i, e = locate inputShapes k in sprintf "input %d element %d" i e

        member _.Findings = findings.ToArray()

        member this.Run(level: Level) =
            let y = level.Function xs
            let outputShapes = y |> Array.map (fun t -> t.Shape)
            let forward = List.contains ForwardMode options.Modes
            let reverse = List.contains ReverseMode options.Modes
            let pushforward v = snd (AD.jvp level.Function xs v)
            let _, pullback = AD.vjp level.Function xs
            for d in 1 .. options.Directions do
                let v = random inputShapes
                let u = random outputShapes
                let fd, bound = difference level.Function v
                let where = sprintf "%sdirection %d" level.Label d
                let uValues = valuesOf u
                let vValues = valuesOf v
                if forward then
                    let jv = valuesOf (pushforward v)
                    for k in 0 .. jv.Length - 1 do
                        record law.Jvp (where + outputWhere outputShapes k) fd[k] jv[k] bound[k]
                if reverse then
                    let jtu = valuesOf (pullback u)
                    record law.Vjp where (inner uValues fd) (inner jtu vValues) (absInner uValues bound)
                if forward && reverse then
                    let jv = valuesOf (pushforward v)
                    let jtu = valuesOf (pullback u)
                    let scale = absInner uValues jv + absInner jtu vValues
                    findings.Add { Law = law.Adjoint; Where = where; Expected = inner uValues jv; Actual = inner jtu vValues
                                   Tolerance = options.AbsoluteTolerance + options.RelativeTolerance * scale }
                if level.Order >= 2 then
                    let w = random inputShapes
                    let second a b = valuesOf (snd (AD.jvp (fun x -> snd (AD.jvp level.Function x a)) xs b))
                    let vw, wv = second v w, second w v
                    let scale = absInner uValues vw + absInner uValues wv
                    findings.Add { Law = law.Symmetry; Where = where; Expected = inner uValues wv; Actual = inner uValues vw
                                   Tolerance = options.AbsoluteTolerance + options.RelativeTolerance * scale }
            let inputSize = xs |> Array.sumBy (fun x -> x.Size)
            if inputSize <= options.MaxElementChecks then
                let u = random outputShapes
                let uValues = valuesOf u
                let gradient = if reverse then valuesOf (pullback u) else [||]
                for k in 0 .. inputSize - 1 do
                    let e = unit k
                    let fd, bound = difference level.Function e
                    if forward then
                        let column = valuesOf (pushforward e)
                        for j in 0 .. column.Length - 1 do
                            record law.ForwardElement (level.Label + inputWhere k + outputWhere outputShapes j) fd[j] column[j] bound[j]
                    if reverse then
                        record law.ReverseElement (level.Label + inputWhere k) (inner uValues fd) gradient[k] (absInner uValues bound)
            if level.Order > 1 then
                for d in 1 .. options.Directions do
                    let next = level.Order - 1
                    let order = options.Order - next + 1
                    if forward then
                        let v = random inputShapes
                        this.Run { Function = (fun x -> snd (AD.jvp level.Function x v)); Order = next
                                   Label = sprintf "%sorder %d (jvp along direction %d), " level.Label order d }
                    if reverse then
                        let u = random outputShapes
                        this.Run { Function = (fun x -> snd (AD.vjp level.Function x) u); Order = next
                                   Label = sprintf "%sorder %d (vjp of cotangent %d), " level.Label order d }

    let private validate (options: GradCheckOptions) (xs: Tensor[]) =
        let fail (argument: string) (message: string) = raise (ArgumentException("GradCheck: " + message, argument))
        if options.Order < 1 then fail "options" (sprintf "the order must be at least 1, not %d" options.Order)
        if List.isEmpty options.Modes then fail "options" "choose at least one mode"
        if options.Directions < 1 then fail "options" (sprintf "at least one direction is needed, not %d" options.Directions)
        if not (options.Step > 0.0 && options.Step < 1.0) then fail "options" (sprintf "the step must lie in (0, 1), not %g" options.Step)
        if not (options.RelativeTolerance >= 0.0 && options.AbsoluteTolerance >= 0.0 && options.RoundingGrowth >= 0.0) then
            fail "options" "tolerances (and the rounding growth) must be non-negative"
        if xs.Length = 0 then fail "xs" "the function needs at least one input"
        xs |> Array.iteri (fun i x ->
            if not x.IsConstant then fail "xs" (sprintf "input %d depends on a differentiation variable; check at plain values" i)
            if x.ToArray() |> Array.exists (fun v -> Double.IsNaN v || Double.IsInfinity v) then fail "xs" (sprintf "input %d is not finite" i))

    let private reportOf (options: GradCheckOptions) (findings: GradCheckFinding[]) =
        let ratio (f: GradCheckFinding) = if f.Tolerance > 0.0 then f.AbsoluteError / f.Tolerance elif f.AbsoluteError = 0.0 then 0.0 else infinity
        let failures = findings |> Array.filter (fun f -> not f.Passed) |> Array.toList
        { Passed = List.isEmpty failures
          Checks = findings.Length
          Worst = findings |> Array.maxBy (fun f -> if Double.IsNaN f.AbsoluteError then infinity else ratio f)
          Failures = failures
          Options = options }

    /// Unit roundoff: half the gap between 1 and the next number of the type.
    let private unitRoundoff (dtype: DType) =
        match dtype with
        | DType.Float32 -> Math.Pow(2.0, -24)
        | DType.Float64 -> epsilon / 2.0

    let private widen (t: Tensor) = if t.DType = DType.Float64 then t else Tensor.cast DType.Float64 t

    /// The value, jvp and vjp of `f` at the narrow inputs `xs` against those of the same program
    /// at `wide` (xs widened to float64), and the element types of the derivatives. The bound of
    /// each element is relative to the largest magnitude of its tensor on the float64 side, so an
    /// element that cancels to nearly 0 is judged by the scale its rounding errors have.
    let private narrowFindings (options: GradCheckOptions) (f: Tensor[] -> Tensor[]) (xs: Tensor[]) (wide: Tensor[]) =
        let findings = Collections.Generic.List<GradCheckFinding>()
        let u = xs |> Array.map (fun x -> unitRoundoff x.DType) |> Array.max
        let mutable draws = 0
        // directions drawn in float64 and rounded to each tensor's type: both programs get the same
        let direction (like: Tensor[]) =
            like |> Array.map (fun t ->
                draws <- draws + 1
                let v = Tensor.randomNormal (options.Seed * 7919 - draws) t.Shape
                if t.DType = DType.Float64 then v else Tensor.cast t.DType v)
        let compare lawName (where: string) (narrow: Tensor[]) (reference: Tensor[]) =
            Array.iteri2 (fun i (n: Tensor) (r: Tensor) ->
                let expected = r.ToArray()
                let actual = n.ToArray()
                let scale = expected |> Array.fold (fun m v -> max m (abs v)) 0.0
                let bound = options.AbsoluteTolerance + options.RoundingGrowth * u * scale
                for k in 0 .. actual.Length - 1 do
                    findings.Add { Law = lawName; Where = sprintf "%s, tensor %d element %d" where i k; Expected = expected[k]; Actual = actual[k]; Tolerance = bound })
                narrow reference
        let sameType (where: string) (primal: Tensor[]) (derivative: Tensor[]) =
            Array.iteri2 (fun i (p: Tensor) (d: Tensor) ->
                findings.Add { Law = law.ElementType; Where = sprintf "%s %d: %s primal, %s derivative" where i p.DType.Name d.DType.Name
                               Expected = float p.DType.Size; Actual = float d.DType.Size; Tolerance = 0.0 })
                primal derivative
        let y = f xs
        compare law.NarrowValue "value" y (f wide)
        let _, pullback = AD.vjp f xs
        let _, widePullback = AD.vjp f wide
        for d in 1 .. options.Directions do
            if List.contains ForwardMode options.Modes then
                let v = direction xs
                let jv = snd (AD.jvp f xs v)
                compare law.NarrowJvp (sprintf "direction %d" d) jv (snd (AD.jvp f wide (Array.map widen v)))
                sameType (sprintf "direction %d, output" d) y jv
            if List.contains ReverseMode options.Modes then
                let c = direction y
                let jtc = pullback c
                compare law.NarrowVjp (sprintf "cotangent %d" d) jtc (widePullback (Array.map widen c))
                sameType (sprintf "cotangent %d, input" d) xs jtc
        findings.ToArray()

    /// Checks a function of several tensors at `xs` with the given options. Inputs of float32
    /// are checked against the float64 computation of the same program and by finite
    /// differences of it (see the module's summary).
    let checkManyWith (options: GradCheckOptions) (f: Tensor[] -> Tensor) (xs: Tensor[]) : GradCheckReport =
        validate options xs
        let program x = [| f x |]
        let wide = Array.map widen xs
        let checker = Checker(options, wide)
        let narrow = xs |> Array.exists (fun x -> x.DType <> DType.Float64)
        checker.Run { Function = program; Order = options.Order; Label = if narrow then "float64 program, " else "" }
        reportOf options (if narrow then Array.append checker.Findings (narrowFindings options program xs wide) else checker.Findings)

    /// Checks a function of several tensors at `xs` with the default options.
    let checkMany (f: Tensor[] -> Tensor) (xs: Tensor[]) = checkManyWith GradCheckOptions.Default f xs

    /// Checks a function of one tensor at `x` with the given options.
    let checkWith (options: GradCheckOptions) (f: Tensor -> Tensor) (x: Tensor) = checkManyWith options (fun xs -> f xs[0]) [| x |]

    /// Checks a function of one tensor at `x` with the default options.
    let check (f: Tensor -> Tensor) (x: Tensor) = checkWith GradCheckOptions.Default f x

    let private throwIfFailed (report: GradCheckReport) = if not report.Passed then raise (GradCheckException report)

    /// Like `checkManyWith`, raising GradCheckException (with the report) when the check fails.
    let assertGradsManyWith (options: GradCheckOptions) (f: Tensor[] -> Tensor) (xs: Tensor[]) = throwIfFailed (checkManyWith options f xs)

    /// Checks several inputs with the default options, raising GradCheckException on failure.
    let assertGradsMany (f: Tensor[] -> Tensor) (xs: Tensor[]) = throwIfFailed (checkMany f xs)

    /// Like `checkWith`, raising GradCheckException (with the report) when the check fails.
    let assertGradsWith (options: GradCheckOptions) (f: Tensor -> Tensor) (x: Tensor) = throwIfFailed (checkWith options f x)

    /// Checks with the default options, raising GradCheckException (with the report) on failure.
    let assertGrads (f: Tensor -> Tensor) (x: Tensor) = throwIfFailed (check f x)
