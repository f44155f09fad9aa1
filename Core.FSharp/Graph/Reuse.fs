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
        static member Run(op: Op, args: Arguments) =
            if isNull Evaluation.pool then Evaluation.pool <- Array.zeroCreate 3
            let pool = Evaluation.pool
            let count = args.Count
            let pooled = count < pool.Length && not (isNull pool[count])
            let values = if pooled then pool[count] else Array.zeroCreate count
            if pooled then pool[count] <- null
            for i in 0 .. count - 1 do values[i] <- args[i].ValueOrNull
            let result = op.Eval values
            if count < pool.Length then
                Array.Clear values
                pool[count] <- values
            result

    /// `op` on the arguments' values, passing them in a reused array.
    let evaluate (op: Op) (args: Arguments) = Evaluation.Run(op, args)
