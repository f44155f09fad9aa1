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

/// An immutable dense array of any rank, stored row-major and contiguous, of float64 (a
/// `double[]`) or float32 (a `float32[]`) elements: its `DType`. It is the value a tensor
/// carries; nothing mutates its buffer after construction, with one exception the caller asks
/// for: a compiled function that takes its inputs' buffers (`Compile.compileDonating`) may reuse
/// them for its outputs, after which the donated arrays cannot be read. A weakly typed array
/// (a .NET `double` constant, see `Promotion`) takes the type of the tensors it meets.
[<Sealed; AllowNullLiteral>]
type NdArray internal (shape: int[], data: double[], inlineScalar: double, single: float32[], weak: bool) =
    // A rank-0 array made by `NdArray.scalar` keeps its element in a field and makes its
    // one-element buffer only when a kernel asks for it: eager scalar code (the lectures'
    // chains) then costs one object per value instead of two.
    let mutable buffer = data
    let mutable singles = single
    // A deferred array (`NdArray.deferred`: a large eager transpose) makes its buffer on its first
    // read. A transpose that only feeds matrix products, which multiply its argument through
    // their transpose flag, is then never copied (PyTorch's `X.T @ r` reads X's strides).
    let mutable deferred: DeferredBuffer = null
    // The deferred buffer in the field of its type, on the first read.
    let made () =
        if not (isNull deferred) && isNull buffer && isNull singles then
            match (deferred.Buffer: Array) with
            | :? (float32[]) as made -> singles <- made
            | made -> buffer <- (made :?> double[])
    let mutable donated = false
    // True when another NdArray may hold the same buffer (a reshape is a view): such a buffer
    // is never reused by donation, since that would change the other array behind its back.
    let mutable shared = false
    // A donated buffer may hold a compiled function's output now: reading it is refused.
    let refuseDonated () =
        if donated then
            raise (InvalidOperationException(
                sprintf "tensor: this tensor (shape %s) was donated to a compiled function (Compile.compileDonating, AD.CompileDonating in C#) and can no longer be read; use what the function returned" (Shape.format shape)))
    internal new(shape, data) = NdArray(shape, data, 0.0, null, false)
    /// The dimensions, outermost first.
    member _.Shape = shape
    /// The element type: which buffer the array holds, or a deferred array's record says it will
    /// hold (no field of its own: eager scalar code makes one array per value).
    member _.DType =
        if not (isNull singles) then DType.Float32
        elif isNull deferred then DType.Float64
        else deferred.DType
    /// True for a weakly typed array (a .NET `double` constant), which does not promote.
    member _.IsWeak = weak
    /// The row-major float64 buffer. Internal: it must never be written after construction. A
    /// float32 array widens its elements (exactly) into a float64 buffer made once, for the code
    /// that reads float64 values (printing, listings, the widening fallback); float32 kernels
    /// read `Single`.
    member internal _.Data =
        refuseDonated ()
        made ()
        if isNull buffer then buffer <- (if isNull singles then [| inlineScalar |] else Array.map double singles)
        buffer
    /// The row-major float32 buffer of a float32 array (internal, never written).
    member internal a.Single =
        if a.DType = DType.Float64 then raise (InvalidOperationException(sprintf "internal: a float64 array (shape %s) was read as float32" (Shape.format shape)))
        refuseDonated ()
        made ()
        singles
    /// The buffer of the array's own element type (a `double[]` or a `float32[]`), for compiled
    /// plans, which keep values of either type (internal, never written).
    member internal a.Buffer : Array = if a.DType = DType.Float64 then a.Data :> Array else a.Single :> Array
    /// True when the buffer was donated to a compiled function.
    member internal _.IsDonated = donated
    /// True when another NdArray may share the buffer.
    member internal _.IsShared = shared
    /// Records that another NdArray shares the buffer.
    member internal _.MarkShared() = shared <- true
    /// Makes this new array deferred: `source` makes its buffer on the first read.
    member internal _.Defer(source: DeferredBuffer) = deferred <- source
    /// The array whose last two axes this deferred one swaps (`Kernels.permute`), or null.
    member internal _.TransposeOf = if isNull deferred then null else deferred.Transposed
    /// Gives the buffer up (donation): later reads raise.
    member internal _.Donate() =
        donated <- true
        buffer <- null
    /// Number of dimensions.
    member _.Rank = shape.Length
    /// Number of elements.
    member _.Size =
        if not (isNull singles) then singles.Length
        elif isNull buffer then Shape.size shape
        else buffer.Length
    /// A copy of the elements in row-major order, as float64 whatever the element type.
    member a.ToArray() = if a.DType = DType.Float64 then Array.copy a.Data else Array.map double a.Single
    /// A copy of the elements in row-major order, as float32 (float64 elements rounded).
    member a.ToArray32() = if a.DType = DType.Float64 then Array.map float32 a.Data else Array.copy a.Single
    /// The single element of a one-element array.
    member a.Scalar =
        if a.Size <> 1 then
            raise (ArgumentException(sprintf "item: a tensor of shape %s has %d elements, not one" (Shape.format shape) a.Size))
        if a.DType = DType.Float32 then double a.Single[0]
        elif isNull buffer && isNull deferred && not donated then inlineScalar
        else a.Data[0]

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

