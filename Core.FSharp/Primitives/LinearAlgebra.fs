namespace FunctionalAD.Primitives

open FunctionalAD
open FunctionalAD.Primitives.Arithmetic
open FunctionalAD.Primitives.Reductions

/// Matrix primitives. Products run on the active MathNet provider; rules are the standard matrix
/// calculus identities (Giles 2008, "Collected matrix derivative results"), written with the
/// same primitives so they differentiate again.
module internal LinearAlgebra =
    let private requireSquare name (a: Node) =
        if a.Shape.Length <> 2 || a.Shape[0] <> a.Shape[1] then
            Shape.fail name [| a.Shape |] "a" "a square matrix is needed"

    /// op(A) · op(B) over the last two dimensions, batch dimensions broadcast; op transposes when
    /// the flag is set, without copying.
    let rec matmulT (transA: bool) (transB: bool) (a: Node) (b: Node) : Node =
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
        Graph.apply
            (op "matmul" [ "Aᵀ", Parameter.Flag transA; "Bᵀ", Parameter.Flag transB ]
                (fun v -> LinAlgKernels.matmul transA transB shape v[0] v[1])
                (fun args _ t ->
                    addTangents
                        (t[0] |> ValueOption.map (fun ta -> broadcastTo shape (matmulT transA transB ta args[1])))
                        (t[1] |> ValueOption.map (fun tb -> broadcastTo shape (matmulT transA transB args[0] tb))))
                (fun args _ g -> [| pullTo args[0] (fun () -> gradA g args[1]); pullTo args[1] (fun () -> gradB g args[0]) |])
             |> withAlgebra Algebra.MatrixProduct
             |> withInto (productInto transA transB)
             |> withBatch (batchedProduct transA transB))
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
        | false, true when not transB && a.Shape.Length = 2 && b.Shape.Length = 3 ->
            let k, n = b.Shape[1], b.Shape[2]
            let columns = reshape [| k; size * n |] (Layout.permute [| 1; 0; 2 |] b)
            let product = matmulT transA false a columns
            Layout.permute [| 1; 0; 2 |] (reshape [| product.Shape[0]; size; n |] product)
        | _ ->
            // Unit batch dimensions after the batch axis line the batch up with the other
            // operand's batch dimensions (or with nothing, where it has fewer).
            let perExample (x: Node) isBatched = x.Shape.Length - (if isBatched then 1 else 0)
            let rank = Operators.max (perExample a batched[0]) (perExample b batched[1])
            let align (x: Node) isBatched = if isBatched then batchedToRank rank x else x
            matmulT transA transB (align a batched[0]) (align b batched[1])

    /// A · B.
    let matmul a b = matmulT false false a b

    /// x · y of two vectors of one length: one pass (no product vector), and under vmap a batch
    /// of vectors against one vector is one matrix–vector product.
    let rec dot (x: Node) (y: Node) : Node = Graph.apply (dotOp ()) [||] [| x; y |]

    and private dotOp () : Op =
        op "dot" [] (fun v -> NdArray.scalar (System.Numerics.Tensors.TensorPrimitives.Dot(System.ReadOnlySpan<double>(v[0].Data), System.ReadOnlySpan<double>(v[1].Data))))
            (fun args _ t ->
                addTangents (t[0] |> ValueOption.map (fun tx -> dot tx args[1])) (t[1] |> ValueOption.map (fun ty -> dot args[0] ty)))
            (fun args _ g -> [| pullTo args[0] (fun () -> mulNoNan g args[1]); pullTo args[1] (fun () -> mulNoNan g args[0]) |])
        |> withAlgebra Algebra.MatrixProduct
        |> withBatch (fun size args batched ->
            let againstOne (vectors: Node) (v: Node) = reshape [| size |] (matmul vectors (reshape [| v.Shape[0]; 1 |] v))
            match batched[0], batched[1] with
            | true, false -> againstOne args[0] args[1]
            | false, true -> againstOne args[1] args[0]
            | _ -> sum [| 1 |] false (mul args[0] args[1]))

    /// The transpose of a matrix.
    let transpose (a: Node) = Layout.permute [| 1; 0 |] a

    /// As a matrix: a vector becomes a column.
    let private asColumn (v: Node) = if v.Shape.Length = 1 then reshape [| v.Shape[0]; 1 |] v else v
    let private like (template: Node) (m: Node) = if template.Shape.Length = 1 then reshape template.Shape m else m

    /// X with A X = B for square A; B a matrix or a vector. Raises for a singular A.
    let rec solve (a: Node) (b: Node) : Node =
        requireSquare "solve" a
        if b.Shape.Length < 1 || b.Shape.Length > 2 || b.Shape[0] <> a.Shape[0] then
            Shape.fail "solve" [| a.Shape; b.Shape |] "b" "b needs as many rows as A"
        Graph.apply
            (op "solve" [] (fun v -> LinAlgKernels.solve v[0] v[1])
                (fun args x t ->
                    let rhs =
                        match t[0], t[1] with
                        | ValueNone, ValueNone -> ValueNone
                        | ta, tb ->
                            let fromA = ta |> ValueOption.map (fun ta -> neg (like x (matmul ta (asColumn x))))
                            addTangents tb fromA
                    rhs |> ValueOption.map (solve args[0]))
                (fun args x g ->
                    let gb = solve (transpose args[0]) g
                    [| pullTo args[0] (fun () -> neg (matmulT false true (asColumn gb) (asColumn x))); ValueSome gb |]))
            (Array.copy b.Shape) [| a; b |]

    /// A⁻¹. Raises for a singular A.
    let rec inverse (a: Node) : Node =
        requireSquare "inverse" a
        Graph.apply
            (op "inverse" [] (fun v -> LinAlgKernels.inverse v[0])
                (fun _ inv t -> t[0] |> ValueOption.map (fun ta -> neg (matmul inv (matmul ta inv))))
                (fun _ inv g -> [| ValueSome(neg (matmulT true false inv (matmulT false true g inv))) |]))
            (Array.copy a.Shape) [| a |]

    /// The diagonal of a square matrix as a vector.
    let rec diagPart (m: Node) : Node =
        requireSquare "diag" m
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

    /// tr(A) for a square matrix, as Σ of the diagonal.
    let private traceOf (m: Node) = sum [| 0 |] false (diagPart m)

    /// det A; d det = tr(adj(A) dA), which is det · tr(A⁻¹ dA) where A is invertible and holds
    /// at singular matrices too (JAX and PyTorch give the adjugate there as well).
    let rec det (a: Node) : Node =
        requireSquare "det" a
        Graph.apply
            (op "det" [] (fun v -> LinAlgKernels.det v[0])
                (fun args _ t -> t[0] |> ValueOption.map (fun ta -> traceOf (matmul (adjugate args[0]) ta)))
                (fun args _ g -> [| ValueSome(mul g (transpose (adjugate args[0]))) |]))
            [||] [| a |]

    /// adj(A), the transposed cofactor matrix (det A · A⁻¹ where A is invertible). Its own
    /// derivative is that of det A · A⁻¹, d adj = tr(adj dA)·A⁻¹ − det · A⁻¹ dA A⁻¹, so
    /// derivatives of det beyond the first exist only at invertible matrices (elsewhere
    /// `inverse` refuses, naming itself).
    and adjugate (a: Node) : Node =
        Graph.apply
            (op "adjugate" [] (fun v -> LinAlgKernels.adjugate v[0])
                (fun args adj t ->
                    t[0] |> ValueOption.map (fun ta ->
                        let inv = inverse args[0]
                        sub (mul (traceOf (matmul adj ta)) inv) (mul (det args[0]) (matmul inv (matmul ta inv)))))
                (fun args adj g ->
                    // ⟨g, d adj⟩ = tr(adj dA)·Σ g∘A⁻¹ − det·tr(gᵀ A⁻¹ dA A⁻¹), so the cotangent
                    // is (Σ g∘A⁻¹)·adjᵀ − det · A⁻ᵀ g A⁻ᵀ.
                    let inv = inverse args[0]
                    let weight = sum [| 0; 1 |] false (mul g inv)
                    [| ValueSome(sub (mul weight (transpose adj)) (mul (det args[0]) (matmulT true false inv (matmulT false true g inv)))) |]))
            (Array.copy a.Shape) [| a |]

    /// log |det A| of a non-singular matrix; d = tr(A⁻¹ dA).
    let logDet (a: Node) =
        requireSquare "logDet" a
        Graph.apply
            (op "logDet" [] (fun v -> LinAlgKernels.logAbsDet v[0])
                (fun args _ t -> t[0] |> ValueOption.map (fun ta -> traceOf (solve args[0] ta)))
                (fun args _ g -> [| ValueSome(mul g (transpose (inverse args[0]))) |]))
            [||] [| a |]

    /// Lower triangle with the diagonal halved: Φ in Murray (2016), "Differentiation of the
    /// Cholesky decomposition".
    let private phi (m: Node) =
        let n = m.Shape[0]
        mul m (Graph.constant (NdArray([| n; n |], Array.init (n * n) (fun k -> if k / n > k % n then 1.0 elif k / n = k % n then 0.5 else 0.0))))

    let private symmetrize (m: Node) = mul (scalar 0.5) (add m (transpose m))

    /// The lower Cholesky factor L of a symmetric positive-definite A (read as (A + Aᵀ)/2, as JAX
    /// does, so rounding asymmetry is harmless). dL = L Φ(L⁻¹ dA L⁻ᵀ); the VJP is its adjoint.
    let rec cholesky (a: Node) : Node =
        requireSquare "cholesky" a
        Graph.apply
            (op "cholesky" [] (fun v -> LinAlgKernels.cholesky (let m = v[0] in NdArray(m.Shape, Array.init m.Size (fun k -> let n = m.Shape[0] in 0.5 * (m.Data[k] + m.Data[(k % n) * n + k / n])))))
                (fun _ l t ->
                    t[0] |> ValueOption.map (fun ta ->
                        let inner = transpose (solve l (transpose (solve l (symmetrize ta))))
                        matmul l (phi inner)))
                (fun _ l g ->
                    let p = phi (matmulT true false l g)
                    let s = solve (transpose l) (transpose (solve (transpose l) (transpose p)))
                    [| ValueSome(symmetrize s) |]))
            (Array.copy a.Shape) [| a |]
