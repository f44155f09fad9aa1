/// Batched linear algebra (solve, inverse, det, logDet, slogdet, cholesky, triangularSolve over
/// leading batch dimensions), einsum's ellipsis and layerNorm: closed-form values as NumPy gives them, the
/// det gradient at singular matrices, batching like a loop, compilation, and clear refusals.
/// Finite-difference checks to second order are among PrimitiveTests' batched linear-algebra
/// and einsum-and-layerNorm cases.
module FunctionalAD.Tests.LinearAlgebraTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Tests.TestSupport

/// [[4, 7], [2, 6]] (det 10, inverse [[0.6, −0.7], [−0.2, 0.4]]) and the swap [[0, 1], [1, 0]]
/// (det −1, its own inverse).
let private pair = Tensor.create [| 2; 2; 2 |] [| 4.0; 7.0; 2.0; 6.0; 0.0; 1.0; 1.0; 0.0 |]

[<Fact>]
let ``solve, inverse, det, logDet and slogdet of a batch give NumPy's values`` () =
    assertTensorClose 1e-15 (Tensor.create [| 2; 2; 2 |] [| 0.6; -0.7; -0.2; 0.4; 0.0; 1.0; 1.0; 0.0 |]) (Tensor.inverse pair)
    assertTensorClose 1e-14 (vec [ 10.0; -1.0 ]) (Tensor.det pair)
    // np.linalg.solve(pair, [[1, 2], [1, 2]]): a batch of vectors, PyTorch's rule.
    assertTensorClose 1e-15 (mat [ [ -0.8; 0.6 ]; [ 2.0; 1.0 ] ]) (Tensor.solve pair (mat [ [ 1.0; 2.0 ]; [ 1.0; 2.0 ] ]))
    // One vector for the whole batch, and one matrix broadcast against it.
    assertTensorClose 1e-15 (mat [ [ -0.8; 0.6 ]; [ 2.0; 1.0 ] ]) (Tensor.solve pair (vec [ 1.0; 2.0 ]))
    let columns = Tensor.solve pair (Tensor.reshape [| 1; 2; 2 |] (Tensor.eye 2))
    Assert.Equal<int[]>([| 2; 2; 2 |], columns.Shape)
    assertTensorClose 1e-15 (Tensor.inverse pair) columns
    // B of A's shape without the last dimension is a batch of vectors, as in PyTorch.
    assertTensorClose 1e-15 (mat [ [ 0.6; -0.2 ]; [ 1.0; 0.0 ] ]) (Tensor.solve pair (Tensor.eye 2))
    let sign, logAbsDet = Tensor.slogdet pair
    assertTensorClose 0.0 (vec [ 1.0; -1.0 ]) sign
    assertTensorClose 1e-15 (vec [ log 10.0; 0.0 ]) logAbsDet
    assertTensorClose 1e-15 (vec [ log 10.0; 0.0 ]) (Tensor.logDet pair)
    // A 2 × 3 batch of one matrix each: the batch shape is kept.
    let grid = Tensor.broadcastTo [| 2; 3; 2; 2 |] (Tensor.index 0 0 pair)
    assertTensorClose 1e-14 (Tensor.full [| 2; 3 |] 10.0) (Tensor.det grid)

