namespace FunctionalAD.Compilation

open System
open System.Collections.Generic
open System.Linq.Expressions
open System.Threading
open FunctionalAD

/// What a compiled plan looks like: the sizes a reader of BENCHMARKS.md or a test cares about.
type PlanSummary =
    { /// Instructions left after sharing, folding, simplification and dead-code removal.
      Instructions: int
      /// Steps run per call (a fused loop counts once).
      Steps: int
      /// Fused elementwise loops among the steps.
      FusedLoops: int
      /// Fused loops whose code was compiled for this plan. The others reuse the code of a loop
      /// of the same structure (the same primitives in the same order on the same kinds of
      /// operands) compiled before in this process, by this plan or an earlier one, whatever its
      /// size: a plan for another batch size, or another `Training.fit` of the same model, costs
      /// only its tracing and planning.
      LoopsCompiled: int
      /// Reusable buffers the plan allocates once (outputs are fresh per call and not counted).
      Buffers: int
      /// Their total size in elements.
      BufferElements: int64
      /// True when the whole program runs as compiled scalar code over one register array.
      ScalarCode: bool
      /// The steps in order: `fused[n]` for a loop of n elementwise instructions, else the
      /// primitive (`matmul`, `sum`, …) or `broadcast`; `eager` marks a step that allocates.
      StepNames: string[]
      /// Outputs that can be written into a donated input's buffer (`Compile.compileDonating`)
      /// instead of a new array.
      DonatableOutputs: int }

/// A compiled plan: fresh output values from input values, reusing its own buffers. With
/// `donated` it may also write outputs into the inputs' buffers; the caller then gives the
/// inputs up.
type internal Executable =
    abstract Run: values: NdArray[] * donated: bool -> NdArray[]
    abstract Summary: PlanSummary

/// One spare workspace per plan: a call takes it (or makes a new one when another thread holds
/// it) and gives it back, so single-threaded calls allocate nothing and concurrent calls are safe.
type internal Spare<'W when 'W: not struct and 'W: null>(create: unit -> 'W) =
    let mutable spare: 'W = null
    member _.Take() =
        match Interlocked.Exchange(&spare, null) with
        | null -> create ()
        | w -> w
    member _.Give(w: 'W) = Volatile.Write(&spare, w)

/// A value made once, by whichever thread comes first: the thread that needs it (`Value`) or a
/// worker making it ahead of time (`TryMake`), which leaves it to a thread already making it
/// rather than wait. A failure is kept and raised to every caller of `Value`.
type internal MadeOnce<'T>(make: unit -> 'T) =
    /// 0: not started; 1: being made; 2: made (or failed).
    let mutable state = 0
    let mutable value = Unchecked.defaultof<'T>
    let mutable failure: Runtime.ExceptionServices.ExceptionDispatchInfo = null
    let made = new ManualResetEventSlim(false)

    /// Makes the value if no thread has started to, and returns it if this call made it.
    member _.TryMake() : 'T voption =
        if Interlocked.CompareExchange(&state, 1, 0) <> 0 then ValueNone
        else
            let result =
                try
                    value <- make ()
                    ValueSome value
                with e ->
                    failure <- Runtime.ExceptionServices.ExceptionDispatchInfo.Capture e
                    ValueNone
            Volatile.Write(&state, 2)
            made.Set()
            result

    /// The value, made now by this thread unless another already is (then waited for).
    member this.Value : 'T =
        if Volatile.Read(&state) <> 2 && (this.TryMake()).IsNone then made.Wait()
        if not (isNull failure) then failure.Throw()
        value

/// Straight-line scalar code for a run of instructions, shared by fused loops and compiled
/// scalar programs: every instruction becomes a local variable assigned from its formula.
module internal Fusion =
    /// The locals (of type `valueTypeOf k`: double or float32, or their Vector lanes in
    /// vectorised loops) and statements computing `members` (in order). `formulaOf k` builds k's value from its
    /// arguments' expressions; `resolve` maps an argument to the instruction holding its value;
    /// `outside r` reads a value computed before; `save k v` stores a member needed later.
    /// Every store comes after every read, so an output may overwrite an input it is computed
    /// from element by element (a donated buffer, see BufferPlan).
    let statements (valueTypeOf: int -> Type) (program: Program) (members: int[]) (formulaOf: int -> (Expression[] -> Expression))
                   (resolve: int -> int) (outside: int -> Expression) (save: int -> ParameterExpression -> Expression option) =
        let locals = Dictionary<int, ParameterExpression>()
        let body = List<Expression>()
        let stores = List<Expression>()
        let valueOf a =
            let r = resolve a
            match locals.TryGetValue r with
            | true, v -> v :> Expression
            | _ -> outside r
        for k in members do
            let v = Expression.Variable(valueTypeOf k, "v" + string k)
            body.Add(Expression.Assign(v, formulaOf k (program.Instructions[k].Args |> Array.map valueOf)))
            locals[k] <- v
            save k v |> Option.iter stores.Add
        // Arrays, not Seq pipelines: a new plan's first loop makes this on a process's first
        // training step, where each generic Seq function is compiled by the JIT first.
        let variables = Array.zeroCreate locals.Count
        locals.Values.CopyTo(variables, 0)
        body.AddRange stores
        variables, body.ToArray()
