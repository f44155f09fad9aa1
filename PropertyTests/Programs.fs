/// Random programs: straight-line code over registers, drawn from the whole primitive set.
/// A program is data (a list of instructions), so FsCheck can shrink it by deleting
/// instructions, and a failing one prints as a numbered listing with its shapes.
///
/// Register 0 is the input; instruction i writes register i + 1 from any earlier registers,
/// so values are reused (fan-out) and the graph is a DAG. Every step is total: arguments whose
/// shapes do not fit are adapted (a mean stands in for an argument that does not broadcast, a
/// matrix view for a vector), and primitives with a restricted domain are guarded
/// (log(softplus x + 0.1), sqrt(x·x + 1), tan(tanh x), linear algebra on spd M = I + M·Mᵀ/(n + ‖M‖²)). A case is
/// used only when it is well scaled and away from kinks (see `audit`).
module FunctionalAD.PropertyTests.Programs

open System
open FsCheck
open FsCheck.FSharp
open FunctionalAD
open FunctionalAD.PropertyTests.Generators

/// One instruction: a step by name, argument registers (taken modulo the registers defined so
/// far, so deleting an earlier instruction leaves a valid program), and an axis and keep-dims
/// flag for the steps that take them.
type Instruction =
    { Op: string
      Args: int list
      Axis: int
      Keep: bool }

/// A program step: how many arguments it takes, what it computes, and its margin — the
/// distance of its arguments from the nearest kink or branch switch (∞ for smooth steps).
type private Step =
    { Arity: int
      Parametric: bool
      Apply: Instruction -> Tensor[] -> Tensor
      Margin: Instruction -> Tensor[] -> float }

let private compatible (a: int[]) (b: int[]) =
    let rank = max a.Length b.Length
    Seq.forall (fun i ->
        let da = let j = i - (rank - a.Length) in if j >= 0 then a[j] else 1
        let db = let j = i - (rank - b.Length) in if j >= 0 then b[j] else 1
        da = db || da = 1 || db = 1) (seq { 0 .. rank - 1 })

/// `b` itself when it broadcasts with `shape`, otherwise its mean (a scalar always broadcasts).
let private fitTo (shape: int[]) (b: Tensor) = if compatible shape b.Shape then b else Tensor.mean b

/// At least one axis, so that reductions and axis-taking layout steps apply to scalars too.
let private atLeastVector (x: Tensor) = if x.Rank = 0 then Tensor.reshape [| 1 |] x else x
let private axisOf (ins: Instruction) (x: Tensor) = ins.Axis % x.Rank

/// A matrix with the same elements: a row for a scalar or vector, leading axis kept otherwise.
let private matrixView (x: Tensor) =
    match x.Rank with
    | 0 -> Tensor.reshape [| 1; 1 |] x
    | 1 -> Tensor.reshape [| 1; x.Size |] x
    | 2 -> x
    | _ -> Tensor.reshape [| x.Shape[0]; -1 |] x

/// Any tensor as one single-channel image [1, 1, rows, columns] (its matrix view).
let private imageView (x: Tensor) = let m = matrixView x in Tensor.reshape [| 1; 1; m.Shape[0]; m.Shape[1] |] m

/// A constant in the element type of the register it meets: the steps' constants (a kernel,
/// an identity, indices) are float64 tensors, which would promote a float32 program.
let private like (x: Tensor) (c: Tensor) = if c.DType = x.DType then c else Tensor.cast x.DType c

/// A fixed 2 × 2 kernel for the convolution steps.
let private convKernel = Tensor.create [| 1; 1; 2; 2 |] [| 0.7; -0.3; 0.2; 0.5 |]

/// I + M·Mᵀ/(n + ‖M‖²): symmetric positive definite with eigenvalues in [1, 2), whatever the
/// size of M, so solves, inverses, determinants and Cholesky factors are well conditioned and
/// their derivatives round like any other step's (‖M‖² is smooth, unlike a max-norm).
let private spd (x: Tensor) =
    let m = matrixView x
    Tensor.matmul m (Tensor.transpose m) / (float m.Shape[1] + Tensor.sum (m * m)) + like m (Tensor.eye m.Shape[0])

