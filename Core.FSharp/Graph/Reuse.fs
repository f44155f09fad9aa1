namespace FunctionalAD

open System

/// The two pieces of state that keep eager graphs cheap, out of the reader's way: both are per
/// thread and hold nothing a user can observe.
module internal Reuse =
    type private ScalarConstants() =
        [<ThreadStatic; DefaultValue>]
        static val mutable private slots: Node[]
        /// A small direct-mapped cache of this thread's recent scalar constants.
        static member Slots =
            if isNull ScalarConstants.slots then ScalarConstants.slots <- Array.zeroCreate 64
            ScalarConstants.slots

    /// This thread's cache of recent scalar constants (see `Graph.scalar`).
    let scalarSlots () = ScalarConstants.Slots

    type private Evaluation() =
        [<ThreadStatic; DefaultValue>]
        static val mutable private pool: NdArray[][]
        /// `op` on the arguments' values. The arrays that pass up to two values are reused by
        /// this thread (an eager scalar operation would otherwise allocate one for nothing); one
        /// is out of the pool while its evaluation runs, so an evaluation that itself builds
        /// nodes gets a fresh one.
        static member Run(op: Op, args: Arguments, dtype: DType, weak: bool) =
            if isNull Evaluation.pool then Evaluation.pool <- Array.zeroCreate 3
            let pool = Evaluation.pool
            let count = args.Count
            let pooled = count < pool.Length && not (isNull pool[count])
            let values = if pooled then pool[count] else Array.zeroCreate count
            if pooled then pool[count] <- null
            for i in 0 .. count - 1 do values[i] <- args[i].ValueOrNull
            let result = Evaluation.Typed(op, values, dtype, weak)
            if count < pool.Length then
                Array.Clear values
                pool[count] <- values
            result

        /// `op` on `values` giving a result of type `dtype` (weak or not): the arguments are
        /// converted to the type the evaluation computes in — float64 for a float64 result, and
        /// for a float32 one the primitive's float32 kernel on float32 arguments or, without one,
        /// float64 on the float32 arguments widened, rounded back (weak constants are rounded to
        /// float32 first either way, so both paths compute the same function). A conversion
        /// (`ResultType`) gets its arguments as they are.
        static member Typed(op: Op, values: NdArray[], dtype: DType, weak: bool) =
            let convertAll (convert: NdArray -> NdArray) = for i in 0 .. values.Length - 1 do values[i] <- convert values[i]
            let capabilities = op.Capabilities
            if capabilities.ResultType.IsSome then NdArray.convert dtype (op.Eval values)
            else
                match dtype, capabilities.Float32 with
                | DType.Float64, _ ->
                    convertAll NdArray.toFloat64
                    let result = op.Eval values
                    if weak then NdArray.weaken result else result
                | DType.Float32, ValueSome kernel ->
                    convertAll NdArray.toFloat32
                    kernel values
                | DType.Float32, ValueNone ->
                    convertAll (NdArray.toFloat32 >> NdArray.toFloat64)
                    NdArray.toFloat32 (op.Eval values)

    /// `op` on the arguments' values, passing them in a reused array, for a result of type
    /// `dtype` (weakly typed when `weak`).
    let evaluate (op: Op) (args: Arguments) (dtype: DType) (weak: bool) = Evaluation.Run(op, args, dtype, weak)

    /// `op` on `values` (left as they are) for a strong result of type `dtype`, converting them
    /// as eager evaluation does: what compiled plans run for a step without a kernel of its own.
    let evaluateValues (op: Op) (values: NdArray[]) (dtype: DType) = Evaluation.Typed(op, Array.copy values, dtype, false)
