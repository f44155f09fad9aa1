namespace FunctionalAD

open System
open System.Collections.Generic
open System.Threading

/// A kernel writing a primitive's result into the destination buffer from the arguments' buffers
/// (row-major, of the shapes the kernel was made for).
type DestinationKernel = delegate of arguments: double[][] * destination: double[] -> unit

/// How a comparison relates its arguments.
type Relation =
    | Greater
    | GreaterEqual
    | Less
    | LessEqual
    | Equal
    | NotEqual

/// The algebraic role of a primitive, which the simplifiers (compile's lowering, Symbolic) use
/// to rewrite x + 0, x · 1, 0 · x, −(−x) and to see through layout changes.
type [<RequireQualifiedAccess>] Algebra =
    /// Nothing is assumed.
    | Opaque
    /// x + y.
    | Sum
    /// x − y.
    | Difference
    /// x · y.
    | Product
    /// x / y.
    | Quotient
    /// −x.
    | Negation
    /// a · b, except 0 where a = 0 (`mulNoNan`).
    | GuardedProduct
    /// The same elements under another shape (a reshape: no work).
    | SameElements
    /// The argument stretched to a larger shape by broadcasting.
    | Stretch
    /// The argument's value itself (a primitive that only changes derivatives).
    | PassThrough
    /// Moves, selects or sums elements: on a single element, that element (sum, permute, slice).
    | Rearrangement
    /// A matrix product: on single elements, their product.
    | MatrixProduct
    /// x^y.
    | Power
    /// x^c for the constant c.
    | PowerOf of exponent: float
    /// The larger of two elements (NaN if either is).
    | Maximum
    /// The smaller of two elements (NaN if either is).
    | Minimum
    /// cond ≠ 0 ? a : b.
    | Selection
    /// The mask 1.0 where the relation holds, else 0.0.
    | Comparison of Relation
    /// A mask-like result whose zeros come from a test (sign).
    | Mask

/// The scalar formula of an elementwise primitive: one F# definition and the LINQ expressions
/// that state it, so eager kernels, compiled loops, Symbolic expression trees and the command
/// line compute the same thing.
type [<NoEquality; NoComparison>] ScalarFormula =
    { /// The formula as an expression of its arguments' expressions (scalar double).
      Emit: System.Linq.Expressions.Expression[] -> System.Linq.Expressions.Expression
      /// The same formula on Vector<double> lanes, where that computes the same bits (IEEE
      /// arithmetic, comparisons, selection, √, |·|); none where the loop stays scalar.
      EmitVector: (System.Linq.Expressions.Expression[] -> System.Linq.Expressions.Expression) voption
      /// The .NET method a user writes for it in an expression tree (`Math.Atan2`), if any.
      Method: System.Reflection.MethodInfo
      /// How many arguments it takes.
      Arity: int }

/// One parameter value.
type [<RequireQualifiedAccess>] Parameter =
    | Int of int
    | Ints of int[]
    | Real of float
    | Flag of bool
    | Text of string
    /// Compared by reference: the rules of one user function, never equal to another's.
    | Identity of obj


/// A primitive's parameters: named, typed values with structural equality.
type Parameters = (string * Parameter) list

