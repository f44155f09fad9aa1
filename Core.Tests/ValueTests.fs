/// Dense values: construction, conversion, broadcasting and kernels against direct loops.
module FunctionalAD.Tests.ValueTests

open Xunit
open MathNet.Numerics.LinearAlgebra
open FunctionalAD
open FunctionalAD.Tests.TestSupport

[<Fact>]
let ``tensors convert to and from arrays and MathNet types`` () =
    let m = Tensor.ofArray2D (array2D [ [ 1.0; 2.0; 3.0 ]; [ 4.0; 5.0; 6.0 ] ])
    Assert.Equal<int[]>([| 2; 3 |], m.Shape)
    Assert.Equal<float[]>([| 1.0; 2.0; 3.0; 4.0; 5.0; 6.0 |], m.ToArray())
    let mm = Tensor.toMatrix m
    Assert.Equal(6.0, mm[1, 2])
    assertTensorClose 0.0 m (Tensor.ofMatrix mm)
    assertTensorClose 0.0 (vec [ 1.0; 2.0 ]) (Tensor.ofVector (Vector<float>.Build.DenseOfArray [| 1.0; 2.0 |]))
    Assert.Equal(5.0, (Tensor.toArray2D m)[1, 1])
    let implicitTensor : Tensor = Tensor.op_Implicit 2.5
    Assert.Equal(2.5, implicitTensor.ToScalar())

[<Fact>]
let ``broadcasting follows NumPy`` () =
    let a = Tensor.reshape [| 3; 1 |] (vec [ 1.0; 2.0; 3.0 ])
    let b = vec [ 10.0; 20.0 ]
    let c = a + b
    Assert.Equal<int[]>([| 3; 2 |], c.Shape)
    Assert.Equal<float[]>([| 11.0; 21.0; 12.0; 22.0; 13.0; 23.0 |], c.ToArray())

[<Fact>]
let ``matmul matches a direct triple loop, with batches and transposes`` () =
    let a = Tensor.randomNormal 1 [| 2; 3; 4 |]
    let b = Tensor.randomNormal 2 [| 4; 5 |]
    let c = Tensor.matmul a b
    Assert.Equal<int[]>([| 2; 3; 5 |], c.Shape)
    let av, bv, cv = a.ToArray(), b.ToArray(), c.ToArray()
    for n in 0 .. 1 do
        for i in 0 .. 2 do
            for j in 0 .. 4 do
                let expected = Seq.sum (seq { for k in 0 .. 3 -> av[n * 12 + i * 4 + k] * bv[k * 5 + j] })
                assertClose 1e-14 expected cv[n * 15 + i * 5 + j]
    assertTensorClose 1e-14 (Tensor.einsum "nik,kj->nij" [ a; b ]) c

[<Fact>]
let ``reductions over axes`` () =
    let x = Tensor.reshape [| 2; 3; 2 |] (Tensor.arange 12)
    Assert.Equal<float[]>([| 6.0; 9.0; 24.0; 27.0 |], (Tensor.sumAxes [| 1 |] false x).ToArray())
    Assert.Equal<float[]>([| 4.0; 5.0; 10.0; 11.0 |], (Tensor.maxAxes [| 1 |] false x).ToArray())
    Assert.Equal<int[]>([| 2; 1; 2 |], (Tensor.minAxes [| -2 |] true x).Shape)
    Assert.Equal<float[]>([| 30.0; 36.0 |], (Tensor.sumAxes [| 0; 1 |] false x).ToArray())
    assertClose 1e-15 0.0 (scalarOf (Tensor.prod x))
    assertClose 1e-12 (log (Seq.sum (seq { for i in 0 .. 11 -> exp (float i) }))) (scalarOf (Tensor.logsumexp x))

