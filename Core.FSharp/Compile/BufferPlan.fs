namespace FunctionalAD.Compilation

open System
open System.Collections.Generic
open System.Linq.Expressions
open System.Numerics
open FunctionalAD

/// A program as steps over preallocated buffers. Elementwise instructions of one size run as
/// fused loops (one pass, intermediates in registers); sums, broadcasts, slices and matrix
/// products write into their buffers; other primitives evaluate eagerly and are copied in.
/// Buffers are shared between values whose lifetimes do not overlap (liveness over the step order).
module internal BufferPlan =
    /// Fused loops stop growing here, so their code stays small enough for the JIT to optimise.
    let private maxFused = 64

    /// Groups instructions into units run one after another: a fused loop (several elementwise
    /// instructions of one size and element type, so that it runs in that type's lanes) or a
    /// single instruction. An instruction that reads a value of
    /// the loop being gathered closes that loop first; one that does not may run before it.
    /// Elementwise outputs that nothing else reads (a parameter update) run last: every other
    /// read of their inputs is then behind them, so they can write into donated inputs.
    let private schedule (program: Program) (elementwise: int -> bool) (readInPlace: int -> bool) =
        let instructions = program.Instructions
        let read = Array.zeroCreate instructions.Length
        for instruction in instructions do
            for a in instruction.Args do read[a] <- true
        // Loops rather than Seq pipelines here and below: plan building is on a process's first
        // training step, where each generic collection function over ints is compiled by the JIT
        // first (a pipeline costs several methods).
        let last = HashSet<int>()
        for k in program.Outputs do
            if not read[k] && elementwise k then last.Add k |> ignore
        // The other instructions in program order, then those outputs in order.
        let order = Array.zeroCreate instructions.Length
        let mutable placed = 0
        for k in 0 .. instructions.Length - 1 do
            if not (last.Contains k) then
                order[placed] <- k
                placed <- placed + 1
        let others = placed
        for k in last do
            order[placed] <- k
            placed <- placed + 1
        Array.Sort(order, others, placed - others)
        let units = List<int[]>()
        let current = List<int>()
        let pending = HashSet<int>()
        let flush () =
            if current.Count > 0 then
                units.Add(current.ToArray())
                current.Clear()
                pending.Clear()
        for k in order do
            match instructions[k].Kind with
            | Input _ | Literal _ -> ()
            // Read in place by the loops that use it: no step of its own.
            | Broadcast when readInPlace k -> ()
            | Alias -> if pending.Contains instructions[k].Args[0] then pending.Add k |> ignore
            | _ when elementwise k ->
                if current.Count > 0 && (program.SizeOf current[0] <> program.SizeOf k || program.Instructions[current[0]].DType <> instructions[k].DType || current.Count >= maxFused) then flush ()
                current.Add k
                pending.Add k |> ignore
            | _ ->
                if instructions[k].Args |> Array.exists pending.Contains then flush ()
                units.Add [| k |]
        flush ()
        units.ToArray()

    /// A new buffer of `size` elements of `dtype`, not zeroed: every step writes its whole
    /// destination (a reused buffer holds the last call's values, so no step may rely on zeros;
    /// a scatter clears its own first), and zeroing a fresh output first wrote a Hessian's 8 MB
    /// result twice at n = 1 000.
    let private allocate (dtype: DType) (size: int) : Array =
        match dtype with
        | DType.Float32 -> GC.AllocateUninitializedArray<float32> size
        | DType.Float64 -> GC.AllocateUninitializedArray<double> size

    /// Where a fused loop's formula takes an argument from: an earlier member of the loop (its
    /// local), or a slot of the loop's own numbering that holds a buffer read element by element
    /// (`full`) or a one-element buffer read once (a scalar spread over the loop).
    [<RequireQualifiedAccess>]
    type private LoopOperand =
        | Member of int
        | Slot of slot: int * full: bool
        /// A broadcast read in place: element i reads source[(i / repeat) mod count].
        | Repeated of slot: int * repeat: int * count: int

    /// A broadcast that fused loops read in place instead of a materialised buffer: its source
    /// instruction, whose `Count` elements each repeat `Repeat` times in a row, the runs cycling
    /// through the source (`Kernels.repeatOf`: a row has repeat 1, a column [N, 1] against
    /// [N, C] repeat C, a channel [1, C, 1, 1] against [N, C, H, W] repeat H·W).
    [<Struct>]
    type private InPlace = { Source: int; Repeat: int; Count: int }

    /// Everything a fused loop's code depends on besides its size and buffers: its element type,
    /// whether it has a vector loop, each member's primitive (name and parameters, which fix its
    /// formula: compile's sharing relies on that too), type, operands and whether it is stored,
    /// and the element type of each slot. Loops of equal structure share one compiled delegate,
    /// whatever their size and wherever their buffers are.
    type private LoopStructure =
        { DType: DType
          Vectorised: bool
          Members: struct (struct (string * Parameters) * DType * LoopOperand[] * bool)[]
          SlotTypes: DType[] }

    /// Compiled fused loops by structure, for every plan of the process: each new plan of a
    /// training step (a batch of another size, another `Training.fit`) or each parameter update of
    /// the same form would otherwise compile and JIT the same code again (about 1.3 ms a loop:
    /// most of the cost of making a plan). Bounded, so that a process making plans without end
    /// does not keep their code forever.
    let private compiledLoops = Collections.Concurrent.ConcurrentDictionary<LoopStructure, MadeOnce<Action<Array[], int[], int>>>(HashIdentity.Structural)
    let private compiledLoopsLimit = 4096

    /// The code of one fused loop: for each element i, the members' formulas in order; members
    /// read by other steps or returned are stored into their buffers, all of one element type.
    /// When every member has a vector form in that type, a loop
    /// over Vector<double> or Vector<float32> lanes (twice as many) does the elements and the
    /// scalar loop the rest. The code reads its size and buffers from its arguments (the plan's
    /// buffers, the loop's slot map and the size), so that loops of one structure share it.
    /// Returns the step and, where its code is new (not found made for an earlier loop), that
    /// code to be made and the element types of its slots.
    let private fusedLoop (program: Program) (members: int[]) (materialised: int -> bool) (inPlace: int -> InPlace voption) =
        let size = program.SizeOf members[0]
        // A loop's members share one element type (`schedule`).
        let dtype = program.Instructions[members[0]].DType
        let width = ScalarCode.laneCount dtype
        let formulas (choose: DType -> Op -> (Expression[] -> Expression) option) =
            members |> Array.map (fun k -> match program.Instructions[k].Kind with Primitive op -> choose program.Instructions[k].DType op | _ -> None)
        let scalarFormulas = formulas ScalarCode.tryFormula
        let vectorFormulas = formulas ScalarCode.tryVectorFormula
        // A vector of lanes covers elements i … i + width − 1, which lie in one row of an operand
        // read in place only when rows are whole vectors.
        let wholeRows =
            members |> Array.forall (fun k ->
                program.Instructions[k].Args |> Array.forall (fun a ->
                    match inPlace (program.Storage a) with
                    // A whole vector of one element, or a contiguous piece of a row.
                    | ValueSome read -> read.Repeat % width = 0 || (read.Repeat = 1 && read.Count % width = 0)
                    | ValueNone -> true))
        let vectorised = Vector.IsHardwareAccelerated && size >= 2 * width && wholeRows && vectorFormulas |> Array.forall Option.isSome
        // The loop's slots: the buffers it reads or stores, numbered in order of first use.
        let slotOf = Dictionary<int, int>()
        let slots = List<int>()
        let slot r =
            match slotOf.TryGetValue r with
            | true, s -> s
            | _ ->
                slotOf[r] <- slots.Count
                slots.Add r
                slots.Count - 1
        let memberIndex = Dictionary<int, int>()
        let structure =
            { DType = dtype
              Vectorised = vectorised
              Members =
                members |> Array.mapi (fun j k ->
                    let instruction = program.Instructions[k]
                    let operands =
                        instruction.Args |> Array.map (fun a ->
                            let r = program.Storage a
                            match memberIndex.TryGetValue r, inPlace r with
                            | (true, m), _ -> LoopOperand.Member m
                            | _, ValueSome read -> LoopOperand.Repeated(slot read.Source, read.Repeat, read.Count)
                            | _ -> LoopOperand.Slot(slot r, program.SizeOf r = size))
                    let stored = materialised k
                    if stored then slot k |> ignore
                    memberIndex[k] <- j
                    let key = match instruction.Kind with Primitive op -> op.Key | _ -> invalidOp "a fused loop holds primitives only"
                    struct (key, instruction.DType, operands, stored))
              SlotTypes = Array.init slots.Count (fun s -> program.Instructions[slots[s]].DType) }
        let generate () =
            let elementOf k = ScalarCode.elementType program.Instructions[k].DType
            let buffers = Expression.Parameter(typeof<Array[]>, "buffers")
            let slotMap = Expression.Parameter(typeof<int[]>, "slots")
            let count = Expression.Parameter(typeof<int>, "size")
            let i = Expression.Variable(typeof<int>, "i")
            let prologue = List<Expression>()
            let hoisted = List<ParameterExpression>()
            // Reads hoisted before the loops, once per name.
            let hoist (cache: Dictionary<int, ParameterExpression>) (r: int) (valueType: Type) (name: string) (value: unit -> Expression) =
                match cache.TryGetValue r with
                | true, v -> v
                | _ ->
                    let v = Expression.Variable(valueType, name + string r)
                    let initial = value ()
                    hoisted.Add v
                    prologue.Add(Expression.Assign(v, initial))
                    cache[r] <- v
                    v
            let arrays, scalars, splats = Dictionary<int, ParameterExpression>(), Dictionary<int, ParameterExpression>(), Dictionary<int, ParameterExpression>()
            let arrayOf r =
                let arrayType = (elementOf r).MakeArrayType()
                hoist arrays r arrayType "b" (fun () ->
                    Expression.Convert(Expression.ArrayIndex(buffers, Expression.ArrayIndex(slotMap, Expression.Constant slotOf[r])), arrayType))
            let scalarOf r = hoist scalars r (elementOf r) "s" (fun () -> Expression.ArrayIndex(arrayOf r, Expression.Constant 0))
            let loop (condition: Expression) (locals: ParameterExpression[], body: Expression[]) (advance: Expression) =
                let exit = Expression.Label()
                Expression.Loop(Expression.IfThenElse(condition, Expression.Block(locals, Array.append body [| advance |]), Expression.Break exit), exit) :> Expression
            // The source element of a broadcast read in place for element i (no modulo where the
            // runs cover the loop once).
            let sourceIndex (read: InPlace) : Expression =
                let run = if read.Repeat = 1 then i :> Expression else Expression.Divide(i, Expression.Constant read.Repeat)
                if read.Repeat * read.Count = size then run else Expression.Modulo(run, Expression.Constant read.Count)
            let scalarLoop =
                let outside (r: int) : Expression =
                    match inPlace r with
                    | ValueSome read -> Expression.ArrayAccess(arrayOf read.Source, sourceIndex read)
                    | ValueNone -> if program.SizeOf r = size then Expression.ArrayAccess(arrayOf r, i) else scalarOf r
                let formulaOf k = scalarFormulas[Array.IndexOf(members, k)].Value
                let save k (v: ParameterExpression) =
                    if materialised k then Some(Expression.Assign(Expression.ArrayAccess(arrayOf k, i), v) :> Expression) else None
                loop (Expression.LessThan(i, count)) (Fusion.statements elementOf program members formulaOf program.Storage outside save) (Expression.PostIncrementAssign i)
            let vectorLoop =
                if vectorised then
                    let element = ScalarCode.elementType dtype
                    let lanes = typedefof<Vector<_>>.MakeGenericType element
                    let load = lanes.GetConstructor [| element.MakeArrayType(); typeof<int> |]
                    let splat = lanes.GetConstructor [| element |]
                    let store = lanes.GetMethod("CopyTo", [| element.MakeArrayType(); typeof<int> |])
                    let outside (r: int) : Expression =
                        match inPlace r with
                        | ValueSome read when read.Repeat = 1 -> Expression.New(load, arrayOf read.Source, sourceIndex read)
                        | ValueSome read -> Expression.New(splat, Expression.ArrayIndex(arrayOf read.Source, sourceIndex read))
                        | ValueNone ->
                            if program.SizeOf r = size then Expression.New(load, arrayOf r, i)
                            else hoist splats r lanes "w" (fun () -> Expression.New(splat, scalarOf r))
                    let formulaOf k = vectorFormulas[Array.IndexOf(members, k)].Value
                    let save k (v: ParameterExpression) = if materialised k then Some(Expression.Call(v, store, arrayOf k, i) :> Expression) else None
                    let statements = Fusion.statements (fun _ -> lanes) program members formulaOf program.Storage outside save
                    [ loop (Expression.LessThanOrEqual(i, Expression.Subtract(count, Expression.Constant width))) statements (Expression.AddAssign(i, Expression.Constant width)) ]
                else []
            // The hoisted reads, then the loops (both made above, hoisting as they went).
            hoisted.Add i
            prologue.Add(Expression.Assign(i, Expression.Constant 0))
            prologue.AddRange vectorLoop
            prologue.Add scalarLoop
            let code = Expression.Block(hoisted, prologue)
            Expression.Lambda<Action<Array[], int[], int>>(code, [| buffers; slotMap; count |]).Compile()
        let mutable compiledHere = false
        let compiled () =
            compiledHere <- true
            MadeOnce generate
        let run =
            match compiledLoops.TryGetValue structure with
            | true, run -> run
            | _ when compiledLoops.Count >= compiledLoopsLimit -> compiled ()
            | _ -> compiledLoops.GetOrAdd(structure, fun _ -> compiled ())
        let slotBuffers = slots.ToArray()
        (fun (b: Array[]) -> run.Value.Invoke(b, slotBuffers, size)), (if compiledHere then ValueSome(struct (run, structure.SlotTypes)) else ValueNone)

    /// Makes the new loops' code on a worker thread, in the order the plan runs them, while the
    /// caller goes on planning and running the steps before them; the first call of a step whose
    /// code is not made yet makes it itself (or waits for the worker already making it). The
    /// worker also runs each loop once on no elements, so that the JIT compiles its code there
    /// too. Where most of a first training run is the JIT's (docs/compile.md), this takes the
    /// loops' compilation — about 1.3 ms each, a quarter of the time of a step's first plan —
    /// off the thread that waits for the step.
    let private makeAhead (loops: struct (MadeOnce<Action<Array[], int[], int>> * DType[])[]) =
        if loops.Length > 0 then
            Threading.Tasks.Task.Run(fun () ->
                for struct (loop, slotTypes) in loops do
                    match loop.TryMake() with
                    | ValueSome run ->
                        let buffers = slotTypes |> Array.map (fun dtype -> allocate dtype 1)
                        run.Invoke(buffers, Array.init buffers.Length id, 0)
                    | ValueNone -> ())
            |> ignore

    /// The primitive's own kernel into a buffer for instruction `k`, where it has one for these
    /// shapes and this element type (a primitive that fixes its result type gets none: its
    /// arguments are of another type).
    let private kernelInto (program: Program) (k: int) : (Array[] -> unit) option =
        let instruction = program.Instructions[k]
        let args = instruction.Args |> Array.map program.Storage
        let argShapes = instruction.Args |> Array.map (fun a -> program.Instructions[a].Shape)
        match instruction.Kind with
        | Primitive op when op.Capabilities.ResultType.IsNone ->
            match instruction.DType, op.Capabilities.Into, op.Capabilities.Into32 with
            | DType.Float64, ValueSome make, _ ->
                match make argShapes instruction.Shape with
                | ValueSome kernel -> Some(fun b -> kernel.Invoke(Array.map (fun a -> b[a] :?> double[]) args, b[k] :?> double[]))
                | ValueNone -> None
            | DType.Float32, _, ValueSome make ->
                match make argShapes instruction.Shape with
                | ValueSome kernel -> Some(fun b -> kernel.Invoke(Array.map (fun a -> b[a] :?> float32[]) args, b[k] :?> float32[]))
                | ValueNone -> None
            | _ -> None
        | _ -> None

    /// The elements of `source` converted to the element type of `destination`.
    let private convertInto (source: Array) (destination: Array) =
        match source, destination with
        | (:? (float32[]) as s), (:? (double[]) as d) -> for i in 0 .. s.Length - 1 do d[i] <- double s[i]
        | (:? (double[]) as s), (:? (float32[]) as d) -> for i in 0 .. s.Length - 1 do d[i] <- float32 s[i]
        | _ -> invalidOp "a conversion changes the element type"

    /// A step's name in the summary: steps computing in float32 say so (`fused[3] float32`,
    /// `matmul float32`).
    let private typed (dtype: DType) (name: string) = if dtype = DType.Float32 then name + " float32" else name

    /// The name and code of a single (not elementwise) instruction writing into its buffer.
    let private single (program: Program) (k: int) : string * (Array[] -> unit) =
        let instruction = program.Instructions[k]
        // Buffers are those of the arguments' storage; shapes are the arguments' own.
        let args = instruction.Args |> Array.map program.Storage
        let argShapes = instruction.Args |> Array.map (fun a -> program.Instructions[a].Shape)
        let eager (op: Op) =
            typed instruction.DType (op.Label + " (eager)"),
            fun (b: Array[]) ->
                let result = Reuse.evaluateValues op (Array.init args.Length (fun j -> NdArray.ofBuffer argShapes[j] b[args[j]])) instruction.DType
                Array.Copy(result.Buffer, b[k], result.Size)
        match instruction.Kind with
        | Broadcast ->
            let target = instruction.Shape
            let strides = DestinationKernels.broadcastStrides argShapes[0] target
            typed instruction.DType "broadcast",
            match instruction.DType with
            | DType.Float32 -> fun b -> DestinationKernels.broadcastInto target strides (b[args[0]] :?> float32[]) (b[k] :?> float32[])
            | DType.Float64 -> fun b -> DestinationKernels.broadcastInto target strides (b[args[0]] :?> double[]) (b[k] :?> double[])
        | Convert -> "convert to " + instruction.DType.Name, fun b -> convertInto b[args[0]] b[k]
        | Primitive op ->
            match kernelInto program k with
            | Some kernel -> typed instruction.DType op.Label, kernel
            | None -> eager op
        | _ -> invalidOp "inputs, constants and aliases have no step"

    /// Elementwise results of at least this many elements whose function has no vector form but
    /// a vectorised kernel into a buffer (exp, log, sin, cos, tan, tanh: TensorPrimitives) run
    /// as a step of their own instead of inside a fused loop, which would compute them one
    /// element at a time and make the whole loop scalar: the 10⁶-element chain
    /// exp(−x²)·sin x·0.5 + x/(1 + x²) fused into one scalar loop took 0.72× the eager time
    /// (nine vectorised passes), and a scalar Math.Exp loop is slower than TensorPrimitives' pass
    /// even at 10⁴ elements (BENCHMARKS.md, "Other figures").
    let private aloneMinimum = 1024

    /// The plan for a program.
    let build (program: Program) : Executable =
        let instructions = program.Instructions
        let count = instructions.Length
        let vectorisedAlone k =
            match instructions[k].Kind with
            | Primitive op when program.SizeOf k >= aloneMinimum && (ScalarCode.tryVectorFormula instructions[k].DType op).IsNone -> (kernelInto program k).IsSome
            | _ -> false
        let elementwise k =
            match instructions[k].Kind with
            | Primitive op -> ScalarCode.isElementwise op && not (vectorisedAlone k)
            | _ -> false
        // Broadcasts that only fused loops of the broadcast's size read, and that are not
        // returned, are read in place by those loops (source[(i / repeat) mod count], in the
        // eager kernels' form, `Kernels.repeatOf`) instead of materialised: a bias added to a
        // batch, a per-example scalar times a batch or a channel bias costs no pass of its own.
        let returnedValue = HashSet<int>()
        for o in program.Outputs do returnedValue.Add(program.Storage o) |> ignore
        let readers = Array.init count (fun _ -> List<int>())
        for k in 0 .. count - 1 do
            match instructions[k].Kind with
            | Alias -> ()
            | _ -> for a in instructions[k].Args do readers[program.Storage a].Add k
        let inPlace =
            Array.init count (fun k ->
                let instruction = instructions[k]
                match instruction.Kind with
                // A source as large as the broadcast may be computed in the reading loop itself.
                | Broadcast when not (returnedValue.Contains k) && readers[k].Count > 0 && program.SizeOf instruction.Args[0] < program.SizeOf k
                                 && readers[k].TrueForAll(fun r -> elementwise r && program.SizeOf r = program.SizeOf k) ->
                    Kernels.repeatOf instructions[instruction.Args[0]].Shape instruction.Shape
                    |> ValueOption.map (fun repeat ->
                        { Source = program.Storage instruction.Args[0]; Repeat = repeat; Count = program.SizeOf instruction.Args[0] })
                | _ -> ValueNone)
        let units = schedule program elementwise (fun k -> inPlace[k].IsSome)
        let isLoop (members: int[]) = members.Length > 1 || elementwise members[0]
        let unitOf = Array.create count -1
        units |> Array.iteri (fun u members -> for k in members do unitOf[k] <- u)
        // Which unit last reads each value from a buffer, and what each unit reads.
        let lastRead = Array.create count -1
        let reads =
            units |> Array.mapi (fun u members ->
                [| for k in members do
                       for a in instructions[k].Args do
                           let r =
                               match inPlace[program.Storage a] with
                               | ValueSome read -> read.Source
                               | ValueNone -> program.Storage a
                           if unitOf[r] <> u then
                               lastRead[r] <- u
                               yield r |] |> Array.distinct)
        let returned = Array.zeroCreate count
        for o in program.Outputs do returned[program.Storage o] <- true
        let materialised k = returned[k] || lastRead[k] >= 0
        // Buffers: a value takes a free buffer of its size and element type when its unit runs and
        // gives it back after the last unit that reads it. Returned values get fresh arrays on
        // every call.
        let bufferOf = Array.create count -1
        let kindOf k = struct (program.SizeOf k, instructions[k].DType)
        let bufferKinds = List<struct (int * DType)>()
        let free = Dictionary<struct (int * DType), Stack<int>>()
        let take kind =
            match free.TryGetValue kind with
            | true, stack when stack.Count > 0 -> stack.Pop()
            | _ ->
                bufferKinds.Add kind
                bufferKinds.Count - 1
        units |> Array.iteri (fun u members ->
            for k in members do
                if materialised k && not returned[k] then bufferOf[k] <- take (kindOf k)
            for r in reads[u] do
                if lastRead[r] = u && bufferOf[r] >= 0 then
                    if not (free.ContainsKey(kindOf r)) then free[kindOf r] <- Stack<int>()
                    free[kindOf r].Push bufferOf[r])
        let names, steps, compiledLoops =
            units |> Array.map (fun members ->
                if isLoop members then
                    let step, made = fusedLoop program members materialised (Array.get inPlace)
                    typed instructions[members[0]].DType ("fused[" + string members.Length + "]"), step, made
                else
                    let name, step = single program members[0]
                    name, step, ValueNone)
            |> Array.unzip3
        makeAhead (compiledLoops |> Array.choose ValueOption.toOption)
        let inputs = [| for k in 0 .. count - 1 do match instructions[k].Kind with Input i -> yield struct (i, k) | _ -> () |]
        let fresh = [| for k in 0 .. count - 1 do if returned[k] && unitOf[k] >= 0 then yield k |]
        let outputs = program.Outputs |> Array.map program.Storage
        // Donation: a fresh output may take the buffer of an input of its size and element type
        // that no step reads after the output is written. The output's own step may still read
        // it when it is a fused loop (element i is read before it is stored); a matrix product
        // may not (BLAS forbids overlapping operands). Inputs that are themselves returned keep
        // their buffers.
        let donorOf = Array.create count -1
        // The inputs still free to donate, as (input number, instruction), in input order.
        let available = List<struct (int * int)>()
        for struct (i, r) in inputs do
            if not returned[r] then available.Add(struct (i, r))
        for k in fresh do
            let u = unitOf[k]
            let donor = available.FindIndex(fun (struct (_, r)) -> kindOf r = kindOf k && (lastRead[r] < u || (lastRead[r] = u && isLoop units[u])))
            if donor >= 0 then
                let struct (i, _) = available[donor]
                available.RemoveAt donor
                donorOf[k] <- i
        // An output array is the caller's alone unless another output is the same value.
        let exclusive = outputs |> Array.map (fun s -> fresh |> Array.contains s && (outputs |> Array.filter ((=) s)).Length = 1)
        let spare =
            Spare(fun () ->
                let shared = Array.init bufferKinds.Count (fun b -> let struct (n, dtype) = bufferKinds[b] in allocate dtype n)
                Array.init count (fun k ->
                    match instructions[k].Kind with
                    | Literal v -> v.Buffer
                    | _ when bufferOf[k] >= 0 -> shared[bufferOf[k]]
                    | _ -> null))
        let mutable bufferElements = 0L
        for b in 0 .. bufferKinds.Count - 1 do
            let struct (n, _) = bufferKinds[b]
            bufferElements <- bufferElements + int64 n
        let summary =
            { Instructions = count
              Steps = steps.Length
              FusedLoops = units |> Array.filter isLoop |> Array.length
              LoopsCompiled = compiledLoops |> Array.filter ValueOption.isSome |> Array.length
              Buffers = bufferKinds.Count
              BufferElements = bufferElements
              ScalarCode = false
              StepNames = names
              DonatableOutputs = fresh |> Array.filter (fun k -> donorOf[k] >= 0) |> Array.length }
        { new Executable with
            member _.Summary = summary
            member _.Run(values: NdArray[], donated: bool) =
                let b = spare.Take()
                for struct (i, k) in inputs do b[k] <- values[i].Buffer
                // A donated buffer is reused only when no other array can see it: not a view,
                // and not the same array passed as two inputs.
                let reusable i =
                    donated && i >= 0 && not values[i].IsShared
                    && (values |> Array.sumBy (fun v -> if obj.ReferenceEquals(v, values[i]) then 1 else 0)) = 1
                for k in fresh do b[k] <- if reusable donorOf[k] then values[donorOf[k]].Buffer else allocate instructions[k].DType (program.SizeOf k)
                for step in steps do step b
                let results = Array.zeroCreate outputs.Length
                for j in 0 .. outputs.Length - 1 do
                    let shape = instructions[program.Outputs[j]].Shape
                    results[j] <-
                        if exclusive[j] then NdArray.ofBuffer shape b[outputs[j]]
                        else
                            // The output shares its buffer with an input, a constant of the
                            // plan or another output: all of them become views.
                            match instructions[outputs[j]].Kind with
                            | Input i -> NdArray.view shape values[i]
                            | Literal v -> NdArray.view shape v
                            | _ -> NdArray.view shape (NdArray.ofBuffer shape b[outputs[j]])
                for struct (_, k) in inputs do b[k] <- null
                spare.Give b
                results }
