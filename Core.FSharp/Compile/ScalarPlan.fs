namespace FunctionalAD.Compilation

open System
open System.Linq.Expressions
open FunctionalAD

/// Programs whose every value is a single number (the lectures' scalar chains, their gradients
/// and Hessians) compiled to IL: System.Linq.Expressions code over one register array, so each
/// operation costs a few machine instructions. Long programs are cut into chunks, each a
/// compiled delegate, so every method stays small enough for the JIT to optimise fully.
module internal ScalarPlan =
    /// Instructions per compiled chunk.
    let private chunkSize = 512

    type private Role =
        | Computed of (Expression[] -> Expression)
        | Same

    let private roleOf (instruction: Instruction) =
        match instruction.Kind with
        | Input _ | Literal _ -> Some Same
        | Alias | Broadcast -> Some Same
        | Primitive op ->
            match ScalarCode.tryFormula op, op.Capabilities.Algebra with
            | Some formula, _ -> Some(Computed formula)
            // On a single number, layout changes and reductions are the number itself.
            | None, (Algebra.Rearrangement | Algebra.SameElements | Algebra.Stretch | Algebra.PassThrough) -> Some Same
            | None, Algebra.MatrixProduct -> Some(Computed(fun a -> Expression.Multiply(a[0], a[1])))
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
                | Some Same, (Alias | Broadcast | Primitive _) -> source[k] <- source[instructions[k].Args[0]]
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
            let code =
                chunks |> Array.map (fun members ->
                    let locals, body = Fusion.statements typeof<double> program members formulaOf (fun a -> source[a]) outside save
                    Expression.Lambda<Action<double[]>>(Expression.Block(locals, body), [| registers |]).Compile())
            let inputs = [| for k in 0 .. count - 1 do match instructions[k].Kind with Input i -> yield struct (i, k) | _ -> () |]
            let spare = Spare(fun () -> Array.zeroCreate<double> count)
            let summary =
                { Instructions = count
                  Steps = code.Length
                  FusedLoops = 0
                  Buffers = 1
                  BufferElements = int64 count
                  ScalarCode = true
                  StepNames = Array.create code.Length "scalar code"
                  DonatableOutputs = 0 }
            Some
                { new Executable with
                    member _.Summary = summary
                    member _.Run(values: NdArray[], _) =
                        let r = spare.Take()
                        for struct (i, k) in inputs do r[k] <- values[i].Data[0]
                        for chunk in code do chunk.Invoke r
                        let results = Array.zeroCreate program.Outputs.Length
                        for j in 0 .. results.Length - 1 do
                            let o = program.Outputs[j]
                            results[j] <-
                                match instructions[source[o]].Kind with
                                | Literal v -> NdArray.view instructions[o].Shape v
                                | _ -> NdArray(instructions[o].Shape, [| r[source[o]] |])
                        spare.Give r
                        results }
