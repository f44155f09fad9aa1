namespace FunctionalAD

open System
open System.Collections.Generic
open System.Threading

/// The identity of one differentiation variable. `Level` is the nesting depth of the transform
/// that made it (1 for an outermost `grad`), which is what keeps nested derivatives apart.
[<Sealed; AllowNullLiteral>]
type VarTag internal (level: int) =
    /// Nesting depth of the transform that owns the variable.
    member _.Level = level

/// What a node is: a constant, a differentiation variable, or a primitive applied to arguments.
/// A struct: reading a node's kind allocates nothing.
[<Struct>]
type NodeKind =
    /// A value with no history.
    | Constant
    /// A differentiation variable. With an argument it is the identity of that argument for
    /// every other transform, so an inner derivative stays differentiable by outer ones.
    | Variable of tag: VarTag
    /// A primitive operation applied to the node's arguments.
    | Apply of op: Op

/// One vertex of an immutable expression DAG: what it is, its arguments, its shape and, when its
/// inputs have values, its value (define-by-run: user code may branch on it).
and [<Sealed; AllowNullLiteral>] Node internal (id: int64, kind: NodeKind, args: Node[], shape: int[], value: NdArray, deps: uint64) =
    // The kind is kept as one reference (the Op, the VarTag or null) rather than the 24-byte
    // struct: a large eager graph is mostly nodes, and their size is what the GC copies.
    let kindPayload: obj =
        match kind with
        | Apply op -> box op
        | Variable tag -> box tag
        | Constant -> null
    // Up to two arguments are kept in fields rather than in an array of their own: most nodes
    // have one or two, and one object less per node is what a large eager graph saves most.
    let arg0 = if args.Length = 1 || args.Length = 2 then args[0] else null
    let arg1 = if args.Length = 2 then args[1] else null
    let moreArgs = if args.Length > 2 then args else null
    /// A number unique to this node, increasing in creation order.
    member _.Id = id
    /// Constant, variable or primitive application.
    member _.Kind =
        match kindPayload with
        | :? Op as op -> Apply op
        | :? VarTag as tag -> Variable tag
        | _ -> Constant
    /// The number of arguments.
    member _.Arity = if not (isNull moreArgs) then moreArgs.Length elif not (isNull arg1) then 2 elif not (isNull arg0) then 1 else 0
    /// The argument nodes (a new array for up to two arguments: hot loops use `Arity`/`Arg`).
    member n.Args : Node[] =
        match n.Arity with
        | 0 -> [||]
        | 1 -> [| arg0 |]
        | 2 -> [| arg0; arg1 |]
        | _ -> moreArgs
    /// The i-th argument.
    member _.Arg(i: int) : Node = if not (isNull moreArgs) then moreArgs[i] elif i = 0 then arg0 else arg1
    /// The shape, known even when the value is not (while compiling).
    member _.Shape = shape
    /// The value, or null for an abstract node built while tracing a function for compilation.
    member _.ValueOrNull = value
    /// The value; asking for it on an abstract node is an error that says what to do instead.
    member this.Value =
        if isNull value then
            let origin =
                match this.Kind with
                | Apply op -> sprintf "the result of `%s`" op.Name
                | Variable _ -> "an input"
                | Constant -> "a constant"
            raise (InvalidOperationException(
                sprintf "The value of a tensor (%s, shape %s) is not known while a function is being compiled, so code cannot branch on it or read it. " origin (Shape.format shape)
                + "Use Tensor.where for data-dependent choices, or leave this function uncompiled."))
        value
    /// Bit L is set when the node depends on a variable of nesting level L.
    member _.Deps = deps
    /// True for a node with no history.
    member _.IsConstant = deps = 0UL

