namespace FunctionalAD

open System
open System.Numerics.Tensors
open System.Runtime.InteropServices

/// An elementwise kernel over spans of one element type, vectorised by TensorPrimitives where
/// it can be.
type internal SpanUnaryOf<'T> = delegate of ReadOnlySpan<'T> * Span<'T> -> unit
/// A kernel over two spans of equal length.
type internal SpanBinaryOf<'T> = delegate of ReadOnlySpan<'T> * ReadOnlySpan<'T> * Span<'T> -> unit
/// An elementwise kernel over float64 spans.
type internal SpanUnary = SpanUnaryOf<double>
/// A kernel over two float64 spans of equal length.
type internal SpanBinary = SpanBinaryOf<double>

/// Numerical kernels on NdArrays: elementwise maps, broadcasting, reductions and layout changes.
/// They allocate their result and never write their inputs.
module internal Kernels =
    let private span (a: NdArray) = ReadOnlySpan<double>(a.Data)

    /// d = a · b, except 0 wherever a is 0 even if b is infinite or NaN (`mulNoNan`), in one
    /// pass of vector lanes, for float64 and float32 elements.
    let inline guardedProduct (a: ReadOnlySpan< ^T>) (b: ReadOnlySpan< ^T>) (d: Span< ^T>) =
        let width = Numerics.Vector< ^T>.Count
        let zero = LanguagePrimitives.GenericZero< ^T>
        let mutable i = 0
        if Numerics.Vector.IsHardwareAccelerated then
            while i <= a.Length - width do
                let va = Numerics.Vector< ^T>(a.Slice(i, width))
                let product = Numerics.Vector.Multiply(va, Numerics.Vector< ^T>(b.Slice(i, width)))
                Numerics.Vector.ConditionalSelect(Numerics.Vector.Equals(va, Numerics.Vector< ^T>.Zero), Numerics.Vector< ^T>.Zero, product).CopyTo(d.Slice(i, width))
                i <- i + width
        while i < a.Length do
            d[i] <- (if a[i] = zero then zero else a[i] * b[i])
            i <- i + 1

    /// A buffer for a result the kernel writes entirely: not zeroed first (a large eager
    /// intermediate would otherwise be written twice).
    let uninitialised (count: int) : double[] = GC.AllocateUninitializedArray<double> count

    // Rank-0 arrays go through the span kernels on one-element spans over locals, so a scalar
    // result needs no buffer of its own (see NdArray.scalar).

    /// Applies a span kernel to every element.
    let map (op: SpanUnary) (x: NdArray) =
        if x.Rank = 0 then
            let mutable input = x.Scalar
            let mutable output = 0.0
            op.Invoke(MemoryMarshal.CreateReadOnlySpan(&input, 1), MemoryMarshal.CreateSpan(&output, 1))
            NdArray.scalar output
        else
            let out = uninitialised x.Size
            op.Invoke(span x, Span<double> out)
            NdArray(x.Shape, out)

    /// Applies a scalar function to every element (for functions TensorPrimitives lacks).
    let mapScalar (f: double -> double) (x: NdArray) =
        if x.Rank = 0 then NdArray.scalar (f x.Scalar) else NdArray(x.Shape, Array.map f x.Data)

    /// `mapScalar` on a float32 array: each element widened, `f` applied, the result rounded.
    let mapScalar32 (f: double -> double) (x: NdArray) = NdArray.ofSingle x.Shape (Array.map (fun (v: float32) -> float32 (f (double v))) x.Single)

    /// Row-major odometer over all but the last dimension of `shape`: calls `body` with the row
    /// number and the offset of that row's first element in a source with the given strides.
    let private forEachRow (shape: int[]) (strides: int[]) (body: int -> int -> unit) =
        let rank = shape.Length
        let outer = if rank = 0 then 1 else Shape.size shape[.. rank - 2]
        let index = Array.zeroCreate (max 0 (rank - 1))
        let mutable offset = 0
        for row in 0 .. outer - 1 do
            body row offset
            let mutable d = rank - 2
            let mutable carry = true
            while carry && d >= 0 do
                index[d] <- index[d] + 1
                offset <- offset + strides[d]
                if index[d] = shape[d] then
                    offset <- offset - strides[d] * shape[d]
                    index[d] <- 0
                    d <- d - 1
                else carry <- false

    /// Strides of `source` viewed with the shape `target` it broadcasts to (0 on stretched axes).
    let private broadcastStrides (source: int[]) (target: int[]) =
        let padded = Array.append (Array.create (target.Length - source.Length) 1) source
        Array.map2 (fun (d: int) s -> if d = 1 then 0 else s) padded (Shape.strides padded)

    /// The elements `data` of an array of shape `source`, materialised at a shape it broadcasts to.
    let private broadcastData<'T> (source: int[]) (data: 'T[]) (target: int[]) : 'T[] =
        let out = GC.AllocateUninitializedArray<'T>(Shape.size target)
        let strides = broadcastStrides source target
        let inner = if target.Length = 0 then 1 else target[target.Length - 1]
        let innerStride = if target.Length = 0 then 0 else strides[target.Length - 1]
        forEachRow target strides (fun row offset ->
            let dest = Span<'T>(out, row * inner, inner)
            if innerStride = 0 then dest.Fill data[offset]
            else ReadOnlySpan<'T>(data, offset, inner).CopyTo dest)
        out

    /// Materialises `x` at a shape it broadcasts to.
    let broadcastTo (target: int[]) (x: NdArray) =
        if Shape.same x.Shape target then x
        elif x.Size = 1 then NdArray.full target x.Data[0]
        else NdArray(Array.copy target, broadcastData x.Shape x.Data target)

    /// `broadcastTo` of a float32 array.
    let broadcastTo32 (target: int[]) (x: NdArray) =
        if Shape.same x.Shape target then x else NdArray.ofSingle (Array.copy target) (broadcastData x.Shape x.Single target)

    /// A binary elementwise kernel with NumPy broadcasting over the elements of arrays of shapes
    /// `shapeA` and `shapeB`, giving the elements of the result of shape `shape`.
    let private binaryData<'T> (op: SpanBinaryOf<'T>) (shape: int[]) (shapeA: int[]) (dataA: 'T[]) (shapeB: int[]) (dataB: 'T[]) : 'T[] =
        let out = GC.AllocateUninitializedArray<'T>(Shape.size shape)
        if Shape.same shapeA shape && Shape.same shapeB shape then op.Invoke(ReadOnlySpan<'T> dataA, ReadOnlySpan<'T> dataB, Span<'T> out)
        elif shape[shape.Length - 1] < 16 || out.Length = 0 then
            op.Invoke(ReadOnlySpan<'T>(broadcastData shapeA dataA shape), ReadOnlySpan<'T>(broadcastData shapeB dataB shape), Span<'T> out)
        else
            // Row by row, reading each argument in place: a row of an argument that is
            // stretched along the last axis is one value, spread into a reused row buffer.
            let inner = shape[shape.Length - 1]
            let stridesA, stridesB = broadcastStrides shapeA shape, broadcastStrides shapeB shape
            let rank = shape.Length
            let stretchedA, stretchedB = stridesA[rank - 1] = 0, stridesB[rank - 1] = 0
            // A row buffer only for an argument stretched along the last axis.
            let rowBuffer stretched = if stretched then Array.zeroCreate inner else null
            let bufferA, bufferB = rowBuffer stretchedA, rowBuffer stretchedB
            let index = Array.zeroCreate (rank - 1)
            let mutable offsetA = 0
            let mutable offsetB = 0
            for row in 0 .. out.Length / inner - 1 do
                if stretchedA then Array.Fill(bufferA, dataA[offsetA])
                if stretchedB then Array.Fill(bufferB, dataB[offsetB])
                let rowA = if stretchedA then ReadOnlySpan<'T> bufferA else ReadOnlySpan<'T>(dataA, offsetA, inner)
                let rowB = if stretchedB then ReadOnlySpan<'T> bufferB else ReadOnlySpan<'T>(dataB, offsetB, inner)
                op.Invoke(rowA, rowB, Span<'T>(out, row * inner, inner))
                let mutable d = rank - 2
                let mutable carry = true
                while carry && d >= 0 do
                    index[d] <- index[d] + 1
                    offsetA <- offsetA + stridesA[d]
                    offsetB <- offsetB + stridesB[d]
                    if index[d] = shape[d] then
                        offsetA <- offsetA - stridesA[d] * shape[d]
                        offsetB <- offsetB - stridesB[d] * shape[d]
                        index[d] <- 0
                        d <- d - 1
                    else carry <- false
        out

    /// A binary elementwise kernel with NumPy broadcasting.
    let binary (op: SpanBinary) (shape: int[]) (a: NdArray) (b: NdArray) =
        if shape.Length = 0 then
            let mutable left = a.Scalar
            let mutable right = b.Scalar
            let mutable output = 0.0
            op.Invoke(MemoryMarshal.CreateReadOnlySpan(&left, 1), MemoryMarshal.CreateReadOnlySpan(&right, 1), MemoryMarshal.CreateSpan(&output, 1))
            NdArray.scalar output
        else NdArray(shape, binaryData op shape a.Shape a.Data b.Shape b.Data)

    /// `binary` on float32 arrays.
    let binary32 (op: SpanBinaryOf<float32>) (shape: int[]) (a: NdArray) (b: NdArray) =
        NdArray.ofSingle shape (binaryData op shape a.Shape a.Single b.Shape b.Single)

    /// `map` on a float32 array.
    let map32 (op: SpanUnaryOf<float32>) (x: NdArray) =
        let out = GC.AllocateUninitializedArray<float32> x.Size
        op.Invoke(ReadOnlySpan<float32> x.Single, Span<float32> out)
        NdArray.ofSingle x.Shape out

    /// A binary elementwise function of scalars with broadcasting.
    let binaryScalar (f: double -> double -> double) (shape: int[]) (a: NdArray) (b: NdArray) =
        if shape.Length = 0 then NdArray.scalar (f a.Scalar b.Scalar)
        else
            let a, b = broadcastTo shape a, broadcastTo shape b
            NdArray(shape, Array.map2 f a.Data b.Data)

    /// `binaryScalar` on float32 arrays: each pair widened, `f` applied, the result rounded.
    let binaryScalar32 (f: double -> double -> double) (shape: int[]) (a: NdArray) (b: NdArray) =
        let a, b = broadcastTo32 shape a, broadcastTo32 shape b
        NdArray.ofSingle shape (Array.map2 (fun (x: float32) (y: float32) -> float32 (f (double x) (double y))) a.Single b.Single)

    /// select(cond, a, b) with broadcasting: a where cond is non-zero, else b.
    let select (shape: int[]) (cond: NdArray) (a: NdArray) (b: NdArray) =
        let c, a, b = broadcastTo shape cond, broadcastTo shape a, broadcastTo shape b
        let c, a, b = c.Data, a.Data, b.Data
        NdArray(shape, Array.init (Shape.size shape) (fun i -> if c[i] <> 0.0 then a[i] else b[i]))

    /// `select` on float32 arrays.
    let select32 (shape: int[]) (cond: NdArray) (a: NdArray) (b: NdArray) =
        let c, a, b = broadcastTo32 shape cond, broadcastTo32 shape a, broadcastTo32 shape b
        let c, a, b = c.Single, a.Single, b.Single
        NdArray.ofSingle shape (Array.init (Shape.size shape) (fun i -> if c[i] <> 0.0f then a[i] else b[i]))

    /// The kinds of reduction a primitive can ask for.
    type Reduction =
        | Sum
        | Max
        | Min

    // The reductions are generic in the element type; float32 uses them for max and min,
    // which are exact in any precision (float32 sums accumulate in float64: `sum32`).

    let private reduceRow<'T when 'T :> Numerics.INumber<'T>> kind (row: ReadOnlySpan<'T>) =
        match kind with
        | Sum -> TensorPrimitives.Sum row
        | Max -> TensorPrimitives.Max row
        | Min -> TensorPrimitives.Min row

    let private combineRows<'T when 'T :> Numerics.INumber<'T>> kind (acc: Span<'T>) (row: ReadOnlySpan<'T>) =
        match kind with
        | Sum -> TensorPrimitives.Add(Span<'T>.op_Implicit acc, row, acc)
        | Max -> TensorPrimitives.Max(Span<'T>.op_Implicit acc, row, acc)
        | Min -> TensorPrimitives.Min(Span<'T>.op_Implicit acc, row, acc)

    let private identity kind =
        match kind with
        | Sum -> 0.0
        | Max -> Double.NegativeInfinity
        | Min -> Double.PositiveInfinity

    /// Reduces one axis of the elements `data` of shape `shape`, keeping it as a dimension of
    /// size 1. The array is viewed as (outer, n, inner); rows of length `inner` are combined with
    /// vectorised kernels; `identity` is the result over nothing.
    let private reduceAxisOf<'T when 'T :> Numerics.INumber<'T>> kind (identity: 'T) (axis: int) (shape: int[], data: 'T[]) =
        let outer = Shape.size shape[.. axis - 1]
        let n = shape[axis]
        let inner = Shape.size shape[axis + 1 ..]
        let out = Array.create (outer * inner) identity
        if n > 0 then
            for o in 0 .. outer - 1 do
                let baseOffset = o * n * inner
                if inner = 1 then out[o] <- reduceRow kind (ReadOnlySpan<'T>(data, baseOffset, n))
                else
                    let acc = Span<'T>(out, o * inner, inner)
                    ReadOnlySpan<'T>(data, baseOffset, inner).CopyTo acc
                    for r in 1 .. n - 1 do
                        combineRows kind acc (ReadOnlySpan<'T>(data, baseOffset + r * inner, inner))
        shape |> Array.mapi (fun i d -> if i = axis then 1 else d), out

    /// Reduces one axis of a float64 array, keeping it as a dimension of size 1.
    let private reduceAxis kind (axis: int) (x: NdArray) =
        let shape, data = reduceAxisOf kind (identity kind) axis (x.Shape, x.Data)
        NdArray(shape, data)

    /// `result` of a computation on `x` under another shape: a view when it may share a buffer
    /// with another array (it is `x`, or a view itself), else simply relabelled.
    let private relabel (shape: int[]) (result: NdArray) (x: NdArray) =
        if obj.ReferenceEquals(result, x) || result.IsShared then NdArray.view shape result else NdArray(shape, result.Data)

    /// Reduces the given (normalised) axes.
    let reduce kind (axes: int[]) keepDims (x: NdArray) =
        let result =
            if axes.Length = x.Rank && x.Rank > 0 then
                NdArray(Array.create x.Rank 1, [| if x.Size = 0 then identity kind else reduceRow kind (span x) |])
            else Array.fold (fun acc axis -> reduceAxis kind axis acc) x axes
        relabel (Shape.reduced x.Shape axes keepDims) result x

    /// acc[i] += src[i], the float32 elements widened (exactly) to float64 in vector lanes.
    let private addWidened (acc: Span<double>) (src: ReadOnlySpan<float32>) =
        let width = Numerics.Vector<float32>.Count
        let half = Numerics.Vector<double>.Count
        let mutable i = 0
        if Numerics.Vector.IsHardwareAccelerated then
            while i <= src.Length - width do
                let mutable low = Numerics.Vector<double>.Zero
                let mutable high = Numerics.Vector<double>.Zero
                Numerics.Vector.Widen(Numerics.Vector<float32>(src.Slice(i, width)), &low, &high)
                (Numerics.Vector<double>(acc.Slice(i, half)) + low).CopyTo(acc.Slice(i, half))
                (Numerics.Vector<double>(acc.Slice(i + half, half)) + high).CopyTo(acc.Slice(i + half, half))
                i <- i + width
        while i < src.Length do
            acc[i] <- acc[i] + double src[i]
            i <- i + 1

    /// Σ src in float64: the float32 elements widened and added into float64 lanes.
    let private sumWidened (src: ReadOnlySpan<float32>) =
        let width = Numerics.Vector<float32>.Count
        let mutable low = Numerics.Vector<double>.Zero
        let mutable high = Numerics.Vector<double>.Zero
        let mutable sumLow = Numerics.Vector<double>.Zero
        let mutable sumHigh = Numerics.Vector<double>.Zero
        let mutable i = 0
        if Numerics.Vector.IsHardwareAccelerated then
            while i <= src.Length - width do
                Numerics.Vector.Widen(Numerics.Vector<float32>(src.Slice(i, width)), &low, &high)
                sumLow <- sumLow + low
                sumHigh <- sumHigh + high
                i <- i + width
        let mutable total = Numerics.Vector.Sum(sumLow + sumHigh)
        while i < src.Length do
            total <- total + double src[i]
            i <- i + 1
        total

    /// out = Σ over the middle index of float32 `data` viewed as (outer, n, inner), in float64:
    /// each row summed in widened lanes (inner = 1), or rows added into zeroed sums.
    let private sumWidenedInto (data: float32[]) (outer: int) (n: int) (inner: int) (out: double[]) =
        for o in 0 .. outer - 1 do
            let baseOffset = o * n * inner
            if inner = 1 then out[o] <- sumWidened (ReadOnlySpan<float32>(data, baseOffset, n))
            else
                let acc = Span<double>(out, o * inner, inner)
                acc.Clear()
                for r in 0 .. n - 1 do addWidened acc (ReadOnlySpan<float32>(data, baseOffset + r * inner, inner))

    /// Σ of a float32 array over one axis into float64 sums, the axis kept with size 1.
    let private sumAxisWidened (axis: int) (x: NdArray) =
        let shape = x.Shape
        let outer, inner = Shape.size shape[.. axis - 1], Shape.size shape[axis + 1 ..]
        let out = Array.zeroCreate (outer * inner)
        sumWidenedInto x.Single outer shape[axis] inner out
        NdArray(shape |> Array.mapi (fun i d -> if i = axis then 1 else d), out)

    /// dest = Σ over the middle index of float32 `src` viewed as (outer, n, inner), accumulated
    /// in float64 (pooled scratch) and rounded once: `sum32`'s bits for one axis or all axes,
    /// for compiled float32 plans.
    let sumInto32 (outer: int) (n: int) (inner: int) (src: float32[]) (dest: float32[]) =
        let count = outer * inner
        let sums = Buffers.ArrayPool<double>.Shared.Rent count
        try
            sumWidenedInto src outer n inner sums
            for i in 0 .. count - 1 do dest[i] <- float32 sums[i]
        finally
            Buffers.ArrayPool<double>.Shared.Return sums

    /// Σ of a float32 array over the given (normalised) axes, accumulated in float64 and rounded
    /// to float32 once: the error is that one rounding (the float64 sums' own error, about n ·
    /// 2⁻⁵³ of Σ|x|, is far below it), where float32 accumulators would add n · 2⁻²⁴ of Σ|x|.
    let sum32 (axes: int[]) keepDims (x: NdArray) =
        if axes.Length = 0 then x
        else
            let sums =
                if axes.Length = x.Rank then NdArray(Array.create x.Rank 1, [| sumWidened (ReadOnlySpan<float32> x.Single) |])
                else Array.fold (fun acc axis -> reduceAxis Sum axis acc) (sumAxisWidened axes[0] x) axes[1..]
            NdArray.ofSingle (Shape.reduced x.Shape axes keepDims) (Array.map float32 sums.Data)

    /// The axes of `x` that summing it down to `target` (which broadcasts to it) reduces.
    let private stretchedAxes (target: int[]) (x: NdArray) =
        let lead = x.Rank - target.Length
        [| for i in 0 .. x.Rank - 1 do
               if i < lead || (target[i - lead] = 1 && x.Shape[i] <> 1) then yield i |]

    /// The max or min of a float32 array over the given (normalised) axes.
    let extremum32 kind (axes: int[]) keepDims (x: NdArray) =
        let identity = if kind = Max then Single.NegativeInfinity else Single.PositiveInfinity
        if axes.Length = 0 then x
        elif axes.Length = x.Rank then
            NdArray.ofSingle (Shape.reduced x.Shape axes keepDims) [| if x.Size = 0 then identity else reduceRow kind (ReadOnlySpan<float32> x.Single) |]
        else
            let _, data = Array.fold (fun state axis -> reduceAxisOf kind identity axis state) (x.Shape, x.Single) axes
            NdArray.ofSingle (Shape.reduced x.Shape axes keepDims) data

    /// Sums `x` down to a shape that broadcasts to it (the transpose of broadcasting).
    let sumTo (target: int[]) (x: NdArray) =
        if Shape.same x.Shape target then x
        else relabel (Array.copy target) (reduce Sum (stretchedAxes target x) true x) x

    /// `sumTo` of a float32 array, accumulated as `sum32`.
    let sumTo32 (target: int[]) (x: NdArray) =
        if Shape.same x.Shape target then x
        else NdArray.view (Array.copy target) (sum32 (stretchedAxes target x) true x)

    // The layout kernels move whole elements: generic in the element type, applied to the
    // buffer of the array's own type (`sameType`), so float32 arrays stay float32.

    /// `kernel64` or `kernel32` on the buffer of `x`'s element type, giving an array of `shape`
    /// of that type.
    let inline sameType (x: NdArray) (shape: int[]) ([<InlineIfLambda>] kernel64: double[] -> double[]) ([<InlineIfLambda>] kernel32: float32[] -> float32[]) =
        if x.DType = DType.Float32 then NdArray.ofSingle shape (kernel32 x.Single) else NdArray(shape, kernel64 x.Data)

    /// dest[j, i] = src[i, j] for a rows × cols source, in square tiles so that both the reads
    /// and the writes stay within a few cache lines.
    let private transposeInto (rows: int) (cols: int) (src: 'T[]) (dest: 'T[]) =
        let tile = 32
        for i0 in 0 .. tile .. rows - 1 do
            for j0 in 0 .. tile .. cols - 1 do
                for i in i0 .. min rows (i0 + tile) - 1 do
                    for j in j0 .. min cols (j0 + tile) - 1 do
                        dest[j * rows + i] <- src[i * cols + j]

    /// The elements of an array of shape `inShapeFull` with its dimensions permuted, written
    /// into `out` (of the same size, not `data` itself): a new array for an eager permute, a
    /// buffer for a compiled plan's.
    let permuteInto (perm: int[]) (inShapeFull: int[]) (data: 'T[]) (out: 'T[]) =
        if data.Length > 0 then
            // Unit axes do not move any element, and input axes that stay adjacent and in order
            // move as one: what is left is the permutation that really moves data.
            let kept = perm |> Array.filter (fun p -> inShapeFull[p] <> 1)
            let nextKept (a: int) = seq { a + 1 .. inShapeFull.Length - 1 } |> Seq.tryFind (fun q -> inShapeFull[q] <> 1)
            let groups = Collections.Generic.List<int list>()
            for p in kept do
                match Seq.tryLast groups with
                | Some group when nextKept (List.last group) = Some p -> groups[groups.Count - 1] <- group @ [ p ]
                | _ -> groups.Add [ p ]
            let groupSize (group: int list) = group |> List.fold (fun acc p -> acc * inShapeFull[p]) 1
            let byInput = groups |> Seq.sortBy List.head |> Seq.toArray
            let inShape = byInput |> Array.map groupSize
            let order = groups |> Seq.map (fun g -> Array.findIndex ((=) g) byInput) |> Seq.toArray
            match order with
            | [||] | [| _ |] -> Array.blit data 0 out 0 data.Length
            | [| 1; 0 |] -> transposeInto inShape[0] inShape[1] data out
            | _ ->
                let inStrides = Shape.strides inShape
                let outShape = order |> Array.map (fun g -> inShape[g])
                let strides = order |> Array.map (fun g -> inStrides[g])
                let inner = outShape[outShape.Length - 1]
                let innerStride = strides[strides.Length - 1]
                forEachRow outShape strides (fun row offset ->
                    let baseOut = row * inner
                    for k in 0 .. inner - 1 do
                        out[baseOut + k] <- data[offset + k * innerStride])

    /// The elements of an array of shape `inShapeFull` with its dimensions permuted, in a new array.
    let private permuteData (perm: int[]) (inShapeFull: int[]) (data: 'T[]) : 'T[] =
        let out = GC.AllocateUninitializedArray<'T> data.Length
        permuteInto perm inShapeFull data out
        out

    /// Permutes dimensions: result dimension i is input dimension perm[i].
    let permute (perm: int[]) (x: NdArray) =
        let shape = perm |> Array.map (fun p -> x.Shape[p])
        sameType x shape (permuteData perm x.Shape) (permuteData perm x.Shape)

    /// The elements of `slice` from the elements of an array of shape `inShape`.
    let private sliceData (starts: int[]) (counts: int[]) (steps: int[]) (inShape: int[]) (data: 'T[]) : 'T[] =
        let inStrides = Shape.strides inShape
        let strides = Array.map2 (*) inStrides steps
        let offset0 = Array.fold2 (fun acc s st -> acc + s * st) 0 starts inStrides
        let out = GC.AllocateUninitializedArray<'T>(Shape.size counts)
        let rank = counts.Length
        let inner = if rank = 0 then 1 else counts[rank - 1]
        let innerStride = if rank = 0 then 0 else strides[rank - 1]
        if out.Length > 0 then
            forEachRow counts strides (fun row offset ->
                if innerStride = 1 then Array.blit data (offset0 + offset) out (row * inner) inner
                else
                    for k in 0 .. inner - 1 do
                        out[row * inner + k] <- data[offset0 + offset + k * innerStride])
        out

    /// Basic slicing: per axis (start, count, step) with count elements taken.
    let slice (starts: int[]) (counts: int[]) (steps: int[]) (x: NdArray) =
        sameType x (Array.copy counts) (sliceData starts counts steps x.Shape) (sliceData starts counts steps x.Shape)

    /// The elements of `unslice` from the elements of `g`, of shape `sliced`.
    let private unsliceData (shape: int[]) (starts: int[]) (steps: int[]) (sliced: int[]) (data: 'T[]) : 'T[] =
        let inStrides = Shape.strides shape
        let strides = Array.map2 (*) inStrides steps
        let offset0 = Array.fold2 (fun acc s st -> acc + s * st) 0 starts inStrides
        let out = Array.zeroCreate (Shape.size shape)
        let rank = sliced.Length
        let inner = if rank = 0 then 1 else sliced[rank - 1]
        let innerStride = if rank = 0 then 0 else strides[rank - 1]
        if data.Length > 0 then
            forEachRow sliced strides (fun row offset ->
                if innerStride = 1 then Array.blit data (row * inner) out (offset0 + offset) inner
                else
                    for k in 0 .. inner - 1 do
                        out[offset0 + offset + k * innerStride] <- data[row * inner + k])
        out

    /// The transpose of `slice`: places `g` into zeros of `shape` at the sliced positions.
    let unslice (shape: int[]) (starts: int[]) (steps: int[]) (g: NdArray) =
        sameType g (Array.copy shape) (unsliceData shape starts steps g.Shape) (unsliceData shape starts steps g.Shape)

    /// The elements of `gather` from the elements of an array of shape `inShape`.
    let private gatherData (axis: int) (indices: int[]) (inShape: int[]) (data: 'T[]) : 'T[] =
        let outer = Shape.size inShape[.. axis - 1]
        let n = inShape[axis]
        let inner = Shape.size inShape[axis + 1 ..]
        let out = GC.AllocateUninitializedArray<'T>(outer * indices.Length * inner)
        for o in 0 .. outer - 1 do
            indices |> Array.iteri (fun j idx ->
                Array.blit data ((o * n + idx) * inner) out ((o * indices.Length + j) * inner) inner)
        out

    /// Takes entries along `axis` at the given indices (repeats allowed).
    let gather (axis: int) (indices: int[]) (x: NdArray) =
        let shape = x.Shape |> Array.mapi (fun i d -> if i = axis then indices.Length else d)
        sameType x shape (gatherData axis indices x.Shape) (gatherData axis indices x.Shape)

    /// The elements of `scatterAdd` from the elements of `g`.
    let private scatterAddData<'T when 'T :> Numerics.INumber<'T>> (shape: int[]) (axis: int) (indices: int[]) (data: 'T[]) : 'T[] =
        let outer = Shape.size shape[.. axis - 1]
        let n = shape[axis]
        let inner = Shape.size shape[axis + 1 ..]
        let out = Array.zeroCreate (Shape.size shape)
        for o in 0 .. outer - 1 do
            indices |> Array.iteri (fun j idx ->
                let dest = Span<'T>(out, (o * n + idx) * inner, inner)
                TensorPrimitives.Add(Span<'T>.op_Implicit dest, ReadOnlySpan<'T>(data, (o * indices.Length + j) * inner, inner), dest))
        out

    /// The transpose of `gather`: adds the rows of `g` into zeros of `shape` at the indices.
    let scatterAdd (shape: int[]) (axis: int) (indices: int[]) (g: NdArray) =
        sameType g (Array.copy shape) (scatterAddData shape axis indices) (scatterAddData shape axis indices)

    /// The elements of `concat` from the parts' elements (`data` of each part).
    let private concatData (axis: int) (shape: int[]) (parts: NdArray[]) (data: NdArray -> 'T[]) : 'T[] =
        let first = parts[0].Shape
        let outer = Shape.size first[.. axis - 1]
        let inner = Shape.size first[axis + 1 ..]
        let out = GC.AllocateUninitializedArray<'T>(Shape.size shape)
        let mutable position = 0
        for o in 0 .. outer - 1 do
            for p in parts do
                let block = p.Shape[axis] * inner
                Array.blit (data p) (o * block) out position block
                position <- position + block
        out

    /// Joins arrays (all of one element type) along `axis`; all other dimensions agree.
    let concat (axis: int) (parts: NdArray[]) =
        let first = parts[0].Shape
        let total = parts |> Array.sumBy (fun p -> p.Shape[axis])
        let shape = first |> Array.mapi (fun i d -> if i = axis then total else d)
        sameType parts[0] shape (fun _ -> concatData axis shape parts (fun p -> p.Data)) (fun _ -> concatData axis shape parts (fun p -> p.Single))