/// The buffer of a deferred array (`NdArray.deferred`): the kernel that makes it, run once, on
/// the first read from whichever thread reads first; and the array whose last two axes it swaps,
/// which matrix products read through their transpose flag instead.
and [<Sealed; AllowNullLiteral>] internal DeferredBuffer(dtype: DType, transposed: NdArray, make: unit -> Array) =
    let mutable kernel = make
    let mutable buffer: Array = null
    /// The element type of the buffer to be made.
    member _.DType : DType = dtype
    /// The array whose last two axes this one swaps.
    member _.Transposed : NdArray = transposed
    /// The buffer, made on the first call (the kernel, and what it reads, are let go then).
    member this.Buffer : Array =
        lock this (fun () ->
            if isNull buffer then
                buffer <- kernel ()
                kernel <- Unchecked.defaultof<_>
            buffer)

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
        let v = if source.DType = DType.Float32 then NdArray(shape, null, 0.0, source.Single, false) else NdArray(shape, source.Data)
        source.MarkShared()
        v.MarkShared()
        v

    /// An array of `shape` and `dtype` whose buffer `make` computes (a `double[]` or a
    /// `float32[]` of that many elements) when it is first read, once: a transpose of the last
    /// two axes of `transposed`, which matrix products read through their flag instead, so that
    /// one which only feeds them is never made.
    let internal deferred (shape: int[]) (dtype: DType) (transposed: NdArray) (make: unit -> Array) =
        let a = NdArray(shape, null, 0.0, null, false)
        a.Defer(DeferredBuffer(dtype, transposed, make))
        a

    /// An array of the given shape holding a copy of `data` (row-major).
    let create (shape: int[]) (data: double[]) = wrap (Array.copy shape) (Array.copy data)
    let private rankZero : int[] = Array.Empty<int>()
    /// A rank-0 float64 array.
    let scalar (v: double) = NdArray(rankZero, null, v, null, false)
    /// A weakly typed rank-0 array: a .NET `double` constant, which takes the type of the tensors
    /// it meets (`Promotion`).
    let internal weakScalar (v: double) = NdArray(rankZero, null, v, null, true)
    /// Wraps a float32 buffer without copying or checking (kernels that made it).
    let internal ofSingle (shape: int[]) (data: float32[]) = NdArray(shape, null, 0.0, data, false)
    /// Wraps a compiled plan's buffer (a `double[]` or a `float32[]`) without copying.
    let internal ofBuffer (shape: int[]) (buffer: Array) =
        match buffer with
        | :? (float32[]) as single -> ofSingle shape single
        | _ -> NdArray(shape, buffer :?> double[])
    /// An array of the given shape holding a copy of the float32 `data` (row-major).
    let create32 (shape: int[]) (data: float32[]) =
        let shape = Array.copy shape
        Shape.validate "tensor" "shape" shape
        if Shape.size shape <> data.Length then
            raise (ArgumentException(sprintf "tensor: shape %s needs %d elements but %d were given" (Shape.format shape) (Shape.size shape) data.Length, "data"))
        ofSingle shape (Array.copy data)
    /// A float32 vector holding a copy of the array.
    let ofArray32 (values: float32[]) = ofSingle [| values.Length |] (Array.copy values)
    /// The array with float32 elements: itself if it has them, else its elements rounded to the
    /// nearest float32.
    let toFloat32 (a: NdArray) = if a.DType = DType.Float32 then a else ofSingle (Array.copy a.Shape) (Array.map float32 a.Data)
    /// The array with float64 elements: itself if it has them, else its elements widened (exact).
    let toFloat64 (a: NdArray) = if a.DType = DType.Float64 then a else NdArray(Array.copy a.Shape, Array.map double a.Single)
    /// The array with elements of `dtype` (rounded to nearest when narrowing).
    let convert (dtype: DType) (a: NdArray) =
        match dtype with
        | DType.Float32 -> toFloat32 a
        | DType.Float64 -> toFloat64 a
    /// The same elements, weakly typed or not: a result computed from weak constants alone is
    /// weak, a cast is not.
    let private withWeakness (weak: bool) (a: NdArray) =
        if a.IsWeak = weak then a
        elif a.Rank = 0 && a.DType = DType.Float64 then NdArray(rankZero, null, a.Scalar, null, weak)
        else
            a.MarkShared()
            let w = if a.DType = DType.Float32 then NdArray(a.Shape, null, 0.0, a.Single, weak) else NdArray(a.Shape, a.Data, 0.0, null, weak)
            w.MarkShared()
            w
    /// The same elements, weakly typed.
    let internal weaken (a: NdArray) = withWeakness true a
    /// The same elements, strongly typed.
    let internal strong (a: NdArray) = withWeakness false a
    /// An array filled with one value.
    let full (shape: int[]) (v: double) =
        Shape.validate "full" "shape" shape
        NdArray(Array.copy shape, Array.create (Shape.size shape) v)
    /// An array of zeros.
    let zeros shape = full shape 0.0
    /// An array of ones.
    let ones shape = full shape 1.0
    /// An array of the given type filled with one value (rounded to float32 for float32).
    let fullOf (dtype: DType) (shape: int[]) (v: double) =
        match dtype with
        | DType.Float64 -> full shape v
        | DType.Float32 ->
            Shape.validate "full" "shape" shape
            ofSingle (Array.copy shape) (Array.create (Shape.size shape) (float32 v))
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
    /// A float32 matrix from a MathNet float32 matrix (one transposing copy).
    let ofMatrix32 (m: Matrix<float32>) = ofSingle [| m.RowCount; m.ColumnCount |] (m.ToRowMajorArray())
    /// A 2-D array with the elements of a matrix.
    let toArray2D (a: NdArray) =
        if a.Rank <> 2 then raise (ArgumentException(sprintf "toArray2D: expected a matrix, got shape %s" (Shape.format a.Shape), "tensor"))
        Array2D.init a.Shape[0] a.Shape[1] (fun i j -> a.Data[i * a.Shape[1] + j])
    /// A MathNet matrix (a copy; row-major to column-major).
    let toMatrix (a: NdArray) =
        if a.Rank <> 2 then raise (ArgumentException(sprintf "toMatrix: expected a matrix, got shape %s" (Shape.format a.Shape), "tensor"))
        Matrix<double>.Build.DenseOfRowMajor(a.Shape[0], a.Shape[1], a.Data)
    /// A MathNet float32 matrix (a copy; float64 elements rounded).
    let toMatrix32 (a: NdArray) =
        if a.Rank <> 2 then raise (ArgumentException(sprintf "toMatrix32: expected a matrix, got shape %s" (Shape.format a.Shape), "tensor"))
        Matrix<float32>.Build.DenseOfRowMajor(a.Shape[0], a.Shape[1], a.ToArray32())
    /// A MathNet vector (a copy) of the elements in row-major order.
    let toVector (a: NdArray) = Vector<double>.Build.DenseOfArray(Array.copy a.Data)