/// The smallest non-zero |a − b| (exact ties are structural, e.g. max(x, x), and harmless).
let private gap (a: Tensor) (b: Tensor) =
    let d = (Tensor.abs (a - b)).ToArray() |> Array.filter (fun v -> v > 0.0)
    if d.Length = 0 then infinity else Array.min d

let private smooth _ _ = infinity
let private unary f = { Arity = 1; Parametric = false; Apply = (fun _ (a: Tensor[]) -> f a[0]); Margin = smooth }
let private kinked f margin = { unary f with Margin = (fun _ (a: Tensor[]) -> margin a[0]) }
let private binary f = { Arity = 2; Parametric = false; Apply = (fun _ (a: Tensor[]) -> f a[0] (fitTo a[0].Shape a[1])); Margin = smooth }
let private reduction f = { Arity = 1; Parametric = true; Apply = (fun ins (a: Tensor[]) -> let x = atLeastVector a[0] in f (axisOf ins x) ins.Keep x); Margin = smooth }

/// The largest element's lead over the runner-up along an axis (the kink of max).
let private maxMargin (reduce: int -> Tensor -> Tensor) (ins: Instruction) (a: Tensor[]) =
    let x = atLeastVector a[0]
    gap (reduce (axisOf ins x) x) x

let private comparisons = [| Tensor.greater; Tensor.less; Tensor.greaterEqual; Tensor.lessEqual |]

/// where(a ⋚ b, c, d) with the comparison chosen by the axis field.
let private whereStep =
    let operands (ins: Instruction) (a: Tensor[]) =
        let b = fitTo a[0].Shape a[1]
        let condition = comparisons[ins.Axis % comparisons.Length] a[0] b
        let c = fitTo condition.Shape a[2]
        let shape = Shape.broadcast "where" condition.Shape c.Shape
        a[0], b, condition, c, fitTo shape a[3]
    { Arity = 4
      Parametric = true
      Apply = (fun ins a -> let _, _, condition, c, d = operands ins a in Tensor.where condition c d)
      Margin = (fun ins a -> let x, b, _, _, _ = operands ins a in gap x b) }

/// Joins a with b (adapted to a's shape) along an axis; `join` is concat or stack.
let private joinStep (join: int -> Tensor list -> Tensor) (axisRange: Tensor -> int) =
    { Arity = 2
      Parametric = true
      Apply =
        fun ins (a: Tensor[]) ->
            let x = atLeastVector a[0]
            let y = if Shape.broadcastsTo a[1].Shape x.Shape then Tensor.broadcastTo x.Shape a[1] else x
            join (ins.Axis % axisRange x) [ x; y ]
      Margin = smooth }

let private matmulStep =
    binary (fun a b ->
        let m, n = matrixView a, matrixView b
        if m.Shape[1] = n.Shape[0] then Tensor.matmul m n
        elif m.Shape[1] = n.Shape[1] then Tensor.matmul m (Tensor.transpose n)
        else Tensor.matmul m (Tensor.transpose m))

let private solveStep =
    { Arity = 2
      Parametric = false
      Apply =
        fun _ (a: Tensor[]) ->
            let p = spd a[0]
            let b = matrixView a[1]
            Tensor.solve p (if b.Shape[0] = p.Shape[0] then b else matrixView a[0])
      Margin = smooth }

let private broadcastStep (x: Tensor) =
    let target = if x.Shape |> Array.contains 1 then x.Shape |> Array.map (fun d -> if d = 1 then 2 else d) else Array.append [| 2 |] x.Shape
    Tensor.broadcastTo target x

/// Indices of x's shape along an axis: entry j of each fibre takes entry (j + 1) mod n, except
/// that in a fibre of three or more the last takes entry 1 again (a repeat, so the scatter adds).
let private alongIndices (axis: int) (x: Tensor) =
    let n = x.Shape[axis]
    let strides = Shape.strides x.Shape
    Tensor.create x.Shape (Array.init x.Size (fun k -> let j = k / strides[axis] % n in float (if n > 2 && j = n - 1 then 1 else (j + 1) % n))) |> like x

