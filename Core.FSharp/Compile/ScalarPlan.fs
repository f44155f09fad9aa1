namespace FunctionalAD.Compilation

open System
open System.Collections.Concurrent
open System.Linq.Expressions
open System.Threading
open System.Threading.Tasks
open FunctionalAD

/// Programs whose every value is a single number (the lectures' scalar chains, their gradients
/// and Hessians) compiled to IL: System.Linq.Expressions code over one register array, so each
/// operation costs a few machine instructions. Long programs are cut into chunks, each a
/// compiled delegate, so every method stays small enough for the JIT to optimise fully.
///
/// Compiling costs about 7 µs per instruction (LINQ's compiler and the JIT), which for a long
/// program is far more than running it: the 100 000-operation chain's gradient (≈ 300 000
/// instructions) took 2.2 s to compile and runs in 2 ms. So a program of more than
/// `compileAtOnce` instructions starts as an interpreter over the same register array — each
/// instruction one call of its formula, compiled once per primitive — and its IL is compiled on
/// the thread pool and swapped in when ready, as a tiered JIT does. Both compute every
/// instruction with the same formula, so they give the same bits.
module internal ScalarPlan =
    /// Instructions per compiled chunk.
    let private chunkSize = 512

    /// Programs of at most this many computed instructions are compiled before their first run.
    let private compileAtOnce = 4 * chunkSize

    /// The formula of a primitive as a delegate of its arguments, one per primitive and
    /// parameters (a constant exponent is part of the formula), compiled on first use.
    let private delegates = ConcurrentDictionary<struct (struct (string * Parameters) * DType), Delegate>()

    let private delegateOf (op: Op) (dtype: DType) (arity: int) (formula: Expression[] -> Expression) =
        let key = struct (op.Key, dtype)
        // Looked up first: GetOrAdd's factory would be a new closure for every instruction.
        match delegates.TryGetValue key with
        | true, compiled -> compiled
        | _ ->
            delegates.GetOrAdd(key, fun _ ->
                let parameters = Array.init arity (fun i -> Expression.Parameter(typeof<double>, sprintf "a%d" i))
                Expression.Lambda(formula (parameters |> Array.map (fun p -> p :> Expression)), parameters).Compile())

    /// One interpreted instruction: register `k` from the registers of its arguments.
    let private step (k: int) (args: int[]) (f: Delegate) : Action<double[]> =
        match f, args with
        | :? Func<double, double> as f, [| a |] -> Action<double[]>(fun r -> r[k] <- f.Invoke r[a])
        | :? Func<double, double, double> as f, [| a; b |] -> Action<double[]>(fun r -> r[k] <- f.Invoke(r[a], r[b]))
        | :? Func<double, double, double, double> as f, [| a; b; c |] -> Action<double[]>(fun r -> r[k] <- f.Invoke(r[a], r[b], r[c]))
        | _ -> invalidOp (sprintf "scalar plan: no interpreted form for %d arguments" args.Length)

    type private Role =
        | Computed of (Expression[] -> Expression)
        | Same

    /// What an instruction does on registers. Registers are doubles; a float32 value is held
    /// exactly in one, and every float32 instruction rounds its result to float32, so the plan
    /// computes each value in its instruction's type (a product of two float32 numbers rounded
    /// from double is the float32 product: double rounding is innocuous for ×).
    let private roleOf (instruction: Instruction) =
        match instruction.Kind with
        | Input _ | Literal _ -> Some Same
        | Alias | Broadcast -> Some Same
        // Widening is exact: the register already holds the value.
        | Convert when instruction.DType = DType.Float64 -> Some Same
        | Convert -> Some(Computed(fun a -> ScalarCode.heldAs DType.Float32 a[0]))
        | Primitive op ->
            match ScalarCode.tryFormulaOnDoubles instruction.DType op, op.Capabilities.Algebra with
            | Some formula, _ -> Some(Computed formula)
            // On a single number, layout changes and reductions are the number itself (a
            // float32 sum accumulates in float64 and rounds once: the number again).
            | None, (Algebra.Rearrangement | Algebra.SameElements | Algebra.Stretch | Algebra.PassThrough) when op.Capabilities.ResultType.IsNone -> Some Same
            | None, Algebra.MatrixProduct -> Some(Computed(fun a -> ScalarCode.heldAs instruction.DType (Expression.Multiply(a[0], a[1]))))
            | None, _ -> None

    /// The compiled plan, when every value of the program is a single number and every
    /// primitive has a scalar form.
    let tryBuild (program: Program) : Executable option =
        let instructions = program.Instructions
        let count = instructions.Length
        let roles = instructions |> Array.map (fun i -> if Shape.size i.Shape = 1 then roleOf i else None)
        if roles |> Array.exists Option.isNone then None
        else
            // Where each value lives: a computed instruction holds its own; the others pass on
            // their argument's (inputs and literals are their own source).
            let source = Array.init count id
            for k in 0 .. count - 1 do
                match roles[k], instructions[k].Kind with
                | Some Same, (Alias | Broadcast | Convert | Primitive _) -> source[k] <- source[instructions[k].Args[0]]
                | _ -> ()
            let computed = [| for k in 0 .. count - 1 do match roles[k] with Some(Computed _) -> yield k | _ -> () |]
            let chunks = computed |> Array.chunkBySize chunkSize
            let chunkOf = Array.create count -1
            chunks |> Array.iteri (fun c members -> for k in members do chunkOf[k] <- c)
            // A value is stored in its register when a later chunk reads it or it is returned.
            let stored = Array.zeroCreate count
            for k in computed do
                for a in instructions[k].Args do
                    let r = source[a]
                    if chunkOf[r] >= 0 && chunkOf[r] <> chunkOf[k] then stored[r] <- true
            for o in program.Outputs do stored[source[o]] <- true
            let registers = Expression.Parameter(typeof<double[]>, "registers")
            let outside (r: int) : Expression =
                match instructions[r].Kind with
                | Literal v -> Expression.Constant v.Data[0]
                | _ -> Expression.ArrayIndex(registers, Expression.Constant r)
            let save k (v: ParameterExpression) =
                if stored[k] then Some(Expression.Assign(Expression.ArrayAccess(registers, Expression.Constant k), v) :> Expression) else None
            let formulaOf k = match roles[k] with Some(Computed f) -> f | _ -> invalidOp "only computed instructions have code"
            let compileChunks () =
                chunks |> Array.map (fun members ->
                    let locals, body = Fusion.statements (fun _ -> typeof<double>) program members formulaOf (fun a -> source[a]) outside save
                    Expression.Lambda<Action<double[]>>(Expression.Block(locals, body), [| registers |]).Compile())
            // The interpreter reads literals from their registers, which every workspace starts with.
            let template = Array.zeroCreate<double> count
            for k in 0 .. count - 1 do
                match instructions[k].Kind with
                | Literal v -> template[k] <- v.Data[0]
                | _ -> ()
            let interpret () =
                computed |> Array.map (fun k ->
                    let args = instructions[k].Args |> Array.map (fun a -> source[a])
                    match instructions[k].Kind with
                    | Primitive op -> step k args (delegateOf op instructions[k].DType args.Length (formulaOf k))
                    | Convert -> Action<double[]>(fun r -> r[k] <- double (float32 r[args[0]]))
                    | _ -> invalidOp "only primitives and conversions are computed")
            // What runs: the compiled chunks (Choice2Of2), at once for short programs; long ones
            // are interpreted (Choice1Of2) until their chunks, compiled on the thread pool, replace
            // the interpreter in one write, after which its closures are garbage.
            let current =
                if computed.Length <= compileAtOnce then ref (Choice2Of2(compileChunks ()))
                else
                    let state = ref (Choice1Of2(interpret ()))
                    Task.Run(fun () -> Volatile.Write(&state.contents, Choice2Of2(compileChunks ()))) |> ignore
                    state
            let inputs = [| for k in 0 .. count - 1 do match instructions[k].Kind with Input i -> yield struct (i, k) | _ -> () |]
            let spare = Spare(fun () -> Array.copy template)
            let summary (compiled: bool) =
                { Instructions = count
                  Steps = chunks.Length
                  FusedLoops = 0
                  Buffers = 1
                  BufferElements = int64 count
                  ScalarCode = true
                  StepNames = Array.create chunks.Length (if compiled then "scalar code" else "interpreted scalar code")
                  LoopsCompiled = 0
                  DonatableOutputs = 0 }
            Some
                { new Executable with
                    member _.Summary = summary (match Volatile.Read(&current.contents) with Choice2Of2 _ -> true | Choice1Of2 _ -> false)
                    member _.Run(values: NdArray[], _) =
                        let r = spare.Take()
                        for struct (i, k) in inputs do r[k] <- values[i].Scalar
                        match Volatile.Read(&current.contents) with
                        | Choice1Of2 steps -> for interpreted in steps do interpreted.Invoke r
                        | Choice2Of2 chunks -> for chunk in chunks do chunk.Invoke r
                        let results = Array.zeroCreate program.Outputs.Length
                        for j in 0 .. results.Length - 1 do
                            let o = program.Outputs[j]
                            results[j] <-
                                match instructions[source[o]].Kind, instructions[o].DType with
                                | Literal v, _ -> NdArray.view instructions[o].Shape (NdArray.convert instructions[o].DType v)
                                | _, DType.Float32 -> NdArray.ofSingle instructions[o].Shape [| float32 r[source[o]] |]
                                | _, DType.Float64 -> NdArray(instructions[o].Shape, [| r[source[o]] |])
                        spare.Give r
                        results }
