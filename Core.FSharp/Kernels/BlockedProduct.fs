namespace FunctionalAD

open System
open System.Numerics
open System.Runtime.CompilerServices
open Microsoft.FSharp.NativeInterop

#nowarn "9" // NativePtr.stackalloc: a register block at the edge of C is stored on the stack (see `block`)

/// A cache-blocked matrix product over row-major buffers, for the managed provider: MathNet's
/// managed product copies its transposed operands (about 7.8 MB per step of the benchmarks'
/// MLP) and runs at ~5 GFLOP/s on two threads on the CI machine. This is the GotoBLAS scheme on
/// .NET vectors: a `depth`-deep slice of op(A) is packed once into tiles of `rows` rows, slices
/// of op(B) into tiles of `columns` columns (zero-padded at the edges, so the inner kernel has
/// no edge cases), and a register-resident `rows` × `columns` block of C accumulates the
/// products of one A tile and one B tile. Transposes are absorbed by the packing, and the
/// packing buffers are reused per thread, so a product allocates nothing in the steady state.
/// Its loops are compiled fully optimised at once (`Tiering`; the inner kernel's own buffer on
/// the stack does it for `block`).
module internal BlockedProduct =
    // Constants the JIT can fold into the loops (literals, and the vector width, which it knows).
    /// Rows of C per register block: 4 rows × 2 vectors = 8 accumulators, which leaves room in
    /// 16 vector registers for two B vectors and a broadcast A element.
    [<Literal>]
    let private rows = 4
    /// Depth of one packed slice: a B tile (depth × columns) then stays in L1.
    [<Literal>]
    let private depth = 256
    /// Columns of op(B) packed at a time: with the packed A slice they stay in L2.
    [<Literal>]
    let private chunk = 128
    // The kernel is generic in the element type (float64 and float32): the JIT compiles each
    // instantiation over value types separately, with the vector width of that type.
    /// Elements of one vector.
    let inline private lanes<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType> () = Vector<'T>.Count
    /// Columns of C per register block.
    let inline private columns<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType> () = 2 * Vector<'T>.Count

    /// `buffer`, or a new one when it is missing or shorter than `size`.
    let private atLeast (size: int) (buffer: 'T[]) = if isNull buffer || buffer.Length < size then Array.zeroCreate size else buffer

    type private Workspace<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType>() =
        [<ThreadStatic; DefaultValue>]
        static val mutable private packedA: 'T[]
        [<ThreadStatic; DefaultValue>]
        static val mutable private packedB: 'T[]
        static member A(size: int) =
            Workspace<'T>.packedA <- atLeast size Workspace<'T>.packedA
            Workspace<'T>.packedA
        static member B(size: int) =
            Workspace<'T>.packedB <- atLeast size Workspace<'T>.packedB
            Workspace<'T>.packedB

    /// Packs op(A)[0 .. m-1, p0 .. p0+kc-1] as tiles of `rows` rows: tile t holds, for each p,
    /// the `rows` elements of column p (zero beyond row m).
    let private packA (transA: bool) (a: 'T[]) (ca: int) (m: int) (p0: int) (kc: int) (packed: 'T[]) =
        Tiering.optimisedAtOnce ()
        let tiles = (m + rows - 1) / rows
        for t in 0 .. tiles - 1 do
            let tile = t * kc * rows
            for r in 0 .. rows - 1 do
                let i = t * rows + r
                if i < m then
                    if transA then
                        for p in 0 .. kc - 1 do packed[tile + p * rows + r] <- a[(p0 + p) * ca + i]
                    else
                        let row = i * ca + p0
                        for p in 0 .. kc - 1 do packed[tile + p * rows + r] <- a[row + p]
                else
                    for p in 0 .. kc - 1 do packed[tile + p * rows + r] <- Unchecked.defaultof<'T>

    /// Packs op(B)[p0 .. p0+kc-1, j0 .. j0+nc-1] as tiles of `columns` columns: tile u holds,
    /// for each p, the `columns` elements of row p (zero beyond column n).
    let private packB (transB: bool) (b: 'T[]) (cb: int) (n: int) (p0: int) (kc: int) (j0: int) (nc: int) (packed: 'T[]) =
        Tiering.optimisedAtOnce ()
        let tiles = (nc + columns<'T> () - 1) / columns<'T> ()
        for u in 0 .. tiles - 1 do
            let tile = u * kc * columns<'T> ()
            for p in 0 .. kc - 1 do
                let target = tile + p * columns<'T> ()
                for q in 0 .. columns<'T> () - 1 do
                    let j = j0 + u * columns<'T> () + q
                    packed[target + q] <-
                        if j >= n then Unchecked.defaultof<'T>
                        elif transB then b[j * cb + p0 + p]
                        else b[(p0 + p) * cb + j]

    /// a · b + c in vector lanes (fused where the hardware fuses), for float64 or float32: the
    /// runtime's multiply-add has no generic form, and the type test is a constant the JIT
    /// folds away in each instantiation.
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    let private multiplyAdd (a: Vector<'T>) (b: Vector<'T>) (c: Vector<'T>) : Vector<'T> =
        if Type.op_Equality(typeof<'T>, typeof<double>) then
            Vector.As<double, 'T>(Vector.MultiplyAddEstimate(Vector.As<'T, double> a, Vector.As<'T, double> b, Vector.As<'T, double> c))
        else Vector.As<float32, 'T>(Vector.MultiplyAddEstimate(Vector.As<'T, float32> a, Vector.As<'T, float32> b, Vector.As<'T, float32> c))

    /// x + y for the generic element type (at the edges of C only), through one-lane vectors.
    let private plus (x: 'T) (y: 'T) : 'T = Vector.Add(Vector<'T>(x), Vector<'T>(y)).ToScalar()

    /// C[i0 .., j0 ..] += (A tile) · (B tile) over kc steps, for the valid part of the block. A
    /// block at the edge of C goes through a buffer on the stack; that `stackalloc` also makes
    /// the JIT compile this method fully optimised on its first call (a method with a loop and
    /// `stackalloc` cannot be patched for on-stack replacement, so the runtime skips its lowest
    /// tier), where a program's first products would otherwise run unoptimised code, 40× slower
    /// (perf of a first training run on the managed provider, 4 December 2026).
    /// `MethodImplOptions.AggressiveOptimization` is dropped from the IL by the F# compiler.
    let private block (packedA: 'T[]) (aTile: int) (packedB: 'T[]) (bTile: int) (kc: int) (c: 'T[]) (n: int) (i0: int) (j0: int) (validRows: int) (validColumns: int) =
        let mutable c00 = Vector<'T>.Zero
        let mutable c01 = Vector<'T>.Zero
        let mutable c10 = Vector<'T>.Zero
        let mutable c11 = Vector<'T>.Zero
        let mutable c20 = Vector<'T>.Zero
        let mutable c21 = Vector<'T>.Zero
        let mutable c30 = Vector<'T>.Zero
        let mutable c31 = Vector<'T>.Zero
        for p in 0 .. kc - 1 do
            let b0 = Vector<'T>(packedB, bTile + p * columns<'T> ())
            let b1 = Vector<'T>(packedB, bTile + p * columns<'T> () + lanes<'T> ())
            let a = aTile + p * rows
            let a0 = Vector<'T>(packedA[a])
            c00 <- multiplyAdd a0 b0 c00
            c01 <- multiplyAdd a0 b1 c01
            let a1 = Vector<'T>(packedA[a + 1])
            c10 <- multiplyAdd a1 b0 c10
            c11 <- multiplyAdd a1 b1 c11
            let a2 = Vector<'T>(packedA[a + 2])
            c20 <- multiplyAdd a2 b0 c20
            c21 <- multiplyAdd a2 b1 c21
            let a3 = Vector<'T>(packedA[a + 3])
            c30 <- multiplyAdd a3 b0 c30
            c31 <- multiplyAdd a3 b1 c31
        if validRows = rows && validColumns = columns<'T> () then
            let add (row: int) (left: Vector<'T>) (right: Vector<'T>) =
                let at = (i0 + row) * n + j0
                Vector.Add(Vector<'T>(c, at), left).CopyTo(c, at)
                Vector.Add(Vector<'T>(c, at + lanes<'T> ()), right).CopyTo(c, at + lanes<'T> ())
            add 0 c00 c01
            add 1 c10 c11
            add 2 c20 c21
            add 3 c30 c31
        else
            let edge = Span<'T>(NativePtr.toVoidPtr (NativePtr.stackalloc<'T> (rows * columns<'T> ())), rows * columns<'T> ())
            c00.CopyTo(edge)
            c01.CopyTo(edge.Slice(lanes<'T> ()))
            c10.CopyTo(edge.Slice(columns<'T> ()))
            c11.CopyTo(edge.Slice(columns<'T> () + lanes<'T> ()))
            c20.CopyTo(edge.Slice(2 * columns<'T> ()))
            c21.CopyTo(edge.Slice(2 * columns<'T> () + lanes<'T> ()))
            c30.CopyTo(edge.Slice(3 * columns<'T> ()))
            c31.CopyTo(edge.Slice(3 * columns<'T> () + lanes<'T> ()))
            for r in 0 .. validRows - 1 do
                for q in 0 .. validColumns - 1 do
                    c[(i0 + r) * n + j0 + q] <- plus c[(i0 + r) * n + j0 + q] edge[r * columns<'T> () + q]

    /// Products of at least this many multiply-adds per depth slice split their column chunks
    /// over the thread pool; below it, handing work to another core costs more than it saves.
    [<Literal>]
    let private parallelWork = 1_048_576

    /// C[:, j0 .. j0+nc-1] += (packed A slice) · op(B)[p0 .., j0 ..]: one column chunk, with its
    /// B tiles packed into this thread's buffer. Chunks write disjoint columns of C, so they
    /// may run on different threads.
    let private chunkProduct (transB: bool) (b: 'T[]) (cb: int) (c: 'T[]) (m: int) (n: int) (p0: int) (kc: int) (packedA: 'T[]) (j0: int) =
        Tiering.optimisedAtOnce ()
        let nc = min chunk (n - j0)
        let packedB = Workspace<'T>.B(chunk * depth)
        packB transB b cb n p0 kc j0 nc packedB
        let rowTiles = (m + rows - 1) / rows
        for u in 0 .. (nc + columns<'T> () - 1) / columns<'T> () - 1 do
            let jBlock = j0 + u * columns<'T> ()
            for t in 0 .. rowTiles - 1 do
                block packedA (t * kc * rows) packedB (u * kc * columns<'T> ()) kc c n (t * rows) jBlock (min rows (m - t * rows)) (min (columns<'T> ()) (n - jBlock))

    /// C = op(A) · op(B) with C m × n, overwritten; A is stored with `ca` columns and B with `cb`.
    /// Large products spread their column chunks over the cores; each element of C is still
    /// computed by one thread in one order, so results do not depend on the number of cores.
    let into (transA: bool) (transB: bool) (a: 'T[]) (ca: int) (b: 'T[]) (cb: int) (c: 'T[]) (m: int) (n: int) (inner: int) =
        Array.Clear(c, 0, m * n)
        let rowTiles = (m + rows - 1) / rows
        let packedA = Workspace<'T>.A(rowTiles * rows * min depth inner)
        let chunks = (n + chunk - 1) / chunk
        for p0 in 0 .. depth .. inner - 1 do
            let kc = min depth (inner - p0)
            packA transA a ca m p0 kc packedA
            if chunks > 1 && int64 m * int64 n * int64 kc >= int64 parallelWork && Environment.ProcessorCount > 1 then
                Threading.Tasks.Parallel.For(0, chunks, fun j -> chunkProduct transB b cb c m n p0 kc packedA (j * chunk)) |> ignore
            else
                for j in 0 .. chunks - 1 do chunkProduct transB b cb c m n p0 kc packedA (j * chunk)
