namespace FunctionalAD

open System
open System.Collections.Generic
open System.Threading

/// Building nodes: constants, primitive applications (on constants computed at once), variables,
/// and the order in which transforms walk them.
module Graph =
    let mutable private nextId = 0L
    let private freshId () = Interlocked.Increment &nextId

    /// A constant node holding a value.
    let constant (value: NdArray) = Node(freshId (), Constant, Arguments.None, value.Shape, value, 0UL, value.DType)

    /// A rank-0 constant, weakly typed (`Promotion`): `x * 0.9` and a rule's `scalar 1.0` keep
    /// a float32 `x` float32. Recent values are shared (per thread): `x * 0.9` in a loop then costs
    /// no new constant per operation. Its array is marked shared, so that donation
    /// (`Compile.compileDonating`), the one thing that could tell two holders of an immutable
    /// constant apart, neither reuses nor gives it up.
    let internal scalar (v: double) =
        let bits = BitConverter.DoubleToInt64Bits v
        let slots = Reuse.scalarSlots ()
        let slot = int ((bits ^^^ (bits >>> 21) ^^^ (bits >>> 42)) &&& 63L)
        let cached = slots[slot]
        if not (isNull cached) && BitConverter.DoubleToInt64Bits cached.ValueOrNull.Scalar = bits then cached
        else
            let value = NdArray.weakScalar v
            value.MarkShared()
            let node = constant value
            slots[slot] <- node
            node

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
        struct ((if known then deps &&& ~~~(Levels.dropped ()) else deps), known)

    /// Refuses a result shape no array can hold before anything is evaluated (a negative
    /// dimension, a count past an array's limit or past the memory the process may use).
    let private checkShape (op: Op) (shape: int[]) (args: Arguments) =
        if shape.Length > 0 && not (Shape.isSmall shape) then
            Shape.validateFor op.Name (Array.append (args.ToArray() |> Array.map (fun a -> a.Shape)) [| shape |]) "shape" shape

    /// The type of `op`'s result on `args` and whether it is weak: the promotion of the
    /// arguments' types, or the type the primitive fixes (a conversion).
    let private resultType (op: Op) (args: Arguments) =
        match op.Capabilities.ResultType with
        | ValueSome dtype -> struct (dtype, false)
        | ValueNone ->
            let mutable strong = ValueNone
            for i in 0 .. args.Count - 1 do
                let a = args[i]
                strong <- Promotion.combine strong a.DType a.IsWeak
            Promotion.finish args.Count strong

    let private applyArguments (op: Op) (shape: int[]) (args: Arguments) =
        checkShape op shape args
        let struct (deps, known) = liveDeps args
        let struct (dtype, weak) = resultType op args
        let value = if known then Reuse.evaluate op args dtype weak else null
        if deps = 0UL && known then constant value
        else Node(freshId (), Apply op, args, shape, value, deps, dtype)

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
        let struct (dtype, _) = resultType op args
        let value = if isNull value then value else NdArray.convert dtype value
        if deps = 0UL && not (isNull value) then constant value
        else Node(freshId (), Apply op, args, shape, value, deps, dtype)

    /// Builds an operation with no derivative (a comparison, `sign`, `stopGradient`): when the
    /// arguments have values the result is a plain constant, so no history is kept.
    let applyConstant (op: Op) (shape: int[]) (args: Node[]) =
        let args = Arguments.Of args
        checkShape op shape args
        let struct (deps, known) = liveDeps args
        let struct (dtype, weak) = resultType op args
        if known then constant (Reuse.evaluate op args dtype weak)
        else Node(freshId (), Apply op, args, shape, null, deps, dtype)

    /// A new differentiation variable at `tag`'s level standing for `x`.
    let variable (tag: VarTag) (x: Node) =
        let bit = 1UL <<< tag.Level
        let struct (deps, _) = liveDeps (Arguments.One x)
        if deps = 0UL then Node(freshId (), Variable tag, Arguments.None, x.Shape, x.ValueOrNull, bit, x.DType)
        else Node(freshId (), Variable tag, Arguments.One x, x.Shape, x.ValueOrNull, deps ||| bit, x.DType)

    /// An abstract input for tracing: a shape and a type, no value.
    let abstractVariable (tag: VarTag) (shape: int[]) (dtype: DType) = Node(freshId (), Variable tag, Arguments.None, Array.copy shape, null, 1UL <<< tag.Level, dtype)

    /// Lets go of history nobody can use: a result that depends on no variable of a transform
    /// still open here becomes a plain constant, so loops of ordinary code keep no
    /// history. Transforms call it on what they return, after their own level has closed.
    let release (node: Node) =
        if node.Deps <> 0UL && node.Deps &&& Levels.openLevels () = 0UL && not (isNull node.ValueOrNull) then constant node.ValueOrNull else node

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
