namespace FunctionalAD

open System
open System.Numerics.Tensors
open System.Runtime.InteropServices

/// An elementwise kernel over spans of one element type, vectorised by TensorPrimitives where
/// it can be.
type internal SpanUnaryOf<'T> = delegate of ReadOnlySpan<'T> * Span<'T> -> unit
/// A kernel over two spans of equal length.
type internal SpanBinaryOf<'T> = delegate of ReadOnlySpan<'T> * ReadOnlySpan<'T> * Span<'T> -> unit
/// A kernel over three spans of equal length.
type internal SpanTernaryOf<'T> = delegate of ReadOnlySpan<'T> * ReadOnlySpan<'T> * ReadOnlySpan<'T> * Span<'T> -> unit
/// dest = op(value, span): a binary kernel whose first argument is one element throughout.
type internal ValueSpanOf<'T> = delegate of 'T * ReadOnlySpan<'T> * Span<'T> -> unit
/// dest = op(span, value): a binary kernel whose second argument is one element throughout.
type internal SpanValueOf<'T> = delegate of ReadOnlySpan<'T> * 'T * Span<'T> -> unit

/// The vector kernels of a binary elementwise operation: on two spans of equal length, and,
/// where the operation has them, with one argument a single element. A broadcasting kernel
/// calls the latter on the stretches of the result where an argument holds one element (a
/// column's run along a row, a scalar), so that no buffer is filled with copies of it: a
/// 256 × 1 000 product with a column took 1.4–1.8× the time of row-by-row products with a
/// value (0.14–0.16 against 0.08–0.11 ms).
[<NoEquality; NoComparison>]
type internal BinaryKernels<'T> =
    { Spans: SpanBinaryOf<'T>
      ValueSpan: ValueSpanOf<'T> voption
      SpanValue: SpanValueOf<'T> voption }

/// An elementwise kernel over float64 spans.
type internal SpanUnary = SpanUnaryOf<double>
/// A kernel over two float64 spans of equal length.
type internal SpanBinary = SpanBinaryOf<double>

/// Numerical kernels on NdArrays: elementwise maps, broadcasting, reductions and layout changes.
/// They allocate their result and never write their inputs.
module internal Kernels =
    let private span (a: NdArray) = ReadOnlySpan<double>(a.Data)

    /// One vector lane of `guardedProduct`: a · b, except 0 where a is 0.
    let inline private guardedLanes (va: Numerics.Vector< ^T>) (vb: Numerics.Vector< ^T>) =
        Numerics.Vector.ConditionalSelect(Numerics.Vector.Equals(va, Numerics.Vector< ^T>.Zero), Numerics.Vector< ^T>.Zero, Numerics.Vector.Multiply(va, vb))

    /// d = a · b, except 0 wherever a is 0 even if b is infinite or NaN (`mulNoNan`), in one
    /// pass of vector lanes, for float64 and float32 elements. A `b` of one element multiplies
    /// every element of `a` (the kernel with a value, `guardedProducts`); the choice is made
    /// once, outside the loops, which a test per vector slowed by 5–10 %.
    let inline guardedProduct (a: ReadOnlySpan< ^T>) (b: ReadOnlySpan< ^T>) (d: Span< ^T>) =
        let width = Numerics.Vector< ^T>.Count
        let zero = LanguagePrimitives.GenericZero< ^T>
        let single = b.Length = 1
        let mutable i = 0
        if Numerics.Vector.IsHardwareAccelerated then
            // The spans read as spans of vectors: one bounds check per vector, where a slice and
            // a vector made from it cost several.
            let av = MemoryMarshal.Cast< ^T, Numerics.Vector< ^T>> a
            let dv = MemoryMarshal.Cast< ^T, Numerics.Vector< ^T>> d
            if single then
                let value = Numerics.Vector< ^T>(b[0])
                for v in 0 .. dv.Length - 1 do dv[v] <- guardedLanes av[v] value
            else
                let bv = MemoryMarshal.Cast< ^T, Numerics.Vector< ^T>> b
                for v in 0 .. dv.Length - 1 do dv[v] <- guardedLanes av[v] bv[v]
            i <- dv.Length * width
        while i < a.Length do
            let bi = if single then b[0] else b[i]
            d[i] <- (if a[i] = zero then zero else a[i] * bi)
            i <- i + 1

    /// The kernels of an operation that has only the one on two spans.
    let spansOnly (op: SpanBinaryOf<'T>) : BinaryKernels<'T> = { Spans = op; ValueSpan = ValueNone; SpanValue = ValueNone }

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

    /// The `repeat` of an argument of shape `source` read at the shape `target` it broadcasts
    /// to, when the element at the result's flat position i is element (i / repeat) mod size of
    /// the argument: its stretched axes all lie before or after its own (a row [C] against
    /// [N, C], a column [N, 1], a scalar, a channel bias [1, C, 1, 1]). `repeat` is then the size
    /// of the stretched trailing axes. ValueNone when stretched axes lie between its own.
    /// Compiled plans' fused loops read such arguments in place too (`BufferPlan`).
    let repeatOf (source: int[]) (target: int[]) =
        let lead = target.Length - source.Length
        let spans k = target[k] <> 1 && k >= lead && source[k - lead] <> 1
        match Array.tryFindIndex spans (Array.init target.Length id), Array.tryFindIndexBack spans (Array.init target.Length id) with
        | Some first, Some last ->
            if Seq.exists (fun k -> target[k] <> 1 && not (spans k)) (seq { first .. last }) then ValueNone
            else ValueSome(Shape.size target[last + 1 ..])
        | _ -> ValueSome(Shape.size target)

    /// dest = the elements of an argument of the form `repeatOf` describes at the result
    /// positions from `start` on: runs of `repeat` copies of one element, cycling through `data`.
    let private fillRepeated<'T> (data: 'T[]) (repeat: int) (start: int) (dest: Span<'T>) =
        let count = data.Length
        let mutable index = (start / repeat) % count
        let mutable written = 0
        if repeat = 1 then
            while written < dest.Length do
                let run = min (count - index) (dest.Length - written)
                ReadOnlySpan<'T>(data, index, run).CopyTo(dest.Slice(written, run))
                written <- written + run
                // A further run starts over at the first element: this one reached the last.
                index <- 0
        else
            let width = Numerics.Vector<'T>.Count
            let first = &MemoryMarshal.GetReference dest
            let mutable within = start % repeat
            while written < dest.Length do
                let run = min (repeat - within) (dest.Length - written)
                // Whole vectors of the element, the last one running past this run into the
                // next, which overwrites it (never past dest): a column against ten classes
                // takes three stores a run where Span.Fill's call would cost more than the run.
                let value = Numerics.Vector<'T>(data[index])
                let stop = written + run
                let mutable k = written
                while k < stop && k <= dest.Length - width do
                    Numerics.Vector.StoreUnsafe(value, &first, unativeint k)
                    k <- k + width
                while k < stop do
                    dest[k] <- data[index]
                    k <- k + 1
                written <- stop
                within <- 0
                index <- if index + 1 = count then 0 else index + 1

    /// How the vector kernel of a broadcasting operation stores its result, which decides the
    /// size of the chunks it is called on.
    [<RequireQualifiedAccess>]
    type Stores =
        /// A loop storing through the cache: chunks of 8 KB keep the chunk of the result and a
        /// buffer per stretched argument in L1, and are long enough that a call costs little
        /// against its work.
        | Cached
        /// A TensorPrimitives kernel, which writes a span of more than 256 KB with non-temporal
        /// stores (they do not read the destination's cache lines first): a larger result goes
        /// in chunks of 512 KB so that it keeps them. In 8 KB chunks a 256 × 1 000 float64
        /// product with a scalar or a column took 2–3× the time of a product of two full arrays
        /// (0.21 against 0.095 ms); in 512 KB chunks the same. A stretched argument's buffer
        /// (filled once for a scalar or a row, per chunk for a column) then lives in L2.
        | Streaming

    /// Elements in a chunk of a broadcasting kernel with `stores` for a result of `size`.
    let private chunkElements<'T> (stores: Stores) (size: int) =
        match stores with
        | Stores.Streaming when int64 size * int64 sizeof<'T> > 262_144L -> 524_288 / sizeof<'T>
        | _ -> 8192 / sizeof<'T>

    /// One argument of a broadcasting kernel (`repeatOf`'s form: elements `data`, `repeat`) of
    /// a result of `size` elements, read chunk by chunk at result positions (`broadcastChunks`,
    /// which ends a chunk where a period longer than a chunk ends). An argument repeated element
    /// by element with a period longer than a chunk, or as long as the result (an argument of
    /// the result's shape), is read in place; one whose period (repeat × its size) fits in a
    /// chunk is tiled into a buffer once, as every chunk starts at a multiple of that period;
    /// any other (a column [N, 1] against [N, C]) is written into the buffer per chunk, or kept
    /// there while chunks lie in one run of the element already there (a scalar).
    [<Sealed>]
    type private BroadcastReader<'T>(data: 'T[], repeat: int, size: int, chunk: int) =
        let period = repeat * data.Length
        let inPlace = repeat = 1 && (period > chunk || period = size)
        let tiled = not inPlace && period <= chunk
        // Rented at the first read: a kernel that takes this argument's element as a value
        // (`OneElement`) never reads the buffer.
        let mutable buffer: 'T[] = null
        // The element that fills the whole buffer, or -1 when the buffer holds anything else.
        let mutable uniform = -1
        member private _.Buffer =
            if isNull buffer then
                buffer <- Buffers.ArrayPool<'T>.Shared.Rent chunk
                if tiled then fillRepeated data repeat 0 (Span<'T>(buffer, 0, chunk))
            buffer
        /// The argument's elements for result positions start … start + length − 1.
        member this.Read(start: int, length: int) : ReadOnlySpan<'T> =
            if inPlace then ReadOnlySpan<'T>(data, start % data.Length, length)
            elif tiled then ReadOnlySpan<'T>(this.Buffer, 0, length)
            else
                let buffer = this.Buffer
                let index = (start / repeat) % data.Length
                if start % repeat + length <= repeat then
                    if uniform <> index then
                        Array.Fill(buffer, data[index], 0, chunk)
                        uniform <- index
                else
                    fillRepeated data repeat start (Span<'T>(buffer, 0, length))
                    uniform <- -1
                ReadOnlySpan<'T>(buffer, 0, length)
        /// The index of the one element the argument holds at result positions start … start +
        /// length − 1, or −1 where it holds several there.
        member _.OneElement(start: int, length: int) =
            if data.Length = 1 then 0
            elif repeat > 1 && start % repeat + length <= repeat then (start / repeat) % data.Length
            else -1
        /// The argument's elements.
        member _.Data = data
        interface IDisposable with
            member _.Dispose() = if not (isNull buffer) then Buffers.ArrayPool<'T>.Shared.Return buffer

    /// The shortest run of one element of a stretched argument (a column along a row) that a
    /// kernel taking that element as a value is called on: on shorter runs a call costs more
    /// than filling a buffer with copies.
    let private shortestValueRun = 256

    /// Calls `body readers start length` for successive chunks of a result of shape `target`
    /// that the arguments (shape, elements) broadcast to, `readers` giving each argument's
    /// elements for the chunk. An argument whose stretched axes lie between its own (no
    /// `repeatOf`) is materialised at the target shape first. With `valueRuns`, chunks also end
    /// where a run of one element of a column-like argument ends (runs of `shortestValueRun` or
    /// more), so that each such chunk meets one element of it (`BroadcastReader.OneElement`).
    let private broadcastChunks<'T> (stores: Stores) (valueRuns: bool) (target: int[]) (arguments: (int[] * 'T[])[]) (body: BroadcastReader<'T>[] -> int -> int -> unit) =
        let size = Shape.size target
        if size > 0 then
            let chunkLimit = chunkElements<'T> stores size
            let layouts =
                arguments |> Array.map (fun (shape, data) ->
                    if data.Length = size then data, 1
                    else
                        match repeatOf shape target with
                        | ValueSome repeat -> data, repeat
                        | ValueNone -> broadcastData shape data target, 1)
            // Every period (repeat × size) is the size of trailing axes of `target`, so each divides
            // the longer ones: chunks of a multiple of the longest period that fits start where all
            // the shorter periods do, and ending chunks also at the multiples of the shortest longer
            // period keeps an argument read in place from wrapping within a chunk.
            let periods = layouts |> Array.choose (fun (data, repeat) -> if data.Length = size then None else Some(repeat * data.Length))
            let chunkBase = periods |> Array.filter (fun p -> p <= chunkLimit) |> Array.fold max 1
            // Every period divides `size`, so the chunk stays a multiple of the longest one that
            // fits, and a small result is one chunk (its buffers no longer than itself).
            let chunk = min size (chunkBase * (chunkLimit / chunkBase))
            // A run (a repeat, also the size of trailing axes) that is a multiple of `chunkBase`
            // keeps chunks starting where the tiled periods do.
            let runEnds =
                if not valueRuns then [||]
                else
                    layouts |> Array.choose (fun (data, repeat) ->
                        if data.Length > 1 && repeat >= shortestValueRun && repeat * data.Length > chunk && repeat % chunkBase = 0 then Some repeat else None)
            let boundary = Array.append (periods |> Array.filter (fun p -> p > chunk)) runEnds |> Array.fold min size
            let readers = layouts |> Array.map (fun (data, repeat) -> new BroadcastReader<'T>(data, repeat, size, chunk))
            try
                let mutable start = 0
                while start < size do
                    let length = min chunk (min (size - start) (boundary - start % boundary))
                    body readers start length
                    start <- start + length
            finally
                for reader in readers do (reader :> IDisposable).Dispose()

    /// A binary elementwise kernel with NumPy broadcasting over the elements of arrays of shapes
    /// `shapeA` and `shapeB`, giving the elements of the result of shape `shape`: one call of
    /// the vector kernel when neither argument is stretched, else one per chunk (`broadcastChunks`),
    /// of a kernel taking an argument as a value where the chunk meets one element of it.
    let private binaryData<'T> (stores: Stores) (kernels: BinaryKernels<'T>) (shape: int[]) (shapeA: int[]) (dataA: 'T[]) (shapeB: int[]) (dataB: 'T[]) : 'T[] =
        let out = GC.AllocateUninitializedArray<'T>(Shape.size shape)
        if dataA.Length = out.Length && dataB.Length = out.Length then kernels.Spans.Invoke(ReadOnlySpan<'T> dataA, ReadOnlySpan<'T> dataB, Span<'T> out)
        else
            let valueRuns = kernels.ValueSpan.IsSome || kernels.SpanValue.IsSome
            broadcastChunks stores valueRuns shape [| shapeA, dataA; shapeB, dataB |] (fun readers start length ->
                let a, b = readers[0], readers[1]
                let dest = Span<'T>(out, start, length)
                let first = if kernels.ValueSpan.IsSome then a.OneElement(start, length) else -1
                let second = if first < 0 && kernels.SpanValue.IsSome then b.OneElement(start, length) else -1
                if first >= 0 then kernels.ValueSpan.Value.Invoke(a.Data[first], b.Read(start, length), dest)
                elif second >= 0 then kernels.SpanValue.Value.Invoke(a.Read(start, length), b.Data[second], dest)
                else kernels.Spans.Invoke(a.Read(start, length), b.Read(start, length), dest))
        out

    /// A binary elementwise kernel with NumPy broadcasting, storing as `stores` says.
    let binary (stores: Stores) (kernels: BinaryKernels<double>) (shape: int[]) (a: NdArray) (b: NdArray) =
        if shape.Length = 0 then
            let mutable left = a.Scalar
            let mutable right = b.Scalar
            let mutable output = 0.0
            kernels.Spans.Invoke(MemoryMarshal.CreateReadOnlySpan(&left, 1), MemoryMarshal.CreateReadOnlySpan(&right, 1), MemoryMarshal.CreateSpan(&output, 1))
            NdArray.scalar output
        else NdArray(shape, binaryData stores kernels shape a.Shape a.Data b.Shape b.Data)

    /// `binary` on float32 arrays.
    let binary32 (stores: Stores) (kernels: BinaryKernels<float32>) (shape: int[]) (a: NdArray) (b: NdArray) =
        NdArray.ofSingle shape (binaryData stores kernels shape a.Shape a.Single b.Shape b.Single)

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

    /// d = c ≠ 0 ? a : b elementwise (NaN counts as non-zero), in vector lanes, for float64
    /// and float32 elements.
    let inline private selectInto (c: ReadOnlySpan< ^T>) (a: ReadOnlySpan< ^T>) (b: ReadOnlySpan< ^T>) (d: Span< ^T>) =
        let width = Numerics.Vector< ^T>.Count
        let zero = LanguagePrimitives.GenericZero< ^T>
        let mutable i = 0
        if Numerics.Vector.IsHardwareAccelerated then
            // The spans read as spans of vectors: one bounds check per vector, where a slice
            // and a vector made from it cost several.
            let cv = MemoryMarshal.Cast< ^T, Numerics.Vector< ^T>> c
            let av = MemoryMarshal.Cast< ^T, Numerics.Vector< ^T>> a
            let bv = MemoryMarshal.Cast< ^T, Numerics.Vector< ^T>> b
            let dv = MemoryMarshal.Cast< ^T, Numerics.Vector< ^T>> d
            for v in 0 .. dv.Length - 1 do
                dv[v] <- Numerics.Vector.ConditionalSelect(Numerics.Vector.Equals(cv[v], Numerics.Vector< ^T>.Zero), bv[v], av[v])
            i <- dv.Length * width
        while i < c.Length do
            d[i] <- (if c[i] <> zero then a[i] else b[i])
            i <- i + 1

    /// The elements of select(cond, a, b) (`select`) at the broadcast shape `shape`.
    let private selectData<'T> (kernel: SpanTernaryOf<'T>) (shape: int[]) (cond: int[] * 'T[]) (a: int[] * 'T[]) (b: int[] * 'T[]) : 'T[] =
        let out = GC.AllocateUninitializedArray<'T>(Shape.size shape)
        broadcastChunks Stores.Cached false shape [| cond; a; b |] (fun readers start length ->
            kernel.Invoke(readers[0].Read(start, length), readers[1].Read(start, length), readers[2].Read(start, length), Span<'T>(out, start, length)))
        out

    /// select(cond, a, b) with broadcasting: a where cond is non-zero, else b.
    let select (shape: int[]) (cond: NdArray) (a: NdArray) (b: NdArray) =
        NdArray(Array.copy shape, selectData (SpanTernaryOf<double>(fun c a b d -> selectInto c a b d)) shape (cond.Shape, cond.Data) (a.Shape, a.Data) (b.Shape, b.Data))

    /// `select` on float32 arrays.
    let select32 (shape: int[]) (cond: NdArray) (a: NdArray) (b: NdArray) =
        NdArray.ofSingle (Array.copy shape) (selectData (SpanTernaryOf<float32>(fun c a b d -> selectInto c a b d)) shape (cond.Shape, cond.Single) (a.Shape, a.Single) (b.Shape, b.Single))

    /// d = relu(x) elementwise — x where x > 0, NaN where x is NaN, else +0 (as
    /// `ScalarFunctions.Relu`) — in vector lanes: a branch per element mispredicts on about half
    /// the elements of an activation, which made a scalar map 4–5× slower than an addition.
    let inline private reluInto (x: ReadOnlySpan< ^T>) (d: Span< ^T>) =
        let zero = LanguagePrimitives.GenericZero< ^T>
        let mutable i = 0
        if Numerics.Vector.IsHardwareAccelerated then
            let xv = MemoryMarshal.Cast< ^T, Numerics.Vector< ^T>> x
            let dv = MemoryMarshal.Cast< ^T, Numerics.Vector< ^T>> d
            for v in 0 .. dv.Length - 1 do
                let lanes = xv[v]
                let keep = Numerics.Vector.BitwiseOr(Numerics.Vector.GreaterThan(lanes, Numerics.Vector< ^T>.Zero), Numerics.Vector.OnesComplement(Numerics.Vector.Equals(lanes, lanes)))
                dv[v] <- Numerics.Vector.ConditionalSelect(keep, lanes, Numerics.Vector< ^T>.Zero)
            i <- dv.Length * Numerics.Vector< ^T>.Count
        while i < x.Length do
            let value = x[i]
            d[i] <- (if value > zero || value <> value then value else zero)
            i <- i + 1

    /// The relu kernel on float64 spans.
    let reluKernel = SpanUnary(fun x d -> reluInto x d)

    /// The relu kernel on float32 spans.
    let reluKernel32 = SpanUnaryOf<float32>(fun x d -> reluInto x d)

    /// The kinds of reduction a primitive can ask for.
    type Reduction =
        | Sum
        | Max
        | Min

    // The reductions are generic in the element type; float32 uses them for max and min,
    // which are exact in any precision (float32 sums accumulate in float64: `sum32`).

    /// Rows shorter than this are summed by a loop over their elements: TensorPrimitives' call
    /// per row costs more than such a row's work (the ten classes of a row of logits).
    let private shortRow = 16

    /// Σ row added left to right (0 for an empty row).
    let inline private sumLeftToRight<'T when 'T :> Numerics.INumber<'T>> (row: ReadOnlySpan<'T>) =
        let mutable total = 'T.Zero
        if not row.IsEmpty then
            total <- row[0]
            for k in 1 .. row.Length - 1 do total <- total + row[k]
        total

    /// dest[o] = the reduction of row o of `src`, rows of n elements one after another (n > 0
    /// for Max and Min). A short row (`shortRow`) is summed left to right, the same on every
    /// machine; a longer one by TensorPrimitives, in the order of its vector lanes. The kind is
    /// matched once, not per row: with ten elements a row, a call and a match per row cost as
    /// much as the additions. Compiled plans sum with it too (`DestinationKernels.sumInto`), so
    /// they add in the eager order. Compiled fully optimised at once (`Tiering`): a training
    /// run's bias gradients go through it from the first step.
    let reduceRows<'T when 'T :> Numerics.INumber<'T>> kind (n: int) (src: ReadOnlySpan<'T>) (dest: Span<'T>) =
        Tiering.optimisedAtOnce ()
        match kind with
        | Sum when n < shortRow -> for o in 0 .. dest.Length - 1 do dest[o] <- sumLeftToRight (src.Slice(o * n, n))
        | Sum -> for o in 0 .. dest.Length - 1 do dest[o] <- TensorPrimitives.Sum(src.Slice(o * n, n))
        | Max -> for o in 0 .. dest.Length - 1 do dest[o] <- TensorPrimitives.Max(src.Slice(o * n, n))
        | Min -> for o in 0 .. dest.Length - 1 do dest[o] <- TensorPrimitives.Min(src.Slice(o * n, n))

    /// The reduction of one row (`reduceRows` of one row).
    let private reduceRow<'T when 'T :> Numerics.INumber<'T>> kind (row: ReadOnlySpan<'T>) =
        let mutable result = 'T.Zero
        reduceRows kind row.Length row (MemoryMarshal.CreateSpan(&result, 1))
        result

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
        // Over a non-empty axis every result is written, so the buffer is not filled first.
        let out = if n > 0 then GC.AllocateUninitializedArray<'T>(outer * inner) else Array.create (outer * inner) identity
        if n > 0 then
            if inner = 1 then reduceRows kind n (ReadOnlySpan<'T> data) (Span<'T> out)
            else
                for o in 0 .. outer - 1 do
                    let baseOffset = o * n * inner
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

    /// The side of the square tiles a transpose moves: both its reads and its writes stay within
    /// a few cache lines per tile row (a 10 000 × 1 000 float64 transpose took 24–27 ms in tiles
    /// of 32, 18–19 in tiles of 64 and 20–22 in tiles of 128 on the CI's AMD EPYC, 4 December 2026).
    let private transposeTile = 64

    /// Transposes of at least this many elements are split over the cores by blocks of source
    /// rows (the 10 000 × 1 000 one: 13–14 ms on two cores).
    let private parallelTransposeElements = 1 <<< 18

    /// dest[j, i] = src[i, j] for the source rows lo ≤ i < hi of a rows × cols source, tile by
    /// tile.
    let private transposeRows (rows: int) (cols: int) (src: 'T[]) (dest: 'T[]) (lo: int) (hi: int) =
        for i0 in lo .. transposeTile .. hi - 1 do
            for j0 in 0 .. transposeTile .. cols - 1 do
                for i in i0 .. min hi (i0 + transposeTile) - 1 do
                    for j in j0 .. min cols (j0 + transposeTile) - 1 do
                        dest[j * rows + i] <- src[i * cols + j]

    /// dest[j, i] = src[i, j] for a rows × cols source, large ones in parts of whole tile rows on
    /// the thread pool.
    let private transposeInto (rows: int) (cols: int) (src: 'T[]) (dest: 'T[]) =
        let blocks = (rows + transposeTile - 1) / transposeTile
        let parts = if int64 rows * int64 cols >= int64 parallelTransposeElements then min Environment.ProcessorCount blocks else 1
        if parts <= 1 then transposeRows rows cols src dest 0 rows
        else
            let boundary part = min rows (part * blocks / parts * transposeTile)
            Threading.Tasks.Parallel.For(0, parts, fun part -> transposeRows rows cols src dest (boundary part) (boundary (part + 1))) |> ignore

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

    /// Whether a permutation swaps the last two axes and keeps the others: a matrix transpose,
    /// of one matrix or of each in a batch.
    let swapsLastAxes (perm: int[]) =
        let rank = perm.Length
        rank >= 2 && perm[rank - 2] = rank - 1 && perm[rank - 1] = rank - 2 && Array.forall2 (=) perm[.. rank - 3] (Array.init (rank - 2) id)

    /// Eager transposes of at least this many elements are deferred: copying them costs more than
    /// the deferral (a 10 000 × 1 000 transpose 15–17 ms, a 256 × 256 one about 0.1 ms).
    let private deferredTransposeElements = 1 <<< 16

    /// Permutes dimensions: result dimension i is input dimension perm[i]. A large swap of the
    /// last two axes is deferred (`NdArray.deferred`): it names x as the matrix it transposes,
    /// which matrix products read through their transpose flag (`LinAlgKernels.matmul`), and its
    /// elements are moved only when something else first reads them, from the buffer x has now
    /// (x is marked shared, so donation never reuses that buffer). Other permutes move their
    /// elements at once: deferred, they read their argument after it has left the cache (the
    /// eager convolution's permutes took 5–8 % longer that way).
    let permute (perm: int[]) (x: NdArray) =
        let shape = perm |> Array.map (fun p -> x.Shape[p])
        if x.Size < deferredTransposeElements || not (swapsLastAxes perm) then sameType x shape (permuteData perm x.Shape) (permuteData perm x.Shape)
        else
            let source, inShape = x.Buffer, x.Shape
            x.MarkShared()
            NdArray.deferred shape x.DType x (fun () ->
                match source with
                | :? (float32[]) as single -> permuteData perm inShape single :> Array
                | _ -> permuteData perm inShape (source :?> double[]) :> Array)

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

    /// dest[destStart …] = source[sourceStart …] for `length` elements: a block of a few elements
    /// (the entries and slots a compact batch's steps move: 900 single entries gathered in the
    /// eager Hessian at n = 300) by a loop, where a copy call per block cost more than the block.
    let inline private copyBlock (source: 'T[]) (sourceStart: int) (dest: 'T[]) (destStart: int) (length: int) =
        if length < 16 then
            for j in 0 .. length - 1 do dest[destStart + j] <- source[sourceStart + j]
        else ReadOnlySpan<'T>(source, sourceStart, length).CopyTo(Span<'T>(dest, destStart, length))

    /// The elements of `gather` from the elements of an array of shape `inShape`.
    let private gatherData (axis: int) (indices: int[]) (inShape: int[]) (data: 'T[]) : 'T[] =
        let outer = Shape.size inShape[.. axis - 1]
        let n = inShape[axis]
        let inner = Shape.size inShape[axis + 1 ..]
        let m = indices.Length
        let out = GC.AllocateUninitializedArray<'T>(outer * m * inner)
        for o in 0 .. outer - 1 do
            for j in 0 .. m - 1 do copyBlock data ((o * n + indices[j]) * inner) out ((o * m + j) * inner) inner
        out

    /// Takes entries along `axis` at the given indices (repeats allowed).
    let gather (axis: int) (indices: int[]) (x: NdArray) =
        let shape = x.Shape |> Array.mapi (fun i d -> if i = axis then indices.Length else d)
        sameType x shape (gatherData axis indices x.Shape) (gatherData axis indices x.Shape)

    /// The elements of `scatterAdd` from the elements of `g`.
    /// Entries of one element are added directly, as in `gatherData`.
    let private scatterAddData<'T when 'T :> Numerics.INumber<'T>> (shape: int[]) (axis: int) (indices: int[]) (data: 'T[]) : 'T[] =
        let outer = Shape.size shape[.. axis - 1]
        let n = shape[axis]
        let inner = Shape.size shape[axis + 1 ..]
        let m = indices.Length
        let out: 'T[] = Array.zeroCreate (Shape.size shape)
        for o in 0 .. outer - 1 do
            if inner = 1 then
                for j in 0 .. m - 1 do
                    let target = o * n + indices[j]
                    out[target] <- out[target] + data[o * m + j]
            else
                for j in 0 .. m - 1 do
                    let dest = Span<'T>(out, (o * n + indices[j]) * inner, inner)
                    TensorPrimitives.Add(Span<'T>.op_Implicit dest, ReadOnlySpan<'T>(data, (o * m + j) * inner, inner), dest)
        out

    /// The transpose of `gather`: adds the rows of `g` into zeros of `shape` at the indices.
    let scatterAdd (shape: int[]) (axis: int) (indices: int[]) (g: NdArray) =
        sameType g (Array.copy shape) (scatterAddData shape axis indices) (scatterAddData shape axis indices)
    /// out = the parts (of shapes `partShapes`, elements `sources`) joined along `axis`: for each
    /// index before the axis, each part's block in turn (`copyBlock`). Compiled plans write a
    /// concatenation into their buffer with it.
    let concatInto<'T> (axis: int) (partShapes: int[][]) (sources: 'T[][]) (out: 'T[]) =
        let first = partShapes[0]
        let outer = Shape.size first[.. axis - 1]
        let inner = Shape.size first[axis + 1 ..]
        let blocks = partShapes |> Array.map (fun shape -> shape[axis] * inner)
        let mutable position = 0
        for o in 0 .. outer - 1 do
            for k in 0 .. sources.Length - 1 do
                copyBlock sources[k] (o * blocks[k]) out position blocks[k]
                position <- position + blocks[k]

    /// The elements of `concat` from the parts' elements (`data` of each part).
    let private concatData (axis: int) (shape: int[]) (parts: NdArray[]) (data: NdArray -> 'T[]) : 'T[] =
        let out = GC.AllocateUninitializedArray<'T>(Shape.size shape)
        concatInto axis (parts |> Array.map (fun p -> p.Shape)) (parts |> Array.map data) out
        out

    /// Joins arrays (all of one element type) along `axis`; all other dimensions agree.
    let concat (axis: int) (parts: NdArray[]) =
        let first = parts[0].Shape
        let total = parts |> Array.sumBy (fun p -> p.Shape[axis])
        let shape = first |> Array.mapi (fun i d -> if i = axis then total else d)
        sameType parts[0] shape (fun _ -> concatData axis shape parts (fun p -> p.Data)) (fun _ -> concatData axis shape parts (fun p -> p.Single))
