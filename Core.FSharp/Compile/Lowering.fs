namespace FunctionalAD.Compilation

open System
open System.Collections.Generic
open FunctionalAD
open FunctionalAD.Primitives

/// Turns a traced graph into a `Program`, optimising while it goes: common subexpressions are
/// shared, operations on constants are folded, the primitives' algebraic identities
/// (`Identities`: x·1, x+0, 0·x, −(−x), mulNoNan by a constant that makes it a plain product,
/// no-op broadcasts and reshapes …) are applied, and what the outputs do not need is dropped.
module internal Lowering =
    /// The primitive `build` applies to arguments of the given shapes (taken from the primitive
    /// itself, so a rewritten `mulNoNan` evaluates exactly as an eager `mul`).
    let private primitiveOf (build: Node[] -> Node) (shapes: int[][]) =
        let probe (shape: int[]) = Graph.abstractVariable (VarTag 1) shape DType.Float64
        match (build (Array.map probe shapes)).Kind with
        | Apply op -> op
        | _ -> invalidOp "a primitive of abstract values records an operation"

    /// What identifies an instruction for sharing: the primitive's identity (name and typed
    /// parameters), the argument instructions and the result shape.
    type private Description = (struct (struct (string * Parameters) * int[] * int[]))

    /// Equality of descriptions, hashed and compared without boxing them: F#'s structural
    /// comparer boxes a struct tuple (and walks it generically) on every call, and lowering a
    /// long program was bound by that garbage (2.2–2.9 KB per operation of the scalar chain).
    [<Sealed>]
    type private DescriptionComparer() =
        interface IEqualityComparer<Description> with
            member _.Equals(x: Description, y: Description) =
                let struct (struct (nameX, parametersX), argsX, shapeX) = x
                let struct (struct (nameY, parametersY), argsY, shapeY) = y
                String.Equals(nameX, nameY)
                && MemoryExtensions.SequenceEqual(ReadOnlySpan<int> argsX, ReadOnlySpan<int> argsY)
                && MemoryExtensions.SequenceEqual(ReadOnlySpan<int> shapeX, ReadOnlySpan<int> shapeY)
                && (parametersX.IsEmpty && parametersY.IsEmpty || parametersX = parametersY)
            member _.GetHashCode(x: Description) =
                let struct (struct (name, parameters), args, shape) = x
                let mutable h = HashCode()
                h.Add name
                for a in args do h.Add a
                for d in shape do h.Add d
                if not parameters.IsEmpty then h.Add(hash parameters)
                h.ToHashCode()

    /// Builds the instruction list, simplifying each instruction as it is added.
    type private Builder(capacity: int) =
        let instructions = List<Instruction>(capacity)
        // Equal one-element constants, by element type, rank (the shape of a one-element array
        // is all ones) and bits.
        let shared = Dictionary<struct (string * int * int64), int>()
        // A primitive's name and typed parameters say everything about it (a user function's
        // parameters are its identity), so equal applications to the same arguments are shared.
        let applications = Dictionary<Description, int>(capacity, DescriptionComparer())
        let literals = Dictionary<NdArray, int>(HashIdentity.Reference)

        let append (instruction: Instruction) =
            instructions.Add instruction
            instructions.Count - 1

        let literalValue k = match instructions[k].Kind with Literal v -> v | _ -> null

        /// True when `k` is a constant whose every element passes `test`.
        let allElements test k =
            let value = literalValue k
            not (isNull value) && value.Data |> Array.forall test

        let uniform k =
            let value = literalValue k
            if not (isNull value) && value.Size > 0 && allElements ((=) value.Data[0]) k then ValueSome value.Data[0] else ValueNone

        let role k =
            match instructions[k].Kind with
            | Primitive op -> ValueSome(struct (op.Capabilities.Algebra, instructions[k].Args))
            | _ -> ValueNone

        // Made on first use: its functions build through the builder's own members.
        let mutable language = Unchecked.defaultof<IdentityLanguage<int, struct (int[] * DType)>>

        let shapeOf k = instructions[k].Shape
        let dtypeOf k = instructions[k].DType

        member _.Instructions = instructions

        /// A constant; equal small constants (scalars) are shared.
        member _.Literal(value: NdArray) =
            match literals.TryGetValue value with
            | true, k -> k
            | _ ->
                let k =
                    if value.Size = 1 then
                        let key = struct (value.DType.Name, value.Shape.Length, BitConverter.DoubleToInt64Bits value.Data[0])
                        match shared.TryGetValue key with
                        | true, k -> k
                        | _ ->
                            let k = append { Kind = Literal value; Args = [||]; Shape = value.Shape; DType = value.DType }
                            shared[key] <- k
                            k
                    else append { Kind = Literal value; Args = [||]; Shape = value.Shape; DType = value.DType }
                literals[value] <- k
                k

        member _.Input(i: int, shape: int[], dtype: DType) = append { Kind = Input i; Args = [||]; Shape = shape; DType = dtype }

        /// An instruction after folding and sharing (no algebra: see `Apply`). Constants fold as
        /// eager code evaluates them, in the instruction's element type.
        member b.Emit(kind: InstructionKind, args: int[], shape: int[], dtype: DType) =
            let first = if args.Length > 0 then literalValue args[0] else null
            match kind with
            | Alias when not (isNull first) -> b.Literal(NdArray.view shape first)
            | Broadcast when not (isNull first) ->
                b.Literal(if dtype = DType.Float32 then Kernels.broadcastTo32 shape first else Kernels.broadcastTo shape first)
            | Convert when not (isNull first) -> b.Literal(NdArray.convert dtype first)
            | Primitive op when not (isNull first) && args |> Array.forall (fun a -> not (isNull (literalValue a))) ->
                b.Literal(Reuse.evaluateValues op (Array.map literalValue args) dtype)
            | _ ->
                let key =
                    match kind with
                    | Alias -> struct (struct ("alias", Param.empty), args, shape)
                    | Broadcast -> struct (struct ("broadcast", Param.empty), args, shape)
                    | Convert -> struct (struct ("convert", [ "", Parameter.Text dtype.Name ]), args, shape)
                    | Primitive op -> struct (op.Key, args, shape)
                    | Input _ | Literal _ -> invalidOp "inputs and literals are not shared by their description"
                match applications.TryGetValue key with
                | true, k -> k
                | _ ->
                    let k = append { Kind = kind; Args = args; Shape = shape; DType = dtype }
                    applications[key] <- k
                    k

        /// An alias of `x` with another shape (none when the shape is the same).
        member b.Reshape(x: int, shape: int[]) =
            let x = match instructions[x].Kind with Alias -> instructions[x].Args[0] | _ -> x
            if shapeOf x = shape then x else b.Emit(Alias, [| x |], shape, dtypeOf x)

        /// `x` materialised at `shape` (none when the shape is the same).
        member b.Broadcast(x: int, shape: int[]) = if shapeOf x = shape then x else b.Emit(Broadcast, [| x |], shape, dtypeOf x)

        /// `x` in the element type `dtype` (itself when it has that type already).
        member b.ConvertTo(x: int, dtype: DType) = if dtypeOf x = dtype then x else b.Emit(InstructionKind.Convert, [| x |], shapeOf x, dtype)

        /// A primitive application giving a result of type `dtype`, simplified by the primitives'
        /// algebraic identities. Its arguments are converted to that type first, as eager
        /// evaluation converts them (`Reuse`), unless the primitive fixes its result type (a
        /// conversion), which reads them as they are.
        member b.Apply(op: Op, args: int[], shape: int[], dtype: DType) =
            // Loops rather than closures over the builder: lowering allocates per instruction.
            let mutable converted = false
            for a in args do if dtypeOf a <> dtype then converted <- true
            let args = if op.Capabilities.ResultType.IsSome || not converted then args else args |> Array.map (fun a -> b.ConvertTo(a, dtype))
            match Identities.simplify b.Language (struct (shape, dtype)) op.Capabilities.Algebra args with
            | ValueSome k -> k
            | ValueNone when ScalarCode.isElementwise op -> b.Elementwise(op, args, shape, dtype)
            | ValueNone -> b.Emit(Primitive op, args, shape, dtype)

        /// Instructions as the identities see them, for a result of the shape and element type
        /// they are given.
        member private b.Language : IdentityLanguage<int, struct (int[] * DType)> =
            if isNull (box language) then
                language <-
                    { Uniform = uniform
                      AllElements = allElements
                      Role = role
                      Fits = fun (struct (shape, dtype)) k -> shapeOf k = shape && dtypeOf k = dtype
                      Filled = fun (struct (shape, dtype)) v -> b.Literal(NdArray.fullOf dtype shape v)
                      Negate = fun (struct (shape, dtype)) x -> b.Apply(primitiveOf (fun p -> Arithmetic.neg p[0]) [| shapeOf x |], [| x |], shape, dtype)
                      Multiply = fun (struct (shape, dtype)) x y -> b.Apply(primitiveOf (fun p -> Arithmetic.mul p[0] p[1]) [| shapeOf x; shapeOf y |], [| x; y |], shape, dtype)
                      Reshape = fun (struct (shape, _)) x -> b.Reshape(x, shape)
                      Stretch = fun (struct (shape, _)) x -> b.Broadcast(x, shape) }
            language

        /// An elementwise primitive. Fused loops read each argument at the element's own index or
        /// at 0, so an argument broadcast in any other way is materialised first.
        member b.Elementwise(op: Op, args: int[], shape: int[], dtype: DType) =
            let size = Shape.size shape
            let mutable stretched = false
            for a in args do
                let n = Shape.size (shapeOf a)
                if n <> size && n <> 1 then stretched <- true
            let fitted =
                if not stretched then args
                else args |> Array.map (fun a -> let n = Shape.size (shapeOf a) in if n = size || n = 1 then a else b.Broadcast(a, shape))
            b.Emit(Primitive op, fitted, shape, dtype)

    /// Keeps the inputs and what the outputs depend on, renumbering in the same order.
    let private withoutDeadCode (instructions: Instruction[]) (outputs: int[]) =
        let live = Array.zeroCreate instructions.Length
        for o in outputs do live[o] <- true
        for k in instructions.Length - 1 .. -1 .. 0 do
            match instructions[k].Kind with
            | Input _ -> live[k] <- true
            | _ -> ()
            if live[k] then for a in instructions[k].Args do live[a] <- true
        let renumbered = Array.create instructions.Length -1
        let kept = List<Instruction>()
        for k in 0 .. instructions.Length - 1 do
            if live[k] then
                renumbered[k] <- kept.Count
                let instruction = instructions[k]
                // Before the first dead instruction numbers do not change: the record is kept.
                let mutable same = true
                for a in instruction.Args do if renumbered[a] <> a then same <- false
                if same then kept.Add instruction
                else kept.Add { instruction with Args = instruction.Args |> Array.map (fun a -> renumbered[a]) }
        { Instructions = kept.ToArray(); Outputs = outputs |> Array.map (fun o -> renumbered[o]) }

    /// The program computing `outputs` from `inputs` (abstract variables of nesting `level`).
    let lower (level: int) (inputs: Node[]) (outputs: Node[]) : Program =
        let order = Graph.topologicalOrder level outputs
        let builder = Builder(order.Count + inputs.Length)
        let index = Dictionary<Node, int>(order.Count + inputs.Length, NodeIdentity.Comparer)
        inputs |> Array.iteri (fun i n -> index[n] <- builder.Input(i, n.Shape, n.DType))
        // A node outside the traced level (a constant, or a value an inner transform released)
        // has a value: it enters the program as a literal.
        let indexOf (n: Node) =
            match index.TryGetValue n with
            | true, k -> k
            | _ ->
                let k = builder.Literal n.Value
                index[n] <- k
                k
        for node in order do
            if not (index.ContainsKey node) then
                index[node] <-
                    match node.Kind with
                    | Variable _ when node.Arity = 1 -> indexOf (node.Arg 0)
                    | Apply op -> builder.Apply(op, Array.init node.Arity (fun i -> indexOf (node.Arg i)), node.Shape, node.DType)
                    | _ -> builder.Literal node.Value
        let outputIndices = outputs |> Array.map indexOf
        withoutDeadCode (builder.Instructions.ToArray()) outputIndices