let private steps: Map<string, Step> =
    Map.ofList [
        // elementwise, guarded into their domains
        "exp", unary exp
        "log(softplus x + 0.1)", unary (fun x -> log (Tensor.softplus x + 0.1))
        "sqrt(x*x + 1)", unary (fun x -> sqrt (x * x + 1.0))
        "log1p(x*x)", unary (fun x -> Tensor.log1p (x * x))
        "expm1", unary Tensor.expm1
        "sin", unary sin
        "cos", unary cos
        "tanh", unary tanh
        "atan", unary atan
        "erf", unary Tensor.erf
        "tan(tanh x)", unary (fun x -> tan (tanh x))
        "sigmoid", unary Tensor.sigmoid
        "softplus", unary Tensor.softplus
        "neg", unary (fun x -> -x)
        "square", unary Tensor.square
        "x ** 3", unary (fun x -> x ** 3.0)
        "(x*x + 0.5) ** -0.75", unary (fun x -> (x * x + 0.5) ** -0.75)
        "relu", kinked Tensor.relu (fun x -> gap x (Tensor.zerosLike x))
        "abs", kinked abs (fun x -> gap x (Tensor.zerosLike x))
        "clamp[-1.5,1.5]", kinked (Tensor.clamp -1.5 1.5) (fun x -> gap (abs x) (Tensor.full x.Shape 1.5))
        // binary, broadcasting
        "add", binary (+)
        "sub", binary (-)
        "mul", binary (*)
        "a / (b*b + 0.5)", binary (fun a b -> a / (b * b + 0.5))
        "atan2(a, b*b + 0.5)", binary (fun a b -> Tensor.atan2 a (b * b + 0.5))
        "(softplus a + 0.5) ** tanh b", binary (fun a b -> (Tensor.softplus a + 0.5) ** tanh b)
        "maximum", { binary Tensor.maximum with Margin = fun _ a -> gap a[0] (fitTo a[0].Shape a[1]) }
        "minimum", { binary Tensor.minimum with Margin = fun _ a -> gap a[0] (fitTo a[0].Shape a[1]) }
        "where", whereStep
        // reductions
        "sum", unary Tensor.sum
        "sumAxes", reduction (fun axis keep x -> Tensor.sumAxes [| axis |] keep x)
        "meanAxes", reduction (fun axis keep x -> Tensor.meanAxes [| axis |] keep x)
        "prodAxes", reduction (fun axis keep x -> Tensor.prodAxes [| axis |] keep x)
        "maxAxes", { reduction (fun axis keep x -> Tensor.maxAxes [| axis |] keep x) with Margin = maxMargin (fun axis x -> Tensor.maxAxes [| axis |] true x) }
        "minAxes", { reduction (fun axis keep x -> Tensor.minAxes [| axis |] keep x) with Margin = maxMargin (fun axis x -> Tensor.minAxes [| axis |] true x) }
        "logsumexp", unary Tensor.logsumexp
        "logsumexpAxes", reduction (fun axis keep x -> Tensor.logsumexpAxes [| axis |] keep x)
        "softmax", reduction (fun axis _ x -> Tensor.softmax axis x)
        "logSoftmax", reduction (fun axis _ x -> Tensor.logSoftmax axis x)
        "normAxes 2", { reduction (fun axis keep x -> Tensor.normAxes 2.0 [| axis |] keep x) with Margin = fun ins a -> let x = atLeastVector a[0] in gap (Tensor.normAxes 2.0 [| axisOf ins x |] false x) (Tensor.scalar 0.0) }
        "stdAxes", { reduction (fun axis keep x -> Tensor.stdAxes 0 [| axis |] keep x) with Margin = fun ins a -> let x = atLeastVector a[0] in gap (Tensor.stdAxes 0 [| axisOf ins x |] false x) (Tensor.scalar 0.0) }
        // layout
        "transpose", unary Tensor.transpose
        "flatten", unary Tensor.flatten
        "expandDims", { unary id with Parametric = true; Apply = fun ins a -> Tensor.expandDims (ins.Axis % (a[0].Rank + 1)) a[0] }
        "slice (step 2)", reduction (fun axis _ x -> Tensor.slice (x.Shape |> Array.mapi (fun k d -> if k = axis then (0, d, 2) else (0, d, 1))) x)
        "index 0", reduction (fun axis _ x -> Tensor.index axis 0 x)
        "gather [last, 0, last]", reduction (fun axis _ x -> let n = x.Shape[axis] in Tensor.gather axis [| n - 1; 0; n - 1 |] x)
        "broadcastTo", unary broadcastStep
        "takeAlongAxis (rotated)", reduction (fun axis _ x -> Tensor.takeAlongAxis axis (alongIndices axis x) x)
        "flip", reduction (fun axis _ x -> Tensor.flip [| axis |] x)
        "pad reflect", reduction (fun axis _ x -> let n = x.Shape[axis] in Tensor.pad PadMode.Reflect (x.Shape |> Array.mapi (fun k _ -> if k = axis then (min 2 (n - 1), min 1 (n - 1)) else (0, 0))) x)
        "pad constant", reduction (fun axis _ x -> Tensor.pad (PadMode.Constant 0.5) (x.Shape |> Array.mapi (fun k _ -> if k = axis then (1, 2) else (0, 0))) x)
        "cumsum", reduction (fun axis _ x -> Tensor.cumsum axis x)
        "cumprod", reduction (fun axis _ x -> Tensor.cumprod axis x)
        "permute (rotate)", unary (fun x -> Tensor.permute (Array.init x.Rank (fun k -> (k + 1) % x.Rank)) x)
        "concat", joinStep (fun axis parts -> Tensor.concat axis parts) (fun x -> x.Rank)
        "stack", joinStep (fun axis parts -> Tensor.stack axis parts) (fun x -> x.Rank + 1)
        // linear algebra, on well-conditioned matrices
        "matmul", matmulStep
        "einsum ij,kj->ik", unary (fun x -> let m = matrixView x in Tensor.einsum "ij,kj->ik" [ m; m ])
        "solve (spd M)", solveStep
        "inverse (spd M)", unary (spd >> Tensor.inverse)
        "det (spd M)", unary (spd >> Tensor.det)
        "logDet (spd M)", unary (spd >> Tensor.logDet)
        "cholesky (spd M)", unary (spd >> Tensor.cholesky)
        "diag (spd M)", unary (spd >> Tensor.diag)
        // At most 6 elements go on the diagonal: diag squares the size, and chained it would not fit in memory.
        "diag (first 6)", unary (fun x -> let v = Tensor.flatten x in Tensor.diag (Tensor.slice [| (0, 6, 1) |] v))
        "trace (spd M)", unary (spd >> Tensor.trace)
        "slogdet (spd M)", unary (fun x -> let sign, logAbs = Tensor.slogdet (spd x) in sign * logAbs)
        "triangularSolve (cholesky of spd M)", unary (fun x -> let p = spd x in Tensor.triangularSolve true (Tensor.cholesky p) p)
        "einsum ...ij->...ji", unary (fun x -> Tensor.einsum "...ij->...ji" [ matrixView x ])
        // convolution and pooling; padding 1 keeps every image large enough for the window
        "conv2d 2×2 pad 1 (image view)", unary (fun x -> Tensor.conv2d 1 1 (imageView x) (like x convKernel))
        "avgPool2d 2×2 pad 1 (image view)", unary (fun x -> Tensor.avgPool2dWith (2, 2) (1, 1) (1, 1) (imageView x))
        // eps = 1 keeps the slope bounded where a row is nearly constant.
        "layerNorm 1", unary (fun x -> Tensor.layerNorm 1.0 (atLeastVector x))
    ]