[<Fact>]
let ``slogdet neither under- nor overflows, and gives (0, -inf) at a singular matrix`` () =
    // det(0.1·I₄₀₀) = 1e-400 is 0 in doubles; its logarithm is 400·log 0.1.
    let small = 0.1 * Tensor.eye 400
    Assert.Equal(0.0, scalarOf (Tensor.det small))
    let sign, logAbsDet = Tensor.slogdet small
    Assert.Equal(1.0, scalarOf sign)
    assertClose 1e-10 (400.0 * log 0.1) (scalarOf logAbsDet)
    // An odd permutation with negative pivots: det diag(−1, 2, 3) with two rows swapped is 6.
    let swapped = mat [ [ 0.0; 2.0; 0.0 ]; [ -1.0; 0.0; 0.0 ]; [ 0.0; 0.0; 3.0 ] ]
    let sign, logAbsDet = Tensor.slogdet swapped
    Assert.Equal(scalarOf (Tensor.det swapped), scalarOf sign * exp (scalarOf logAbsDet), 12)
    let sign, logAbsDet = Tensor.slogdet (mat [ [ 1.0; 2.0 ]; [ 2.0; 4.0 ] ])
    Assert.Equal(0.0, scalarOf sign)
    Assert.Equal(Double.NegativeInfinity, scalarOf logAbsDet)
    // The sign is piecewise constant: derivative 0; log |det| has gradient A⁻ᵀ.
    assertTensorClose 0.0 (Tensor.zeros [| 2; 2; 2 |]) (AD.grad (fun a -> Tensor.sum (fst (Tensor.slogdet a))) pair)
    assertTensorClose 1e-15 (Tensor.permute [| 0; 2; 1 |] (Tensor.inverse pair)) (AD.grad (fun a -> Tensor.sum (snd (Tensor.slogdet a))) pair)

[<Fact>]
let ``the det gradient is the transposed adjugate, at singular matrices of a batch too`` () =
    // adj [[a, b], [c, d]] = [[d, −b], [−c, a]]: ∇det = [[d, −c], [−b, a]].
    let singular = Tensor.create [| 2; 2; 2 |] [| 1.0; 2.0; 2.0; 4.0; 0.0; 0.0; 0.0; 0.0 |]
    assertTensorClose 1e-14 (Tensor.create [| 2; 2; 2 |] [| 4.0; -2.0; -2.0; 1.0; 0.0; 0.0; 0.0; 0.0 |]) (AD.grad (fun a -> Tensor.sum (Tensor.det a)) singular)
    assertTensorClose 1e-14 (Tensor.create [| 2; 2; 2 |] [| 6.0; -2.0; -7.0; 4.0; 0.0; -1.0; -1.0; 0.0 |]) (AD.grad (fun a -> Tensor.sum (Tensor.det a)) pair)
    // Forward and reverse mode agree on the batch.
    let f a = Tensor.det a * Tensor.logDet (Tensor.matmul a (Tensor.permute [| 0; 2; 1 |] a))
    assertTensorClose 1e-12 (AD.jacrev f pair) (AD.jacfwd f pair)

[<Fact>]
let ``cholesky and triangularSolve of a batch give NumPy's and SciPy's values`` () =
    // cholesky [[4, 2], [2, 3]] = [[2, 0], [1, √2]], cholesky [[9, 3], [3, 5]] = [[3, 0], [1, 2]].
    let spd = Tensor.create [| 2; 2; 2 |] [| 4.0; 2.0; 2.0; 3.0; 9.0; 3.0; 3.0; 5.0 |]
    assertTensorClose 1e-15 (Tensor.create [| 2; 2; 2 |] [| 2.0; 0.0; 1.0; sqrt 2.0; 3.0; 0.0; 1.0; 2.0 |]) (Tensor.cholesky spd)
    // The unread triangle holds 99: scipy.linalg.solve_triangular ignores it as well.
    let a = mat [ [ 2.0; 99.0 ]; [ 1.0; 3.0 ] ]
    assertTensorClose 1e-15 (vec [ 2.0; 1.0 ]) (Tensor.triangularSolve true a (vec [ 4.0; 5.0 ]))
    let upper = mat [ [ 2.0; 1.0 ]; [ 99.0; 3.0 ] ]
    assertTensorClose 1e-15 (vec [ 1.0; 2.0 ]) (Tensor.triangularSolve false upper (vec [ 4.0; 6.0 ]))
    // Lᵀ x = b for L = [[2, 0], [1, 3]] is the upper solve above; a unit diagonal reads no diagonal.
    assertTensorClose 1e-15 (vec [ 1.0; 2.0 ]) (Tensor.triangularSolveWith true true false (mat [ [ 2.0; 99.0 ]; [ 1.0; 3.0 ] ]) (vec [ 4.0; 6.0 ]))
    assertTensorClose 1e-15 (vec [ 4.0; 1.0 ]) (Tensor.triangularSolveWith true false true (mat [ [ 5.0; 99.0 ]; [ 1.0; 7.0 ] ]) (vec [ 4.0; 5.0 ]))
    // A batch of factors against one right-hand side: L L ᵀ x = b by two triangular solves.
    let l = Tensor.cholesky spd
    let b = mat [ [ 1.0; 0.5 ]; [ -1.0; 2.0 ] ]
    let x = Tensor.triangularSolveWith true true false l (Tensor.triangularSolve true l b)
    assertTensorClose 1e-14 (Tensor.solve spd b) x
    // The derivative reaches only the triangle that was read.
    let g = AD.grad (fun a -> Tensor.sum (Tensor.triangularSolve true a (vec [ 4.0; 5.0 ]))) a
    Assert.Equal(0.0, g.ToArray()[1])