/// Raised when code reads the value of a tensor that has none because a function is being traced
/// with abstract inputs (compile, vmap): transforms recognise a tracing failure by this type.
type ValueNotKnownException(message: string) =
    inherit InvalidOperationException(message)

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
and [<Sealed; AllowNullLiteral>] Node internal (id: int64, kind: NodeKind, args: Arguments, shape: int[], value: NdArray, deps: uint64) =
    // A large eager graph is mostly nodes, and their size is what the GC copies when it
    // promotes them, so a node is six fields (64 bytes): the kind is kept as one reference (the
    // Op, the VarTag or null) rather than the 24-byte struct, up to two arguments need no array
    // of their own, and the value carries the shape, which is stored only when there is none.
    let kindPayload: obj =
        match kind with
        | Apply op -> box op
        | Variable tag -> box tag
        | Constant -> null
    let valueOrShape: obj =
        if isNull value then box shape
        elif Shape.same shape value.Shape then box value
        else
            let origin = match kind with Apply op -> op.Name | Variable _ -> "variable" | Constant -> "constant"
            raise (InvalidOperationException(sprintf "%s: computed a value of shape %s where its shape rule gives %s" origin (Shape.format value.Shape) (Shape.format shape)))
    /// A number unique to this node, increasing in creation order.
    member _.Id = id
    /// Constant, variable or primitive application.
    member _.Kind =
        match kindPayload with
        | :? Op as op -> Apply op
        | :? VarTag as tag -> Variable tag
        | _ -> Constant
    /// The number of arguments.
    member _.Arity = args.Count
    /// The argument nodes (a new array for up to two arguments: hot loops use `Arity`/`Arg`).
    member _.Args : Node[] = args.ToArray()
    /// The i-th argument.
    member _.Arg(i: int) : Node = args[i]
    /// The shape, known even when the value is not (while compiling).
    member _.Shape =
        match valueOrShape with
        | :? NdArray as known -> known.Shape
        | shape -> shape :?> int[]
    /// The value, or null for an abstract node built while tracing a function for compilation.
    member _.ValueOrNull = match valueOrShape with :? NdArray as known -> known | _ -> null
    /// The value; asking for it on an abstract node is an error that says what to do instead.
    member this.Value =
        let value = this.ValueOrNull
        if isNull value then
            let origin =
                match this.Kind with
                | Apply op -> sprintf "the result of `%s`" op.Name
                | Variable _ -> "an input"
                | Constant -> "a constant"
            raise (ValueNotKnownException(
                sprintf "The value of a tensor (%s, shape %s) is not known while a function is being compiled, so code cannot branch on it or read it. " origin (Shape.format this.Shape)
                + "Use Tensor.where for data-dependent choices, or leave this function uncompiled."))
        value
    /// Bit L is set when the node depends on a variable of nesting level L.
    member _.Deps = deps
    /// True for a node with no history.
    member _.IsConstant = deps = 0UL

/// A node's arguments without an array of their own for one or two: the first, and `rest`, which
/// is the second argument, or the array of all of them when there are more than two.
and [<Struct; NoEquality; NoComparison>] internal Arguments(first: Node, rest: obj) =
    /// No arguments.
    static member None = Arguments(null, null)
    /// One argument.
    static member One(x: Node) = Arguments(x, null)
    /// Two arguments.
    static member Two(x: Node, y: Node) = Arguments(x, y)
    /// Any number of arguments.
    static member Of(args: Node[]) =
        match args.Length with
        | 0 -> Arguments.None
        | 1 -> Arguments(args[0], null)
        | 2 -> Arguments(args[0], args[1])
        | _ -> Arguments(args[0], args)
    /// How many there are.
    member _.Count =
        match rest with
        | :? Node -> 2
        | :? (Node[]) as all -> all.Length
        | _ -> if isNull first then 0 else 1
    /// The i-th argument.
    member _.Item
        with get (i: int) : Node =
            match rest with
            | :? (Node[]) as all -> all[i]
            | _ when i = 0 -> first
            | second -> second :?> Node
    /// The arguments as an array (a new one for up to two).
    member a.ToArray() : Node[] =
        match rest with
        | :? (Node[]) as all -> all
        | :? Node as second -> [| first; second |]
        | _ -> if isNull first then [||] else [| first |]

