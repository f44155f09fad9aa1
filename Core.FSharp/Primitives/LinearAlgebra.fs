namespace FunctionalAD.Primitives

open FunctionalAD
open FunctionalAD.Primitives.Arithmetic
open FunctionalAD.Primitives.Reductions

/// Matrix primitives. Products run on the active MathNet provider; rules are the standard matrix
/// calculus identities (Giles 2008, "Collected matrix derivative results"), written with the
/// same primitives so they differentiate again.
module internal LinearAlgebra =
    /// A batch `[size, k, n]` of matrices as one k × (size·n) matrix, their columns side by side.
    let private sideBySide (b: Node) = reshape [| b.Shape[1]; b.Shape[0] * b.Shape[2] |] (Layout.permute [| 1; 0; 2 |] b)

    /// The batch `[size, m, n]` of matrices whose columns lie side by side in `m` (m × size·n).
    let private apart (size: int) (m: Node) = Layout.permute [| 1; 0; 2 |] (reshape [| m.Shape[0]; size; m.Shape[1] / size |] m)

    /// The matrix a node transposes, when it is a transpose of its argument's last two axes.
    let private transposeOf (x: Node) =
        match x.Kind with
        | Apply op when op.Capabilities.Algebra = Algebra.MatrixTranspose -> ValueSome(x.Arg 0)
        | _ -> ValueNone

    /// op(A) · op(B) over the last two dimensions, batch dimensions broadcast; op transposes when
    /// the flag is set, without copying. An operand that is itself a transpose (`Tensor.transpose`,
    /// a permute of the last two axes) is multiplied through the flag instead (PyTorch's `X.T @ r`
    /// reads X's strides): a compiled plan then never copies it, and a reverse sweep pulls the
    /// product back to the matrix without transposing its cotangent.
    let rec matmulT (transA: bool) (transB: bool) (a: Node) (b: Node) : Node =
        match transposeOf a, transposeOf b with
        | ValueSome matrix, _ -> matmulT (not transA) transB matrix b
        | _, ValueSome matrix -> matmulT transA (not transB) a matrix
        | ValueNone, ValueNone -> product transA transB a b

    /// `matmulT` of operands that are not transposes.
    and private product (transA: bool) (transB: bool) (a: Node) (b: Node) : Node =
        if a.Shape.Length < 2 || b.Shape.Length < 2 then
            Shape.fail "matmul" [| a.Shape; b.Shape |] "a" "both arguments need at least two dimensions here (vectors are reshaped by Tensor.matmul)"
        let ra, ca = a.Shape[a.Shape.Length - 2], a.Shape[a.Shape.Length - 1]
        let rb, cb = b.Shape[b.Shape.Length - 2], b.Shape[b.Shape.Length - 1]
        let m, k = (if transA then ca, ra else ra, ca)
        let k2, n = (if transB then cb, rb else rb, cb)
        if k <> k2 then
            Shape.fail "matmul" [| a.Shape; b.Shape |] "b" (sprintf "inner dimensions differ: %d and %d" k k2)
        let batch = Shape.broadcast "matmul" a.Shape[.. a.Shape.Length - 3] b.Shape[.. b.Shape.Length - 3]
        let shape = Array.append batch [| m; n |]
        let gradA (g: Node) (bArg: Node) = if transA then matmulT transB true bArg g else matmulT false (not transB) g bArg
        let gradB (g: Node) (aArg: Node) = if transB then matmulT true transA g aArg else matmulT (not transA) false aArg g
        let eval (v: NdArray[]) = LinAlgKernels.matmul transA transB shape v[0] v[1]
        Graph.apply
            (opWith "matmul" [ "Aᵀ", Parameter.Flag transA; "Bᵀ", Parameter.Flag transB ] eval
                (fun args _ t ->
                    addTangents
                        (t[0] |> ValueOption.map (fun ta -> broadcastTo shape (matmulT transA transB ta args[1])))
                        (t[1] |> ValueOption.map (fun tb -> broadcastTo shape (matmulT transA transB args[0] tb))))
                (fun args _ g -> [| pullTo args[0] (fun () -> gradA g args[1]); pullTo args[1] (fun () -> gradB g args[0]) |])
                { Param.none with
                    Algebra = Algebra.MatrixProduct
                    Float32 = ValueSome eval
                    Into = ValueSome(productInto transA transB)
                    Into32 = ValueSome(productInto32 transA transB)
                    Batch = ValueSome(batchedProduct transA transB) })
            shape [| a; b |]

    /// The kernel writing a product of two matrices into a buffer: direct loops for the
    /// smallest products, where any call costs more than the arithmetic, else `gemmInto`.
    and private productInto (transA: bool) (transB: bool) (argShapes: int[][]) (shape: int[]) =
        let a, b = argShapes[0], argShapes[1]
        if a.Length <> 2 || b.Length <> 2 then ValueNone
        elif int64 (Shape.size shape) * int64 (if transA then a[0] else a[1]) <= int64 DestinationKernels.smallProduct then
            ValueSome(DestinationKernel(fun args dest -> DestinationKernels.smallMatmulInto transA transB args[0] a[0] a[1] args[1] b[0] b[1] dest))
        else
            // C = A·B + 0·C: with beta = 0 the provider does not read C (BLAS semantics, and the
            // managed provider's), so the buffer's old contents cannot leak in.
            ValueSome(DestinationKernel(fun args dest -> LinAlgKernels.gemmInto transA transB args[0] a[0] a[1] args[1] b[0] b[1] dest))

    /// The float32 kernel writing a product of two float32 matrices into a buffer: the one the
    /// eager float32 product runs (`LinAlgKernels.gemmInto32`).
    and private productInto32 (transA: bool) (transB: bool) (argShapes: int[][]) (_: int[]) =
        let a, b = argShapes[0], argShapes[1]
        if a.Length <> 2 || b.Length <> 2 then ValueNone
        else ValueSome(DestinationKernel32(fun args dest -> LinAlgKernels.gemmInto32 transA transB args[0] a[0] a[1] args[1] b[0] b[1] dest))

    /// The batching rule of a product. A batch of left operands times one matrix is one product
    /// of their stacked rows; one matrix times a batch of right operands is one product with
    /// their columns side by side; otherwise the batch becomes a leading batch dimension.
    and private batchedProduct (transA: bool) (transB: bool) (size: int) (args: Node[]) (batched: bool[]) =
        let a, b = args[0], args[1]
        let last (x: Node) = x.Shape[x.Shape.Length - 1]
        match batched[0], batched[1] with
        | true, false when not transA && b.Shape.Length = 2 ->
            let rows = reshape [| Shape.size a.Shape / last a; last a |] a
            let product = matmulT false transB rows b
            reshape (Array.append a.Shape[.. a.Shape.Length - 2] [| last product |]) product
        | false, true when not transB && a.Shape.Length = 2 && b.Shape.Length = 3 && b.Shape[2] = 1 ->
            // A batch of vectors: op(A)·bᵢ for every i is the batch's rows times op(A)ᵀ.
            let product = matmulT false (not transA) (reshape [| size; b.Shape[1] |] b) a
            reshape [| size; product.Shape[1]; 1 |] product
        | false, true when not transB && a.Shape.Length = 2 && b.Shape.Length = 3 -> apart size (matmulT transA false a (sideBySide b))
        | _ ->
            // Unit batch dimensions after the batch axis line the batch up with the other
            // operand's batch dimensions (or with nothing, where it has fewer).
            let perExample (x: Node) isBatched = x.Shape.Length - (if isBatched then 1 else 0)
            let rank = Operators.max (perExample a batched[0]) (perExample b batched[1])
            let align (x: Node) isBatched = if isBatched then batchedToRank rank x else x
            matmulT transA transB (align a batched[0]) (align b batched[1])

    /// A · B.
    let matmul a b = matmulT false false a b

    /// `dot` and its operation record, built once (it has no parameters; rebuilding it at every
    /// application made four copies of the record): a recursive module, because its rules apply
    /// `dot`.
    module private rec Dot =
        let dot (x: Node) (y: Node) : Node = Graph.apply dotOp [||] [| x; y |]

        let dotOp : Op =
            { Name = "dot"; Params = Param.empty
              Eval = fun v -> NdArray.scalar (System.Numerics.Tensors.TensorPrimitives.Dot(System.ReadOnlySpan<double>(v[0].Data), System.ReadOnlySpan<double>(v[1].Data)))
              Jvp = fun args _ t -> addTangents (t[0] |> ValueOption.map (fun tx -> dot tx args[1])) (t[1] |> ValueOption.map (fun ty -> dot args[0] ty))
              Vjp = fun args _ g -> [| pullTo args[0] (fun () -> mulNoNan g args[1]); pullTo args[1] (fun () -> mulNoNan g args[0]) |]
              Capabilities =
                { Param.none with
                    Algebra = Algebra.MatrixProduct
                    // Accumulated in float32, as the matrix products are.
                    Float32 = ValueSome(fun v -> NdArray.ofSingle [||] [| System.Numerics.Tensors.TensorPrimitives.Dot(System.ReadOnlySpan<float32>(v[0].Single), System.ReadOnlySpan<float32>(v[1].Single)) |])
                    Batch =
                        ValueSome(fun size args batched ->
                            let againstOne (vectors: Node) (v: Node) = reshape [| size |] (matmul vectors (reshape [| v.Shape[0]; 1 |] v))
                            match batched[0], batched[1] with
                            | true, false -> againstOne args[0] args[1]
                            | false, true -> againstOne args[1] args[0]
                            | _ -> sum [| 1 |] false (mul args[0] args[1])) } }

    /// x · y of two vectors of one length: one pass (no product vector), and under vmap a batch
    /// of vectors against one vector is one matrix–vector product.
    let dot (x: Node) (y: Node) : Node = Dot.dot x y

    // ---- factorizations over leading batch dimensions ----------------------------------------
    //
    // Every primitive below takes a batch of matrices `[..., n, n]` (a matrix is a batch of
    // none), so its vmap rule is the primitive itself: the batch is one more leading dimension.
    // Those of two arguments take equal batch dimensions; `alignBatches` broadcasts them first.

    /// The transposes of a batch of matrices: the last two dimensions swapped.
    let transpose (a: Node) =
        let r = a.Shape.Length
        Layout.permute (Array.init r (fun i -> if i = r - 2 then r - 1 elif i = r - 1 then r - 2 else i)) a

    let private batchDims (x: Node) = x.Shape[.. x.Shape.Length - 3]

    /// One number per matrix of a batch as a batch of 1 × 1 matrices, to scale them.
    let private perMatrix (s: Node) = reshape (Array.append s.Shape [| 1; 1 |]) s

    /// tr(M D) for each pair of matrices of two batches, as Σᵢⱼ Mᵀᵢⱼ Dᵢⱼ (no product formed).
    let private traceOfProduct (m: Node) (d: Node) = sum [| d.Shape.Length - 2; d.Shape.Length - 1 |] false (mul (transpose m) d)

    /// Refuses anything but a batch of square matrices, naming `operation`.
    let private requireSquare operation (a: Node) =
        let r = a.Shape.Length
        if r < 2 || a.Shape[r - 2] <> a.Shape[r - 1] then
            Shape.fail operation [| a.Shape |] "a" "a square matrix, or a batch of them [..., n, n], is needed"

    /// A `[..., n, n]` and B `[..., n, k]` broadcast to their common batch dimensions (NumPy's
    /// rule, as matmul does).
    let private alignBatches operation (a: Node) (b: Node) =
        let batch =
            try Shape.broadcast operation (batchDims a) (batchDims b)
            with :? ShapeMismatchException ->
                Shape.fail operation [| a.Shape; b.Shape |] "b" (sprintf "the batch dimensions %s of a and %s of b do not broadcast" (Shape.format (batchDims a)) (Shape.format (batchDims b)))
        let within (x: Node) = x.Shape[x.Shape.Length - 2 ..]
        broadcastTo (Array.append batch (within a)) a, broadcastTo (Array.append batch (within b)) b

    /// The batching rule of a solve `solveWith a b` (A and B of equal batch dimensions): one
    /// matrix against a batch of right-hand sides is one solve with the batch's columns side by
    /// side, A factored once rather than broadcast, copied and factored per example; otherwise
    /// the batch is one more leading dimension.
    let private batchedSolve (solveWith: Node -> Node -> Node) (size: int) (args: Node[]) (batched: bool[]) =
        match batched[0], batched[1] with
        | false, true when args[0].Shape.Length = 2 -> apart size (solveWith args[0] (sideBySide args[1]))
        | _ -> solveWith args[0] args[1]

    /// X with A X = B for batches of square A and of B `[..., n, k]`, their batch dimensions
    /// broadcast. dX = A⁻¹(dB − dA X); the VJP is B̄ = A⁻ᵀ X̄, Ā = −B̄ Xᵀ.
    let rec private solveMatrices (a: Node) (b: Node) : Node =
        let a, b = alignBatches "solve" a b
        Graph.apply
            (op "solve" [] (fun v -> LinAlgKernels.solve v[0] v[1])
                (fun args x t ->
                    let fromA = t[0] |> ValueOption.map (fun ta -> neg (matmul ta x))
                    addTangents t[1] fromA |> ValueOption.map (solveMatrices args[0]))
                (fun args x g ->
                    let gb = solveMatrices (transpose args[0]) g
                    [| pullTo args[0] (fun () -> neg (matmulT false true gb x)); pullTo args[1] (fun () -> gb) |])
             |> anyElementType
             |> withBatch (batchedSolve solveMatrices))
            (Array.copy b.Shape) [| a; b |]

    /// The lower (or upper) triangle of each matrix of a batch, without its diagonal when the
    /// diagonal is taken as ones: the entries a triangular solve reads (the mask in x's element
    /// type, so float32 derivatives stay float32).
    let private triangleOf (lower: bool) (unitDiagonal: bool) (x: Node) =
        let n = x.Shape[x.Shape.Length - 1]
        let keeps i j = (if lower then i > j else i < j) || (i = j && not unitDiagonal)
        mul x (Graph.constant (NdArray.convert x.DType (NdArray([| n; n |], Array.init (n * n) (fun k -> if keeps (k / n) (k % n) then 1.0 else 0.0)))))

    /// X with op(T) X = B, T the lower (or upper) triangle of each A of a batch, with ones on
    /// its diagonal when `unitDiagonal`, op(T) = Tᵀ when `transpose`; the other entries of A are
    /// never read, and get no derivative. dX = op(T)⁻¹(dB − op(dT) X); the VJP is
    /// B̄ = op(T)⁻ᵀ X̄ and T̄ = −B̄ Xᵀ (or −X B̄ᵀ when transposed), kept to the triangle.
    let rec private triangularSolveMatrices (lower: bool) (transpose: bool) (unitDiagonal: bool) (a: Node) (b: Node) : Node =
        let a, b = alignBatches "triangularSolve" a b
        let solveWith transposed = triangularSolveMatrices lower transposed unitDiagonal
        Graph.apply
            (op "triangularSolve" [ "lower", Parameter.Flag lower; "transpose", Parameter.Flag transpose; "unitDiagonal", Parameter.Flag unitDiagonal ]
                (fun v -> LinAlgKernels.triangularSolve lower transpose unitDiagonal v[0] v[1])
                (fun args x t ->
                    let fromA = t[0] |> ValueOption.map (fun ta -> neg (matmulT transpose false (triangleOf lower unitDiagonal ta) x))
                    addTangents t[1] fromA |> ValueOption.map (solveWith transpose args[0]))
                (fun args x g ->
                    let gb = solveWith (not transpose) args[0] g
                    let gT () = if transpose then matmulT false true x gb else matmulT false true gb x
                    [| pullTo args[0] (fun () -> neg (triangleOf lower unitDiagonal (gT ()))); pullTo args[1] (fun () -> gb) |])
             |> anyElementType
             |> withBatch (batchedSolve (solveWith transpose)))
            (Array.copy b.Shape) [| a; b |]

    /// The right-hand side of a solve with A as a batch of matrices, and whether it was a batch
    /// of vectors (made columns): b is vectors when it is a vector or has A's shape without the
    /// last dimension (PyTorch's rule), else matrices `[..., n, k]`. Refused unless b has n rows.
    let private rightHandSide operation (a: Node) (b: Node) =
        requireSquare operation a
        let n = a.Shape[a.Shape.Length - 1]
        let vectors = b.Shape.Length = 1 || (b.Shape.Length = a.Shape.Length - 1 && Shape.same b.Shape a.Shape[.. a.Shape.Length - 2])
        let rows = if vectors then b.Shape[b.Shape.Length - 1] elif b.Shape.Length >= 2 then b.Shape[b.Shape.Length - 2] else -1
        if rows <> n then
            Shape.fail operation [| a.Shape; b.Shape |] "b" (sprintf "b needs %d rows, as A is %d × %d: a vector [%d], a batch of vectors [..., %d] or of matrices [..., %d, k]" n n n n n n)
        (if vectors then reshape (Array.append b.Shape [| 1 |]) b else b), vectors

    /// `solveWithMatrices a b` on b as `rightHandSide` reads it, the columns made vectors again.
    let private solveLike operation (solveWithMatrices: Node -> Node -> Node) (a: Node) (b: Node) =
        let columns, vectors = rightHandSide operation a b
        let x = solveWithMatrices a columns
        if vectors then reshape x.Shape[.. x.Shape.Length - 2] x else x

    /// X with A X = B: A a square matrix or a batch of them, B a vector, a batch of vectors
    /// (A's shape without its last dimension) or a batch of matrices; batch dimensions
    /// broadcast. Raises for a singular A.
    let solve (a: Node) (b: Node) = solveLike "solve" solveMatrices a b

    /// X with op(T) X = B for T the lower (or upper) triangle of A, batched and broadcast as
    /// `solve` is.
    let triangularSolve lower transpose unitDiagonal (a: Node) (b: Node) =
        solveLike "triangularSolve" (triangularSolveMatrices lower transpose unitDiagonal) a b

    /// A⁻¹ of each matrix of a batch. Raises for a singular A.
    let rec inverse (a: Node) : Node =
        requireSquare "inverse" a
        Graph.apply
            (op "inverse" [] (fun v -> LinAlgKernels.inverse v[0])
                (fun _ inv t -> t[0] |> ValueOption.map (fun ta -> neg (matmul inv (matmul ta inv))))
                (fun _ inv g -> [| ValueSome(neg (matmulT true false inv (matmulT false true g inv))) |])
             |> anyElementType
             |> withBatch (fun _ args _ -> inverse args[0]))
            (Array.copy a.Shape) [| a |]

    /// The diagonal of a square matrix as a vector.
    let rec diagPart (m: Node) : Node =
        if m.Shape.Length <> 2 || m.Shape[0] <> m.Shape[1] then Shape.fail "diag" [| m.Shape |] "a" "a square matrix is needed"
        let n = m.Shape[0]
        Graph.apply
            (op "diagPart" [] (fun v -> NdArray([| n |], Array.init n (fun i -> v[0].Data[i * n + i])))
                (fun _ _ t -> t[0] |> ValueOption.map diagPart)
                (fun _ _ g -> [| ValueSome(diagEmbed g) |])
             |> withAlgebra Algebra.Rearrangement)
            [| n |] [| m |]

    /// The square matrix with a vector on its diagonal and zeros elsewhere.
    and diagEmbed (v: Node) : Node =
        if v.Shape.Length <> 1 then Shape.fail "diag" [| v.Shape |] "v" "a vector is needed"
        let n = v.Shape[0]
        Graph.apply
            (op "diagEmbed" [] (fun x -> NdArray([| n; n |], Array.init (n * n) (fun k -> if k / n = k % n then x[0].Data[k / n] else 0.0)))
                (fun _ _ t -> t[0] |> ValueOption.map diagEmbed)
                (fun _ _ g -> [| ValueSome(diagPart g) |])
             |> withAlgebra Algebra.Rearrangement)
            [| n; n |] [| v |]

    /// det A of each matrix of a batch; d det = tr(adj(A) dA), which is det · tr(A⁻¹ dA) where A
    /// is invertible and holds at singular matrices too (JAX and PyTorch give the adjugate
    /// there as well).
    let rec det (a: Node) : Node =
        requireSquare "det" a
        Graph.apply
            (op "det" [] (fun v -> LinAlgKernels.det v[0])
                (fun args _ t -> t[0] |> ValueOption.map (traceOfProduct (adjugate args[0])))
                (fun args _ g -> [| ValueSome(mul (perMatrix g) (transpose (adjugate args[0]))) |])
             |> anyElementType
             |> withBatch (fun _ args _ -> det args[0]))
            (batchDims a) [| a |]

    /// adj(A) of each matrix of a batch, the transposed cofactor matrix (det A · A⁻¹ where A is
    /// invertible). Its own derivative is that of det A · A⁻¹,
    /// d adj = tr(adj dA)·A⁻¹ − det · A⁻¹ dA A⁻¹, so derivatives of det beyond the first exist
    /// only at invertible matrices (elsewhere `inverse` refuses, naming itself).
    and adjugate (a: Node) : Node =
        Graph.apply
            (op "adjugate" [] (fun v -> LinAlgKernels.adjugate v[0])
                (fun args adj t ->
                    t[0] |> ValueOption.map (fun ta ->
                        let inv = inverse args[0]
                        sub (mul (perMatrix (traceOfProduct adj ta)) inv) (mul (perMatrix (det args[0])) (matmul inv (matmul ta inv)))))
                (fun args adj g ->
                    // ⟨g, d adj⟩ = tr(adj dA)·Σ g∘A⁻¹ − det·tr(gᵀ A⁻¹ dA A⁻¹), so the cotangent
                    // is (Σ g∘A⁻¹)·adjᵀ − det · A⁻ᵀ g A⁻ᵀ.
                    let inv = inverse args[0]
                    let weight = sum [| g.Shape.Length - 2; g.Shape.Length - 1 |] true (mul g inv)
                    [| ValueSome(sub (mul weight (transpose adj)) (mul (perMatrix (det args[0])) (matmulT true false inv (matmulT false true g inv)))) |])
             |> withBatch (fun _ args _ -> adjugate args[0]))
            (Array.copy a.Shape) [| a |]

    /// log |det A| of each matrix of a batch; d = tr(A⁻¹ dA). A singular A is refused when
    /// `refuseSingular` (logDet), else gives −∞ (slogdet, as NumPy's).
    let rec private logAbsDet (refuseSingular: bool) (a: Node) : Node =
        Graph.apply
            (op "logDet" [ "refuseSingular", Parameter.Flag refuseSingular ] (fun v -> LinAlgKernels.logAbsDet refuseSingular v[0])
                (fun args _ t -> t[0] |> ValueOption.map (traceOfProduct (inverse args[0])))
                (fun args _ g -> [| ValueSome(mul (perMatrix g) (transpose (inverse args[0]))) |])
             |> anyElementType
             |> withBatch (fun _ args _ -> logAbsDet refuseSingular args[0]))
            (batchDims a) [| a |]

    /// log |det A| of each non-singular matrix of a batch.
    let logDet (a: Node) =
        requireSquare "logDet" a
        logAbsDet true a

    /// The sign of det A (−1, 0 or 1) of each matrix of a batch: piecewise constant, so its
    /// derivative is zero.
    let rec private detSign (a: Node) : Node =
        Graph.apply
            (op "detSign" [] (fun v -> LinAlgKernels.detSign v[0]) (fun _ _ _ -> ValueNone) (fun _ _ _ -> [| ValueNone |])
             |> anyElementType
             |> withBatch (fun _ args _ -> detSign args[0]))
            (batchDims a) [| a |]

    /// (sign det A, log |det A|) of each matrix of a batch, so that det A = sign · exp(log|det A|)
    /// without over- or underflow; at a singular A (0, −∞), as NumPy's slogdet.
    let slogdet (a: Node) =
        requireSquare "slogdet" a
        detSign a, logAbsDet false a

    /// Lower triangle with the diagonal halved: Φ in Murray (2016), "Differentiation of the
    /// Cholesky decomposition", of each matrix of a batch (the mask in m's element type).
    let private phi (m: Node) =
        let n = m.Shape[m.Shape.Length - 1]
        mul m (Graph.constant (NdArray.convert m.DType (NdArray([| n; n |], Array.init (n * n) (fun k -> if k / n > k % n then 1.0 elif k / n = k % n then 0.5 else 0.0)))))

    let private symmetrize (m: Node) = mul (scalar 0.5) (add m (transpose m))

    /// The lower Cholesky factor L of each symmetric positive-definite A of a batch (read as
    /// (A + Aᵀ)/2, as JAX does, so rounding asymmetry is harmless). dL = L Φ(L⁻¹ dA L⁻ᵀ); the
    /// VJP is its adjoint, L⁻ᵀ Φ(Lᵀ L̄) L⁻¹ symmetrised. Both solve with L by substitution.
    let rec cholesky (a: Node) : Node =
        requireSquare "cholesky" a
        // L⁻¹ X and L⁻ᵀ X.
        let byL (l: Node) = triangularSolveMatrices true false false l
        let byLT (l: Node) = triangularSolveMatrices true true false l
        Graph.apply
            (op "cholesky" [] (fun v -> LinAlgKernels.cholesky v[0])
                (fun _ l t -> t[0] |> ValueOption.map (fun ta -> matmul l (phi (transpose (byL l (transpose (byL l (symmetrize ta))))))))
                (fun _ l g ->
                    let p = phi (matmulT true false l g)
                    [| ValueSome(symmetrize (byLT l (transpose (byLT l (transpose p))))) |])
             |> anyElementType
             |> withBatch (fun _ args _ -> cholesky args[0]))
            (Array.copy a.Shape) [| a |]