/// The function applied to each example along axis 0, stacked along axis 0.
let private perExample (f: Tensor -> Tensor) (xs: Tensor) = Tensor.stack 0 (Array.init xs.Shape[0] (fun b -> f (Tensor.index 0 b xs)))

let private agreesWithLoop (f: Tensor -> Tensor) (xs: Tensor) = assertTensorClose 1e-12 (perExample f xs) (AD.vmap f xs)

/// Five well-conditioned 2 × 3 × 3 batches, mapped over by vmap.
let private squares = Tensor.randomUniform 11 -1.0 1.0 [| 5; 2; 3; 3 |] + 3.0 * Tensor.eye 3
let private rhs = Tensor.randomUniform 12 -1.0 1.0 [| 3; 2 |]
let private spdOf (a: Tensor) = Tensor.matmul a (Tensor.permute [| 0; 2; 1 |] a)

[<Fact>]
let ``batched linear algebra under vmap equals a loop, and so do its gradients`` () =
    agreesWithLoop (fun a -> Tensor.solve a rhs) squares
    agreesWithLoop (fun a -> Tensor.solve (Tensor.index 0 0 squares) (Tensor.index 0 0 a)) squares
    agreesWithLoop (fun a -> Tensor.inverse a + Tensor.reshape [| 2; 1; 1 |] (Tensor.det a * Tensor.logDet a)) squares
    agreesWithLoop (fun a -> let sign, logAbs = Tensor.slogdet a in sign + logAbs) squares
    agreesWithLoop (fun a -> Tensor.cholesky (spdOf a)) squares
    agreesWithLoop (fun a -> Tensor.triangularSolveWith false true false a rhs + Tensor.triangularSolve true a rhs) squares
    agreesWithLoop (fun a -> Tensor.triangularSolve true (Tensor.index 0 1 squares) (Tensor.index 0 0 a)) squares
    agreesWithLoop (AD.grad (fun a -> Tensor.sum (Tensor.det a) + Tensor.sum (Tensor.solve a rhs) + Tensor.sum (Tensor.cholesky (spdOf a)))) squares
    // One matrix against a batch of right-hand sides: solved as one system with the batch's
    // columns side by side, vectors and matrices alike, and so are the gradients.
    let shared = Tensor.index 0 0 (Tensor.index 0 0 squares)
    let vectors = Tensor.randomUniform 16 -1.0 1.0 [| 6; 3 |]
    agreesWithLoop (Tensor.solve shared) vectors
    agreesWithLoop (fun b -> Tensor.triangularSolveWith false true false shared b) vectors
    agreesWithLoop (AD.grad (fun b -> Tensor.sum (Tensor.square (Tensor.solve shared b)))) vectors
    agreesWithLoop (AD.grad (fun a -> Tensor.sum (Tensor.solve a (Tensor.index 0 0 vectors)))) (Tensor.index 1 0 squares)

[<Fact>]
let ``batched linear algebra compiles, with its gradients`` () =
    let f (a: Tensor) =
        let sign, logAbs = Tensor.slogdet a
        Tensor.sum (Tensor.solve a rhs) + Tensor.sum (Tensor.det a * sign + logAbs) + Tensor.sum (Tensor.inverse a)
        + Tensor.sum (Tensor.cholesky (spdOf a)) + Tensor.sum (Tensor.triangularSolveWith true true true a rhs)
    let a = Tensor.index 0 0 squares
    assertTensorClose 1e-13 (f a) (Compile.compile f a)
    let g = AD.grad f
    assertTensorClose 1e-12 (g a) (Compile.compile g a)

