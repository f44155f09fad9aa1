namespace FunctionalAD.Primitives

open System
open System.Linq.Expressions
open System.Numerics.Tensors
open System.Runtime.InteropServices
open FunctionalAD
open FunctionalAD.Primitives.Arithmetic

/// Elementwise primitives. A smooth unary primitive is declared by its evaluation and its local
/// derivative d(x, y) (y the output); both rules follow from it: tangent t ↦ t·d, cotangent
/// g ↦ g·d (as `mulNoNan`, see Arithmetic).
///
/// Kinks (docs/conventions.md): the derivative at a kink is the minimum-norm element of the
/// subdifferential with respect to the non-constant arguments: relu'(0) = 0, abs'(0) = 0,
/// clamp'(bound) = 0, and a tie in max/min splits the gradient evenly between tied arguments
/// that are not constants.
module internal Elementwise =

    /// The rules of a smooth unary primitive with local derivative d: tangent t ↦ t·d,
    /// cotangent g ↦ g·d.
    let private tangentThrough (d: Node) (t: Node voption[]) = t[0] |> ValueOption.map (fun t -> mulNoNan t d)
    let private cotangentThrough (d: Node) (g: Node) = [| ValueSome(mulNoNan g d) |]

    /// An elementwise primitive of tensors alone (no parameters), as its declaration registers it.
    type Registered = { Name: string; Arity: int; Apply: Node[] -> Node; Formula: ScalarFormula }

    /// The elementwise primitives of tensors alone, by name, registered by their declarations
    /// below: the one list parsers (`fad`) and expression-tree translation consult, so a new
    /// primitive reaches them without being named anywhere else.
    let private registry = Collections.Generic.Dictionary<string, Registered>()

    /// Registers the primitive of `op` (a declaration's last step).
    let private register (op: Op) (arity: int) (apply: Node[] -> Node) =
        registry[op.Name] <- { Name = op.Name; Arity = arity; Apply = apply; Formula = op.Capabilities.Formula.Value }

    /// The registered primitives.
    let registered () : Registered seq = registry.Values

    /// The operation record of a smooth unary primitive from its evaluation, local derivative
    /// d(x, y) and scalar formula.
    let private unaryOp name parameters (eval: NdArray -> NdArray) (derivative: Node -> Node -> Node) (formula: ScalarFormula) =
        op name parameters (fun v -> eval v[0])
            (fun args out t -> tangentThrough (derivative args[0] out) t)
            (fun args out g -> cotangentThrough (derivative args[0] out) g)
        |> withFormula formula

    /// The operation record of a smooth unary primitive with parameters evaluated by the scalar
    /// function `f`, which float32 elements go through one at a time (widened, then rounded).
    let private perElementOp name parameters (f: double -> double) derivative formula =
        unaryOp name parameters (Kernels.mapScalar f) derivative formula |> withFloat32 (fun v -> Kernels.mapScalar32 f v[0])

    /// Declares a smooth unary primitive with parameters (a new operation record per use).
    let private unary name parameters f derivative formula (x: Node) = Graph.applyUnary (perElementOp name parameters f derivative formula) x.Shape x

    /// How a parameterless elementwise primitive computes its elements, for both element types.
    type private Elements =
        /// TensorPrimitives' kernels, one per element type.
        | Spans of SpanUnary * SpanUnaryOf<float32>
        /// A scalar function of float64, which float32 elements go through one at a time
        /// (widened, then rounded): the fallback's result without widening whole arrays.
        | PerElement of (double -> double)

    /// The buffer kernel of a float64 span kernel, for a result of its argument's shape: compiled
    /// plans call it on their buffers where a fused loop would compute a function without a
    /// vector form one element at a time (BufferPlan).
    let private spanInto (kernel: SpanUnary) (argShapes: int[][]) (shape: int[]) =
        if Shape.same argShapes[0] shape then ValueSome(DestinationKernel(fun args dest -> kernel.Invoke(ReadOnlySpan<double>(args[0]), Span<double>(dest))))
        else ValueNone

    /// `spanInto` for a float32 span kernel (the one the eager float32 evaluation calls).
    let private spanInto32 (kernel: SpanUnaryOf<float32>) (argShapes: int[][]) (shape: int[]) =
        if Shape.same argShapes[0] shape then ValueSome(DestinationKernel32(fun args dest -> kernel.Invoke(ReadOnlySpan<float32>(args[0]), Span<float32>(dest))))
        else ValueNone

    /// Declares a smooth unary primitive without parameters: its operation record is built once,
    /// so a node of a large eager graph costs no record or closures.
    let private primitive name (elements: Elements) (derivative: Node -> Node -> Node) (formula: ScalarFormula) : Node -> Node =
        let record =
            match elements with
            | Spans(kernel, kernel32) ->
                unaryOp name [] (Kernels.map kernel) derivative formula
                |> withFloat32 (fun v -> Kernels.map32 kernel32 v[0])
                |> withInto (spanInto kernel)
                |> withInto32 (spanInto32 kernel32)
            | PerElement f -> unaryOp name [] (Kernels.mapScalar f) derivative formula |> withFloat32 (fun v -> Kernels.mapScalar32 f v[0])
        register record 1 (fun a -> Graph.applyUnary record a[0].Shape a[0])
        fun x -> Graph.applyUnary record x.Shape x

    /// The operation record of an elementwise operation whose derivative is zero everywhere it
    /// exists (comparisons, sign): its result is a constant mask.
    let private nondifferentiableOp name (eval: NdArray[] -> NdArray) (formula: ScalarFormula) =
        op name [] eval (fun _ _ _ -> ValueNone) (fun args _ _ -> Array.create args.Length ValueNone) |> withFormula formula

    let private stopGradientOp = nondifferentiableOp "stopGradient" (fun v -> v[0]) Formula.identity |> withAlgebra Algebra.PassThrough

    /// The value with the gradient blocked: a constant for every transform.
    let stopGradient (x: Node) = Graph.applyConstant stopGradientOp x.Shape [| x |]

    /// The formula calling a scalar function of this library of `arity` arguments.
    let private own (name: string) (arity: int) = Formula.ofMethod (Formula.scalarFunction name arity) ValueNone

    /// The formula calling a function of `Math` of one argument (no vector form: the eager
    /// kernel's TensorPrimitives function may round differently from `Math`'s).
    let private mathUnary name = Formula.ofMethod (Formula.math name 1) ValueNone

    let private signOp = nondifferentiableOp "sign" (fun v -> Kernels.mapScalar ScalarFunctions.Sign v[0]) (own (nameof ScalarFunctions.Sign) 1) |> withAlgebra Algebra.Mask

    /// sign x ∈ {−1, 0, 1}; derivative 0.
    let sign (x: Node) = Graph.applyConstant signOp x.Shape [| x |]

    /// d = 1 where a `relation` b holds, else 0 (NaN satisfies only NotEqual), in vector lanes,
    /// for float64 and float32 elements.
    let inline private relationMask (relation: Relation) (a: ReadOnlySpan< ^T>) (b: ReadOnlySpan< ^T>) (d: Span< ^T>) =
        let width = Numerics.Vector< ^T>.Count
        let one, zero = LanguagePrimitives.GenericOne< ^T>, LanguagePrimitives.GenericZero< ^T>
        let mutable i = 0
        if Numerics.Vector.IsHardwareAccelerated then
            // The spans read as spans of vectors: one bounds check per vector, where a slice
            // and a vector made from it cost several.
            let av = MemoryMarshal.Cast< ^T, Numerics.Vector< ^T>> a
            let bv = MemoryMarshal.Cast< ^T, Numerics.Vector< ^T>> b
            let dv = MemoryMarshal.Cast< ^T, Numerics.Vector< ^T>> d
            for v in 0 .. dv.Length - 1 do
                let va = av[v]
                let vb = bv[v]
                // Matched per vector so that one loop serves every relation: the branch always
                // goes the same way, which costs next to nothing against the loads and stores.
                let holds =
                    match relation with
                    | Relation.Greater -> Numerics.Vector.GreaterThan(va, vb)
                    | Relation.GreaterEqual -> Numerics.Vector.GreaterThanOrEqual(va, vb)
                    | Relation.Less -> Numerics.Vector.LessThan(va, vb)
                    | Relation.LessEqual -> Numerics.Vector.LessThanOrEqual(va, vb)
                    | Relation.Equal -> Numerics.Vector.Equals(va, vb)
                    | Relation.NotEqual -> Numerics.Vector.OnesComplement(Numerics.Vector.Equals(va, vb))
                dv[v] <- Numerics.Vector.ConditionalSelect(holds, Numerics.Vector< ^T>.One, Numerics.Vector< ^T>.Zero)
            i <- dv.Length * width
        while i < a.Length do
            let holds =
                match relation with
                | Relation.Greater -> a[i] > b[i]
                | Relation.GreaterEqual -> a[i] >= b[i]
                | Relation.Less -> a[i] < b[i]
                | Relation.LessEqual -> a[i] <= b[i]
                | Relation.Equal -> a[i] = b[i]
                | Relation.NotEqual -> a[i] <> b[i]
            d[i] <- (if holds then one else zero)
            i <- i + 1

    let private comparison name (relation: Relation) (scalarTest: Expression * Expression -> BinaryExpression) vectorTest negate : Node -> Node -> Node =
        let kernel = SpanBinary(fun a b d -> relationMask relation a b d)
        let kernel32 = SpanBinaryOf<float32>(fun a b d -> relationMask relation a b d)
        let op =
            nondifferentiableOp name
                (fun v -> Kernels.binary Kernels.Stores.Cached (Kernels.spansOnly kernel) (Shape.broadcast name v[0].Shape v[1].Shape) v[0] v[1])
                (Formula.comparison scalarTest vectorTest negate)
            |> withAlgebra (Algebra.Comparison relation)
            |> withFloat32 (fun v -> Kernels.binary32 Kernels.Stores.Cached (Kernels.spansOnly kernel32) (Shape.broadcast name v[0].Shape v[1].Shape) v[0] v[1])
        fun x y -> Graph.applyConstant op (Shape.broadcast name x.Shape y.Shape) [| x; y |]

    /// 1 where x > y, else 0.
    let greater = comparison "greater" Relation.Greater Expression.GreaterThan "GreaterThan" false
    /// 1 where x ≥ y, else 0.
    let greaterEqual = comparison "greaterEqual" Relation.GreaterEqual Expression.GreaterThanOrEqual "GreaterThanOrEqual" false
    /// 1 where x < y, else 0.
    let less = comparison "less" Relation.Less Expression.LessThan "LessThan" false
    /// 1 where x ≤ y, else 0.
    let lessEqual = comparison "lessEqual" Relation.LessEqual Expression.LessThanOrEqual "LessThanOrEqual" false
    /// 1 where x = y, else 0.
    let equal = comparison "equal" Relation.Equal Expression.Equal "Equals" false
    /// 1 where x ≠ y, else 0.
    let notEqual = comparison "notEqual" Relation.NotEqual Expression.NotEqual "Equals" true

    /// where(cond, a, b): a where cond ≠ 0, else b, with broadcasting. The cotangent goes to the
    /// selected branch alone; the other receives an exact zero.
    let rec where (cond: Node) (a: Node) (b: Node) : Node =
        let shape = Shape.broadcast "where" (Shape.broadcast "where" cond.Shape a.Shape) b.Shape
        Graph.apply (whereOp ()) shape [| cond; a; b |]

    // The record reads shapes from its arguments, never from where it was first applied, so a
    // batched program (vmap) applies the same record to larger arguments.
    and private whereOp () =
        let zero = scalar 0.0
        let pick (t: Node voption) = match t with ValueSome t -> t | ValueNone -> zero
        op "where" [] (fun v -> Kernels.select (Shape.broadcast "where" (Shape.broadcast "where" v[0].Shape v[1].Shape) v[2].Shape) v[0] v[1] v[2])
            (fun args out t ->
                match t[1], t[2] with
                | ValueNone, ValueNone -> ValueNone
                | ta, tb -> ValueSome(broadcastTo out.Shape (where args[0] (pick ta) (pick tb))))
            (fun args _ g ->
                [| ValueNone
                   pullTo args[1] (fun () -> where args[0] g zero)
                   pullTo args[2] (fun () -> where args[0] zero g) |])
        |> withFormula Formula.selection
        |> withAlgebra Algebra.Selection
        |> withFloat32 (fun v -> Kernels.select32 (Shape.broadcast "where" (Shape.broadcast "where" v[0].Shape v[1].Shape) v[2].Shape) v[0] v[1] v[2])

    /// eˣ; derivative eˣ (the output).
    let exp = primitive "exp" (Spans(SpanUnary(fun a d -> TensorPrimitives.Exp(a, d)), SpanUnaryOf<float32>(fun a d -> TensorPrimitives.Exp(a, d)))) (fun _ y -> y) (mathUnary "Exp")
    /// Natural logarithm; derivative 1/x.
    let log = primitive "log" (Spans(SpanUnary(fun a d -> TensorPrimitives.Log(a, d)), SpanUnaryOf<float32>(fun a d -> TensorPrimitives.Log(a, d)))) (fun x _ -> reciprocal x) (mathUnary "Log")
    /// Square root; derivative 1/(2√x).
    let sqrt = primitive "sqrt" (Spans(SpanUnary(fun a d -> TensorPrimitives.Sqrt(a, d)), SpanUnaryOf<float32>(fun a d -> TensorPrimitives.Sqrt(a, d)))) (fun _ y -> div (scalar 0.5) y) (Formula.exactMath "Sqrt" "SquareRoot")

    /// log(1 + x), accurate for small x (Kahan's formulation).
    let log1p = primitive "log1p" (PerElement ScalarFunctions.Log1p) (fun x _ -> reciprocal (add (scalar 1.0) x)) (own (nameof ScalarFunctions.Log1p) 1)

    /// exp(x) − 1, accurate for small x.
    let expm1 = primitive "expm1" (PerElement ScalarFunctions.Expm1) (fun _ y -> add y (scalar 1.0)) (own (nameof ScalarFunctions.Expm1) 1)

    /// Sine and cosine differentiate into each other, so their records are values of a
    /// recursive module, written out (a helper called there could run a rule before the other
    /// record exists).
    let private sinKernel = SpanUnary(fun a d -> TensorPrimitives.Sin(a, d))
    let private cosKernel = SpanUnary(fun a d -> TensorPrimitives.Cos(a, d))
    let private sinKernel32 = SpanUnaryOf<float32>(fun a d -> TensorPrimitives.Sin(a, d))
    let private cosKernel32 = SpanUnaryOf<float32>(fun a d -> TensorPrimitives.Cos(a, d))
    /// The capabilities of a function of `Math` whose eager kernels are TensorPrimitives passes.
    let private spansCapabilities name kernel kernel32 =
        { Formula.capabilities (mathUnary name) Algebra.Opaque with
            Float32 = ValueSome(Kernels.map32 kernel32 << Array.head)
            Into = ValueSome(spanInto kernel)
            Into32 = ValueSome(spanInto32 kernel32) }
    let private sinCapabilities = spansCapabilities "Sin" sinKernel sinKernel32
    let private cosCapabilities = spansCapabilities "Cos" cosKernel cosKernel32

    module private rec Trigonometric =
        let sin (x: Node) = Graph.applyUnary sinOp x.Shape x
        let cos (x: Node) = Graph.applyUnary cosOp x.Shape x
        let sinOp : Op =
            { Name = "sin"; Params = Param.empty
              Eval = Kernels.map sinKernel << Array.head
              Jvp = fun args _ t -> tangentThrough (cos args[0]) t
              Vjp = fun args _ g -> cotangentThrough (cos args[0]) g
              Capabilities = sinCapabilities }
        let cosOp : Op =
            { Name = "cos"; Params = Param.empty
              Eval = Kernels.map cosKernel << Array.head
              Jvp = fun args _ t -> tangentThrough (neg (sin args[0])) t
              Vjp = fun args _ g -> cotangentThrough (neg (sin args[0])) g
              Capabilities = cosCapabilities }

    /// Sine; derivative cos x.
    let sin (x: Node) = Trigonometric.sin x
    /// Cosine; derivative −sin x.
    let cos (x: Node) = Trigonometric.cos x

    do
        register Trigonometric.sinOp 1 (fun a -> sin a[0])
        register Trigonometric.cosOp 1 (fun a -> cos a[0])

    /// tan x; derivative 1 + tan² x.
    let tan = primitive "tan" (Spans(SpanUnary(fun a d -> TensorPrimitives.Tan(a, d)), SpanUnaryOf<float32>(fun a d -> TensorPrimitives.Tan(a, d)))) (fun _ y -> add (scalar 1.0) (mul y y)) (mathUnary "Tan")
    /// tanh x; derivative 1 − tanh² x. Float64 elements go through the library's own kernel
    /// (`VectorTanh`: cheaper than TensorPrimitives' at every tier, within 2 ulps of Math.Tanh), float32 ones
    /// through TensorPrimitives.
    let tanh = primitive "tanh" (Spans(SpanUnary(fun a d -> VectorTanh.tanhInto a d), SpanUnaryOf<float32>(fun a d -> TensorPrimitives.Tanh(a, d)))) (fun _ y -> sub (scalar 1.0) (mul y y)) (mathUnary "Tanh")

    /// arctan x; derivative 1/(1 + x²).
    let atan = primitive "atan" (PerElement Math.Atan) (fun x _ -> reciprocal (add (scalar 1.0) (mul x x))) (mathUnary "Atan")

    /// The error function erf x = 2/√π ∫₀ˣ e^−t² dt; derivative 2/√π · e^−x².
    let erf =
        primitive "erf" (PerElement ScalarFunctions.Erf) (fun x _ -> mul (scalar (2.0 / Math.Sqrt Math.PI)) (exp (neg (mul x x)))) (own (nameof ScalarFunctions.Erf) 1)

    /// The logistic function 1 / (1 + e^−x), evaluated without overflow; derivative y(1 − y).
    /// Eager and compiled evaluation run vectorised (`VectorLogistic`), fused loops the formula.
    let sigmoid =
        primitive "sigmoid" (Spans(SpanUnary(fun a d -> VectorLogistic.sigmoidInto a d), SpanUnaryOf<float32>(fun a d -> VectorLogistic.sigmoidInto a d)))
            (fun _ y -> mul y (sub (scalar 1.0) y)) (own (nameof ScalarFunctions.Sigmoid) 1)

    /// log(1 + eˣ), evaluated without overflow; derivative sigmoid x. Vectorised as `sigmoid`.
    let softplus =
        primitive "softplus" (Spans(SpanUnary(fun a d -> VectorLogistic.softplusInto a d), SpanUnaryOf<float32>(fun a d -> VectorLogistic.softplusInto a d)))
            (fun x _ -> sigmoid x) (own (nameof ScalarFunctions.Softplus) 1)

    /// max(x, 0); relu'(0) = 0.
    let relu = primitive "relu" (Spans(Kernels.reluKernel, Kernels.reluKernel32)) (fun x _ -> greater x (scalar 0.0)) (Formula.relu (Formula.scalarFunction (nameof ScalarFunctions.Relu) 1))

    /// |x|; abs'(0) = 0.
    let abs = primitive "abs" (Spans(SpanUnary(fun a d -> TensorPrimitives.Abs(a, d)), SpanUnaryOf<float32>(fun a d -> TensorPrimitives.Abs(a, d)))) (fun x _ -> sign x) (Formula.exactMath "Abs" "Abs")

    /// x^c for a real constant c; derivative c·x^(c−1) (and 0 for c = 0).
    let rec powConst (c: double) (x: Node) : Node =
        let parameters = [ "", Parameter.Real c ]
        // x⁰ is 1 everywhere, NaN included (Math.Pow's convention), so one formula serves.
        let declare derivative = Graph.applyUnary (perElementOp "powConst" parameters (fun v -> Math.Pow(v, c)) derivative (Formula.powerOf c) |> withAlgebra (Algebra.PowerOf c)) x.Shape x
        if c = 0.0 then declare (fun x _ -> Graph.constant (NdArray.fullOf x.DType x.Shape 0.0))
        else declare (fun x _ -> mul (scalar c) (powConst (c - 1.0) x))

    /// The shape of an elementwise result of two argument values, with broadcasting.
    let private broadcastValues name (v: NdArray[]) = Shape.broadcast name v[0].Shape v[1].Shape

    /// The record with the float32 kernel `kernel` (a TensorPrimitives float overload) applied
    /// with broadcasting: its results are within a few float32 ulps of the float64 ones rounded.
    let private withSpans32 (kernel: SpanBinaryOf<float32>) (o: Op) =
        withFloat32 (fun v -> Kernels.binary32 Kernels.Stores.Streaming (Kernels.spansOnly kernel) (broadcastValues o.Name v) v[0] v[1]) o

    /// x^y for tensors; ∂/∂x = y·x^(y−1), ∂/∂y = x^y·log x (taken as 0 where x = 0, the limit
    /// for y > 0, instead of 0·(−∞)). ∂/∂x is 0 where y = 0 (x⁰ is constant) even at x = 0,
    /// where x^(y−1) is infinite: `mulNoNan` keeps every order finite, so d/dx x⁰ = 0 and the
    /// third derivative of x² at 0 is 0 (as in JAX).
    let rec pow (x: Node) (y: Node) : Node = Graph.apply (powOp ()) (Shape.broadcast "pow" x.Shape y.Shape) [| x; y |]

    and private powOp () : Op =
        let dx (args: Node[]) = mulNoNan args[1] (pow args[0] (sub args[1] (scalar 1.0)))
        let dy (args: Node[]) (out: Node) =
            let zero = scalar 0.0
            let isZero = equal args[0] zero
            where isZero zero (mul out (log (where isZero (scalar 1.0) args[0])))
        op "pow" [] (fun v -> Kernels.binaryScalar (fun a b -> Math.Pow(a, b)) (broadcastValues "pow" v) v[0] v[1])
            (fun args out t ->
                let tx = t[0] |> ValueOption.map (fun t -> mulNoNan (broadcastTo out.Shape t) (dx args))
                let ty = t[1] |> ValueOption.map (fun t -> mulNoNan (broadcastTo out.Shape t) (dy args out))
                addTangents tx ty)
            (fun args out g ->
                [| pullTo args[0] (fun () -> mulNoNan g (dx args))
                   pullTo args[1] (fun () -> mulNoNan g (dy args out)) |])
        |> withFormula (Formula.ofMethod (Formula.math "Pow" 2) ValueNone)
        |> withAlgebra Algebra.Power
        |> withSpans32 (SpanBinaryOf<float32>(fun a b d -> TensorPrimitives.Pow(a, b, d)))

    let private atan2Op : Op =
        let radius (args: Node[]) = add (mul args[0] args[0]) (mul args[1] args[1])
        let dy (args: Node[]) = div args[1] (radius args)
        let dx (args: Node[]) = neg (div args[0] (radius args))
        op "atan2" [] (fun v -> Kernels.binaryScalar (fun a b -> Math.Atan2(a, b)) (broadcastValues "atan2" v) v[0] v[1])
            (fun args out t ->
                addTangents
                    (t[0] |> ValueOption.map (fun t -> mulNoNan (broadcastTo out.Shape t) (dy args)))
                    (t[1] |> ValueOption.map (fun t -> mulNoNan (broadcastTo out.Shape t) (dx args))))
            (fun args _ g -> [| pullTo args[0] (fun () -> mulNoNan g (dy args)); pullTo args[1] (fun () -> mulNoNan g (dx args)) |])
        |> withFormula (Formula.ofMethod (Formula.math "Atan2" 2) ValueNone)
        |> withSpans32 (SpanBinaryOf<float32>(fun y x d -> TensorPrimitives.Atan2(y, x, d)))

    /// atan2(y, x), the angle of the point (x, y); ∂/∂y = x/(x² + y²), ∂/∂x = −y/(x² + y²).
    let atan2 (y: Node) (x: Node) : Node = Graph.apply atan2Op (Shape.broadcast "atan2" y.Shape x.Shape) [| y; x |]

    do register atan2Op 2 (fun a -> atan2 a[0] a[1])

    /// The weight each argument of an elementwise max/min receives: 1 where it wins, 0 where it
    /// loses, and at a tie ½ if both arguments are non-constant, else 0 for the non-constant one
    /// (the minimum-norm subgradient). Which arguments are constants is fixed when the node is
    /// built: rules may later see arguments as constants (see Sweeps).
    let private extremumWeights (wins: Node -> Node -> Node) (tieShare: float) (x: Node) (y: Node) =
        let tie = mul (equal x y) (scalar tieShare)
        add (wins x y) tie, add (wins y x) tie

    let private extremum name (pick: double -> double -> double) (formula: ScalarFormula) (algebra: Algebra) (wins: Node -> Node -> Node) (x: Node) (y: Node) =
        let shape = Shape.broadcast name x.Shape y.Shape
        let tieShare = if x.IsConstant || y.IsConstant then 0.0 else 0.5
        Graph.apply
            (op name [] (fun v -> Kernels.binaryScalar pick (broadcastValues name v) v[0] v[1])
                (fun args out t ->
                    let wx, wy = extremumWeights wins tieShare args[0] args[1]
                    addTangents
                        (t[0] |> ValueOption.map (fun t -> mulNoNan (broadcastTo out.Shape t) wx))
                        (t[1] |> ValueOption.map (fun t -> mulNoNan (broadcastTo out.Shape t) wy))
                    |> ValueOption.map (broadcastTo out.Shape))
                (fun args _ g ->
                    let wx, wy = extremumWeights wins tieShare args[0] args[1]
                    [| pullTo args[0] (fun () -> mulNoNan g wx); pullTo args[1] (fun () -> mulNoNan g wy) |])
             |> withFormula formula
             |> withAlgebra algebra
             |> withPerElement32 pick)
            shape [| x; y |]

    let private maximumFormula = own (nameof ScalarFunctions.Maximum) 2
    let private minimumFormula = own (nameof ScalarFunctions.Minimum) 2
    let private clampMethod = Formula.scalarFunction (nameof ScalarFunctions.Clamp) 3

    /// Elementwise maximum.
    let maximum x y = extremum "maximum" (fun a b -> ScalarFunctions.Maximum(a, b)) maximumFormula Algebra.Maximum greater x y
    /// Elementwise minimum.
    let minimum x y = extremum "minimum" (fun a b -> ScalarFunctions.Minimum(a, b)) minimumFormula Algebra.Minimum less x y


    /// Clamps into [lo, hi] (constants); the derivative is 1 strictly inside and 0 at and beyond
    /// the bounds.
    let clamp (lo: double) (hi: double) (x: Node) =
        if lo > hi then raise (ArgumentException(sprintf "clamp: the lower bound %g exceeds the upper bound %g" lo hi, "lo"))
        let inside (x: Node) = mul (greater x (scalar lo)) (less x (scalar hi))
        let formula = Formula.make 1 (fun a -> Expression.Call(clampMethod, Expression.Constant lo, Expression.Constant hi, a[0])) ValueNone null
        unary "clamp" [ "lo", Parameter.Real lo; "hi", Parameter.Real hi ] (fun v -> ScalarFunctions.Clamp(lo, hi, v)) (fun x _ -> inside x) formula x