let private opNames = steps |> Map.toArray |> Array.map fst

/// Steps whose rounding errors are not amplified, for comparing float32 with float64 programs:
/// each is smooth with derivatives of magnitude at most about 1 (|f'|, |f''| ≤ 1.2) in every
/// argument, elementwise or averaging (means, logsumexp, softmax), or a pure rearrangement with
/// no summation in its transpose. So an error δ in an argument leaves an error of at most about δ
/// in the result, and each step adds its own rounding, a few u·|result| (each float32 primitive
/// is within a few ulps; `fitTo` may add a mean). Left out: growth (exp, powers,
/// products, matmul), division and linear algebra (conditioning), sums over many elements,
/// kinks and branches (a float32 rounding could cross them), broadcasts and gathers (their
/// transposes sum).
let wellConditionedOps =
    [| "sin"; "cos"; "tanh"; "atan"; "erf"; "sigmoid"; "softplus"; "neg"; "add"; "sub"; "meanAxes"; "logsumexp"; "logsumexpAxes"
       "softmax"; "transpose"; "flatten"; "expandDims"; "slice (step 2)"; "index 0"; "flip"; "permute (rotate)" |]

/// The argument registers of instruction `index`, resolved into the registers defined before it.
let private resolve (index: int) (ins: Instruction) =
    let step = steps[ins.Op]
    let args = Array.ofList ins.Args
    Array.init step.Arity (fun k -> (if k < args.Length then abs args[k] else 0) % (index + 1))