let private refusal (action: unit -> Tensor) = Assert.Throws<ShapeMismatchException>(fun () -> action () |> ignore)

[<Fact>]
let ``non-square matrices, mismatched rows and batches are refused naming the operation, the shapes and the argument`` () =
    let nonSquare = refusal (fun () -> Tensor.det (Tensor.zeros [| 4; 2; 3 |]))
    Assert.Equal("det", nonSquare.Operation)
    Assert.Equal("a", nonSquare.ParamName)
    Assert.Contains("[4,2,3]", nonSquare.Message)
    Assert.Contains("a square matrix, or a batch of them [..., n, n], is needed", nonSquare.Message)
    for name, action in [ "inverse", (fun () -> Tensor.inverse (Tensor.zeros [| 3 |]))
                          "logDet", (fun () -> Tensor.logDet (Tensor.zeros [| 2; 3 |]))
                          "slogdet", (fun () -> fst (Tensor.slogdet (Tensor.zeros [| 2; 2; 3 |])))
                          "cholesky", (fun () -> Tensor.cholesky (Tensor.zeros [| 1; 3; 2 |]))
                          "triangularSolve", (fun () -> Tensor.triangularSolve true (Tensor.zeros [| 3; 2 |]) (Tensor.zeros [| 3 |])) ] do
        Assert.Equal(name, (refusal action).Operation)
    let rows = refusal (fun () -> Tensor.solve pair (Tensor.zeros [| 2; 3; 1 |]))
    Assert.Equal("solve", rows.Operation)
    Assert.Equal("b", rows.ParamName)
    Assert.Contains("b needs 2 rows, as A is 2 × 2", rows.Message)
    Assert.Contains("[2,2,2] and [2,3,1]", rows.Message)
    let batches = refusal (fun () -> Tensor.solve pair (Tensor.zeros [| 3; 2; 1 |]))
    Assert.Equal("b", batches.ParamName)
    Assert.Contains("the batch dimensions [2] of a and [3] of b do not broadcast", batches.Message)
    Assert.Equal("triangularSolve", (refusal (fun () -> Tensor.triangularSolve false pair (Tensor.zeros [| 4 |]))).Operation)

[<Fact>]
let ``a singular matrix of a batch is named by its place`` () =
    let singular = Tensor.create [| 2; 2; 2 |] [| 1.0; 0.0; 0.0; 1.0; 1.0; 2.0; 2.0; 4.0 |]
    let e = Assert.Throws<LinearAlgebraException>(fun () -> Tensor.inverse singular |> ignore)
    Assert.Equal("inverse", e.Operation)
    Assert.Contains("matrix 1 of the batch", e.Message)
    let zeroDiagonal = Assert.Throws<LinearAlgebraException>(fun () -> Tensor.triangularSolve true (mat [ [ 1.0; 0.0 ]; [ 1.0; 0.0 ] ]) (vec [ 1.0; 1.0 ]) |> ignore)
    Assert.Equal("triangularSolve", zeroDiagonal.Operation)
    Assert.Contains("a zero on the diagonal", zeroDiagonal.Message)
    Assert.Equal("logDet", (Assert.Throws<LinearAlgebraException>(fun () -> Tensor.logDet singular |> ignore)).Operation)

// ---- einsum with '...' ----------------------------------------------------------------------

let private x234 = Tensor.reshape [| 2; 3; 4 |] (Tensor.arange 24)