[<Fact>]
let ``layout operations`` () =
    let x = Tensor.reshape [| 3; 4 |] (Tensor.arange 12)
    Assert.Equal<float[]>([| 1.0; 3.0; 9.0; 11.0 |], (Tensor.slice [| (0, 3, 2); (1, 4, 2) |] x).ToArray())
    Assert.Equal<float[]>([| 8.0; 9.0; 10.0; 11.0 |], x[-1].ToArray())
    Assert.Equal<float[]>([| 2.0; 6.0; 10.0 |], (Tensor.index 1 2 x).ToArray())
    Assert.Equal<float[]>([| 8.0; 9.0; 10.0; 11.0; 0.0; 1.0; 2.0; 3.0 |], (Tensor.gather 0 [| 2; 0 |] x).ToArray())
    Assert.Equal<int[]>([| 3; 8 |], (Tensor.concat 1 [ x; x ]).Shape)
    Assert.Equal<int[]>([| 3; 2; 4 |], (Tensor.stack 1 [ x; x ]).Shape)
    Assert.Equal<float[]>([| 0.0; 4.0; 8.0; 1.0 |], (Tensor.transpose x).ToArray()[0..3])
    Assert.Equal<float[]>([| 0.0; 5.0; 10.0 |], (Tensor.diag (Tensor.slice [| (0, 3, 1); (0, 3, 1) |] x)).ToArray())

[<Fact>]
let ``log1p and expm1 are accurate near zero`` () =
    assertClose 1e-15 1e-20 (scalarOf (Tensor.log1p (s 1e-20)))
    assertClose 1e-15 1e-20 (scalarOf (Tensor.expm1 (s 1e-20)))
    assertClose 1e-15 (System.Math.Log 1.5) (scalarOf (Tensor.log1p (s 0.5)))
    Assert.Equal(0.0, scalarOf (Tensor.sigmoid (s -800.0)))
    Assert.Equal(800.0, scalarOf (Tensor.softplus (s 800.0)))

[<Fact>]
let ``F# range slicing`` () =
    let v = Tensor.arange 6
    Assert.Equal<float[]>([| 1.0; 2.0; 3.0 |], v[1..3].ToArray())
    Assert.Equal<float[]>([| 4.0; 5.0 |], v[4..].ToArray())
    let m = Tensor.reshape [| 3; 4 |] (Tensor.arange 12)
    Assert.Equal<float[]>([| 6.0; 7.0; 10.0; 11.0 |], m[1.., 2..].ToArray())
    assertTensorClose 0.0 (vec [ 0.0; 1.0; 1.0; 0.0; 0.0; 0.0 ]) (AD.grad (fun (x: Tensor) -> Tensor.sum x[1..2]) v)
    Assert.Throws<ShapeMismatchException>(fun () -> v[2..9] |> ignore) |> ignore

[<Fact>]
let ``matrix products agree with MathNet for every transpose, edge and degenerate size`` () =
    // On the managed provider these bypass MathNet (which copies its operands): matrix–vector
    // products as row loops, others as the packed blocked product, whose tiles of 4 rows and
    // 2 vectors of columns, 256-deep slices and 128-column chunks all get partial edges here,
    // on one thread and spread over the cores.
    // The reference is MathNet's own product of the same matrices.
    let rng = System.Random 17
    let matrix rows cols = Array.init (rows * cols) (fun _ -> rng.NextDouble() * 2.0 - 1.0)
    let asMatrix rows cols (data: double[]) = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfRowMajor(rows, cols, data)
    // Rows of 41 and 1 000 elements run in 512-bit lanes where the machine has them (41 with a
    // scalar tail of one), rows of 7, 30 and 700 in `Vector`'s narrower lanes (`wideLanes`). The
    // last three matrix–vector shapes are split into parts that run in parallel.
    let vectorShapes =
        [ 7, 5, 1; 1, 5, 7; 1, 1, 1; 1, 9, 1; 30, 1, 1; 1, 1, 30; 64, 33, 1; 1, 33, 64; 1, 20, 41; 41, 20, 1; 5, 1000, 1; 1, 1000, 5
          3000, 200, 1; 1, 700, 2000; 20001, 37, 1 ]
    // The last two are large enough to split their column chunks over the cores.
    let matrixShapes = [ 2, 1, 2; 4, 8, 16; 5, 300, 131; 33, 257, 9; 130, 3, 129; 8, 512, 24; 300, 300, 300; 67, 513, 260 ]
    for m, inner, n in vectorShapes @ matrixShapes do
        for transA in [ false; true ] do
            for transB in [ false; true ] do
                let ra, ca = (if transA then inner, m else m, inner)
                let rb, cb = (if transB then n, inner else inner, n)
                let a, b = matrix ra ca, matrix rb cb
                let c = Array.create (m * n) nan
                LinAlgKernels.gemmInto transA transB a ra ca b rb cb c
                let opA = if transA then (asMatrix ra ca a).Transpose() else asMatrix ra ca a
                let opB = if transB then (asMatrix rb cb b).Transpose() else asMatrix rb cb b
                let expected = (opA * opB).ToRowMajorArray()
                for k in 0 .. c.Length - 1 do
                    Assert.True(abs (c[k] - expected[k]) <= 1e-13 * (1.0 + abs expected[k]), sprintf "%d×%d×%d transA=%b transB=%b element %d: %g vs %g" m inner n transA transB k c[k] expected[k])

