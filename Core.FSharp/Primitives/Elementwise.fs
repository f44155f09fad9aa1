namespace FunctionalAD.Primitives

open System
open System.Numerics.Tensors
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

    /// The operation record of a smooth unary primitive from its evaluation and local
    /// derivative d(x, y).
    let private unaryOp name parameters (eval: NdArray -> NdArray) (derivative: Node -> Node -> Node) =
        op name parameters (fun v -> eval v[0])
            (fun args out t -> tangentThrough (derivative args[0] out) t)
            (fun args out g -> cotangentThrough (derivative args[0] out) g)

    /// Declares a smooth unary primitive with parameters (a new operation record per use).
    let private unary name parameters eval derivative (x: Node) = Graph.applyUnary (unaryOp name parameters eval derivative) x.Shape x

    /// Declares a smooth unary primitive without parameters: its operation record is built once,
    /// so a node of a large eager graph costs no record or closures.
    let private primitive name (eval: NdArray -> NdArray) (derivative: Node -> Node -> Node) : Node -> Node =
        let op = unaryOp name "" eval derivative
        fun x -> Graph.applyUnary op x.Shape x

    /// Declares an operation whose derivative is zero everywhere it exists (comparisons, sign):
    /// its result is a constant mask.
    let private nondifferentiable name parameters eval shape (args: Node[]) =
        Graph.applyConstant (op name parameters eval (fun _ _ _ -> ValueNone) (fun args _ _ -> Array.create args.Length ValueNone)) shape args

    /// The value with the gradient blocked: a constant for every transform.
    let stopGradient (x: Node) = nondifferentiable "stopGradient" "" (fun v -> v[0]) x.Shape [| x |]

    // Scalar formulas of the primitives TensorPrimitives lacks. They are named so that the
    // compiler (Compile/) evaluates exactly the same formulas in its fused loops.

    /// sign of one number (NaN stays NaN).
    let signValue (a: double) = if Double.IsNaN a then a else float (Math.Sign a)
    /// log(1 + v), accurate for small v (Kahan's formulation).
    let log1pValue (v: double) = let u = 1.0 + v in if u = 1.0 then v else Math.Log u * v / (u - 1.0)
    /// exp(v) − 1, accurate for small v.
    let expm1Value (v: double) =
        let u = Math.Exp v
        if u = 1.0 then v elif u - 1.0 = -1.0 then -1.0 elif Double.IsPositiveInfinity u then u else (u - 1.0) * v / Math.Log u
    /// The logistic function of one number, without overflow.
    let sigmoidValue (v: double) = if v >= 0.0 then 1.0 / (1.0 + Math.Exp -v) else let e = Math.Exp v in e / (1.0 + e)
    /// log(1 + eᵛ) of one number, without overflow.
    let softplusValue (v: double) = max v 0.0 + (let e = Math.Exp(-abs v) in let u = 1.0 + e in if u = 1.0 then e else Math.Log u * e / (u - 1.0))
    /// max(v, 0) of one number (NaN stays NaN).
    let reluValue (v: double) = if v > 0.0 then v else if Double.IsNaN v then v else 0.0
    let private nanAware (f: double -> double -> double) a b = if Double.IsNaN a || Double.IsNaN b then Double.NaN else f a b
    /// The larger of two numbers, NaN if either is.
    let maximumValue (a: double) (b: double) = nanAware max a b
    /// The smaller of two numbers, NaN if either is.
    let minimumValue (a: double) (b: double) = nanAware min a b

    /// sign x ∈ {−1, 0, 1}; derivative 0.
    let sign (x: Node) = nondifferentiable "sign" "" (fun v -> Kernels.mapScalar signValue v[0]) x.Shape [| x |]

    let private comparisonOp name (test: double -> double -> bool) =
        op name "" (fun v -> Kernels.binaryScalar (fun a b -> if test a b then 1.0 else 0.0) (Shape.broadcast name v[0].Shape v[1].Shape) v[0] v[1])
            (fun _ _ _ -> ValueNone) (fun args _ _ -> Array.create args.Length ValueNone)

    let private comparison name test : Node -> Node -> Node =
        let op = comparisonOp name test
        fun x y -> Graph.applyConstant op (Shape.broadcast name x.Shape y.Shape) [| x; y |]

    /// 1 where x > y, else 0.
    let greater = comparison "greater" (>)
    /// 1 where x ≥ y, else 0.
    let greaterEqual = comparison "greaterEqual" (>=)
    /// 1 where x < y, else 0.
    let less = comparison "less" (<)
    /// 1 where x ≤ y, else 0.
    let lessEqual = comparison "lessEqual" (<=)
    /// 1 where x = y, else 0.
    let equal = comparison "equal" (=)
    /// 1 where x ≠ y, else 0.
    let notEqual = comparison "notEqual" (<>)

    /// where(cond, a, b): a where cond ≠ 0, else b, with broadcasting. The cotangent goes to the
    /// selected branch alone; the other receives an exact zero.
    let rec where (cond: Node) (a: Node) (b: Node) : Node =
        let shape = Shape.broadcast "where" (Shape.broadcast "where" cond.Shape a.Shape) b.Shape
        let zero = scalar 0.0
        let pick (t: Node voption) = match t with ValueSome t -> t | ValueNone -> zero
        Graph.apply
            (op "where" "" (fun v -> Kernels.select shape v[0] v[1] v[2])
                (fun args _ t ->
                    match t[1], t[2] with
                    | ValueNone, ValueNone -> ValueNone
                    | ta, tb -> ValueSome(broadcastTo shape (where args[0] (pick ta) (pick tb))))
                (fun args _ g ->
                    [| ValueNone
                       pullTo args[1] (fun () -> where args[0] g zero)
                       pullTo args[2] (fun () -> where args[0] zero g) |]))
            shape [| cond; a; b |]

    /// eˣ; derivative eˣ (the output).
    let exp = primitive "exp" (Kernels.map (SpanUnary(fun a d -> TensorPrimitives.Exp(a, d)))) (fun _ y -> y)
    /// Natural logarithm; derivative 1/x.
    let log = primitive "log" (Kernels.map (SpanUnary(fun a d -> TensorPrimitives.Log(a, d)))) (fun x _ -> reciprocal x)
    /// Square root; derivative 1/(2√x).
    let sqrt = primitive "sqrt" (Kernels.map (SpanUnary(fun a d -> TensorPrimitives.Sqrt(a, d)))) (fun _ y -> div (scalar 0.5) y)

    /// log(1 + x), accurate for small x (Kahan's formulation).
    let log1p = primitive "log1p" (Kernels.mapScalar log1pValue) (fun x _ -> reciprocal (add (scalar 1.0) x))

    /// exp(x) − 1, accurate for small x.
    let expm1 = primitive "expm1" (Kernels.mapScalar expm1Value) (fun _ y -> add y (scalar 1.0))

    /// Sine and cosine differentiate into each other, so their records are values of a
    /// recursive module, written out (a helper called there could run a rule before the other
    /// record exists).
    module private rec Trigonometric =
        let sin (x: Node) = Graph.applyUnary sinOp x.Shape x
        let cos (x: Node) = Graph.applyUnary cosOp x.Shape x
        let private sinOp : Op =
            { Name = "sin"; Params = ""
              Eval = Kernels.map (SpanUnary(fun a d -> TensorPrimitives.Sin(a, d))) << Array.head
              Jvp = fun args _ t -> tangentThrough (cos args[0]) t
              Vjp = fun args _ g -> cotangentThrough (cos args[0]) g }
        let private cosOp : Op =
            { Name = "cos"; Params = ""
              Eval = Kernels.map (SpanUnary(fun a d -> TensorPrimitives.Cos(a, d))) << Array.head
              Jvp = fun args _ t -> tangentThrough (neg (sin args[0])) t
              Vjp = fun args _ g -> cotangentThrough (neg (sin args[0])) g }

    /// Sine; derivative cos x.
    let sin (x: Node) = Trigonometric.sin x
    /// Cosine; derivative −sin x.
    let cos (x: Node) = Trigonometric.cos x

    /// tan x; derivative 1 + tan² x.
    let tan = primitive "tan" (Kernels.map (SpanUnary(fun a d -> TensorPrimitives.Tan(a, d)))) (fun _ y -> add (scalar 1.0) (mul y y))
    /// tanh x; derivative 1 − tanh² x.
    let tanh = primitive "tanh" (Kernels.map (SpanUnary(fun a d -> TensorPrimitives.Tanh(a, d)))) (fun _ y -> sub (scalar 1.0) (mul y y))

    /// The logistic function 1 / (1 + e^−x), evaluated without overflow; derivative y(1 − y).
    let sigmoid = primitive "sigmoid" (Kernels.mapScalar sigmoidValue) (fun _ y -> mul y (sub (scalar 1.0) y))

    /// log(1 + eˣ), evaluated without overflow; derivative sigmoid x.
    let softplus = primitive "softplus" (Kernels.mapScalar softplusValue) (fun x _ -> sigmoid x)

    /// max(x, 0); relu'(0) = 0.
    let relu = primitive "relu" (Kernels.mapScalar reluValue) (fun x _ -> greater x (scalar 0.0))

    /// |x|; abs'(0) = 0.
    let abs = primitive "abs" (Kernels.map (SpanUnary(fun a d -> TensorPrimitives.Abs(a, d)))) (fun x _ -> sign x)

    /// x^c for a real constant c; derivative c·x^(c−1) (and 0 for c = 0).
    let rec powConst (c: double) (x: Node) : Node =
        let parameters = c.ToString(Globalization.CultureInfo.InvariantCulture)
        if c = 0.0 then unary "powConst" parameters (fun v -> NdArray.ones v.Shape) (fun x _ -> Graph.constant (NdArray.zeros x.Shape)) x
        else unary "powConst" parameters (Kernels.mapScalar (fun v -> Math.Pow(v, c))) (fun x _ -> mul (scalar c) (powConst (c - 1.0) x)) x

    /// x^y for tensors; ∂/∂x = y·x^(y−1), ∂/∂y = x^y·log x (taken as 0 where x = 0, the limit
    /// for y > 0, instead of 0·(−∞)). ∂/∂x is 0 where y = 0 (x⁰ is constant) even at x = 0,
    /// where x^(y−1) is infinite: `mulNoNan` keeps every order finite, so d/dx x⁰ = 0 and the
    /// third derivative of x² at 0 is 0 (as in JAX).
    let rec pow (x: Node) (y: Node) : Node =
        let shape = Shape.broadcast "pow" x.Shape y.Shape
        let dx (args: Node[]) = mulNoNan args[1] (pow args[0] (sub args[1] (scalar 1.0)))
        let dy (args: Node[]) (out: Node) =
            let zero = scalar 0.0
            let isZero = equal args[0] zero
            where isZero zero (mul out (log (where isZero (scalar 1.0) args[0])))
        Graph.apply
            (op "pow" "" (fun v -> Kernels.binaryScalar (fun a b -> Math.Pow(a, b)) shape v[0] v[1])
                (fun args out t ->
                    let tx = t[0] |> ValueOption.map (fun t -> mulNoNan (broadcastTo shape t) (dx args))
                    let ty = t[1] |> ValueOption.map (fun t -> mulNoNan (broadcastTo shape t) (dy args out))
                    addTangents tx ty)
                (fun args out g ->
                    [| pullTo args[0] (fun () -> mulNoNan g (dx args))
                       pullTo args[1] (fun () -> mulNoNan g (dy args out)) |]))
            shape [| x; y |]

    /// The weight each argument of an elementwise max/min receives: 1 where it wins, 0 where it
    /// loses, and at a tie ½ if both arguments are non-constant, else 0 for the non-constant one
    /// (the minimum-norm subgradient). Which arguments are constants is fixed when the node is
    /// built: rules may later see arguments as constants (see Sweeps).
    let private extremumWeights (wins: Node -> Node -> Node) (tieShare: float) (x: Node) (y: Node) =
        let tie = mul (equal x y) (scalar tieShare)
        add (wins x y) tie, add (wins y x) tie

    let private extremum name (pick: double -> double -> double) (wins: Node -> Node -> Node) (x: Node) (y: Node) =
        let shape = Shape.broadcast name x.Shape y.Shape
        let tieShare = if x.IsConstant || y.IsConstant then 0.0 else 0.5
        Graph.apply
            (op name "" (fun v -> Kernels.binaryScalar pick shape v[0] v[1])
                (fun args _ t ->
                    let wx, wy = extremumWeights wins tieShare args[0] args[1]
                    addTangents
                        (t[0] |> ValueOption.map (fun t -> mulNoNan (broadcastTo shape t) wx))
                        (t[1] |> ValueOption.map (fun t -> mulNoNan (broadcastTo shape t) wy))
                    |> ValueOption.map (broadcastTo shape))
                (fun args _ g ->
                    let wx, wy = extremumWeights wins tieShare args[0] args[1]
                    [| pullTo args[0] (fun () -> mulNoNan g wx); pullTo args[1] (fun () -> mulNoNan g wy) |]))
            shape [| x; y |]

    /// Elementwise maximum.
    let maximum x y = extremum "maximum" maximumValue greater x y
    /// Elementwise minimum.
    let minimum x y = extremum "minimum" minimumValue less x y

    /// Clamps into [lo, hi] (constants); the derivative is 1 strictly inside and 0 at and beyond
    /// the bounds.
    let clamp (lo: double) (hi: double) (x: Node) =
        if lo > hi then raise (ArgumentException(sprintf "clamp: the lower bound %g exceeds the upper bound %g" lo hi, "lo"))
        let inside (x: Node) = mul (greater x (scalar lo)) (less x (scalar hi))
        unary "clamp" (sprintf "%g,%g" lo hi) (Kernels.mapScalar (fun v -> if Double.IsNaN v then v else Math.Clamp(v, lo, hi))) (fun x _ -> inside x) x