[<Fact>]
let ``einsum's ellipsis gives NumPy's values, broadcast between operands`` () =
    assertTensorClose 0.0 (Tensor.permute [| 0; 2; 1 |] x234) (Tensor.einsum "...ij->...ji" [ x234 ])
    // np.einsum('...ij,...jk->...ik', a[2,1,3,4], b[5,4,2]) is np.matmul: batch [2,5].
    let a = Tensor.reshape [| 2; 1; 3; 4 |] x234
    let b = Tensor.reshape [| 5; 4; 2 |] (Tensor.arange 40)
    let product = Tensor.einsum "...ij,...jk->...ik" [ a; b ]
    Assert.Equal<int[]>([| 2; 5; 3; 2 |], product.Shape)
    assertTensorClose 1e-12 (Tensor.matmul a b) product
    // Implicit output: the ellipsis axes first, then the letters that occur once.
    assertTensorClose 1e-12 (Tensor.matmul a b) (Tensor.einsum "...ij,...jk" [ a; b ])
    let w = vec [ 1.0; -1.0; 2.0; 0.5 ]
    assertTensorClose 1e-12 (Tensor.matmul x234 w) (Tensor.einsum "b...i,i->b..." [ x234; w ])
    // A batched diagonal, and ellipsis axes summed where the output leaves them out.
    let squares = Tensor.reshape [| 2; 3; 3 |] (Tensor.arange 18)
    assertTensorClose 0.0 (mat [ [ 0.0; 4.0; 8.0 ]; [ 9.0; 13.0; 17.0 ] ]) (Tensor.einsum "...ii->...i" [ squares ])
    assertTensorClose 0.0 (Tensor.sumAxes [| 0; 1 |] false x234) (Tensor.einsum "...i->i" [ x234 ])
    // An operand without the ellipsis, and one whose '...' stands for no axes.
    assertTensorClose 1e-12 (Tensor.matmul x234 w) (Tensor.einsum "...i,...i->..." [ x234; w ])

[<Fact>]
let ``einsum's ellipsis batches like a loop and compiles, with its gradient`` () =
    let xs = Tensor.randomUniform 13 -1.0 1.0 [| 4; 2; 3; 3 |]
    let m = Tensor.randomUniform 14 -1.0 1.0 [| 3; 3 |]
    agreesWithLoop (fun x -> Tensor.einsum "...ij,...jk->...ik" [ x; m ]) xs
    agreesWithLoop (fun x -> Tensor.einsum "...ij,jk->...ki" [ x; Tensor.index 0 0 x ]) xs
    agreesWithLoop (AD.grad (fun x -> Tensor.sum (Tensor.einsum "b...i,...i->b" [ x; m ] |> sin))) xs
    let f (x: Tensor) = Tensor.einsum "...ij,...jk->...ik" [ x; Tensor.einsum "...ij->...ji" [ x ] ]
    let x = Tensor.index 0 0 xs
    assertTensorClose 1e-14 (f x) (Compile.compile f x)
    let g = AD.grad (fun x -> Tensor.sum (f x))
    assertTensorClose 1e-13 (g x) (Compile.compile g x)

[<Fact>]
let ``bad ellipses are refused naming the operand and the shapes`` () =
    let tooFew = refusal (fun () -> Tensor.einsum "...ij->...ji" [ vec [ 1.0 ] ])
    Assert.Equal("einsum", tooFew.Operation)
    Assert.Equal("operand 0", tooFew.ParamName)
    Assert.Contains("'...ij' names 2 axes besides '...' but the operand has 1", tooFew.Message)
    let mismatch = refusal (fun () -> Tensor.einsum "...ij,...jk->...ik" [ Tensor.zeros [| 2; 3; 3 |]; Tensor.zeros [| 4; 3; 3 |] ])
    Assert.Equal("operand 0", mismatch.ParamName)
    Assert.Contains("axis 0 (under '...') is 2 here and 4 elsewhere", mismatch.Message)
    Assert.Contains("[2,3,3] and [4,3,3]", mismatch.Message)
    let twice = Assert.Throws<ArgumentException>(fun () -> Tensor.einsum "...i...->i" [ x234 ] |> ignore)
    Assert.Contains("a term may hold '...' only once", twice.Message)
    Assert.Contains("only use letters and '...'", (Assert.Throws<ArgumentException>(fun () -> Tensor.einsum "..i->i" [ x234 ] |> ignore)).Message)

// ---- layerNorm ------------------------------------------------------------------------------