/// A primitive operation: its evaluation and its forward (JVP) and reverse (VJP) derivative
/// rules. Rules are written with graph operations, so derivatives can be differentiated again.
/// Zero tangents and cotangents are `ValueNone` and cost nothing.
and Op =
    { /// The primitive's name as listings show it (`exp`, `add`, `matmul`).
      Name: string
      /// Parameters that distinguish instances (axes, exponents), shown in listings.
      Params: string
      /// Computes the value from argument values.
      Eval: NdArray[] -> NdArray
      /// Tangent of the output from the arguments, the output and the arguments' tangents.
      Jvp: Node[] -> Node -> Node voption[] -> Node voption
      /// Cotangents of the arguments from the arguments, the output and the output's cotangent.
      Vjp: Node[] -> Node -> Node -> Node voption[] }

/// Node identity for hash sets and dictionaries, hashed on the node's number: the runtime's
/// identity hash must be installed in each new object's header on first use, which made it the
/// most expensive step of a reverse sweep over a large graph.
[<Sealed>]
type internal NodeIdentity private () =
    static member val Comparer = NodeIdentity()
    interface IEqualityComparer<Node> with
        member _.Equals(a, b) = obj.ReferenceEquals(a, b)
        member _.GetHashCode n = n.Id.GetHashCode()

