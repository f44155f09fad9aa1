namespace FunctionalAD

open System
open MathNet.Numerics.LinearAlgebra

/// How tensors print, like NumPy's print options: one with more than `Threshold` elements
/// shows only `EdgeItems` entries at each end of every longer axis, with "..." between, so a
/// large tensor prints in a few lines. Process-wide, as in NumPy and TorchSharp.
[<AbstractClass; Sealed>]
type PrintOptions private () =
    static let mutable threshold = 1000
    static let mutable edgeItems = 3
    /// Tensors with more elements than this print elided (default 1000).
    static member Threshold
        with get () = threshold
        and set (v: int) =
            if v < 0 then raise (ArgumentOutOfRangeException("Threshold", v, "PrintOptions.Threshold must be at least 0"))
            threshold <- v
    /// Entries shown at each end of an elided axis (default 3).
    static member EdgeItems
        with get () = edgeItems
        and set (v: int) =
            if v < 1 then raise (ArgumentOutOfRangeException("EdgeItems", v, "PrintOptions.EdgeItems must be at least 1"))
            edgeItems <- v

/// An immutable dense float64 array of any rank, stored row-major and contiguous. It is the value
/// a tensor carries; nothing mutates its buffer after construction, with one exception the
/// caller asks for: a compiled function that takes its inputs' buffers (`Compile.compileDonating`)
/// may reuse them for its outputs, after which the donated arrays cannot be read.
[<Sealed; AllowNullLiteral>]
type NdArray internal (shape: int[], data: double[], inlineScalar: double) =
    // A rank-0 array made by `NdArray.scalar` keeps its element in a field and makes its
    // one-element buffer only when a kernel asks for it: eager scalar code (the lectures'
    // chains) then costs one object per value instead of two.
    let mutable buffer = data
    let mutable donated = false
    // True when another NdArray may hold the same buffer (a reshape is a view): such a buffer
    // is never reused by donation, since that would change the other array behind its back.
    let mutable shared = false
    internal new(shape, data) = NdArray(shape, data, 0.0)
    /// The dimensions, outermost first.
    member _.Shape = shape
    /// The row-major buffer. Internal: it must never be written after construction.
    member internal _.Data =
        if donated then
            raise (InvalidOperationException(
                sprintf "tensor: this tensor (shape %s) was donated to a compiled function (Compile.compileDonating, AD.CompileDonating in C#) and can no longer be read; use what the function returned" (Shape.format shape)))
        if isNull buffer then buffer <- [| inlineScalar |]
        buffer
    /// True when the buffer was donated to a compiled function.
    member internal _.IsDonated = donated
    /// True when another NdArray may share the buffer.
    member internal _.IsShared = shared
    /// Records that another NdArray shares the buffer.
    member internal _.MarkShared() = shared <- true
    /// Gives the buffer up (donation): later reads raise.
    member internal _.Donate() =
        donated <- true
        buffer <- null
    /// Number of dimensions.
    member _.Rank = shape.Length
    /// Number of elements.
    member _.Size = if isNull buffer then Shape.size shape else buffer.Length
    /// A copy of the elements in row-major order.
    member a.ToArray() = Array.copy a.Data
    /// The single element of a one-element array.
    member a.Scalar =
        if a.Size <> 1 then
            raise (ArgumentException(sprintf "item: a tensor of shape %s has %d elements, not one" (Shape.format shape) a.Size))
        if isNull buffer && not donated then inlineScalar else a.Data[0]

    override a.ToString() =
        let fmt (v: double) = v.ToString("G6", Globalization.CultureInfo.InvariantCulture)
        let edge = PrintOptions.EdgeItems
        let elide = a.Size > PrintOptions.Threshold
        let rec render (data: double[]) (dim: int) (offset: int) =
            if dim = shape.Length then fmt data[offset]
            else
                let stride = Shape.size shape[dim + 1 ..]
                let entry i = render data (dim + 1) (offset + i * stride)
                let n = shape[dim]
                let items =
                    if elide && n > 2 * edge then
                        Array.concat [ Array.init edge entry; [| "..." |]; Array.init edge (fun k -> entry (n - edge + k)) ]
                    else Array.init n entry
                "[" + String.Join((if dim = shape.Length - 1 then ", " else ",\n "), items) + "]"
        if donated then sprintf "NdArray %s (donated)" (Shape.format shape)
        else render a.Data 0 0

/// Building NdArrays and converting them to and from .NET and MathNet types.
module NdArray =
    /// Wraps a buffer without copying; the caller hands over ownership.
    let internal wrap (shape: int[]) (data: double[]) =
        Shape.validate "tensor" "shape" shape
        if Shape.size shape <> data.Length then
            raise (ArgumentException(sprintf "tensor: shape %s needs %d elements but %d were given" (Shape.format shape) (Shape.size shape) data.Length, "data"))
        NdArray(shape, data)

    /// The elements of `source` under another shape of the same size, sharing its buffer; both
    /// are marked shared, so neither buffer is ever reused by donation.
    let internal view (shape: int[]) (source: NdArray) =
        let v = NdArray(shape, source.Data)
        source.MarkShared()
        v.MarkShared()
        v

    /// An array of the given shape holding a copy of `data` (row-major).
    let create (shape: int[]) (data: double[]) = wrap (Array.copy shape) (Array.copy data)
    let private rankZero : int[] = Array.Empty<int>()
    /// A rank-0 array.
    let scalar (v: double) = NdArray(rankZero, null, v)
    /// An array filled with one value.
    let full (shape: int[]) (v: double) =
        Shape.validate "full" "shape" shape
        NdArray(Array.copy shape, Array.create (Shape.size shape) v)
    /// An array of zeros.
    let zeros shape = full shape 0.0
    /// An array of ones.
    let ones shape = full shape 1.0
    /// A vector holding a copy of the array.
    let ofArray (values: double[]) = NdArray([| values.Length |], Array.copy values)
    /// A vector from a sequence.
    let ofSeq (values: seq<double>) = let a = Seq.toArray values in NdArray([| a.Length |], a)
    /// A matrix from a 2-D array.
    let ofArray2D (values: double[,]) =
        let rows, cols = Array2D.length1 values, Array2D.length2 values
        NdArray([| rows; cols |], Array.init (rows * cols) (fun k -> values[k / cols, k % cols]))
    /// A vector from a MathNet vector (one copy: MathNet vectors are mutable).
    let ofVector (v: Vector<double>) = NdArray([| v.Count |], v.ToArray())
    /// A matrix from a MathNet matrix. MathNet stores column-major, so this is one transposing copy.
    let ofMatrix (m: Matrix<double>) = NdArray([| m.RowCount; m.ColumnCount |], m.ToRowMajorArray())
    /// A 2-D array with the elements of a matrix.
    let toArray2D (a: NdArray) =
        if a.Rank <> 2 then raise (ArgumentException(sprintf "toArray2D: expected a matrix, got shape %s" (Shape.format a.Shape), "tensor"))
        Array2D.init a.Shape[0] a.Shape[1] (fun i j -> a.Data[i * a.Shape[1] + j])
    /// A MathNet matrix (a copy; row-major to column-major).
    let toMatrix (a: NdArray) =
        if a.Rank <> 2 then raise (ArgumentException(sprintf "toMatrix: expected a matrix, got shape %s" (Shape.format a.Shape), "tensor"))
        Matrix<double>.Build.DenseOfRowMajor(a.Shape[0], a.Shape[1], a.Data)
    /// A MathNet vector (a copy) of the elements in row-major order.
    let toVector (a: NdArray) = Vector<double>.Build.DenseOfArray(Array.copy a.Data)