[<Fact>]
let ``layerNorm normalises the last axis as PyTorch's layer_norm does`` () =
    // F.layer_norm([1, 2, 3, 4], (4,), eps=0): (x − 2.5) / √1.25.
    let r = 1.0 / sqrt 1.25
    assertTensorClose 1e-15 (vec [ -1.5 * r; -0.5 * r; 0.5 * r; 1.5 * r ]) (Tensor.layerNorm 0.0 (vec [ 1.0; 2.0; 3.0; 4.0 ]))
    // Each row on its own; eps inside the root; a constant row gives zeros, not NaN.
    let rows = mat [ [ 1.0; 2.0; 3.0; 4.0 ]; [ 10.0; 30.0; 20.0; 40.0 ]; [ 5.0; 5.0; 5.0; 5.0 ] ]
    let e = 1e-5
    let expected = mat [ [ -1.5 / sqrt (1.25 + e); -0.5 / sqrt (1.25 + e); 0.5 / sqrt (1.25 + e); 1.5 / sqrt (1.25 + e) ]
                         [ -15.0 / sqrt (125.0 + e); 5.0 / sqrt (125.0 + e); -5.0 / sqrt (125.0 + e); 15.0 / sqrt (125.0 + e) ]
                         [ 0.0; 0.0; 0.0; 0.0 ] ]
    assertTensorClose 1e-14 expected (Tensor.layerNorm e rows)
    let gamma, beta = vec [ 1.0; 2.0; 0.5; -1.0 ], vec [ 0.0; 1.0; 0.0; 3.0 ]
    assertTensorClose 1e-14 (expected * gamma + beta) (Tensor.layerNormAffine e gamma beta rows)
    // Σ of a normalised row is 0 whatever x: its gradient is 0 (up to rounding).
    assertTensorClose 1e-15 (Tensor.zeros [| 3; 4 |]) (AD.grad (fun x -> Tensor.sum (Tensor.layerNorm e x)) rows)
    agreesWithLoop (Tensor.layerNormAffine e gamma beta) (Tensor.randomUniform 15 -1.0 1.0 [| 4; 3; 4 |])
    let f (x: Tensor) = Tensor.sum (Tensor.square (Tensor.layerNormAffine e gamma beta x))
    assertTensorClose 1e-13 (AD.grad f rows) (Compile.compile (AD.grad f) rows)

[<Fact>]
let ``layerNorm refuses scalars, empty axes, negative eps and misshapen weights`` () =
    Assert.Equal("x", (refusal (fun () -> Tensor.layerNorm 1e-5 (s 1.0))).ParamName)
    Assert.Equal("x", (refusal (fun () -> Tensor.layerNorm 1e-5 (Tensor.zeros [| 2; 0 |]))).ParamName)
    Assert.Equal("eps", (refusal (fun () -> Tensor.layerNorm -1.0 (vec [ 1.0 ]))).ParamName)
    let gamma = refusal (fun () -> Tensor.layerNormAffine 1e-5 (vec [ 1.0; 2.0 ]) (vec [ 0.0; 0.0; 0.0 ]) (Tensor.zeros [| 2; 3 |]))
    Assert.Equal("layerNorm", gamma.Operation)
    Assert.Equal("gamma", gamma.ParamName)
    Assert.Contains("gamma needs the shape [3] of x's last axis", gamma.Message)

