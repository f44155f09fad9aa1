namespace FunctionalAD

open System
open System.Collections.Generic
open System.Threading

/// A kernel writing a primitive's result into the destination buffer from the arguments' buffers
/// (row-major, of the shapes the kernel was made for).
type DestinationKernel = delegate of arguments: double[][] * destination: double[] -> unit

/// `DestinationKernel` on float32 buffers: a float32 result from float32 arguments, computing
/// what the primitive's float32 evaluation (`Capabilities.Float32`) computes.
type DestinationKernel32 = delegate of arguments: float32[][] * destination: float32[] -> unit

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
    /// The argument with its last two axes swapped and the others kept (a matrix transpose, a
    /// permute): a rearrangement that matrix products take as a flag instead of a copy.
    | MatrixTranspose
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
      /// The formula on float32 scalars, where that computes the bits the primitive's eager
      /// float32 kernel computes; none: float32 elements are widened, the double formula runs
      /// and its result is rounded once (what eager's widening fallback does).
      Emit32: (System.Linq.Expressions.Expression[] -> System.Linq.Expressions.Expression) voption
      /// The float32 formula on Vector<float32> lanes (twice the lanes of Vector<double>), where
      /// that computes the same bits as the scalar float32 computation.
      EmitVector32: (System.Linq.Expressions.Expression[] -> System.Linq.Expressions.Expression) voption
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

/// The shape and type of a float32 node without a value (traced for compile or vmap); an
/// abstract float64 node keeps its shape alone.
[<Sealed>]
type internal AbstractValue(shape: int[], dtype: DType) =
    member _.Shape = shape
    member _.DType = dtype

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
and [<Sealed; AllowNullLiteral>] Node internal (id: int64, kind: NodeKind, args: Arguments, shape: int[], value: NdArray, deps: uint64, dtype: DType) =
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
        if isNull value then (if dtype = DType.Float64 then box shape else box (AbstractValue(shape, dtype)))
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
        | :? AbstractValue as typed -> typed.Shape
        | shape -> shape :?> int[]
    /// The element type, known even when the value is not.
    member _.DType =
        match valueOrShape with
        | :? NdArray as known -> known.DType
        | :? AbstractValue as typed -> typed.DType
        | _ -> DType.Float64
    /// True for a weakly typed constant (a .NET `double`), which does not promote (`Promotion`).
    member _.IsWeak = match valueOrShape with :? NdArray as known -> known.IsWeak | _ -> false
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
                sprintf "The value of a tensor (%s, shape %s) is not known while a function is being traced (Compile.compile, AD.Compile in C#), so code cannot branch on it or read it. " origin (Shape.format this.Shape)
                + "Use Tensor.where (C#: condition.Where(whenTrue, whenFalse)) for data-dependent choices, or leave this function uncompiled (or unmapped, for vmap)."))
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
      Into: (int[][] -> int[] -> DestinationKernel voption) voption
      /// `Into` for float32 arguments and result, for compiled float32 plans.
      Into32: (int[][] -> int[] -> DestinationKernel32 voption) voption
      /// The primitive's own evaluation on float32 arguments (all of them float32), giving a
      /// float32 result. Without one, float32 arguments are widened to float64, `Eval` runs and
      /// its result is rounded to float32 (exact to float32 rounding, no faster than float64).
      Float32: (NdArray[] -> NdArray) voption
      /// The type of the result whatever the arguments' types (a conversion: `cast`), which then
      /// reach `Eval` as they are; none: the promotion of the arguments' types (`Promotion`).
      ResultType: DType voption
      /// For a primitive of one argument that only moves elements — each element of the argument
      /// to at most one place of the result, each element of the result from at most one of the
      /// argument, the others zero (slice, its transpose) — where they go. vmap carries batches
      /// with few nonzeros per example (chunks of basis vectors) through it without filling them in.
      Moves: Movement voption }

/// Where a primitive that only moves elements (`Capabilities.Moves`) puts them.
and Movement =
    { /// Where the element at flat position p of the argument lands in the result (−1: dropped).
      Position: int -> int
      /// Where every element moves by the same amount d — p lands at p + d, dropped outside the
      /// result (a window of a vector with step 1, and its transpose) — d; `Position` says the
      /// same one element at a time.
      Shift: int voption }

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
    let none : Capabilities = { Formula = ValueNone; Algebra = Algebra.Opaque; Batch = ValueNone; Into = ValueNone; Into32 = ValueNone; Float32 = ValueNone; ResultType = ValueNone; Moves = ValueNone }

/// What identifies and names a primitive application, for the transforms that share or report
/// operations without knowing primitives.
type Op with
    /// The primitive's identity: its name and typed parameters, equal for two applications that
    /// compute the same function of their arguments (compile shares them).
    member o.Key = struct (o.Name, o.Params)
    /// The primitive's name as messages give it (`concat`).
    static member nameOf(o: Op) = let struct (name, _) = o.Key in name
    /// How listings and plan summaries name an application: `sum[axes=[0]]`, `exp`.
    member o.Label = match Param.format o.Params with "" -> o.Name | parameters -> o.Name + "[" + parameters + "]"
