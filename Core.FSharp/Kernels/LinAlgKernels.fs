namespace FunctionalAD

open System
open System.Buffers
open System.Numerics.Tensors
open System.Runtime.CompilerServices
open System.Runtime.InteropServices
open System.Runtime.Intrinsics
open System.Threading.Tasks
open MathNet.Numerics.LinearAlgebra
open MathNet.Numerics.Providers.LinearAlgebra

/// Raised when a linear-algebra operation meets a matrix it cannot handle (singular, not
/// positive definite); names the operation and the shape.
type LinearAlgebraException(operation: string, shape: int[], detail: string) =
    inherit ArithmeticException(sprintf "%s: %s (matrix of shape %s)" operation detail (Shape.format shape))
    /// The operation that failed.
    member _.Operation = operation

/// Matrix kernels. Products go to the active native provider (OpenBLAS or CUDA) when they are
/// large enough to gain from it, otherwise (and always on MathNet's managed provider) to our own
/// copy-free kernels (`BlockedProduct`, and row loops for matrix–vector products); factorizations go through MathNet's matrices and its provider.
module internal LinAlgKernels =
    /// Matrix–vector products of at least this many matrix elements are split into parts that
    /// run on the thread pool: they are bound by reading the matrix, and two cores read it
    /// 1.8–2× as fast as one on the CI machine.
    let private parallelElements = 1 <<< 18

    /// How many parts a product over `elements` matrix elements is split into: a function of
    /// the size alone (at most 8), so sums are grouped the same way on every machine.
    let private partsFor (elements: int64) = int (min 8L (max 1L (elements / int64 parallelElements)))

    /// Runs `body part lo hi` over `parts` consecutive ranges of 0 .. count-1, in parallel when
    /// there is more than one (inlined, so a product on one part allocates no closure).
    let inline private inParts (parts: int) (count: int) ([<InlineIfLambda>] body: int -> int -> int -> unit) =
        if parts = 1 then body 0 0 count
        else Parallel.For(0, parts, fun p -> body p (p * count / parts) ((p + 1) * count / parts)) |> ignore

    // The matrix–vector kernels are generic in the element type (float64, float32) and in the
    // lanes they run in: `Vector512` where the machine accelerates it, else `Vector` (256 bits on
    // AVX2 and AVX-512 machines alike). They read the matrix once and are bound by that read; at
    // 10 000 × 1 000 (the logistic gradient's data) X·w read 35–41 GB/s in 256-bit lanes and
    // 42–44 in 512-bit ones on two cores of the CI's AMD EPYC, OpenBLAS's gemv 50–55 (4 December
    // 2026, fresh processes alternated; BENCHMARKS.md).

    /// Whether rows of `length` elements go through 512-bit lanes: where the machine accelerates
    /// them, unless they leave more of each row to the scalar tail than `Vector`'s lanes do (a
    /// 300-element float64 row leaves 4 elements to it in 512-bit lanes and none in 256-bit ones:
    /// its weighted row sums took 1.1–1.2× as long in the wider lanes).
    let private wideLanes<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType> (length: int) =
        Vector512.IsHardwareAccelerated && length % Vector512<'T>.Count <= length % Numerics.Vector<'T>.Count

    /// c[i] = (row i of `matrix`) · vector for lo ≤ i < hi, four rows at a time, in lanes of type
    /// 'V: each lane of `vector` is read once for four rows, and the four sums are independent
    /// chains of adds. One TensorPrimitives.Dot per row waits on its own chain (and pays a call per
    /// row): the loop over a 300 × 300 matrix took 8.6–13.5 µs that way, 6.6–9.6 µs four rows at a
    /// time. The rows left over (fewer than four) go through Dot.
    let inline private rowDotsIn< 'T, 'V when 'T :> Numerics.INumber<'T> and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'V: struct and 'V: (new: unit -> 'V) and 'V :> ValueType>
            ([<InlineIfLambda>] add: 'V -> 'V -> 'V) ([<InlineIfLambda>] multiply: 'V -> 'V -> 'V) ([<InlineIfLambda>] total: 'V -> 'T)
            (matrix: 'T[]) (stride: int) (vector: 'T[]) (length: int) (c: 'T[]) (lo: int) (hi: int) =
        let x = ReadOnlySpan<'T>(vector, 0, length)
        let xv = MemoryMarshal.Cast<'T, 'V> x
        let whole = MemoryMarshal.AsBytes(xv).Length / Unsafe.SizeOf<'T>()
        let mutable i = lo
        while i + 4 <= hi do
            let r0 = MemoryMarshal.Cast<'T, 'V>(ReadOnlySpan<'T>(matrix, i * stride, length))
            let r1 = MemoryMarshal.Cast<'T, 'V>(ReadOnlySpan<'T>(matrix, (i + 1) * stride, length))
            let r2 = MemoryMarshal.Cast<'T, 'V>(ReadOnlySpan<'T>(matrix, (i + 2) * stride, length))
            let r3 = MemoryMarshal.Cast<'T, 'V>(ReadOnlySpan<'T>(matrix, (i + 3) * stride, length))
            let mutable s0 = Unchecked.defaultof<'V>
            let mutable s1 = Unchecked.defaultof<'V>
            let mutable s2 = Unchecked.defaultof<'V>
            let mutable s3 = Unchecked.defaultof<'V>
            // Each row span is as long as `xv` (one row is `length` elements), so the loop reads
            // them through references without a bounds check per row and vector.
            let p0 = &MemoryMarshal.GetReference r0
            let p1 = &MemoryMarshal.GetReference r1
            let p2 = &MemoryMarshal.GetReference r2
            let p3 = &MemoryMarshal.GetReference r3
            for k in 0 .. xv.Length - 1 do
                let xk = xv[k]
                s0 <- add s0 (multiply (Unsafe.Add(&p0, k)) xk)
                s1 <- add s1 (multiply (Unsafe.Add(&p1, k)) xk)
                s2 <- add s2 (multiply (Unsafe.Add(&p2, k)) xk)
                s3 <- add s3 (multiply (Unsafe.Add(&p3, k)) xk)
            let mutable t0 = total s0
            let mutable t1 = total s1
            let mutable t2 = total s2
            let mutable t3 = total s3
            for j in whole .. length - 1 do
                let xj = vector[j]
                t0 <- t0 + matrix[i * stride + j] * xj
                t1 <- t1 + matrix[(i + 1) * stride + j] * xj
                t2 <- t2 + matrix[(i + 2) * stride + j] * xj
                t3 <- t3 + matrix[(i + 3) * stride + j] * xj
            c[i] <- t0
            c[i + 1] <- t1
            c[i + 2] <- t2
            c[i + 3] <- t3
            i <- i + 4
        while i < hi do
            c[i] <- TensorPrimitives.Dot(ReadOnlySpan<'T>(matrix, i * stride, length), x)
            i <- i + 1

    /// `rowDotsIn` in the lanes `wideLanes` picks, compiled optimised on its first call.
    let private rowDotsOf<'T when 'T :> Numerics.INumber<'T> and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType>
            (matrix: 'T[]) (stride: int) (vector: 'T[]) (length: int) (c: 'T[]) (lo: int) (hi: int) =
        Tiering.optimisedAtOnce ()
        if wideLanes<'T> length then
            rowDotsIn (fun a b -> Vector512.Add<'T>(a, b)) (fun a b -> Vector512.Multiply<'T>(a, b)) Vector512.Sum<'T> matrix stride vector length c lo hi
        else
            rowDotsIn (fun a b -> Numerics.Vector.Add<'T>(a, b)) (fun a b -> Numerics.Vector.Multiply<'T>(a, b)) Numerics.Vector.Sum<'T> matrix stride vector length c lo hi

    /// c[i] = (row i of `matrix`) · vector for i < count, rows of `length` elements `stride` apart.
    let private rowDots<'T when 'T :> Numerics.INumber<'T> and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType> (matrix: 'T[]) (stride: int) (vector: 'T[]) (length: int) (c: 'T[]) (count: int) =
        inParts (partsFor (int64 count * int64 length)) count (fun _ lo hi -> rowDotsOf matrix stride vector length c lo hi)

    /// sum += Σ_{lo ≤ j < hi} weights[j] · (row j of `matrix`), four rows at a time, in lanes of
    /// type 'V: the sum is read and written once per four rows instead of once per row (a 256 ×
    /// 256 matrix took 10.6 µs row by row, where OpenBLAS's gemv took 5.9). Each element still
    /// adds the rows' products one at a time in row order, each product rounded first, as the
    /// row-by-row MultiplyAdd did, so the sums are the same bits in any lanes.
    let inline private addWeightedRowsIn< 'T, 'V when 'T :> Numerics.INumber<'T> and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'V: struct and 'V: (new: unit -> 'V) and 'V :> ValueType>
            ([<InlineIfLambda>] add: 'V -> 'V -> 'V) ([<InlineIfLambda>] multiply: 'V -> 'V -> 'V) ([<InlineIfLambda>] splat: 'T -> 'V)
            (matrix: 'T[]) (stride: int) (weights: 'T[]) (lo: int) (hi: int) (sum: Span<'T>) =
        let length = sum.Length
        let sv = MemoryMarshal.Cast<'T, 'V> sum
        let whole = MemoryMarshal.AsBytes(sv).Length / Unsafe.SizeOf<'T>()
        let mutable j = lo
        while j + 4 <= hi do
            let w0 = splat weights[j]
            let w1 = splat weights[j + 1]
            let w2 = splat weights[j + 2]
            let w3 = splat weights[j + 3]
            let r0 = MemoryMarshal.Cast<'T, 'V>(ReadOnlySpan<'T>(matrix, j * stride, length))
            let r1 = MemoryMarshal.Cast<'T, 'V>(ReadOnlySpan<'T>(matrix, (j + 1) * stride, length))
            let r2 = MemoryMarshal.Cast<'T, 'V>(ReadOnlySpan<'T>(matrix, (j + 2) * stride, length))
            let r3 = MemoryMarshal.Cast<'T, 'V>(ReadOnlySpan<'T>(matrix, (j + 3) * stride, length))
            // Every row span is as long as `sv`: references, no bounds check per row and vector.
            let p0 = &MemoryMarshal.GetReference r0
            let p1 = &MemoryMarshal.GetReference r1
            let p2 = &MemoryMarshal.GetReference r2
            let p3 = &MemoryMarshal.GetReference r3
            for k in 0 .. sv.Length - 1 do
                sv[k] <- add (add (add (add sv[k] (multiply (Unsafe.Add(&p0, k)) w0)) (multiply (Unsafe.Add(&p1, k)) w1)) (multiply (Unsafe.Add(&p2, k)) w2)) (multiply (Unsafe.Add(&p3, k)) w3)
            for t in whole .. length - 1 do
                let mutable total = sum[t]
                for r in j .. j + 3 do total <- total + matrix[r * stride + t] * weights[r]
                sum[t] <- total
            j <- j + 4
        while j < hi do
            TensorPrimitives.MultiplyAdd(ReadOnlySpan<'T>(matrix, j * stride, length), weights[j], Span<'T>.op_Implicit sum, sum)
            j <- j + 1

    /// `addWeightedRowsIn` in the lanes `wideLanes` picks, compiled optimised on its first call.
    let private addWeightedRows<'T when 'T :> Numerics.INumber<'T> and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType>
            (matrix: 'T[]) (stride: int) (weights: 'T[]) (lo: int) (hi: int) (sum: Span<'T>) =
        Tiering.optimisedAtOnce ()
        if wideLanes<'T> sum.Length then
            addWeightedRowsIn (fun a b -> Vector512.Add<'T>(a, b)) (fun a b -> Vector512.Multiply<'T>(a, b)) (fun w -> Vector512.Create<'T>(w: 'T)) matrix stride weights lo hi sum
        else
            addWeightedRowsIn (fun a b -> Numerics.Vector.Add<'T>(a, b)) (fun a b -> Numerics.Vector.Multiply<'T>(a, b)) (fun w -> Numerics.Vector<'T> w) matrix stride weights lo hi sum

    /// c[0 .. length-1] = Σ_{j < count} weights[j] · (row j of `matrix`), rows `stride` apart.
    /// Parts sum their rows into buffers of their own, added in part order.
    let private weightedRowSum<'T when 'T :> Numerics.INumber<'T> and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType> (matrix: 'T[]) (stride: int) (weights: 'T[]) (count: int) (length: int) (c: 'T[]) =
        let parts = partsFor (int64 count * int64 length)
        let partial = if parts = 1 then null else ArrayPool<'T>.Shared.Rent((parts - 1) * length)
        try
            inParts parts count (fun part lo hi ->
                let sum = if part = 0 then Span<'T>(c, 0, length) else Span<'T>(partial, (part - 1) * length, length)
                sum.Clear()
                addWeightedRows matrix stride weights lo hi sum)
            let result = Span<'T>(c, 0, length)
            for part in 1 .. parts - 1 do
                TensorPrimitives.Add(Span<'T>.op_Implicit result, ReadOnlySpan<'T>(partial, (part - 1) * length, length), result)
        finally
            if not (isNull partial) then ArrayPool<'T>.Shared.Return partial

    /// C = op(A) · op(B) when one side is a vector (m = 1 or n = 1), as row dot products or
    /// weighted row sums over the row-major buffers, vectorised, split over the cores when large
    /// (allocation-free when not). MathNet's managed provider copies its whole matrix operand inside
    /// every product (78 MB and 125–290 ms for a 10 000 × 1 000 matrix times a vector on the CI
    /// machine, where this takes 2–4 ms), so matrix–vector products bypass it; native providers
    /// keep those of at least `nativeProductMinimum` multiply-adds.
    let private vectorProductInto<'T when 'T :> Numerics.INumber<'T> and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType> (transA: bool) (transB: bool) (a: 'T[]) (ca: int) (b: 'T[]) (cb: int) (c: 'T[]) (m: int) (n: int) (inner: int) =
        if n = 1 then
            // op(B) is a column: b holds its `inner` elements whatever the flag.
            if not transA then rowDots a ca b inner c m
            // op(A) = Aᵀ with A inner × m: the result is Σⱼ b[j] · (row j of A).
            else weightedRowSum a ca b inner m c
        else
            // op(A) is a row: a holds its `inner` elements whatever the flag.
            if transB then rowDots b cb a inner c n
            // B is inner × n: the result is Σⱼ a[j] · (row j of B).
            else weightedRowSum b cb a inner n c

    /// Products of fewer multiply-adds than this run in the library's own kernels even when a
    /// native provider is active: there the call into native code (pinning, argument checks,
    /// the library's dispatch) costs more than the arithmetic. Measured with the OpenBLAS
    /// provider (Benchmarks' providers case, figures in Providers/README.md): a 2×2 product
    /// (8 multiply-adds) and a 4×4 matrix times a vector (16) are 1.2–2.9× slower through
    /// OpenBLAS, a 4×4 product (64) is even, and from a 16×16 matrix times a vector (256) and an
    /// 8×8 product (512) on OpenBLAS is faster.
    let nativeProductMinimum = 256L

    /// Matrix–vector products over matrices of fewer elements than this run in the library's own
    /// vectorised row loops on native providers too. Both read the matrix once, so neither has an
    /// arithmetic advantage; measured with the OpenBLAS provider (Benchmarks' providers case,
    /// 2 December 2026, a busy machine), OpenBLAS's gemv was 2.5× slower at 128 × 128, 1.4× at
    /// 256 × 256 and mixed (0.6–1.2×) up to 1024 × 1024, and faster from 2048 × 2048 (0.48–0.95×)
    /// and at 10 000 × 1 000 (0.62–0.79×).
    let nativeMatrixVectorMinimum = 1L <<< 21

    /// The same for the products the library computes as weighted row sums Σ wⱼ · row j (a
    /// transposed matrix times a vector — the reverse sweep of a matrix–vector product — and a
    /// row vector times a matrix). Measured with the OpenBLAS provider (Benchmarks' providers
    /// case, 3 December 2026, evening), OpenBLAS's call for them read 1.07–1.22× the library's
    /// four-row sums at 2 048 × 2 048 in four runs, and the library on the OpenBLAS provider
    /// 1.09–1.78× the managed provider there in three of them; a console program alternating
    /// 31 pairs read parity (0.98–1.01) from 2 048² to 4 096² and at 10 000 × 1 000. Below this
    /// size they stay in the library's sums; the matrix of a logistic gradient over 10 000 × 1 000
    /// data (10⁷ elements) still goes to OpenBLAS, as PyTorch's does.
    let nativeWeightedRowsMinimum = 1L <<< 23

    /// The provider MathNet computes with. The first call installs the fastest available one
    /// (`Providers.EnsureChosen`: OpenBLAS where libopenblas is installed) unless the program
    /// chose one before; later calls only read it, and follow a provider installed afterwards.
    let activeProvider () =
        FunctionalAD.Providers.EnsureChosen() |> ignore
        LinearAlgebraControl.Provider

    /// Whether gemmInto runs op(A) · op(B), m × inner by inner × n, in the library's own kernels
    /// with `provider` active: always on the managed provider (MathNet's copies its operands),
    /// and on the native ones for small products and for matrix–vector products of matrices
    /// below `nativeMatrixVectorMinimum` elements (`nativeWeightedRowsMinimum` for those the
    /// library computes as weighted row sums).
    let ownKernels (provider: ILinearAlgebraProvider) (transA: bool) (transB: bool) (m: int) (n: int) (inner: int) =
        let work = int64 m * int64 n * int64 inner
        // Which kernel `vectorProductInto` would run: a column op(B) with op(A) = Aᵀ, or a row
        // op(A) with B untransposed, is a weighted row sum; the others are row dot products.
        let weightedRows = if n = 1 then transA else not transB
        let matrixVectorMinimum = if weightedRows then nativeWeightedRowsMinimum else nativeMatrixVectorMinimum
        provider :? ManagedLinearAlgebraProvider || work < nativeProductMinimum || ((m = 1 || n = 1) && work < matrixVectorMinimum)

    /// C = op(A) · op(B) for one pair of row-major matrices, of either element type: the
    /// library's kernels where `ownKernels` says so, else `native` (the provider's product). A
    /// row-major r×c buffer is a column-major c×r matrix, so the provider computes
    /// Cᵀ = op(B)ᵀ · op(A)ᵀ in place of C, with no copies. `c` (m·n elements) is overwritten with
    /// the product (beta = 0, so its old contents are not read); compiled plans reuse their
    /// buffers this way.
    let inline private productInto<'T when 'T :> Numerics.INumber<'T> and 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType>
            ([<InlineIfLambda>] native: Transpose -> Transpose -> unit) (transA: bool) (transB: bool) (a: 'T[]) (ra: int) (ca: int) (b: 'T[]) (rb: int) (cb: int) (c: 'T[]) =
        let m = if transA then ca else ra
        let n = if transB then rb else cb
        let inner = if transA then ra else ca
        let own = ownKernels (activeProvider ()) transA transB m n inner
        let flag t = if t then Transpose.Transpose else Transpose.DontTranspose
        if m > 0 && n > 0 && inner > 0 && own && (m = 1 || n = 1) then vectorProductInto transA transB a ca b cb c m n inner
        elif m > 0 && n > 0 && inner > 0 && own then BlockedProduct.into transA transB a ca b cb c m n inner
        elif m > 0 && n > 0 && inner > 0 then native (flag transB) (flag transA)
        else Array.Clear c

    /// For each row of op(A) (m × inner, A having `ca` columns), the column of its one nonzero
    /// (−1 for a row of zeros); none as soon as a row has two, so a dense operand costs two reads.
    /// A NaN counts as a nonzero.
    let private loneNonzeros (transA: bool) (a: double[]) (ca: int) (m: int) (inner: int) : int[] voption =
        let columns = Array.zeroCreate m
        let mutable sparse = true
        let mutable i = 0
        while sparse && i < m do
            if transA then
                let mutable found = -1
                let mutable k = 0
                while sparse && k < inner do
                    if a[k * ca + i] <> 0.0 then
                        if found >= 0 then sparse <- false else found <- k
                    k <- k + 1
                columns[i] <- found
            else
                // A row of op(A) is contiguous: a vectorised search for its nonzeros.
                let row = ReadOnlySpan<double>(a, i * ca, inner)
                let found = row.IndexOfAnyExcept 0.0
                if found >= 0 && row.Slice(found + 1).IndexOfAnyExcept 0.0 >= 0 then sparse <- false
                columns[i] <- found
            i <- i + 1
        if sparse then ValueSome columns else ValueNone

    /// op(A)·op(B) where row i of op(A) has its one nonzero in column `columns[i]` (−1: none) and
    /// B is finite: row i of the product is that nonzero times row `columns[i]` of op(B), which is
    /// what the whole sum gives, the other terms being zeros (a one-hot or scaled-identity
    /// operand, such as the basis chunks that Jacobians pull back, costs O(m·n), not O(m·n·inner)).
    let private loneNonzeroRowsInto (transA: bool) (transB: bool) (a: double[]) (ca: int) (b: double[]) (cb: int) (columns: int[]) (c: double[]) (m: int) (n: int) =
        for i in 0 .. m - 1 do
            let row = Span<double>(c, i * n, n)
            let k = columns[i]
            if k < 0 then row.Clear()
            else
                let scale = if transA then a[k * ca + i] else a[i * ca + k]
                if transB then
                    for j in 0 .. n - 1 do row[j] <- scale * b[j * cb + k]
                else TensorPrimitives.Multiply(ReadOnlySpan<double>(b, k * cb, n), scale, row)

    /// `productInto` on float64 buffers; a left operand with at most one nonzero per row, against
    /// a finite right one, is a scaling of rows instead (matrix–vector products, one pass
    /// already, are not checked).
    let gemmInto (transA: bool) (transB: bool) (a: double[]) (ra: int) (ca: int) (b: double[]) (rb: int) (cb: int) (c: double[]) =
        let m = if transA then ca else ra
        let n = if transB then rb else cb
        let inner = if transA then ra else ca
        let loneNonzeroRows =
            if m > 1 && n > 1 && inner > 1 then
                match loneNonzeros transA a ca m inner with
                | ValueSome columns when Double.IsFinite(TensorPrimitives.MaxMagnitude(ReadOnlySpan<double>(b, 0, rb * cb))) -> ValueSome columns
                | _ -> ValueNone
            else ValueNone
        match loneNonzeroRows with
        | ValueSome columns -> loneNonzeroRowsInto transA transB a ca b cb columns c m n
        | ValueNone -> productInto (fun tb ta -> LinearAlgebraControl.Provider.MatrixMultiplyWithUpdate(tb, ta, 1.0, b, cb, rb, a, ca, ra, 0.0, c)) transA transB a ra ca b rb cb c

    /// `productInto` on float32 buffers, in float32 (sgemm on native providers).
    let gemmInto32 (transA: bool) (transB: bool) (a: float32[]) (ra: int) (ca: int) (b: float32[]) (rb: int) (cb: int) (c: float32[]) =
        productInto (fun tb ta -> LinearAlgebraControl.Provider.MatrixMultiplyWithUpdate(tb, ta, 1.0f, b, cb, rb, a, ca, ra, 0.0f, c)) transA transB a ra ca b rb cb c

    /// The batched product of row-major buffers of one element type, `a` and `b` already
    /// broadcast to the batch dimensions of `outShape`: `into` (`gemmInto`, `gemmInto32`) on each
    /// batch slice in turn, in that type; a single matrix pair is written in place.
    let private batchedProduct<'T> (into: bool -> bool -> 'T[] -> int -> int -> 'T[] -> int -> int -> 'T[] -> unit)
            (transA: bool) (transB: bool) (outShape: int[]) (a: 'T[]) (ra: int) (ca: int) (b: 'T[]) (rb: int) (cb: int) =
        let out = Array.zeroCreate<'T> (Shape.size outShape)
        let batch = Shape.size outShape[.. outShape.Length - 3]
        if batch = 1 then into transA transB a ra ca b rb cb out
        else
            let blockA, blockB = ra * ca, rb * cb
            let blockC = outShape[outShape.Length - 2] * outShape[outShape.Length - 1]
            let c = Array.zeroCreate<'T> blockC
            for i in 0 .. batch - 1 do
                into transA transB a[i * blockA .. (i + 1) * blockA - 1] ra ca b[i * blockB .. (i + 1) * blockB - 1] rb cb c
                Array.blit c 0 out (i * blockC) blockC
        out

    /// Batched matrix product of arrays of rank ≥ 2 with broadcast batch dimensions; the
    /// transposes act on the last two dimensions without materialising them. Two float32 arrays
    /// multiply in float32 (`gemmInto32` per batch slice: the library's kernels on the managed
    /// provider, sgemm on native ones), anything else in float64.
    let rec matmul (transA: bool) (transB: bool) (outShape: int[]) (a: NdArray) (b: NdArray) =
        // An operand that is a deferred transpose of its last two axes is read through the flag:
        // its elements are never moved (PyTorch's `X.T @ r` reads X's strides).
        match a.TransposeOf, b.TransposeOf with
        | null, null -> product transA transB outShape a b
        | null, matrix -> matmul transA (not transB) outShape a matrix
        | matrix, _ -> matmul (not transA) transB outShape matrix b

    /// `matmul` of operands that are not deferred transposes.
    and private product (transA: bool) (transB: bool) (outShape: int[]) (a: NdArray) (b: NdArray) =
        let ra, ca = a.Shape[a.Rank - 2], a.Shape[a.Rank - 1]
        let rb, cb = b.Shape[b.Rank - 2], b.Shape[b.Rank - 1]
        let batch = outShape[.. outShape.Length - 3]
        let shapeA, shapeB = Array.append batch [| ra; ca |], Array.append batch [| rb; cb |]
        if a.DType = DType.Float32 && b.DType = DType.Float32 then
            let a, b = Kernels.broadcastTo32 shapeA a, Kernels.broadcastTo32 shapeB b
            NdArray.ofSingle outShape (batchedProduct gemmInto32 transA transB outShape a.Single ra ca b.Single rb cb)
        else
            let a, b = Kernels.broadcastTo shapeA a, Kernels.broadcastTo shapeB b
            NdArray(outShape, batchedProduct gemmInto transA transB outShape a.Data ra ca b.Data rb cb)

    // ---- factorizations, over the last two dimensions of a batch ---------------------------------
    //
    // Each is one implementation over the element type 'T (`inline`, so its arithmetic compiles
    // for float64 and for float32): a float32 batch is factored in float32 through MathNet's
    // Matrix<float32>, so a native provider runs LAPACK's single-precision routines (sgetrf,
    // sgetrs, spotrf), and anything else in float64.

    /// How many matrices a batch `[..., r, c]` holds, and their rows and columns.
    let private batchOf (a: NdArray) = Shape.size a.Shape[.. a.Rank - 3], a.Shape[a.Rank - 2], a.Shape[a.Rank - 1]

    /// `kernel` on the row-major buffer of `a` in its own element type (float32 in float32,
    /// anything else in float64), the result an array of `shape` of that type. The kernel is
    /// given twice, once per type: one generic function partially applied twice.
    let private inOwnType (shape: int[]) (a: NdArray) (single: float32[] -> float32[]) (double: double[] -> double[]) =
        if a.DType = DType.Float32 then NdArray.ofSingle shape (single a.Single) else NdArray(shape, double a.Data)

    /// NaN is the one value not equal to itself.
    let inline private isNaN x = x <> x

    /// Matrix `i` of a batch of r × c matrices (row-major in `data`), copied into a MathNet matrix.
    let inline private matrixAt (data: 'T[]) (r: int) (c: int) (i: int) =
        Matrix<'T>.Build.Dense(r, c, fun row col -> data[(i * r + row) * c + col])

    /// `kernel` applied to every matrix of the batch `a` (its buffer `data`) and its flat index,
    /// the results (`block` entries each, row-major) written side by side into one buffer. The
    /// default provider is chosen once, before the batch's first factorisation.
    let inline private eachMatrix (block: int) (a: NdArray) (data: 'T[]) ([<InlineIfLambda>] kernel: int -> Matrix<'T> -> 'T[]) =
        activeProvider () |> ignore
        let count, r, c = batchOf a
        let out = Array.zeroCreate (count * block)
        for i in 0 .. count - 1 do Array.blit (kernel i (matrixAt data r c i)) 0 out (i * block) block
        out

    /// The detail of a refusal: which matrix of a batch failed, where there is a batch.
    let private whichMatrix (shape: int[]) (i: int) (detail: string) =
        if shape.Length > 2 then sprintf "matrix %d of the batch (in row-major order): %s" i detail else detail

    /// LU factorisation that refuses singular matrices instead of producing infinities.
    let inline private lu operation (shape: int[]) (i: int) (m: Matrix<'T>) =
        let factor = m.LU()
        // LAPACK's convention: a pivot that is exactly zero means singular.
        if factor.U.Diagonal().Enumerate() |> Seq.exists (fun d -> d = LanguagePrimitives.GenericZero || isNaN d) then
            raise (LinearAlgebraException(operation, shape, whichMatrix shape i "the matrix is singular"))
        factor

    /// Systems of at most this order are solved by `eliminate` over the row-major buffers, one
    /// scratch matrix for the whole batch; larger ones by MathNet's LU, which runs on LAPACK
    /// where a native provider is active. For a batch of 1 000 8 × 8 systems the copies into and
    /// out of MathNet's matrices cost more than the arithmetic.
    let private ownSolveOrder = 32

    /// Gaussian elimination with partial pivoting of the n × n matrix `a` (overwritten) against
    /// the n × k block of `x` at `offset` (overwritten by the solution); false, with `x` left
    /// partly eliminated, when a pivot is exactly zero or NaN (LAPACK's test for singular).
    let inline private eliminate (a: 'T[]) (n: int) (x: 'T[]) (offset: int) (k: int) =
        let swap (buffer: 'T[]) start1 start2 count =
            for c in 0 .. count - 1 do
                let t = buffer[start1 + c]
                buffer[start1 + c] <- buffer[start2 + c]
                buffer[start2 + c] <- t
        let mutable regular = true
        let mutable col = 0
        while regular && col < n do
            let mutable p = col
            for r in col + 1 .. n - 1 do
                if abs a[r * n + col] > abs a[p * n + col] then p <- r
            let pivot = a[p * n + col]
            if pivot = LanguagePrimitives.GenericZero || isNaN pivot then regular <- false
            else
                if p <> col then
                    swap a (p * n) (col * n) n
                    swap x (offset + p * k) (offset + col * k) k
                for r in col + 1 .. n - 1 do
                    let f = a[r * n + col] / pivot
                    for c in col + 1 .. n - 1 do a[r * n + c] <- a[r * n + c] - f * a[col * n + c]
                    for c in 0 .. k - 1 do x[offset + r * k + c] <- x[offset + r * k + c] - f * x[offset + col * k + c]
                col <- col + 1
        if regular then
            for i in n - 1 .. -1 .. 0 do
                let row = offset + i * k
                for j in i + 1 .. n - 1 do
                    let aij = a[i * n + j]
                    for c in 0 .. k - 1 do x[row + c] <- x[row + c] - aij * x[offset + j * k + c]
                for c in 0 .. k - 1 do x[row + c] <- x[row + c] / a[i * n + i]
        regular

    /// `solve` on the buffers of A and B, of one element type.
    let inline private solveIn (a: NdArray) (b: NdArray) (aData: 'T[]) (bData: 'T[]) =
        let count, n, _ = batchOf a
        let _, rb, cb = batchOf b
        if n > ownSolveOrder then
            eachMatrix (rb * cb) a aData (fun i m -> (lu "solve" a.Shape i m).Solve(matrixAt bData rb cb i).ToRowMajorArray())
        else
            let x = Array.copy bData
            let scratch = Array.zeroCreate (n * n)
            for i in 0 .. count - 1 do
                Array.blit aData (i * n * n) scratch 0 (n * n)
                if not (eliminate scratch n x (i * rb * cb) cb) then
                    raise (LinearAlgebraException("solve", a.Shape, whichMatrix a.Shape i "the matrix is singular"))
            x

    /// X with A X = B for every pair of a batch of square A `[..., n, n]` and B `[..., n, k]`
    /// (the same batch dimensions): in float32 when both are float32, else in float64.
    let solve (a: NdArray) (b: NdArray) =
        if a.DType = DType.Float32 && b.DType = DType.Float32 then NdArray.ofSingle (Array.copy b.Shape) (solveIn a b a.Single b.Single)
        else NdArray(Array.copy b.Shape, solveIn a b a.Data b.Data)

    /// `inverse` on the buffer of a batch, of either element type.
    let inline private inverseIn (a: NdArray) (data: 'T[]) =
        let _, n, _ = batchOf a
        eachMatrix (n * n) a data (fun i m -> (lu "inverse" a.Shape i m).Inverse().ToRowMajorArray())

    /// The inverse of every square matrix of a batch, in its element type.
    let inverse (a: NdArray) = inOwnType (Array.copy a.Shape) a (inverseIn a) (inverseIn a)

    /// `det` on the buffer of a batch, of either element type.
    let inline private detIn (a: NdArray) (data: 'T[]) = eachMatrix 1 a data (fun _ m -> [| m.Determinant() |])

    /// The determinant of every square matrix of a batch (zero for a singular one, as it should
    /// be), in its element type.
    let det (a: NdArray) = inOwnType a.Shape[.. a.Rank - 3] a (detIn a) (detIn a)

    /// The adjugate: det(A)·A⁻¹ from the LU factors where A is invertible, and at a singular A
    /// (a zero pivot), where that does not exist, adj(A) = det(U)·det(V)·V·diag(∏ⱼ≠ᵢ σⱼ)·Uᵀ from
    /// the SVD A = U Σ Vᵀ (the adjugate of a product is the product of adjugates in reverse
    /// order, and an orthogonal Q has adj(Q) = det(Q)·Qᵀ); its products leave out one σ
    /// instead of dividing by it.
    let private adjugateOf (shape: int[]) (i: int) (m: Matrix<double>) =
        let n = m.RowCount
        let factor = m.LU()
        if factor.U.Diagonal().Enumerate() |> Seq.forall (fun d -> d <> 0.0 && Double.IsFinite d) then
            (factor.Inverse() * factor.Determinant).ToRowMajorArray()
        else
            let svd =
                try m.Svd(true)
                with :? MathNet.Numerics.NonConvergenceException ->
                    raise (LinearAlgebraException("adjugate", shape, whichMatrix shape i "the singular value decomposition did not converge (is an element infinite or NaN?)"))
            let s = svd.S.ToArray()
            let others = Array.init n (fun i -> Seq.fold (fun p j -> if j = i then p else p * s[j]) 1.0 (seq { 0 .. n - 1 }))
            let sign = svd.U.Determinant() * svd.VT.Determinant()
            (svd.VT.TransposeThisAndMultiply(Matrix<double>.Build.DiagonalOfDiagonalArray(others) * svd.U.Transpose()) * sign).ToRowMajorArray()

    /// The adjugate of every square matrix of a batch (in float64).
    let adjugate (a: NdArray) =
        let _, n, _ = batchOf a
        if n = 0 then NdArray(Array.copy a.Shape, [||]) else NdArray(Array.copy a.Shape, eachMatrix (n * n) a a.Data (adjugateOf a.Shape))

    /// `logAbsDet` on the buffer of a batch, of either element type.
    let inline private logAbsDetIn (refuseSingular: bool) (a: NdArray) (data: 'T[]) =
        eachMatrix 1 a data (fun i m ->
            let factor = if refuseSingular then lu "logDet" a.Shape i m else m.LU()
            [| factor.U.Diagonal().Enumerate() |> Seq.sumBy (fun d -> log (abs d)) |])

    /// log |det A| of every square matrix of a batch, in its element type: refused for a
    /// singular one when `refuseSingular` (as logDet), else −∞ there (NumPy's slogdet).
    let logAbsDet (refuseSingular: bool) (a: NdArray) = inOwnType a.Shape[.. a.Rank - 3] a (logAbsDetIn refuseSingular a) (logAbsDetIn refuseSingular a)

    /// Whether a permutation is even: n − (number of cycles) is.
    let private isEven (p: MathNet.Numerics.Permutation) =
        let seen = Array.zeroCreate p.Dimension
        let mutable cycles = 0
        for start in 0 .. p.Dimension - 1 do
            if not seen[start] then
                cycles <- cycles + 1
                let mutable k = start
                while not seen[k] do
                    seen[k] <- true
                    k <- p[k]
        (p.Dimension - cycles) % 2 = 0

    /// `detSign` on the buffer of a batch, of either element type.
    let inline private detSignIn (a: NdArray) (data: 'T[]) =
        eachMatrix 1 a data (fun _ m ->
            let factor = m.LU()
            let zero, one = LanguagePrimitives.GenericZero, LanguagePrimitives.GenericOne
            // A NaN pivot gives a NaN sign (itself).
            let signOf d = if d > zero then one elif d < zero then -one elif d = zero then zero else d
            [| factor.U.Diagonal().Enumerate() |> Seq.fold (fun s d -> s * signOf d) (if isEven factor.P then one else -one) |])

    /// The sign of det A (−1, 0 or 1) of every square matrix of a batch, in its element type,
    /// from the signs of the LU pivots and of the row permutation: never from the determinant
    /// itself, which under- or overflows long before log |det A| does.
    let detSign (a: NdArray) = inOwnType a.Shape[.. a.Rank - 3] a (detSignIn a) (detSignIn a)

    /// `cholesky` on the buffer of a batch, of either element type.
    let inline private choleskyIn (a: NdArray) (data: 'T[]) =
        let _, n, _ = batchOf a
        eachMatrix (n * n) a data (fun i (m: Matrix<'T>) ->
            let one: 'T = LanguagePrimitives.GenericOne
            let m: Matrix<'T> = (m + m.Transpose()) * (one / (one + one))
            if not (m.IsSymmetric()) then raise (LinearAlgebraException("cholesky", a.Shape, whichMatrix a.Shape i "the matrix is not symmetric"))
            try m.Cholesky().Factor.ToRowMajorArray()
            with :? ArgumentException -> raise (LinearAlgebraException("cholesky", a.Shape, whichMatrix a.Shape i "the matrix is not positive definite")))

    /// The lower Cholesky factor L of every symmetric positive-definite A = L Lᵀ of a batch, in
    /// its element type, A read as (A + Aᵀ)/2 (exactly symmetric, so rounding asymmetry is harmless).
    let cholesky (a: NdArray) = inOwnType (Array.copy a.Shape) a (choleskyIn a) (choleskyIn a)

    /// `triangularSolve` on the buffers of A and B, of one element type.
    let inline private triangularSolveIn (lower: bool) (transpose: bool) (unitDiagonal: bool) (a: NdArray) (b: NdArray) (t: 'T[]) (bData: 'T[]) =
        let count, n, _ = batchOf a
        let k = b.Shape[b.Rank - 1]
        let x = Array.copy bData
        // op(T) is lower triangular when exactly one of the two flags says so: forward substitution.
        let forward = lower <> transpose
        for m in 0 .. count - 1 do
            let at i j = t[m * n * n + (if transpose then j * n + i else i * n + j)]
            for step in 0 .. n - 1 do
                let i = if forward then step else n - 1 - step
                let row = (m * n + i) * k
                let first, last = if forward then 0, i - 1 else i + 1, n - 1
                for j in first .. last do
                    let tij = at i j
                    let other = (m * n + j) * k
                    for c in 0 .. k - 1 do x[row + c] <- x[row + c] - tij * x[other + c]
                if not unitDiagonal then
                    let d = at i i
                    if d = LanguagePrimitives.GenericZero then raise (LinearAlgebraException("triangularSolve", a.Shape, whichMatrix a.Shape m "a zero on the diagonal: the matrix is singular"))
                    for c in 0 .. k - 1 do x[row + c] <- x[row + c] / d
        x

    /// X with op(T) X = B for every pair of a batch of A `[..., n, n]` and B `[..., n, k]`, T the
    /// lower (or upper) triangle of A, with ones on its diagonal when `unitDiagonal`, and op(T)
    /// = Tᵀ when `transpose`: substitution over the row-major buffers, the other triangle (and a
    /// unit diagonal) never read, as LAPACK's trtrs does; in float32 when both are float32.
    let triangularSolve (lower: bool) (transpose: bool) (unitDiagonal: bool) (a: NdArray) (b: NdArray) =
        if a.DType = DType.Float32 && b.DType = DType.Float32 then NdArray.ofSingle (Array.copy b.Shape) (triangularSolveIn lower transpose unitDiagonal a b a.Single b.Single)
        else NdArray(Array.copy b.Shape, triangularSolveIn lower transpose unitDiagonal a b a.Data b.Data)