[<Fact>]
let ``a scalar keeps its element inline and behaves as a one-element array`` () =
    let unaryKernels =
        [ SpanUnary(fun a d -> System.Numerics.Tensors.TensorPrimitives.Sin(a, d))
          SpanUnary(fun a d -> System.Numerics.Tensors.TensorPrimitives.Exp(a, d)) ]
    let binaryKernel = Primitives.Arithmetic.quotients
    for v in [ 0.3; -2.5; 0.0; nan; infinity ] do
        let scalar = NdArray.scalar v
        let asVector = NdArray.ofArray [| v |]
        for kernel in unaryKernels do
            Assert.Equal((Kernels.map kernel asVector).Data[0], (Kernels.map kernel scalar).Scalar)
        Assert.Equal((Kernels.binary Kernels.Stores.Cached binaryKernel [| 1 |] asVector (NdArray.ofArray [| 0.7 |])).Data[0], (Kernels.binary Kernels.Stores.Cached binaryKernel [||] scalar (NdArray.scalar 0.7)).Scalar)
        Assert.Equal((Kernels.mapScalar (fun x -> x * x + 1.0) asVector).Data[0], (Kernels.mapScalar (fun x -> x * x + 1.0) scalar).Scalar)
        Assert.Equal<int[]>([||], (Kernels.map unaryKernels[0] scalar).Shape)
        Assert.Equal<float[]>([| v |], scalar.ToArray())
        Assert.Equal<float[]>([| v |], scalar.Data)
    // A donated scalar cannot be read, whether or not its buffer was ever made.
    for materialised in [ false; true ] do
        let scalar = NdArray.scalar 4.0
        if materialised then scalar.Data |> ignore
        scalar.Donate()
        Assert.Throws<System.InvalidOperationException>(fun () -> scalar.Scalar |> ignore) |> ignore
        Assert.Contains("donated", scalar.ToString())

[<Fact>]
let ``permutes move every element where the index arithmetic says, with unit and merged axes`` () =
    // 130 × 70 and 700 × 390 transpose in partial tiles at both edges; the second is large
    // enough to be split over the cores.
    let shapes = [ [| 3; 1; 4; 2 |]; [| 2; 3; 4 |]; [| 37; 41 |]; [| 130; 70 |]; [| 700; 390 |]; [| 1; 5; 1 |]; [| 2; 1; 3; 1; 2 |] ]
    for shape in shapes do
        let x = NdArray.create shape (Array.init (Array.fold (*) 1 shape) float)
        let strides = Shape.strides shape
        let permutations =
            let rec all (items: int list) =
                match items with
                | [] -> [ [] ]
                | _ -> items |> List.collect (fun i -> all (List.filter ((<>) i) items) |> List.map (fun rest -> i :: rest))
            all [ 0 .. shape.Length - 1 ] |> List.map Array.ofList
        for perm in permutations do
            let result = Kernels.permute perm x
            let outShape = perm |> Array.map (fun p -> shape[p])
            Assert.Equal<int[]>(outShape, result.Shape)
            let outStrides = Shape.strides outShape
            for k in 0 .. result.Size - 1 do
                // Output index (i₀, i₁, …) reads input element Σ iₐ · stride(perm[a]).
                let source = Array.init outShape.Length (fun a -> (k / outStrides[a]) % outShape[a] * strides[perm[a]]) |> Array.sum
                Assert.Equal(float source, result.Data[k])

