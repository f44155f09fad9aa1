namespace FunctionalAD

open System
open System.Buffers
open System.Numerics.Tensors
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

    /// c[i] = (row i of `matrix`) · vector for i < count, rows of `length` elements `stride` apart.
    let private rowDots (matrix: double[]) (stride: int) (vector: double[]) (length: int) (c: double[]) (count: int) =
        inParts (partsFor (int64 count * int64 length)) count (fun _ lo hi ->
            let v = ReadOnlySpan<double>(vector, 0, length)
            for i in lo .. hi - 1 do c[i] <- TensorPrimitives.Dot(ReadOnlySpan<double>(matrix, i * stride, length), v))

    /// c[0 .. length-1] = Σ_{j < count} weights[j] · (row j of `matrix`), rows `stride` apart.
    /// Parts sum their rows into buffers of their own, added in part order.
    let private weightedRowSum (matrix: double[]) (stride: int) (weights: double[]) (count: int) (length: int) (c: double[]) =
        let parts = partsFor (int64 count * int64 length)
        let partial = if parts = 1 then null else ArrayPool<double>.Shared.Rent((parts - 1) * length)
        try
            inParts parts count (fun part lo hi ->
                let sum = if part = 0 then Span<double>(c, 0, length) else Span<double>(partial, (part - 1) * length, length)
                sum.Clear()
                for j in lo .. hi - 1 do
                    TensorPrimitives.MultiplyAdd(ReadOnlySpan<double>(matrix, j * stride, length), weights[j], Span<double>.op_Implicit sum, sum))
            let result = Span<double>(c, 0, length)
            for part in 1 .. parts - 1 do
                TensorPrimitives.Add(Span<double>.op_Implicit result, ReadOnlySpan<double>(partial, (part - 1) * length, length), result)
        finally
            if not (isNull partial) then ArrayPool<double>.Shared.Return partial

    /// C = op(A) · op(B) when one side is a vector (m = 1 or n = 1), as row dot products or
    /// weighted row sums over the row-major buffers, vectorised, split over the cores when large
    /// (allocation-free when not). MathNet's managed provider copies its whole matrix operand inside
    /// every product (78 MB and 125–290 ms for a 10 000 × 1 000 matrix times a vector on the CI
    /// machine, where this takes 2–4 ms), so matrix–vector products bypass it; native providers
    /// keep those of at least `nativeProductMinimum` multiply-adds.
    let private vectorProductInto (transA: bool) (transB: bool) (a: double[]) (ca: int) (b: double[]) (cb: int) (c: double[]) (m: int) (n: int) (inner: int) =
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

    /// Whether gemmInto runs an m × inner by inner × n product in the library's own kernels with
    /// `provider` active: always on the managed provider (MathNet's copies its operands), and
    /// for small products on the native ones.
    let ownKernels (provider: ILinearAlgebraProvider) (m: int) (n: int) (inner: int) =
        provider :? ManagedLinearAlgebraProvider || int64 m * int64 n * int64 inner < nativeProductMinimum

    /// C = op(A) · op(B) for one pair of row-major matrices. A row-major r×c buffer is a
    /// column-major c×r matrix, so Cᵀ = op(B)ᵀ · op(A)ᵀ is computed in place of C, with no copies.
    /// `c` (m·n elements) is overwritten with the product (beta = 0, so its old contents are not
    /// read); compiled plans reuse their buffers this way.
    let gemmInto (transA: bool) (transB: bool) (a: double[]) (ra: int) (ca: int) (b: double[]) (rb: int) (cb: int) (c: double[]) =
        let m = if transA then ca else ra
        let n = if transB then rb else cb
        let inner = if transA then ra else ca
        let own = ownKernels LinearAlgebraControl.Provider m n inner
        if m > 0 && n > 0 && inner > 0 && own && (m = 1 || n = 1) then vectorProductInto transA transB a ca b cb c m n inner
        elif m > 0 && n > 0 && inner > 0 && own then BlockedProduct.into transA transB a ca b cb c m n inner
        elif m > 0 && n > 0 && inner > 0 then
            let flag t = if t then Transpose.Transpose else Transpose.DontTranspose
            LinearAlgebraControl.Provider.MatrixMultiplyWithUpdate(flag transB, flag transA, 1.0, b, cb, rb, a, ca, ra, 0.0, c)
        else Array.Clear c

    /// The product in a new buffer.
    let private gemm (transA: bool) (transB: bool) (a: double[]) (ra: int) (ca: int) (b: double[]) (rb: int) (cb: int) =
        let c = Array.zeroCreate ((if transA then ca else ra) * (if transB then rb else cb))
        gemmInto transA transB a ra ca b rb cb c
        c

    /// Batched matrix product of arrays of rank ≥ 2 with broadcast batch dimensions; the
    /// transposes act on the last two dimensions without materialising them.
    let matmul (transA: bool) (transB: bool) (outShape: int[]) (a: NdArray) (b: NdArray) =
        let ra, ca = a.Shape[a.Rank - 2], a.Shape[a.Rank - 1]
        let rb, cb = b.Shape[b.Rank - 2], b.Shape[b.Rank - 1]
        if a.Rank = 2 && b.Rank = 2 then NdArray(outShape, gemm transA transB a.Data ra ca b.Data rb cb)
        else
            let batch = outShape[.. outShape.Length - 3]
            let a = Kernels.broadcastTo (Array.append batch [| ra; ca |]) a
            let b = Kernels.broadcastTo (Array.append batch [| rb; cb |]) b
            let blockA, blockB = ra * ca, rb * cb
            let blockC = outShape[outShape.Length - 2] * outShape[outShape.Length - 1]
            let out = Array.zeroCreate (Shape.size outShape)
            for i in 0 .. Shape.size batch - 1 do
                let c = gemm transA transB a.Data[i * blockA .. (i + 1) * blockA - 1] ra ca b.Data[i * blockB .. (i + 1) * blockB - 1] rb cb
                Array.blit c 0 out (i * blockC) blockC
            NdArray(outShape, out)

    let private matrix (a: NdArray) = Matrix<double>.Build.DenseOfRowMajor(a.Shape[0], a.Shape[1], a.Data)
    let private ofMatrix (m: Matrix<double>) = NdArray([| m.RowCount; m.ColumnCount |], m.ToRowMajorArray())

    /// LU factorisation that refuses singular matrices instead of producing infinities.
    let private lu operation (a: NdArray) =
        let factor = (matrix a).LU()
        // LAPACK's convention: a pivot that is exactly zero means singular.
        if factor.U.Diagonal().Enumerate() |> Seq.exists (fun d -> d = 0.0 || Double.IsNaN d) then
            raise (LinearAlgebraException(operation, a.Shape, "the matrix is singular"))
        factor

    /// Solves A X = B for square A; B is a matrix or a vector.
    let solve (a: NdArray) (b: NdArray) =
        let factor = lu "solve" a
        if b.Rank = 1 then NdArray(Array.copy b.Shape, factor.Solve(Vector<double>.Build.DenseOfArray(b.Data)).ToArray())
        else ofMatrix (factor.Solve(matrix b))

    /// The inverse of a square matrix.
    let inverse (a: NdArray) = ofMatrix ((lu "inverse" a).Inverse())

    /// The determinant (zero for a singular matrix, as it should be).
    let det (a: NdArray) = NdArray([||], [| (matrix a).Determinant() |])

    /// The adjugate: det(A)·A⁻¹ from the LU factors where A is invertible, and at a singular A
    /// (a zero pivot), where that does not exist, adj(A) = det(U)·det(V)·V·diag(∏ⱼ≠ᵢ σⱼ)·Uᵀ from
    /// the SVD A = U Σ Vᵀ (the adjugate of a product is the product of adjugates in reverse
    /// order, and an orthogonal Q has adj(Q) = det(Q)·Qᵀ); its products leave out one σ
    /// instead of dividing by it.
    let adjugate (a: NdArray) =
        let n = a.Shape[0]
        if n = 0 then NdArray([| 0; 0 |], [||])
        else
            let factor = (matrix a).LU()
            if factor.U.Diagonal().Enumerate() |> Seq.forall (fun d -> d <> 0.0 && Double.IsFinite d) then
                ofMatrix (factor.Inverse() * factor.Determinant)
            else
                let svd =
                    try (matrix a).Svd(true)
                    with :? MathNet.Numerics.NonConvergenceException ->
                        raise (LinearAlgebraException("adjugate", a.Shape, "the singular value decomposition did not converge (is an element infinite or NaN?)"))
                let s = svd.S.ToArray()
                let others = Array.init n (fun i -> Seq.fold (fun p j -> if j = i then p else p * s[j]) 1.0 (seq { 0 .. n - 1 }))
                let sign = svd.U.Determinant() * svd.VT.Determinant()
                ofMatrix (svd.VT.TransposeThisAndMultiply(Matrix<double>.Build.DiagonalOfDiagonalArray(others) * svd.U.Transpose()) * sign)

    /// log |det A| of a non-singular matrix.
    let logAbsDet (a: NdArray) =
        let u = (lu "logDet" a).U
        NdArray([||], [| u.Diagonal().Enumerate() |> Seq.sumBy (fun d -> log (abs d)) |])

    /// The lower Cholesky factor L of a symmetric positive-definite A = L Lᵀ.
    let cholesky (a: NdArray) =
        let m = matrix a
        if not (m.IsSymmetric()) then raise (LinearAlgebraException("cholesky", a.Shape, "the matrix is not symmetric"))
        try ofMatrix (m.Cholesky().Factor)
        with :? ArgumentException -> raise (LinearAlgebraException("cholesky", a.Shape, "the matrix is not positive definite"))