/// A straight-line program over one input tensor of a chosen element type.
[<StructuredFormatDisplay("{Listing}")>]
type Program =
    { Input: Sample
      /// The input's element type: the sample's values rounded to it (`Start`).
      DType: DType
      Instructions: Instruction list
      /// Seeds the directions and cotangents the laws use.
      Seed: int }

    /// The input in the program's element type.
    member p.Start = let x = p.Input.Tensor in if p.DType = DType.Float64 then x else Tensor.cast p.DType x

    /// How many paths lead from each register to the output (the last register), summed over
    /// the registers: a rounding error made in a register reaches the output along each of its
    /// paths, so through steps that do not amplify errors the output's error is at most this
    /// count times the largest error one step makes.
    member p.Paths =
        let n = p.Instructions.Length
        let paths = Array.zeroCreate (n + 1)
        paths[n] <- 1.0
        for i in n - 1 .. -1 .. 0 do
            for r in resolve i p.Instructions[i] do
                paths[r] <- paths[r] + paths[i + 1]
        Array.sum paths

    /// All registers: the input, then one per instruction.
    member p.Registers(x: Tensor) =
        p.Instructions
        |> List.indexed
        |> List.fold (fun (registers: Tensor list) (i, ins) ->
            let available = List.toArray (List.rev registers)
            let args = resolve i ins |> Array.map (fun r -> available[r])
            steps[ins.Op].Apply ins args :: registers) [ x ]
        |> List.rev
        |> List.toArray

    /// The program as a function: its last register.
    member p.Run(x: Tensor) = Array.last (p.Registers x)

    /// The numbered listing, with each register's shape (as run on the sample input).
    member p.Listing =
        let shapes =
            try p.Registers(p.Start) |> Array.map (fun r -> Shape.format r.Shape)
            with e -> Array.create (p.Instructions.Length + 1) ("(fails: " + e.Message + ")")
        let lines =
            p.Instructions |> List.mapi (fun i ins ->
                let step = steps[ins.Op]
                let args = resolve i ins |> Array.map (sprintf "r%d") |> String.concat ", "
                let parameters = if step.Parametric then sprintf "[axis %d%s]" ins.Axis (if ins.Keep then ", keep" else "") else ""
                sprintf "  r%d = %s%s(%s)   : %s" (i + 1) ins.Op parameters args shapes[i + 1])
        sprintf "program (seed %d, %s)\n  r0 = input %s   : %s\n%s\n  return r%d" p.Seed p.DType.Name (sprintf "%A" p.Input.Values) shapes[0] (String.Join("\n", lines)) p.Instructions.Length

    /// The distance from the nearest kink or branch switch over all steps, the largest
    /// magnitude of any register (the scale that rounding errors are measured against) and the
    /// largest register's size.
    member p.Audit(x: Tensor) =
        let registers = p.Registers x
        let margin =
            p.Instructions |> List.mapi (fun i ins -> steps[ins.Op].Margin ins (resolve i ins |> Array.map (fun r -> registers[r])))
            |> List.fold min infinity
        margin, registers |> Array.fold (fun m r -> max m (Approx.magnitude r)) 0.0, registers |> Array.map (fun r -> r.Size) |> Array.max

    /// The largest magnitude of any register at x.
    member p.Scale(x: Tensor) = let _, scale, _ = p.Audit x in scale

    /// Usable for comparing with finite differences and for second derivatives: every register
    /// finite, below 1e4 in magnitude and of at most 2048 elements (so that laws costing a sweep
    /// per element stay cheap), and every kink or branch switch at least 1e-3 away (the
    /// finite-difference stencil spans about 1e-5, so it stays on one side).
    member p.Admissible =
        try
            let margin, scale, size = p.Audit(p.Start)
            margin > 1e-3 && scale < 1e4 && not (Double.IsNaN scale) && size <= 2048
        with
        | :? ShapeMismatchException
        | :? LinearAlgebraException -> false

    /// A deterministic direction (or cotangent) shaped like `t`, one per `k`.
    member p.DirectionLike (k: int) (t: Tensor) = Tensor.randomNormal (p.Seed * 31 + k) t.Shape