/// A primitive operation: its evaluation, its forward (JVP) and reverse (VJP) derivative rules,
/// and what else transforms may know about it (its capabilities). Rules are written with graph
/// operations, so derivatives can be differentiated again. Zero tangents and cotangents are
/// `ValueNone` and cost nothing.
and Op =
    { /// The primitive's name as listings show it (`exp`, `add`, `matmul`).
      Name: string
      /// Parameters that distinguish instances (axes, exponents): typed, compared structurally
      /// (two applications with equal parameters to the same arguments are the same value) and
      /// shown by listings.
      Params: Parameters
      /// Computes the value from argument values.
      Eval: NdArray[] -> NdArray
      /// Tangent of the output from the arguments, the output and the arguments' tangents.
      Jvp: Node[] -> Node -> Node voption[] -> Node voption
      /// Cotangents of the arguments from the arguments, the output and the output's cotangent.
      Vjp: Node[] -> Node -> Node -> Node voption[]
      /// What compile, Symbolic, vmap and listings may use instead of knowing the primitive.
      Capabilities: Capabilities }

/// What transforms other than the sweeps may know about a primitive, declared beside it. A
/// transform dispatches on these, never on the primitive's name.
and Capabilities =
    { /// The scalar formula of an elementwise primitive: fused loops, scalar plans, expression
      /// trees and the command line all evaluate it.
      Formula: ScalarFormula voption
      /// The algebraic role the simplifiers may rely on.
      Algebra: Algebra
      /// How the primitive maps over a leading batch axis (`vmap`): from the batch size, the
      /// arguments (a batched one has the batch as its leading axis) and which are batched, the
      /// result with the batch leading, built from graph operations so that it differentiates.
      /// Elementwise primitives (those with a formula) batch by broadcasting without a rule; a
      /// primitive with neither is mapped one slice at a time.
      Batch: (int -> Node[] -> bool[] -> Node) voption
      /// A kernel writing the result into a given buffer, for compiled plans: from the argument
      /// shapes and the result shape, the kernel (or none for these shapes).
      Into: (int[][] -> int[] -> DestinationKernel voption) voption }

/// Node identity for hash sets and dictionaries, hashed on the node's number: the runtime's
/// identity hash must be installed in each new object's header on first use, which made it the
/// most expensive step of a reverse sweep over a large graph.
[<Sealed>]
type internal NodeIdentity private () =
    static member val Comparer = NodeIdentity()
    interface IEqualityComparer<Node> with
        member _.Equals(a, b) = obj.ReferenceEquals(a, b)
        member _.GetHashCode n = n.Id.GetHashCode()

/// Primitive parameters and capabilities: the values declarations start from.
module Param =
    let private text (p: Parameter) =
        match p with
        | Parameter.Int i -> string i
        | Parameter.Ints values when values.Length > 8 -> sprintf "[%d values]" values.Length
        | Parameter.Ints values -> Shape.format values
        | Parameter.Real v -> v.ToString("R", Globalization.CultureInfo.InvariantCulture)
        | Parameter.Flag b -> string b
        | Parameter.Text t -> t
        | Parameter.Identity _ -> "custom"

    /// The parameters as listings print them: `axes=[0],keepDims`; an unnamed value alone, a
    /// flag by its name when set.
    let format (parameters: Parameters) =
        parameters
        |> List.choose (fun (name, value) ->
            match value with
            | Parameter.Flag false -> None
            | Parameter.Flag true -> Some name
            | _ when name = "" -> Some(text value)
            | _ -> Some(name + "=" + text value))
        |> String.concat ","

    /// No parameters.
    let empty : Parameters = []

    /// No capabilities beyond evaluation and the derivative rules.
    let none : Capabilities = { Formula = ValueNone; Algebra = Algebra.Opaque; Batch = ValueNone; Into = ValueNone }

