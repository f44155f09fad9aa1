namespace FunctionalAD.Primitives

open System
open System.Linq.Expressions
open System.Numerics.Tensors
open FunctionalAD

/// The arithmetic primitives and broadcasting, which every other rule is written with.
/// Each primitive is one declaration: shape rule, evaluation, JVP rule and VJP rule together.
///
/// NaN policy (docs/conventions.md): every rule multiplies the incoming tangent or cotangent g
/// into a local derivative with `mulNoNan g d`, which is 0 wherever g is 0 even when d is
/// infinite or NaN. So a branch that `where` did not select, or a zero cotangent, never turns
/// into NaN, e.g. `where (x > 0) (sqrt x) 0` has derivative 0 at x = 0.
//
// The module is recursive because rules are written with the primitives they differentiate
// into (the derivative of `div` uses `div`). Operation records that take no parameters are
// built once, as values before the functions that apply them: a node then costs no op record or
// closures, which keeps large eager graphs small.
module internal rec Arithmetic =
    /// An operation record from its parts and its capabilities, built in one step. A primitive
    /// with parameters (axes, a shape, indices) builds a record per distinct parameters (the
    /// most used share them: `Records`), so the ones applied often (layout, reductions,
    /// products, casts) state their capabilities as one record (`{ Param.none with … }`):
    /// declared one by one (`|> withInto |> withBatch …`), each was a copy of the operation
    /// record and of its capabilities, 40–47 % of the bytes an eager `sum` or `slice` allocated.
    /// Factorisations, whose arithmetic dwarfs their records, keep the pipeline.
    let opWith name (parameters: Parameters) eval jvp vjp (capabilities: Capabilities) : Op =
        { Name = name; Params = parameters; Eval = eval; Jvp = jvp; Vjp = vjp; Capabilities = capabilities }

    /// Integer keys compared by their elements.
    type IntsComparer() =
        interface Collections.Generic.IEqualityComparer<int[]> with
            member _.Equals(a, b) = Shape.same a b
            member _.GetHashCode(key) =
                let mutable hash = HashCode()
                for v in key do hash.Add v
                hash.ToHashCode()

    /// Operation records of one parameterised primitive, shared by its applications with equal
    /// parameters (`key`: the parameters' integers, all that `make` captures): building a record
    /// — its parameter list, closures and copies of the index arrays — cost more than moving a
    /// small tensor (an eager slice's gradient of 100 elements took 4.8 µs with a record per
    /// node, 2.7 µs shared; a Hessian's sweeps apply slices, their transposes, broadcasts and
    /// sums again and again). Records are immutable and compare by name and parameters, so a
    /// shared one is the same operation. Emptied when it holds 1 024 (a program with more
    /// distinct parameters builds their records again). A key is copied when it is stored, so
    /// a caller may go on using (or changing) the array it looked up with.
    type Records() =
        let records = Collections.Concurrent.ConcurrentDictionary<int[], Op>(IntsComparer())
        member _.Get(key: int[], make: unit -> Op) =
            match records.TryGetValue key with
            | true, record -> record
            | _ ->
                if records.Count >= 1024 then records.Clear()
                records.GetOrAdd(Array.copy key, fun _ -> make ())

    /// An operation record from its parts (the form declarations built once use), with no
    /// capabilities beyond its rules.
    let op name (parameters: Parameters) eval jvp vjp : Op = opWith name parameters eval jvp vjp Param.none

    /// The record with the scalar formula (and so the batching) of an elementwise primitive.
    let withFormula (formula: ScalarFormula) (o: Op) = { o with Capabilities = { o.Capabilities with Formula = ValueSome formula } }

    /// The record with a batching rule (vmap).
    let withBatch (rule: int -> Node[] -> bool[] -> Node) (o: Op) = { o with Capabilities = { o.Capabilities with Batch = ValueSome rule } }

    /// The record with an algebraic role for the simplifiers.
    let withAlgebra (algebra: Algebra) (o: Op) = { o with Capabilities = { o.Capabilities with Algebra = algebra } }

    /// The record with its own float32 evaluation (`Capabilities.Float32`).
    let withFloat32 (kernel: NdArray[] -> NdArray) (o: Op) = { o with Capabilities = { o.Capabilities with Float32 = ValueSome kernel } }

    /// The record of an elementwise primitive of two arguments evaluated by the scalar function
    /// `f` (with broadcasting), with the float32 kernel that applies `f` to each widened pair and
    /// rounds: the fallback's result without widening whole arrays.
    let withPerElement32 (f: double -> double -> double) (o: Op) =
        withFloat32 (fun v -> Kernels.binaryScalar32 f (Shape.broadcast o.Name v[0].Shape v[1].Shape) v[0] v[1]) o

    /// The record whose evaluation reads and keeps either element type (layout that moves
    /// whole elements), so it is its own float32 kernel.
    let anyElementType (o: Op) = withFloat32 o.Eval o

    /// The record with a kernel that writes into a given buffer (compiled plans).
    let withInto (into: int[][] -> int[] -> DestinationKernel voption) (o: Op) = { o with Capabilities = { o.Capabilities with Into = ValueSome into } }

    /// The record with a float32 kernel into a buffer for compiled float32 plans (`Into32`).
    let withInto32 (into: int[][] -> int[] -> DestinationKernel32 voption) (o: Op) = { o with Capabilities = { o.Capabilities with Into32 = ValueSome into } }

    /// A batched argument (batch leading) with unit axes inserted after the batch so that its
    /// per-example part has `rank` dimensions and broadcasts against unbatched arguments.
    let batchedToRank (rank: int) (x: Node) =
        let perExample = x.Shape.Length - 1
        if perExample >= rank then x
        else reshape (Array.concat [ [| x.Shape[0] |]; Array.create (rank - perExample) 1; x.Shape[1..] ]) x

    /// The kernel summing a buffer of shape `source` over the flagged axes into another, where the
    /// reduced axes are contiguous once unit axes are ignored (compiled plans).
    let sumIntoKernel (source: int[]) (reduced: bool[]) =
        match DestinationKernels.geometry source reduced with
        | Some(outer, n, inner) -> ValueSome(DestinationKernel(fun args dest -> DestinationKernels.sumInto outer n inner args[0] dest))
        | None -> ValueNone

    /// `sumIntoKernel` for float32 buffers where float32's eager sum adds in the same order: one
    /// reduced axis, or all of them (`Kernels.sum32` folds other axis sets one axis at a time).
    let sumIntoKernel32 (source: int[]) (reduced: bool[]) =
        let count = reduced |> Array.filter id |> Array.length
        match DestinationKernels.geometry source reduced with
        | Some(outer, n, inner) when count = 1 || (count > 1 && count = source.Length) ->
            ValueSome(DestinationKernel32(fun args dest -> Kernels.sumInto32 outer n inner args[0] dest))
        | _ -> ValueNone

    /// The axes of `source` that summing down to `target` (which broadcasts to it) reduces.
    let stretchedAxes (source: int[]) (target: int[]) =
        let lead = source.Length - target.Length
        Array.init source.Length (fun a -> a < lead || (target[a - lead] = 1 && source[a] <> 1))

    /// A parameter that is a list of integers.
    let ints (name: string) (values: int[]) : string * Parameter = name, Parameter.Ints(Array.copy values)

    /// A scalar constant node, weakly typed (it keeps a float32 tensor float32).
    let scalar (v: double) = Graph.scalar v

    /// `x` with elements of `dtype` (rounded to nearest when narrowing). Differentiable: the
    /// tangent is cast to `dtype`, the cotangent back to `x`'s type.
    let cast (dtype: DType) (x: Node) : Node =
        if x.DType = dtype && not x.IsWeak then x
        else
            let conversion =
                opWith "cast" [ "", Parameter.Text dtype.Name ] (fun v -> NdArray.strong (NdArray.convert dtype v[0]))
                    (fun _ _ t -> t[0] |> ValueOption.map (cast dtype))
                    (fun args _ g -> [| ValueSome(cast args[0].DType g) |])
                    { Param.none with Batch = ValueSome(fun _ args _ -> cast dtype args[0]); ResultType = ValueSome dtype }
            Graph.applyUnary conversion x.Shape x

    /// The evaluation of an elementwise operation of two arguments, with NumPy broadcasting.
    let private binaryEval stores name (kernels: BinaryKernels<double>) (v: NdArray[]) = Kernels.binary stores kernels (Shape.broadcast name v[0].Shape v[1].Shape) v[0] v[1]

    /// `binaryEval` on float32 arguments: the capabilities with those float32 kernels.
    let private withBinary32 (capabilities: Capabilities) stores name (kernels: BinaryKernels<float32>) =
        { capabilities with Float32 = ValueSome(fun v -> Kernels.binary32 stores kernels (Shape.broadcast name v[0].Shape v[1].Shape) v[0] v[1]) }

    // The lanes are generic; each element type names its kernels once. (Internal: the
    // kernel-path tests run them.)
    let internal sums = LaneArithmetic.kernels (AddLanes<double>())
    let internal sums32 = LaneArithmetic.kernels (AddLanes<float32>())
    let internal differences = LaneArithmetic.kernels (SubtractLanes<double>())
    let internal differences32 = LaneArithmetic.kernels (SubtractLanes<float32>())
    let internal products = LaneArithmetic.kernels (MultiplyLanes<double>())
    let internal products32 = LaneArithmetic.kernels (MultiplyLanes<float32>())
    let internal quotients = LaneArithmetic.kernels (DivideLanes<double>())
    let internal quotients32 = LaneArithmetic.kernels (DivideLanes<float32>())
    // A zero first factor makes a zero row whatever the other holds (+0, as the span kernel).
    let internal guardedProducts : BinaryKernels<double> =
        { Spans = SpanBinary(fun a b d -> Kernels.guardedProduct a b d)
          ValueSpan = ValueSome(ValueSpanOf(fun a b d -> if a = 0.0 then d.Clear() else LaneArithmetic.valueSpan (MultiplyLanes<double>()) a b d))
          SpanValue = ValueSome(SpanValueOf(fun a b d -> let mutable value = b in Kernels.guardedProduct a (Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(&value, 1)) d)) }
    let internal guardedProducts32 : BinaryKernels<float32> =
        { Spans = SpanBinaryOf<float32>(fun a b d -> Kernels.guardedProduct a b d)
          ValueSpan = ValueSome(ValueSpanOf(fun a b d -> if a = 0.0f then d.Clear() else LaneArithmetic.valueSpan (MultiplyLanes<float32>()) a b d))
          SpanValue = ValueSome(SpanValueOf(fun a b d -> let mutable value = b in Kernels.guardedProduct a (Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(&value, 1)) d)) }

    let private applyBinary (op: Op) (x: Node) (y: Node) = Graph.applyBinary op (Shape.broadcast op.Name x.Shape y.Shape) x y

    /// The cotangent of an argument, summed down to its shape; a constant receives none, so
    /// its cotangent is not even computed (the other factor of a product with a constant).
    let inline pullTo (arg: Node) ([<InlineIfLambda>] cotangent: unit -> Node) =
        if arg.IsConstant then ValueNone else ValueSome(sumTo arg.Shape (cotangent ()))

    // The records below are written out rather than built by a helper: a value of a recursive
    // module may hold closures over later functions only where nothing could call them early.

    let private addOp : Op =
        { Name = "add"; Params = Param.empty
          Eval = binaryEval Kernels.Stores.Streaming "add" sums
          Jvp = fun _ out t -> addTangents (fit out t[0]) (fit out t[1])
          Vjp = fun args _ g -> [| unfit args[0] g; unfit args[1] g |]
          Capabilities = withBinary32 Formula.Arithmetic.add Kernels.Stores.Streaming "add" sums32 }

    let private subOp : Op =
        { Name = "sub"; Params = Param.empty
          Eval = binaryEval Kernels.Stores.Streaming "sub" differences
          Jvp =
            fun _ out t ->
                match fit out t[0], fit out t[1] with
                | ValueSome a, ValueSome b -> ValueSome(sub a b)
                | a, ValueNone -> a
                | ValueNone, ValueSome b -> ValueSome(neg b)
          Vjp = fun args _ g -> [| unfit args[0] g; pullTo args[1] (fun () -> neg g) |]
          Capabilities = withBinary32 Formula.Arithmetic.sub Kernels.Stores.Streaming "sub" differences32 }

    let private negOp : Op =
        { Name = "neg"; Params = Param.empty
          Eval = Kernels.map (SpanUnary(fun a d -> TensorPrimitives.Negate(a, d))) << Array.head
          Jvp = fun _ _ t -> t[0] |> ValueOption.map neg
          Vjp = fun _ _ g -> [| ValueSome(neg g) |]
          Capabilities = { Formula.Arithmetic.neg with Float32 = ValueSome(Kernels.map32 (SpanUnaryOf<float32>(fun a d -> TensorPrimitives.Negate(a, d))) << Array.head) } }

    let private mulOp : Op =
        { Name = "mul"; Params = Param.empty
          Eval = binaryEval Kernels.Stores.Streaming "mul" products
          Jvp = fun args out t -> addTangents (fit out (t[0] |> ValueOption.map (fun t -> mulNoNan t args[1]))) (fit out (t[1] |> ValueOption.map (fun t -> mulNoNan t args[0])))
          Vjp = fun args _ g -> [| pullTo args[0] (fun () -> mulNoNan g args[1]); pullTo args[1] (fun () -> mulNoNan g args[0]) |]
          Capabilities = withBinary32 Formula.Arithmetic.mul Kernels.Stores.Streaming "mul" products32 }

    let private divOp : Op =
        { Name = "div"; Params = Param.empty
          Eval = binaryEval Kernels.Stores.Streaming "div" quotients
          Jvp =
            fun args out t ->
                let dx = t[0] |> ValueOption.map (fun t -> mulNoNan t (reciprocal args[1]))
                let dy = t[1] |> ValueOption.map (fun t -> mulNoNan t (neg (div out args[1])))
                addTangents (fit out dx) (fit out dy)
          Vjp = fun args out g -> [| pullTo args[0] (fun () -> mulNoNan g (reciprocal args[1])); pullTo args[1] (fun () -> mulNoNan g (neg (div out args[1]))) |]
          Capabilities = withBinary32 Formula.Arithmetic.div Kernels.Stores.Streaming "div" quotients32 }

    let private mulNoNanOp : Op =
        { Name = "mulNoNan"; Params = Param.empty
          Eval =
            binaryEval Kernels.Stores.Cached "mulNoNan" guardedProducts
          Jvp = fun args out t -> addTangents (fit out (t[0] |> ValueOption.map (fun t -> mulNoNan t args[1]))) (fit out (t[1] |> ValueOption.map (fun t -> mulNoNan args[0] t)))
          Vjp = fun args _ g -> [| pullTo args[0] (fun () -> mulNoNan g args[1]); pullTo args[1] (fun () -> mulNoNan args[0] g) |]
          Capabilities = withBinary32 Formula.Arithmetic.mulNoNan Kernels.Stores.Cached "mulNoNan" guardedProducts32 }

    let private broadcastRecords = Records()
    let private sumToRecords = Records()
    let private reshapeRecords = Records()

    /// Broadcasts `x` to `shape` (NumPy rules). Its transpose is `sumTo`.
    let broadcastTo (shape: int[]) (x: Node) : Node =
        if Shape.same x.Shape shape then x
        else
            if not (Shape.broadcastsTo x.Shape shape) then
                Shape.fail "broadcastTo" [| x.Shape; shape |] "shape" "the tensor cannot be broadcast to the target shape"
            let record =
                broadcastRecords.Get(shape, fun () ->
                    let shape = Array.copy shape
                    opWith "broadcastTo" [ ints "" shape ] (fun v -> Kernels.broadcastTo shape v[0])
                        (fun _ _ t -> t[0] |> ValueOption.map (broadcastTo shape))
                        (fun args _ g -> [| ValueSome(sumTo args[0].Shape g) |])
                        { Param.none with
                            Algebra = Algebra.Stretch
                            Float32 = ValueSome(fun v -> Kernels.broadcastTo32 shape v[0])
                            Batch = ValueSome(fun size args _ -> broadcastTo (Array.append [| size |] shape) (batchedToRank shape.Length args[0])) })
            Graph.apply record (Array.copy shape) [| x |]

    /// Sums `x` down to a shape that broadcasts to `x.Shape`. Its transpose is `broadcastTo`.
    let sumTo (shape: int[]) (x: Node) : Node =
        if Shape.same x.Shape shape then x
        else
            if not (Shape.broadcastsTo shape x.Shape) then
                Shape.fail "sumTo" [| x.Shape; shape |] "shape" "the target shape does not broadcast to the tensor's shape"
            let record =
                sumToRecords.Get(shape, fun () ->
                    let shape = Array.copy shape
                    opWith "sumTo" [ ints "" shape ] (fun v -> Kernels.sumTo shape v[0])
                        (fun _ _ t -> t[0] |> ValueOption.map (sumTo shape))
                        (fun args _ g -> [| ValueSome(broadcastTo args[0].Shape g) |])
                        { Param.none with
                            Algebra = Algebra.Rearrangement
                            Into = ValueSome(fun argShapes _ -> sumIntoKernel argShapes[0] (stretchedAxes argShapes[0] shape))
                            Into32 = ValueSome(fun argShapes _ -> sumIntoKernel32 argShapes[0] (stretchedAxes argShapes[0] shape))
                            Float32 = ValueSome(fun v -> Kernels.sumTo32 shape v[0])
                            Batch =
                                ValueSome(fun size args _ ->
                                    // The target gains the batch in front and unit axes up to the argument's rank.
                                    let x = args[0]
                                    let padded = Array.concat [ [| size |]; Array.create (x.Shape.Length - 1 - shape.Length) 1; shape ]
                                    reshape (Array.append [| size |] shape) (sumTo padded x)) })
            Graph.apply record (Array.copy shape) [| x |]

    /// A tangent of an argument, stretched to the output's shape.
    let private fit (out: Node) (t: Node voption) = t |> ValueOption.map (broadcastTo out.Shape)

    /// A cotangent of the output, summed down to an argument's shape.
    let private unfit (arg: Node) (g: Node) = ValueSome(sumTo arg.Shape g)

    /// The sum of two optional (possibly zero) tangents.
    let addTangents (a: Node voption) (b: Node voption) =
        match a, b with
        | ValueSome a, ValueSome b -> ValueSome(add a b)
        | ValueSome _, ValueNone -> a
        | ValueNone, _ -> b

    /// x + y.
    let add (x: Node) (y: Node) : Node = applyBinary addOp x y

    /// x − y.
    let sub (x: Node) (y: Node) : Node = applyBinary subOp x y

    /// −x.
    let neg (x: Node) : Node = Graph.applyUnary negOp x.Shape x

    /// x · y, elementwise.
    let mul (x: Node) (y: Node) : Node = applyBinary mulOp x y

    /// x / y, elementwise.
    let div (x: Node) (y: Node) : Node = applyBinary divOp x y

    /// 1 / x.
    let reciprocal (x: Node) = div (scalar 1.0) x

    /// a · b, except 0 wherever a is 0 even if b is infinite or NaN: how rules apply a tangent or
    /// cotangent `a` to a local derivative `b`.
    let mulNoNan (a: Node) (b: Node) : Node = applyBinary mulNoNanOp a b

    /// The same elements under another shape of equal size (row-major order is kept).
    let reshape (shape: int[]) (x: Node) : Node =
        if Shape.same x.Shape shape then x
        else
            Shape.validateFor "reshape" [| x.Shape; shape |] "shape" shape
            if Shape.size shape <> Shape.size x.Shape then
                Shape.fail "reshape" [| x.Shape; shape |] "shape" (sprintf "cannot reshape %d elements into %d" (Shape.size x.Shape) (Shape.size shape))
            let record =
                reshapeRecords.Get(shape, fun () ->
                    let shape = Array.copy shape
                    let eval (v: NdArray[]) = NdArray.view (Array.copy shape) v[0]
                    opWith "reshape" [ ints "" shape ] eval
                        (fun _ _ t -> t[0] |> ValueOption.map (reshape shape))
                        (fun args _ g -> [| ValueSome(reshape args[0].Shape g) |])
                        { Param.none with
                            Algebra = Algebra.SameElements
                            Float32 = ValueSome eval
                            Batch = ValueSome(fun size args _ -> reshape (Array.append [| size |] shape) args[0]) })
            Graph.apply record (Array.copy shape) [| x |]