[<Fact>]
let ``broadcasting binary kernels read arguments in place, row by row, with the same results`` () =
    let subtract = Primitives.Arithmetic.differences
    let cases =
        [ [| 5; 17 |], [| 17 |]; [| 17 |], [| 5; 17 |]; [| 5; 1 |], [| 5; 20 |]; [| 3; 1; 20 |], [| 4; 1 |]
          [| 2; 3; 1 |], [| 1; 16 |]; [| 1; 16 |], [| 3; 1 |]; [| 6; 18 |], [| 6; 18 |] ]
    for shapeA, shapeB in cases do
        let fill (shape: int[]) seed = NdArray.create shape (Array.init (Array.fold (*) 1 shape) (fun i -> float (i * 7 + seed) % 11.0 - 5.0))
        let a, b = fill shapeA 1, fill shapeB 3
        let shape = Shape.broadcast "test" shapeA shapeB
        let expected = Kernels.binaryScalar (fun x y -> x - y) shape a b
        let actual = Kernels.binary Kernels.Stores.Streaming subtract shape a b
        Assert.Equal<int[]>(expected.Shape, actual.Shape)
        Assert.Equal<float[]>(expected.ToArray(), actual.ToArray())

[<Fact>]
let ``a large eager transpose is made when first read, from the elements its argument had`` () =
    let x = Tensor.randomNormal 61 [| 300; 400 |]
    let r = Tensor.randomNormal 62 [| 300 |]
    let xData = x.ToArray()
    let transposed = Array.init (400 * 300) (fun k -> xData[(k % 300) * 400 + k / 300])
    // The product multiplies x through its transpose flag: the transpose's 120 000 elements
    // (960 KB) are never made. (Measured on the second product: the first may compile code.)
    Tensor.matmul (Tensor.transpose x) r |> ignore
    let before = System.GC.GetAllocatedBytesForCurrentThread()
    let product = Tensor.matmul (Tensor.transpose x) r
    let allocated = System.GC.GetAllocatedBytesForCurrentThread() - before
    Assert.True(allocated < 300L * 400L * 8L / 4L, sprintf "%d bytes allocated by the product of a transpose" allocated)
    let rData = r.ToArray()
    product.ToArray() |> Array.iteri (fun j v ->
        let expected = Seq.sum (seq { for i in 0 .. 299 -> xData[i * 400 + j] * rData[i] })
        Assert.True(abs (v - expected) <= 1e-12 * (1.0 + abs expected), sprintf "element %d: %g against %g" j v expected))
    // Read from two threads at once, a transpose is made once and reads the same elements.
    let t = Tensor.transpose x
    let reads = Array.Parallel.init 2 (fun _ -> t.ToArray())
    Assert.Equal<float[]>(transposed, reads[0])
    Assert.Equal<float[]>(transposed, reads[1])
    // float32 elements stay float32.
    let x32 = Tensor.cast DType.Float32 x
    let t32 = Tensor.transpose x32
    Assert.Equal(DType.Float32, t32.DType)
    Assert.Equal<float32[]>(Array.map float32 transposed, t32.ToArray32())
    // A transpose taken before its argument is donated to a compiled function keeps the elements
    // the argument had: the argument's buffer is no longer reused.
    let p = Tensor.randomNormal 63 [| 300; 400 |]
    let pData = p.ToArray()
    let later = Tensor.transpose p
    let step = Compile.compileDonating (fun (p: Tensor) -> p * 2.0)
    let doubled = step p
    Assert.Equal<float[]>(Array.map ((*) 2.0) pData, doubled.ToArray())
    Assert.Equal<float[]>(Array.init (400 * 300) (fun k -> pData[(k % 300) * 400 + k / 300]), later.ToArray())
