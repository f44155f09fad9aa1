namespace FunctionalAD

open System
open System.Numerics
open System.Runtime.CompilerServices

/// A cache-blocked matrix product over row-major buffers, for the managed provider: MathNet's
/// managed product copies its transposed operands (about 7.8 MB per step of the benchmarks'
/// MLP) and runs at ~5 GFLOP/s on two threads on the CI machine. This is the GotoBLAS scheme on
/// .NET vectors: a `depth`-deep slice of op(A) is packed once into tiles of `rows` rows, slices
/// of op(B) into tiles of `columns` columns (zero-padded at the edges, so the inner kernel has
/// no edge cases), and a register-resident `rows` × `columns` block of C accumulates the
/// products of one A tile and one B tile. Transposes are absorbed by the packing, and the
/// packing buffers are reused per thread, so a product allocates nothing in the steady state.
/// The loops are compiled fully optimised at once: under tiered compilation a program's first
/// products would otherwise run unoptimised code, 3× slower, for their first dozen calls.
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
    /// Elements of one vector.
    let inline private lanes () = Vector<double>.Count
    /// Columns of C per register block.
    let inline private columns () = 2 * Vector<double>.Count

    /// `buffer`, or a new one when it is missing or shorter than `size`.
    let private atLeast (size: int) (buffer: double[]) = if isNull buffer || buffer.Length < size then Array.zeroCreate size else buffer

    type private Workspace() =
        [<ThreadStatic; DefaultValue>]
        static val mutable private packedA: double[]
        [<ThreadStatic; DefaultValue>]
        static val mutable private packedB: double[]
        [<ThreadStatic; DefaultValue>]
        static val mutable private edge: double[]
        static member A(size: int) =
            Workspace.packedA <- atLeast size Workspace.packedA
            Workspace.packedA
        static member B(size: int) =
            Workspace.packedB <- atLeast size Workspace.packedB
            Workspace.packedB
        /// Scratch for a register block at the edge of C.
        static member Edge =
            Workspace.edge <- atLeast (rows * columns ()) Workspace.edge
            Workspace.edge

    /// Packs op(A)[0 .. m-1, p0 .. p0+kc-1] as tiles of `rows` rows: tile t holds, for each p,
    /// the `rows` elements of column p (zero beyond row m).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private packA (transA: bool) (a: double[]) (ca: int) (m: int) (p0: int) (kc: int) (packed: double[]) =
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
                    for p in 0 .. kc - 1 do packed[tile + p * rows + r] <- 0.0

    /// Packs op(B)[p0 .. p0+kc-1, j0 .. j0+nc-1] as tiles of `columns` columns: tile u holds,
    /// for each p, the `columns` elements of row p (zero beyond column n).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private packB (transB: bool) (b: double[]) (cb: int) (n: int) (p0: int) (kc: int) (j0: int) (nc: int) (packed: double[]) =
        let tiles = (nc + columns () - 1) / columns ()
        for u in 0 .. tiles - 1 do
            let tile = u * kc * columns ()
            for p in 0 .. kc - 1 do
                let target = tile + p * columns ()
                for q in 0 .. columns () - 1 do
                    let j = j0 + u * columns () + q
                    packed[target + q] <-
                        if j >= n then 0.0
                        elif transB then b[j * cb + p0 + p]
                        else b[(p0 + p) * cb + j]

    /// C[i0 .., j0 ..] += (A tile) · (B tile) over kc steps, for the valid part of the block.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private block (packedA: double[]) (aTile: int) (packedB: double[]) (bTile: int) (kc: int) (c: double[]) (n: int) (i0: int) (j0: int) (validRows: int) (validColumns: int) =
        let mutable c00 = Vector<double>.Zero
        let mutable c01 = Vector<double>.Zero
        let mutable c10 = Vector<double>.Zero
        let mutable c11 = Vector<double>.Zero
        let mutable c20 = Vector<double>.Zero
        let mutable c21 = Vector<double>.Zero
        let mutable c30 = Vector<double>.Zero
        let mutable c31 = Vector<double>.Zero
        for p in 0 .. kc - 1 do
            let b0 = Vector<double>(packedB, bTile + p * columns ())
            let b1 = Vector<double>(packedB, bTile + p * columns () + lanes ())
            let a = aTile + p * rows
            let a0 = Vector<double>(packedA[a])
            c00 <- Vector.MultiplyAddEstimate(a0, b0, c00)
            c01 <- Vector.MultiplyAddEstimate(a0, b1, c01)
            let a1 = Vector<double>(packedA[a + 1])
            c10 <- Vector.MultiplyAddEstimate(a1, b0, c10)
            c11 <- Vector.MultiplyAddEstimate(a1, b1, c11)
            let a2 = Vector<double>(packedA[a + 2])
            c20 <- Vector.MultiplyAddEstimate(a2, b0, c20)
            c21 <- Vector.MultiplyAddEstimate(a2, b1, c21)
            let a3 = Vector<double>(packedA[a + 3])
            c30 <- Vector.MultiplyAddEstimate(a3, b0, c30)
            c31 <- Vector.MultiplyAddEstimate(a3, b1, c31)
        if validRows = rows && validColumns = columns () then
            let add (row: int) (left: Vector<double>) (right: Vector<double>) =
                let at = (i0 + row) * n + j0
                (Vector<double>(c, at) + left).CopyTo(c, at)
                (Vector<double>(c, at + lanes ()) + right).CopyTo(c, at + lanes ())
            add 0 c00 c01
            add 1 c10 c11
            add 2 c20 c21
            add 3 c30 c31
        else
            let edge = Workspace.Edge
            c00.CopyTo(edge, 0)
            c01.CopyTo(edge, lanes ())
            c10.CopyTo(edge, columns ())
            c11.CopyTo(edge, columns () + lanes ())
            c20.CopyTo(edge, 2 * columns ())
            c21.CopyTo(edge, 2 * columns () + lanes ())
            c30.CopyTo(edge, 3 * columns ())
            c31.CopyTo(edge, 3 * columns () + lanes ())
            for r in 0 .. validRows - 1 do
                for q in 0 .. validColumns - 1 do
                    c[(i0 + r) * n + j0 + q] <- c[(i0 + r) * n + j0 + q] + edge[r * columns () + q]

    /// Products of at least this many multiply-adds per depth slice split their column chunks
    /// over the thread pool; below it, handing work to another core costs more than it saves.
    [<Literal>]
    let private parallelWork = 1_048_576

    /// C[:, j0 .. j0+nc-1] += (packed A slice) · op(B)[p0 .., j0 ..]: one column chunk, with its
    /// B tiles packed into this thread's buffer. Chunks write disjoint columns of C, so they
    /// may run on different threads.
    let private chunkProduct (transB: bool) (b: double[]) (cb: int) (c: double[]) (m: int) (n: int) (p0: int) (kc: int) (packedA: double[]) (j0: int) =
        let nc = min chunk (n - j0)
        let packedB = Workspace.B(chunk * depth)
        packB transB b cb n p0 kc j0 nc packedB
        let rowTiles = (m + rows - 1) / rows
        for u in 0 .. (nc + columns () - 1) / columns () - 1 do
            let jBlock = j0 + u * columns ()
            for t in 0 .. rowTiles - 1 do
                block packedA (t * kc * rows) packedB (u * kc * columns ()) kc c n (t * rows) jBlock (min rows (m - t * rows)) (min (columns ()) (n - jBlock))

    /// C = op(A) · op(B) with C m × n, overwritten; A is stored with `ca` columns and B with `cb`.
    /// Large products spread their column chunks over the cores; each element of C is still
    /// computed by one thread in one order, so results do not depend on the number of cores.
    let into (transA: bool) (transB: bool) (a: double[]) (ca: int) (b: double[]) (cb: int) (c: double[]) (m: int) (n: int) (inner: int) =
        Array.Clear(c, 0, m * n)
        let rowTiles = (m + rows - 1) / rows
        let packedA = Workspace.A(rowTiles * rows * min depth inner)
        let chunks = (n + chunk - 1) / chunk
        for p0 in 0 .. depth .. inner - 1 do
            let kc = min depth (inner - p0)
            packA transA a ca m p0 kc packedA
            if chunks > 1 && int64 m * int64 n * int64 kc >= int64 parallelWork && Environment.ProcessorCount > 1 then
                Threading.Tasks.Parallel.For(0, chunks, fun j -> chunkProduct transB b cb c m n p0 kc packedA (j * chunk)) |> ignore
            else
                for j in 0 .. chunks - 1 do chunkProduct transB b cb c m n p0 kc packedA (j * chunk)