/// Building nodes, and the nesting levels of transforms.
module Graph =
    let mutable private nextId = 0L
    let private freshId () = Interlocked.Increment &nextId

    /// A constant node holding a value.
    let constant (value: NdArray) = Node(freshId (), Constant, [||], value.Shape, value, 0UL)

    type private ScalarConstants() =
        [<ThreadStatic; DefaultValue>]
        static val mutable private slots: Node[]
        /// A small direct-mapped cache of this thread's recent scalar constants.
        static member Slots =
            if isNull ScalarConstants.slots then ScalarConstants.slots <- Array.zeroCreate 64
            ScalarConstants.slots

    /// A rank-0 constant. Recent values are shared (per thread): `x * 0.9` in a loop then costs
    /// no new constant per operation, and sharing an immutable constant changes nothing else.
    let internal scalar (v: double) =
        let bits = BitConverter.DoubleToInt64Bits v
        let slots = ScalarConstants.Slots
        let slot = int ((bits ^^^ (bits >>> 21) ^^^ (bits >>> 42)) &&& 63L)
        let cached = slots[slot]
        if not (isNull cached) && not cached.ValueOrNull.IsDonated && BitConverter.DoubleToInt64Bits cached.ValueOrNull.Data[0] = bits then cached
        else
            let node = constant (NdArray.scalar v)
            slots[slot] <- node
            node

    type private LevelState() =
        [<ThreadStatic; DefaultValue>]
        static val mutable private depth: int
        [<ThreadStatic; DefaultValue>]
        static val mutable private dropped: uint64
        /// How many transforms are open on this thread.
        static member Depth
            with get () = LevelState.depth
            and set v = LevelState.depth <- v
        /// The levels whose history nodes built now let go of (set while a sweep runs rules).
        static member Dropped
            with get () = LevelState.dropped
            and set v = LevelState.dropped <- v

    /// The bits of the nesting levels open on this thread (levels 1 … depth).
    let private openLevels () = (1UL <<< (LevelState.Depth + 1)) - 2UL

    /// What a node built now from `args` depends on, and whether all of them have values.
    /// While a sweep runs rules, dependence on levels whose transforms have closed is dropped:
    /// nobody can differentiate with respect to them any more, so at the outermost level rules
    /// compute on plain values and keep no history, while inside an enclosing transform they
    /// build a differentiable graph. Abstract nodes (tracing for compilation) have no value and
    /// keep their dependence.
    let private liveDeps (args: Node[]) =
        let mutable deps = 0UL
        let mutable known = true
        for a in args do
            deps <- deps ||| a.Deps
            known <- known && not (isNull a.ValueOrNull)
        struct ((if known then deps &&& ~~~LevelState.Dropped else deps), known)

    /// Runs a sweep's `body`: nodes its rules build drop dependence on every level not open on
    /// this thread. Only this thread is affected, and transforms opened inside (a custom rule
    /// that differentiates) record their own level as usual.
    let internal sweeping (body: unit -> 'T) : 'T =
        let saved = LevelState.Dropped
        LevelState.Dropped <- ~~~(openLevels ())
        try body ()
        finally LevelState.Dropped <- saved

    let private values (args: Node[]) =
        let values = Array.zeroCreate args.Length
        for i in 0 .. args.Length - 1 do values[i] <- args[i].ValueOrNull
        values

    /// Builds a primitive node. On constants it computes at once and keeps no history; when some
    /// argument depends on a variable the node records the operation and, where the arguments
    /// have values, the value too.
    let apply (op: Op) (shape: int[]) (args: Node[]) =
        let struct (deps, known) = liveDeps args
        let value = if known then op.Eval(values args) else null
        if deps = 0UL && known then constant value
        else Node(freshId (), Apply op, args, shape, value, deps)

    /// Builds a primitive node whose value was computed elsewhere (a user function with custom
    /// rules evaluates itself); on constants it is a constant.
    let applyWithValue (op: Op) (shape: int[]) (args: Node[]) (value: NdArray) =
        let struct (deps, _) = liveDeps args
        if deps = 0UL && not (isNull value) then constant value
        else Node(freshId (), Apply op, args, shape, value, deps)

    /// Builds an operation with no derivative (a comparison, `sign`, `stopGradient`): when the
    /// arguments have values the result is a plain constant, so no history is kept.
    let applyConstant (op: Op) (shape: int[]) (args: Node[]) =
        let struct (deps, known) = liveDeps args
        if known then constant (op.Eval(values args))
        else Node(freshId (), Apply op, args, shape, null, deps)

    /// A new differentiation variable at `tag`'s level standing for `x`.
    let variable (tag: VarTag) (x: Node) =
        let bit = 1UL <<< tag.Level
        let struct (deps, _) = liveDeps [| x |]
        if deps = 0UL then Node(freshId (), Variable tag, [||], x.Shape, x.ValueOrNull, bit)
        else Node(freshId (), Variable tag, [| x |], x.Shape, x.ValueOrNull, deps ||| bit)

    /// An abstract input for tracing: a shape, no value.
    let abstractVariable (tag: VarTag) (shape: int[]) = Node(freshId (), Variable tag, [||], Array.copy shape, null, 1UL <<< tag.Level)

    /// Runs `body` with a fresh variable tag one level deeper than the current transform, then
    /// returns to the outer level. Levels are per thread.
    let withNewLevel (body: VarTag -> 'T) : 'T =
        let level = LevelState.Depth + 1
        if level > 62 then raise (InvalidOperationException "Derivatives are nested more than 62 levels deep.")
        let dropped = LevelState.Dropped
        LevelState.Depth <- level
        LevelState.Dropped <- dropped &&& ~~~(1UL <<< level)
        try body (VarTag level)
        finally
            LevelState.Depth <- level - 1
            LevelState.Dropped <- dropped

    /// Lets go of history nobody can use: a result that depends on no variable of a transform
    /// still open on this thread becomes a plain constant, so loops of ordinary code keep no
    /// history. Transforms call it on what they return, after their own level has closed.
    let release (node: Node) =
        if node.Deps <> 0UL && node.Deps &&& openLevels () = 0UL && not (isNull node.ValueOrNull) then constant node.ValueOrNull else node

    /// The nodes reachable from `roots` that depend on level `level`, arguments before users.
    /// Iterative, so a chain of millions of nodes cannot overflow the stack.
    let topologicalOrder (level: int) (roots: Node seq) =
        let bit = 1UL <<< level
        let order = List<Node>()
        let visited = HashSet<Node>(NodeIdentity.Comparer)
        let stack = Stack<struct (Node * bool)>()
        for r in roots do
            if r.Deps &&& bit <> 0UL then stack.Push(struct (r, false))
        while stack.Count > 0 do
            let struct (node, expanded) = stack.Pop()
            if expanded then order.Add node
            elif visited.Add node then
                stack.Push(struct (node, true))
                for i in 0 .. node.Arity - 1 do
                    let a = node.Arg i
                    if a.Deps &&& bit <> 0UL && not (visited.Contains a) then stack.Push(struct (a, false))
        order
