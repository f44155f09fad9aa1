namespace FunctionalAD

open System
open MathNet.Numerics.LinearAlgebra
open FunctionalAD.Primitives

/// A dense float64 tensor of any rank — a plain value, or a node of an expression graph when it
/// depends on a differentiation variable. Immutable. Arithmetic broadcasts like NumPy.
/// In Polyglot Notebooks a tensor displays itself as an HTML table (see `Display`).
[<Struct; NoEquality; NoComparison>]
[<Display.TypeFormatterSource(typeof<Display.HtmlFormatterSource>, PreferredMimeTypes = [| "text/html" |])>]
type Tensor internal (node: Node) =
    /// The graph node behind the tensor (checked: a default-constructed tensor is an error).
    member internal _.Node =
        if isNull node then raise (ArgumentNullException("tensor", "The tensor is uninitialised (a default value)."))
        node

    /// The dimensions, outermost first ([||] for a scalar).
    member t.Shape = Array.copy t.Node.Shape
    /// The number of dimensions.
    member t.Rank = t.Node.Shape.Length
    /// The number of elements.
    member t.Size = Shape.size t.Node.Shape
    /// The value (an immutable NdArray).
    member t.Value = t.Node.Value
    /// The element type (`DType.Float64` unless made float32), known even while tracing.
    member t.DType = t.Node.DType
    /// The elements in row-major order (a copy), as float64 whatever the element type.
    member t.ToArray() = t.Node.Value.ToArray()
    /// The elements in row-major order (a copy), as float32 (float64 elements rounded).
    member t.ToArray32() = t.Node.Value.ToArray32()
    /// The single element of a one-element tensor.
    member t.ToScalar() = t.Node.Value.Scalar
    /// True for a default-constructed tensor (no node), which every operation refuses.
    member internal _.IsUninitialised = isNull node
    /// True when the tensor carries no derivative history.
    member t.IsConstant = t.Node.IsConstant

    override t.ToString() =
        if isNull node then "Tensor(uninitialised)"
        else
            // float64 is the default and goes unsaid, as NumPy's repr omits its default dtype.
            let dtype = if node.DType = DType.Float64 then "" else ", " + node.DType.Name
            if isNull node.ValueOrNull then sprintf "Tensor(abstract, shape %s%s)" (Shape.format node.Shape) dtype
            elif node.Shape.Length = 0 then sprintf "Tensor(%s%s)" (node.Value.ToString()) dtype
            else sprintf "Tensor(shape %s%s,\n%s)" (Shape.format node.Shape) dtype (node.Value.ToString())

    /// The tensor as an HTML table (large tensors are cut with "… more"); notebooks use it.
    member t.ToHtml() =
        if isNull node || isNull node.ValueOrNull then Display.TensorHtml.renderText (t.ToString())
        else Display.TensorHtml.render node.Shape (node.Value.ToArray()) (not node.IsConstant)

    interface Display.IHtmlDisplay with
        member t.ToHtml() = t.ToHtml()

    static member internal Of(n: Node) = Tensor n
    static member internal Const(v: NdArray) = Tensor(Graph.constant v)

    static member (+)(a: Tensor, b: Tensor) = Tensor(Arithmetic.add a.Node b.Node)
    static member (+)(a: Tensor, b: float) = Tensor(Arithmetic.add a.Node (Arithmetic.scalar b))
    static member (+)(a: float, b: Tensor) = Tensor(Arithmetic.add (Arithmetic.scalar a) b.Node)
    static member (-)(a: Tensor, b: Tensor) = Tensor(Arithmetic.sub a.Node b.Node)
    static member (-)(a: Tensor, b: float) = Tensor(Arithmetic.sub a.Node (Arithmetic.scalar b))
    static member (-)(a: float, b: Tensor) = Tensor(Arithmetic.sub (Arithmetic.scalar a) b.Node)
    static member (*)(a: Tensor, b: Tensor) = Tensor(Arithmetic.mul a.Node b.Node)
    static member (*)(a: Tensor, b: float) = Tensor(Arithmetic.mul a.Node (Arithmetic.scalar b))
    static member (*)(a: float, b: Tensor) = Tensor(Arithmetic.mul (Arithmetic.scalar a) b.Node)
    static member (/)(a: Tensor, b: Tensor) = Tensor(Arithmetic.div a.Node b.Node)
    static member (/)(a: Tensor, b: float) = Tensor(Arithmetic.div a.Node (Arithmetic.scalar b))
    static member (/)(a: float, b: Tensor) = Tensor(Arithmetic.div (Arithmetic.scalar a) b.Node)
    static member (~-)(a: Tensor) = Tensor(Arithmetic.neg a.Node)
    /// x ** y elementwise (F#'s `**`).
    static member Pow(a: Tensor, b: Tensor) = Tensor(Elementwise.pow a.Node b.Node)
    /// x ** c for a real constant c (F#'s `**`).
    static member Pow(a: Tensor, c: float) = Tensor(Elementwise.powConst c a.Node)
    /// c ** y elementwise (F#'s `**`).
    static member Pow(c: float, b: Tensor) = Tensor(Elementwise.pow (Arithmetic.scalar c) b.Node)
    /// x ** n for an integer exponent (F#'s `x ** 2`).
    static member Pow(a: Tensor, n: int) = Tensor(Elementwise.powConst (float n) a.Node)
    /// The scalar 0, which broadcasts to any shape: F#'s `List.sum` and `Seq.sum` of tensors
    /// (weakly typed, so a sum of float32 tensors stays float32).
    static member Zero = Tensor.Const(NdArray.weakScalar 0.0)
    /// t / n, for F#'s `List.average` and `Seq.average` of tensors.
    static member DivideByInt(a: Tensor, n: int) = Tensor(Arithmetic.div a.Node (Arithmetic.scalar (float n)))
    /// Elementwise eˣ (F#'s `exp`).
    static member Exp(a: Tensor) = Tensor(Elementwise.exp a.Node)
    /// Elementwise natural logarithm (F#'s `log`).
    static member Log(a: Tensor) = Tensor(Elementwise.log a.Node)
    /// Elementwise square root (F#'s `sqrt`).
    static member Sqrt(a: Tensor) = Tensor(Elementwise.sqrt a.Node)
    /// Elementwise sine (F#'s `sin`).
    static member Sin(a: Tensor) = Tensor(Elementwise.sin a.Node)
    /// Elementwise cosine (F#'s `cos`).
    static member Cos(a: Tensor) = Tensor(Elementwise.cos a.Node)
    /// Elementwise tangent (F#'s `tan`).
    static member Tan(a: Tensor) = Tensor(Elementwise.tan a.Node)
    /// Elementwise hyperbolic tangent (F#'s `tanh`).
    static member Tanh(a: Tensor) = Tensor(Elementwise.tanh a.Node)
    /// Elementwise absolute value (F#'s `abs`); abs'(0) = 0.
    static member Abs(a: Tensor) = Tensor(Elementwise.abs a.Node)
    /// Elementwise arctangent (F#'s `atan`).
    static member Atan(a: Tensor) = Tensor(Elementwise.atan a.Node)
    /// Elementwise atan2(y, x), the angle of the point (x, y) in (−π, π] (F#'s `atan2`), with
    /// broadcasting.
    static member Atan2(y: Tensor, x: Tensor) = Tensor(Elementwise.atan2 y.Node x.Node)

    /// Mask (1/0) of a < b, for C#'s `<`.
    static member op_LessThan(a: Tensor, b: Tensor) = Tensor(Elementwise.less a.Node b.Node)
    /// Mask (1/0) of a > b, for C#'s `>`.
    static member op_GreaterThan(a: Tensor, b: Tensor) = Tensor(Elementwise.greater a.Node b.Node)
    /// Mask (1/0) of a ≤ b, for C#'s `<=`.
    static member op_LessThanOrEqual(a: Tensor, b: Tensor) = Tensor(Elementwise.lessEqual a.Node b.Node)
    /// Mask (1/0) of a ≥ b, for C#'s `>=`.
    static member op_GreaterThanOrEqual(a: Tensor, b: Tensor) = Tensor(Elementwise.greaterEqual a.Node b.Node)

    /// A scalar tensor (a constant of its own, never the operators' shared scalar constants),
    /// weakly typed like every .NET `double` constant: it does not promote a float32 tensor.
    static member op_Implicit(v: float) : Tensor = Tensor.Const(NdArray.weakScalar v)
    /// A vector holding a copy of the array.
    static member op_Implicit(values: float[]) : Tensor = Tensor.Const(NdArray.ofArray values)
    /// A float32 vector holding a copy of the array (C# `float[]`).
    static member op_Implicit(values: float32[]) : Tensor = Tensor.Const(NdArray.ofArray32 values)
    /// A matrix holding a copy of the 2-D array.
    static member op_Implicit(values: float[,]) : Tensor = Tensor.Const(NdArray.ofArray2D values)
    /// A vector from a MathNet vector.
    static member op_Implicit(v: Vector<float>) : Tensor = Tensor.Const(NdArray.ofVector v)
    /// A matrix from a MathNet matrix.
    static member op_Implicit(m: Matrix<float>) : Tensor = Tensor.Const(NdArray.ofMatrix m)
    /// A float32 matrix from a MathNet float32 matrix (C# `Matrix<float>`).
    static member op_Implicit(m: Matrix<float32>) : Tensor = Tensor.Const(NdArray.ofMatrix32 m)

    /// Row `i` along the first axis (negative counts from the end).
    member t.Item
        with get (i: int) =
            let n = t.Node.Shape
            if n.Length = 0 then Shape.fail "index" [| n |] "i" "a scalar cannot be indexed"
            let i' = if i < 0 then i + n[0] else i
            if i' < 0 || i' >= n[0] then Shape.fail "index" [| n |] "i" (sprintf "index %d is outside a first axis of %d" i n[0])
            let starts = Array.init n.Length (fun k -> if k = 0 then i' else 0)
            let counts = Array.init n.Length (fun k -> if k = 0 then 1 else n[k])
            Tensor(Arithmetic.reshape n[1..] (Layout.slice starts counts (Array.create n.Length 1) t.Node))

    /// The element at (i, j) of a matrix as a scalar tensor, `m[i, j]` in F# and C# (negative
    /// indices count from the end).
    member t.Item
        with get (i: int, j: int) =
            if t.Rank <> 2 then Shape.fail "index" [| t.Node.Shape |] "j" (sprintf "two indices for a tensor of rank %d" t.Rank)
            let row = t[i]
            row[j]

    /// The element at (i, j, k) of a rank-3 tensor as a scalar tensor, `t[i, j, k]`.
    member t.Item
        with get (i: int, j: int, k: int) =
            if t.Rank <> 3 then Shape.fail "index" [| t.Node.Shape |] "k" (sprintf "three indices for a tensor of rank %d" t.Rank)
            let matrix = t[i]
            matrix[j, k]

    /// The elements in each axis from `start` to `finish` inclusive (F# slicing, `t[1..3]`).
    member private t.Slice(bounds: (int option * int option)[]) =
        let shape = t.Node.Shape
        if bounds.Length <> shape.Length then
            Shape.fail "slice" [| shape |] "ranges" (sprintf "%d ranges for %d axes" bounds.Length shape.Length)
        let starts = bounds |> Array.mapi (fun i (s, _) -> defaultArg s 0 |> fun v -> if v < 0 then v + shape[i] else v)
        let stops = bounds |> Array.mapi (fun i (_, f) -> defaultArg f (shape[i] - 1) |> fun v -> if v < 0 then v + shape[i] else v)
        let counts = Array.map2 (fun a b -> max 0 (b - a + 1)) starts stops
        Tensor(Layout.slice starts counts (Array.create shape.Length 1) t.Node)

    /// F# range slicing of a vector: `v[2..]`, `v[..3]`, `v[1..4]` (ends inclusive).
    member t.GetSlice(start: int option, finish: int option) = t.Slice [| start, finish |]

    /// F# range slicing of a matrix: `m[0..1, 2..]` (ends inclusive).
    member t.GetSlice(start0: int option, finish0: int option, start1: int option, finish1: int option) =
        t.Slice [| start0, finish0; start1, finish1 |]