/// Building nodes, and the nesting levels of transforms.
module Graph =
    let mutable private nextId = 0L
    let private freshId () = Interlocked.Increment &nextId

    /// A constant node holding a value.
    let constant (value: NdArray) = Node(freshId (), Constant, Arguments.None, value.Shape, value, 0UL)

    type private ScalarConstants() =
        [<ThreadStatic; DefaultValue>]
        static val mutable private slots: Node[]
        /// A small direct-mapped cache of this thread's recent scalar constants.
        static member Slots =
            if isNull ScalarConstants.slots then ScalarConstants.slots <- Array.zeroCreate 64
            ScalarConstants.slots

    /// A rank-0 constant. Recent values are shared (per thread): `x * 0.9` in a loop then costs
    /// no new constant per operation. Its array is marked shared, so that donation
    /// (`Compile.compileDonating`), the one thing that could tell two holders of an immutable
    /// constant apart, neither reuses nor gives it up.
    let internal scalar (v: double) =
        let bits = BitConverter.DoubleToInt64Bits v
        let slots = ScalarConstants.Slots
        let slot = int ((bits ^^^ (bits >>> 21) ^^^ (bits >>> 42)) &&& 63L)
        let cached = slots[slot]
        if not (isNull cached) && BitConverter.DoubleToInt64Bits cached.ValueOrNull.Scalar = bits then cached
        else
            let value = NdArray.scalar v
            value.MarkShared()
            let node = constant value
            slots[slot] <- node
            node

    /// The transforms open in the current logical flow of control. It is an AsyncLocal, which
    /// flows with the ExecutionContext: a derivative taken inside `grad` on another thread
    /// (Task.Run, code after an await) sees the transforms open where that work was started, so
    /// its result keeps its dependence on their variables. Per-thread state alone would leave
    /// that thread at depth 0 and silently drop the dependence (an outer derivative of 0).
    /// Every node reads it, so reads go to a thread-static copy that the AsyncLocal's change
    /// handler keeps equal to it (the runtime calls the handler whenever the value changes on
    /// a thread, by a set or by a switch of context, as CultureInfo.CurrentCulture does).
    type private LevelState() =
        [<ThreadStatic; DefaultValue>]
        static val mutable private depth: int
        [<ThreadStatic; DefaultValue>]
        static val mutable private dropped: uint64
        /// How many transforms are open, and the levels whose history nodes built now let go
        /// of (set while a sweep runs rules). Unset, it is (0, 0): no transform open.
        static member val private Current =
            AsyncLocal<struct (int * uint64)>(fun change ->
                let struct (depth, dropped) = change.CurrentValue
                LevelState.depth <- depth
                LevelState.dropped <- dropped)
        static member Depth = LevelState.depth
        static member Dropped = LevelState.dropped
        /// Sets both at once (each change of an AsyncLocal copies the context's map).
        static member Set(depth: int, dropped: uint64) = LevelState.Current.Value <- struct (depth, dropped)

    /// The bits of the nesting levels open here (levels 1 … depth).
    let private openLevels () = (1UL <<< (LevelState.Depth + 1)) - 2UL

    /// What a node built now from `args` depends on, and whether all of them have values.
    /// While a sweep runs rules, dependence on levels whose transforms have closed is dropped:
    /// nobody can differentiate with respect to them any more, so at the outermost level rules
    /// compute on plain values and keep no history, while inside an enclosing transform they
    /// build a differentiable graph. Abstract nodes (tracing for compilation) have no value and
    /// keep their dependence.
    let private liveDeps (args: Arguments) =
        let mutable deps = 0UL
        let mutable known = true
        for i in 0 .. args.Count - 1 do
            let a = args[i]
            deps <- deps ||| a.Deps
            known <- known && not (isNull a.ValueOrNull)
        struct ((if known then deps &&& ~~~LevelState.Dropped else deps), known)

    /// Runs a sweep's `body`: nodes its rules build drop dependence on every level not open
    /// here. Only this flow of control is affected, and transforms opened inside (a custom rule
    /// that differentiates) record their own level as usual.
    let internal sweeping (body: unit -> 'T) : 'T =
        let depth, saved = LevelState.Depth, LevelState.Dropped
        LevelState.Set(depth, ~~~(openLevels ()))
        try body ()
        finally LevelState.Set(depth, saved)

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

    /// Refuses a result shape no array can hold before anything is evaluated (a negative
    /// dimension, a count past an array's limit or past the memory the process may use).
    let private checkShape (op: Op) (shape: int[]) (args: Arguments) =
        if shape.Length > 0 && not (Shape.isSmall shape) then
            Shape.validateFor op.Name (Array.append (args.ToArray() |> Array.map (fun a -> a.Shape)) [| shape |]) "shape" shape

    let private applyArguments (op: Op) (shape: int[]) (args: Arguments) =
        checkShape op shape args
        let struct (deps, known) = liveDeps args
        let value = if known then Evaluation.Run(op, args) else null
        if deps = 0UL && known then constant value
        else Node(freshId (), Apply op, args, shape, value, deps)

    /// Builds a primitive node. On constants it computes at once and keeps no history; when some
    /// argument depends on a variable the node records the operation and, where the arguments
    /// have values, the value too.
    let apply (op: Op) (shape: int[]) (args: Node[]) = applyArguments op shape (Arguments.Of args)

    /// `apply` for a primitive of one argument, without an argument array.
    let internal applyUnary (op: Op) (shape: int[]) (x: Node) = applyArguments op shape (Arguments.One x)

    /// `apply` for a primitive of two arguments, without an argument array.
    let internal applyBinary (op: Op) (shape: int[]) (x: Node) (y: Node) = applyArguments op shape (Arguments.Two(x, y))

    /// Builds a primitive node whose value was computed elsewhere (a user function with custom
    /// rules evaluates itself); on constants it is a constant.
    let applyWithValue (op: Op) (shape: int[]) (args: Node[]) (value: NdArray) =
        let args = Arguments.Of args
        checkShape op shape args
        let struct (deps, _) = liveDeps args
        if deps = 0UL && not (isNull value) then constant value
        else Node(freshId (), Apply op, args, shape, value, deps)

    /// Builds an operation with no derivative (a comparison, `sign`, `stopGradient`): when the
    /// arguments have values the result is a plain constant, so no history is kept.
    let applyConstant (op: Op) (shape: int[]) (args: Node[]) =
        let args = Arguments.Of args
        checkShape op shape args
        let struct (deps, known) = liveDeps args
        if known then constant (Evaluation.Run(op, args))
        else Node(freshId (), Apply op, args, shape, null, deps)

    /// A new differentiation variable at `tag`'s level standing for `x`.
    let variable (tag: VarTag) (x: Node) =
        let bit = 1UL <<< tag.Level
        let struct (deps, _) = liveDeps (Arguments.One x)
        if deps = 0UL then Node(freshId (), Variable tag, Arguments.None, x.Shape, x.ValueOrNull, bit)
        else Node(freshId (), Variable tag, Arguments.One x, x.Shape, x.ValueOrNull, deps ||| bit)

    /// An abstract input for tracing: a shape, no value.
    let abstractVariable (tag: VarTag) (shape: int[]) = Node(freshId (), Variable tag, Arguments.None, Array.copy shape, null, 1UL <<< tag.Level)

    /// Runs `body` with a fresh variable tag one level deeper than the current transform, then
    /// returns to the outer level. Levels flow with the logical call (see LevelState).
    let withNewLevel (body: VarTag -> 'T) : 'T =
        let level = LevelState.Depth + 1
        if level > 62 then raise (InvalidOperationException "Derivatives are nested more than 62 levels deep.")
        let dropped = LevelState.Dropped
        LevelState.Set(level, dropped &&& ~~~(1UL <<< level))
        try body (VarTag level)
        finally LevelState.Set(level - 1, dropped)

    /// Lets go of history nobody can use: a result that depends on no variable of a transform
    /// still open here becomes a plain constant, so loops of ordinary code keep no
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