[<Fact>]
let ``small systems (own elimination) and large ones (MathNet's LU) solve alike`` () =
    for n in [ 8; 40 ] do
        let a = Tensor.randomUniform n -1.0 1.0 [| 2; n; n |] + float n * Tensor.eye n
        let b = Tensor.randomUniform (n + 1) -1.0 1.0 [| 2; n; 3 |]
        let x = Tensor.solve a b
        assertTensorClose 1e-13 b (Tensor.matmul a x)
        assertTensorClose 1e-13 (Tensor.matmul (Tensor.inverse a) b) x
        // A singular second matrix is refused on both paths, named by its place.
        let singular = Tensor.concat 0 [ Tensor.index 0 0 a |> Tensor.expandDims 0; Tensor.zeros [| 1; n; n |] ]
        Assert.Contains("matrix 1 of the batch", (Assert.Throws<LinearAlgebraException>(fun () -> Tensor.solve singular b |> ignore)).Message)

/// op(A)·op(B) by the definition, Σₖ op(A)ᵢₖ·op(B)ₖⱼ in order, on row-major matrices.
let private productByDefinition (transA: bool) (transB: bool) (a: NdArray) (b: NdArray) =
    let at (x: NdArray) transposed i j = if transposed then x.Data[j * x.Shape[1] + i] else x.Data[i * x.Shape[1] + j]
    let m, inner = (if transA then a.Shape[1], a.Shape[0] else a.Shape[0], a.Shape[1])
    let n = if transB then b.Shape[0] else b.Shape[1]
    Array.init (m * n) (fun e -> Seq.sum (seq { for k in 0 .. inner - 1 -> at a transA (e / n) k * at b transB k (e % n) }))

[<Fact>]
let ``a product whose left operand has at most one nonzero per row equals the whole sum, in every transposition`` () =
    // op(A) is 5 × 4: scaled basis rows, a row of zeros, a NaN as a row's one nonzero.
    let rows = [| [| 0.0; 2.5; 0.0; 0.0 |]; [| 0.0; 0.0; 0.0; 0.0 |]; [| -1.0; 0.0; 0.0; 0.0 |]; [| 0.0; 0.0; 0.0; nan |]; [| 0.0; 0.0; 3.0; 0.0 |] |]
    let opA = NdArray.create [| 5; 4 |] (Array.concat rows)
    let opB = (Tensor.randomNormal 31 [| 4; 3 |]).Value
    let transposed (x: NdArray) = NdArray.create [| x.Shape[1]; x.Shape[0] |] (Array.init x.Size (fun e -> x.Data[(e % x.Shape[0]) * x.Shape[1] + e / x.Shape[0]]))
    for transA in [ false; true ] do
        for transB in [ false; true ] do
            let a = if transA then transposed opA else opA
            let b = if transB then transposed opB else opB
            let product = LinAlgKernels.matmul transA transB [| 5; 3 |] a b
            Assert.Equal<double[]>(productByDefinition transA transB a b, product.Data)

[<Fact>]
let ``against an infinite entry, a product with one nonzero per row keeps the whole sum's NaN`` () =
    let a = NdArray.create [| 2; 2 |] [| 1.0; 0.0; 0.0; 2.0 |]
    let b = NdArray.create [| 2; 2 |] [| 1.0; infinity; 3.0; 4.0 |]
    let product = LinAlgKernels.matmul false false [| 2; 2 |] a b
    // Row 1 is 0·1 + 2·3 and 0·∞ + 2·4: NaN, as the dense product gives.
    Assert.Equal<double[]>([| 1.0; infinity; 6.0; nan |], product.Data)
    Assert.Equal<double[]>(productByDefinition false false a b, product.Data)

[<Fact>]
let ``the Jacobian of tanh(W x) by batched sweeps over the basis equals one reverse sweep per row, values and gradients`` () =
    let n = 6
    let w = Tensor.randomNormal 32 [| n; n |]
    let x = Tensor.randomNormal 33 [| n |]
    let layer (w: Tensor) (x: Tensor) = tanh (Tensor.matmul w x)
    let perRow (w: Tensor) =
        let y, pullback = AD.vjp (layer w) x
        Tensor.stack 0 (Array.init n (fun i -> pullback (Tensor.create y.Shape (Array.init n (fun k -> if k = i then 1.0 else 0.0)))))
    assertTensorClose 0.0 (perRow w) (AD.jacrev (layer w) x)
    assertTensorClose 0.0 (perRow w) (AD.jacobian (layer w) x)
    let weighted (j: Tensor) = Tensor.sum (j * Tensor.randomNormal 34 [| n; n |])
    assertTensorClose 1e-14 (AD.grad (perRow >> weighted) w) (AD.grad (fun w -> weighted (AD.jacrev (layer w) x)) w)
    // vmap over a batch of scaled basis rows: each example's pullback alone.
    let _, pullback = AD.vjp (layer w) x
    let basis = Tensor.eye n * 3.0
    assertTensorClose 0.0 (Tensor.stack 0 (Array.init n (fun i -> pullback (Tensor.index 0 i basis)))) (AD.vmap pullback basis)