let private instruction (ops: string[]) (index: int) : Gen<Instruction> =
    gen {
        let! op = Gen.elements ops
        // Recent registers are likelier arguments, which builds depth; any earlier one may be
        // chosen, which builds fan-out.
        let! args = Gen.listOfLength 4 (Gen.frequency [ 3, Gen.constant index; 2, Gen.choose (0, index) ])
        let! axis = Gen.choose (0, 3)
        let! keep = Gen.elements [ false; true ]
        return { Op = op; Args = args; Axis = axis; Keep = keep }
    }

/// Programs of 1 to `maxLength` instructions drawn from `ops`, each of one of `dtypes`, on an
/// input of a random shape with values of either sign and magnitude in [0.1, 2].
let programOf (ops: string[]) (dtypes: DType list) (maxLength: int) : Gen<Program> =
    gen {
        let! s = shape
        let! input = sampleOf anywhere s
        let! dtype = Gen.elements dtypes
        let! length = Gen.choose (1, maxLength)
        let! instructions = List.init length (instruction ops) |> Gen.sequenceToList
        let! seed = Gen.choose (0, 1_000_000)
        return { Input = input; DType = dtype; Instructions = instructions; Seed = seed }
    }

/// float64 programs of 1 to `maxLength` instructions over the whole step set.
let program (maxLength: int) : Gen<Program> = programOf opNames [ DType.Float64 ] maxLength

/// Shrinks by deleting one instruction (later arguments re-resolve), or by pointing an
/// instruction's arguments at the input.
let private shrink (p: Program) : seq<Program> =
    seq {
        for i in 0 .. p.Instructions.Length - 1 do
            if p.Instructions.Length > 1 then yield { p with Instructions = List.removeAt i p.Instructions }
        for i in 0 .. p.Instructions.Length - 1 do
            let ins = p.Instructions[i]
            if ins.Args |> List.exists (fun a -> a <> 0) then
                yield { p with Instructions = List.updateAt i { ins with Args = List.map (fun _ -> 0) ins.Args } p.Instructions }
    }

/// Admissible programs from a generator, shrinking to admissible programs.
let admissibleOf (programs: Gen<Program>) : Arbitrary<Program> =
    Arb.fromGenShrink (Gen.filter (fun (p: Program) -> p.Admissible) programs, fun p -> shrink p |> Seq.filter (fun q -> q.Admissible))

/// Admissible float64 programs of up to `maxLength` instructions, shrinking to admissible programs.
let admissiblePrograms (maxLength: int) : Arbitrary<Program> = admissibleOf (program maxLength)

/// Admissible programs over the whole step set, float32 or float64 (half each), of up to
/// `maxLength` instructions.
let typedPrograms (maxLength: int) : Arbitrary<Program> = admissibleOf (programOf opNames [ DType.Float32; DType.Float64 ] maxLength)
