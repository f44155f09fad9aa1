/// float32 tensors: the element type of every result (the promotion table), float32 results
/// against the float64 computation of the same inputs rounded to float32, float32 gradients,
/// casts, vmap and compile.
module FunctionalAD.Tests.Float32Tests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Tests.TestSupport

/// Random float32 values (normal, from a seed), as a float32 tensor of the shape.
let private random32 (seed: int) (shape: int[]) = Tensor.cast DType.Float32 (Tensor.randomNormal seed shape)

/// The same elements as float64: the float64 program of the same inputs.
let private widened (x: Tensor) = Tensor.cast DType.Float64 x

/// `actual` is float32 and each element is within `tol` · max(1, |e|) of the float64 result
/// `expected` rounded to float32.
let private assertRounded (tol: float) (expected: Tensor) (actual: Tensor) =
    Assert.Equal(DType.Float32, actual.DType)
    Assert.Equal<int[]>(expected.Shape, actual.Shape)
    Array.iter2 (fun (e: float32) (a: float32) -> assertClose tol (float e) (float a)) (expected.ToArray32()) (actual.ToArray32())

/// Float32 kernels through TensorPrimitives stay within a few float32 ulps (2⁻²⁴ ≈ 6e-8
/// relative) of the correctly rounded result: 1e-6 is about 16 of them.
let private elementwiseTolerance = 1e-6

[<Fact>]
let ``results are float32 only when every typed argument is, and double constants do not promote`` () =
    let x32 = Tensor.ofArray32 [| 1.5f; -2.0f; 3.25f |]
    let y32 = Tensor.ofArray32 [| 0.5f; 4.0f; -1.0f |]
    let x64 = Tensor.ofArray [| 1.5; -2.0; 3.25 |]
    Assert.Equal(DType.Float32, x32.DType)
    Assert.Equal(DType.Float64, x64.DType)
    Assert.Equal(DType.Float32, (x32 + y32).DType)
    Assert.Equal(DType.Float64, (x32 * x64).DType)
    Assert.Equal(DType.Float64, (x64 - x32).DType)
    // Weak constants: the operators' doubles, Tensor.scalar, a sum's starting zero.
    Assert.Equal(DType.Float32, (x32 * 2.0).DType)
    Assert.Equal(DType.Float32, (2.0 * x32).DType)
    Assert.Equal(DType.Float32, (x32 + Tensor.scalar 1.0).DType)
    Assert.Equal(DType.Float32, (List.sum [ x32; y32 ]).DType)
    Assert.Equal(DType.Float32, (x32 + Tensor.scalar 2.0 * Tensor.scalar 3.0).DType)
    Assert.Equal(DType.Float64, (x64 * 2.0).DType)
    // A float64 tensor of one element is typed, not a constant: it promotes.
    Assert.Equal(DType.Float64, (x32 * Tensor.ofArray [| 2.0 |]).DType)
    // The constant is rounded to float32 before it meets float32 elements.
    Assert.Equal<float32[]>([| 1.5f * float32 0.1; -2.0f * float32 0.1; 3.25f * float32 0.1 |], (x32 * 0.1).ToArray32())
    for result in [ Tensor.exp x32; Tensor.sum x32; Tensor.maximum x32 y32; Tensor.where (Tensor.greater x32 y32) x32 y32 ] do
        Assert.Equal(DType.Float32, result.DType)

[<Fact>]
let ``casts round to nearest, widen exactly and keep a tensor of the type as it is`` () =
    let x64 = Tensor.ofArray [| 0.1; 1.0 / 3.0; 1e-50; 3e38; -7.25 |]
    let x32 = Tensor.cast DType.Float32 x64
    Assert.Equal<float32[]>(x64.ToArray() |> Array.map float32, x32.ToArray32())
    Assert.Equal<float[]>(x32.ToArray32() |> Array.map float, x32.ToArray())
    Assert.Equal<float[]>(x32.ToArray(), (Tensor.cast DType.Float64 x32).ToArray())
    Assert.Equal<float32[]>(x64.ToArray() |> Array.map float32, x64.ToArray32())
    let same = Tensor.cast DType.Float32 x32
    Assert.True(obj.ReferenceEquals(x32.Value, same.Value))
    Assert.Equal(DType.Float32, (Tensor.zerosOf DType.Float32 [| 2; 3 |]).DType)
    Assert.Equal<float32[]>([| 1.0f; 1.0f |], (Tensor.onesOf DType.Float32 [| 2 |]).ToArray32())
    Assert.Equal<float32[]>([| float32 0.1 |], (Tensor.fullOf DType.Float32 [| 1 |] 0.1).ToArray32())
    Assert.Equal(DType.Float32, (Tensor.zerosLike x32).DType)
    Assert.Equal<float32[]>([| 1.0f; 2.0f |], (Tensor.create32 [| 2; 1 |] [| 1.0f; 2.0f |]).ToArray32())
    let m = MathNet.Numerics.LinearAlgebra.Matrix<float32>.Build.DenseOfArray(array2D [ [ 1.0f; 2.0f; 3.0f ]; [ 4.0f; 5.0f; 6.0f ] ])
    let fromMatrix = Tensor.ofMatrix32 m
    Assert.Equal(DType.Float32, fromMatrix.DType)
    Assert.Equal<float32[]>([| 1.0f; 2.0f; 3.0f; 4.0f; 5.0f; 6.0f |], fromMatrix.ToArray32())
    Assert.Equal(m, Tensor.toMatrix32 fromMatrix)
    Assert.Equal(float32 0.1, (Tensor.toMatrix32 (Tensor.ofArray2D (array2D [ [ 0.1 ] ])))[0, 0])
    Assert.Contains("float32", (Tensor.ofArray32 [| 1.0f |]).ToString())
    Assert.DoesNotContain("float", x64.ToString())

[<Fact>]
let ``native float32 elementwise kernels match the float64 computation rounded`` () =
    let x = random32 1 [| 7; 33 |]
    let positive = Tensor.exp x
    let y = random32 2 [| 33 |]
    let column = random32 3 [| 7; 1 |]
    let cases : (string * (Tensor -> Tensor)) list =
        [ "exp", Tensor.exp
          "log", (fun t -> Tensor.log (Tensor.exp t))
          "sqrt", (fun t -> Tensor.sqrt (Tensor.exp t))
          "tanh", Tensor.tanh
          "sin", Tensor.sin
          "cos", Tensor.cos
          "abs", Tensor.abs
          "sigmoid", Tensor.sigmoid
          "relu", Tensor.relu
          "powConst", (fun t -> t ** 3.0)
          "clamp", Tensor.clamp -0.5 0.5
          "neg", (fun t -> -t)
          "add row", (fun t -> t + (if t.DType = DType.Float32 then y else widened y))
          "mul column", (fun t -> t * (if t.DType = DType.Float32 then column else widened column))
          "sub", (fun t -> t - positive)
          "div", (fun t -> t / (if t.DType = DType.Float32 then positive else widened positive)) ]
    for name, f in cases do
        try assertRounded elementwiseTolerance (f (widened x)) (f x)
        with e -> failwithf "%s: %s" name e.Message

[<Fact>]
let ``float32 pow and atan2 run TensorPrimitives' float kernels within a few ulps of float64 rounded`` () =
    let y, x = random32 4 [| 5; 6 |], random32 5 [| 6 |]
    let positive = Tensor.exp (random32 44 [| 5; 6 |])
    // Whole exponents of negative bases, zeros and the signed axes of atan2 included.
    let bases = Tensor.ofArray32 [| -2.0f; -0.5f; 0.0f; 3.0f; 0.0f; -1.5f |]
    let whole = Tensor.ofArray32 [| 3.0f; -2.0f; 2.0f; 0.0f; 0.0f; 5.0f |]
    let axes = Tensor.ofArray32 [| 0.0f; -0.0f; 1.0f; -1.0f; 0.0f; 2.5f |]
    let cases : (string * (Tensor -> Tensor -> Tensor) * (Tensor * Tensor) list) list =
        [ "pow", (fun b e -> Tensor.pow b e), [ positive, y; positive, x; bases, whole ]
          "atan2", (fun b e -> Tensor.atan2 b e), [ y, x; positive, y; bases, whole; axes, Tensor.flip [| 0 |] axes ] ]
    for name, f, pairs in cases do
        for first, second in pairs do
            let result = f first second
            Assert.Equal(DType.Float32, result.DType)
            try assertRounded elementwiseTolerance (f (widened first) (widened second)) result
            with e -> failwithf "%s: %s" name e.Message

[<Fact>]
let ``selections and extrema of float32 are exact: masks, maximum, where, max and min`` () =
    let x, y = random32 20 [| 6; 20 |], random32 21 [| 20 |]
    let exact (f: Tensor -> Tensor -> Tensor) =
        let result = f x y
        Assert.Equal(DType.Float32, result.DType)
        Assert.Equal<float32[]>((f (widened x) (widened y)).ToArray() |> Array.map float32, result.ToArray32())
    exact Tensor.greater
    exact Tensor.maximum
    exact Tensor.minimum
    exact (fun a b -> Tensor.where (Tensor.less a b) a b)
    for axes in [ [| 0 |]; [| 1 |]; [| 0; 1 |] ] do
        exact (fun a _ -> Tensor.maxAxes axes false a)
        exact (fun a _ -> Tensor.minAxes axes true a)
    // A softmax cross-entropy, max inside, stays float32.
    Assert.Equal(DType.Float32, (Tensor.logsumexp x).DType)

[<Fact>]
let ``layout moves float32 elements exactly, and its transposes carry float32 gradients`` () =
    let x = random32 22 [| 3; 4; 5 |]
    let moves : (Tensor -> Tensor) list =
        [ Tensor.permute [| 2; 0; 1 |]
          Tensor.transpose
          (fun t -> t[1])
          (fun t -> (Tensor.reshape [| 12; 5 |] t)[1..10, 2..])
          Tensor.gather 1 [| 3; 0; 3 |]
          (fun t -> Tensor.concat 0 [ t; Tensor.index 0 2 t |> Tensor.reshape [| 1; 4; 5 |] ])
          Tensor.reshape [| 20; 3 |] ]
    for move in moves do
        let moved = move x
        Assert.Equal(DType.Float32, moved.DType)
        Assert.Equal<float32[]>((move (widened x)).ToArray32(), moved.ToArray32())
        // The gradient goes through the transposes (unslice, scatterAdd, the inverse permutation).
        let weights = Tensor.cast DType.Float32 (Tensor.randomNormal 23 moved.Shape)
        let g = AD.grad (fun t -> Tensor.sum (move t * weights)) x
        Assert.Equal(DType.Float32, g.DType)
        Assert.Equal<float32[]>((AD.grad (fun t -> Tensor.sum (move t * widened weights)) (widened x)).ToArray32(), g.ToArray32())

[<Fact>]
let ``a primitive without a float32 kernel computes in float64 and rounds once`` () =
    // det's gradient is the transposed adjugate, a primitive without a float32 kernel: the
    // float64 adjugate of the widened matrix, rounded (times a cotangent of one, exactly).
    let a = Tensor.cast DType.Float32 (Tensor.randomNormal 6 [| 4; 4 |] + 4.0 * Tensor.eye 4)
    let fallback = AD.grad Tensor.det a
    let reference = AD.grad Tensor.det (widened a)
    Assert.Equal(DType.Float32, fallback.DType)
    Assert.Equal<float32[]>(reference.ToArray() |> Array.map float32, fallback.ToArray32())

[<Fact>]
let ``float32 sums accumulate in float64 and round once`` () =
    // 10⁸ + 1 is 10⁸ in float32: float32 accumulators would lose every one of the ones.
    let values = Array.concat [ [| 1e8f |]; Array.create 1000 1.0f; [| -1e8f |] ]
    Assert.Equal<float32[]>([| 1000.0f |], (Tensor.sum (Tensor.ofArray32 values)).ToArray32())
    let x = random32 8 [| 6; 50; 40 |]
    for axes in [ [| 0 |]; [| 1 |]; [| 2 |]; [| 0; 2 |]; [| 0; 1; 2 |] ] do
        let sums = Tensor.sumAxes axes false x
        let reference = Tensor.sumAxes axes false (widened x)
        let magnitudes = Tensor.sumAxes axes false (Tensor.abs (widened x))
        // One float32 rounding of the sum, and the float64 sums' own error far below it.
        Assert.Equal(DType.Float32, sums.DType)
        Array.iteri2 (fun i (e: float) (a: float) -> Assert.True(abs (e - a) <= 6e-8 * abs e + 1e-12 * (magnitudes.ToArray())[i], sprintf "axes %A: %g against %g" axes a e))
            (reference.ToArray()) (sums.ToArray())
    assertRounded 1e-6 (Tensor.mean (widened x)) (Tensor.mean x)

/// The float32 product (`dot`: matmul, or the inner product of vectors) of `a` and `b` against
/// the float64 product of the same inputs: each product and sum rounds in float32, so the error
/// is at most about k · 2⁻²⁴ Σ|a||b| for an inner dimension k; k products in float32 stay far
/// inside k · 6e-8 of it.
let private assertProductClose (a: Tensor) (b: Tensor) =
    let c = Tensor.dot a b
    let reference = Tensor.dot (widened a) (widened b)
    let magnitudes = Tensor.dot (Tensor.abs (widened a)) (Tensor.abs (widened b))
    let k = float a.Shape[a.Rank - 1]
    Assert.Equal(DType.Float32, c.DType)
    Array.iteri2 (fun i (e: float) (v: float) -> Assert.True(abs (e - v) <= k * 6e-8 * (magnitudes.ToArray())[i], sprintf "element %d: %g against %g" i v e))
        (reference.ToArray()) (c.ToArray())

[<Fact>]
let ``float32 matrix products match the float64 product rounded, with edges, deep slices and vectors`` () =
    // 37 × 300 · 300 × 45: partial register blocks at both edges and two depth slices.
    assertProductClose (random32 9 [| 37; 300 |]) (random32 10 [| 300; 45 |])
    // Matrix times vector and vector times matrix: the row loops.
    assertProductClose (random32 16 [| 50; 300 |]) (random32 17 [| 300; 1 |])
    assertProductClose (random32 18 [| 1; 300 |]) (random32 19 [| 300; 40 |])
    // Rows of 33 and 320 elements: 512-bit lanes where the machine has them (33 with a tail).
    assertProductClose (random32 20 [| 50; 33 |]) (random32 21 [| 33; 1 |])
    assertProductClose (random32 22 [| 1; 320 |]) (random32 23 [| 320; 33 |])
    assertProductClose (random32 28 [| 9; 320 |]) (random32 29 [| 320; 1 |])
    assertProductClose (random32 11 [| 2; 3; 4 |]) (random32 12 [| 4; 5 |])
    // The inner product of two vectors is a primitive of its own.
    assertProductClose (random32 24 [| 500 |]) (random32 25 [| 500 |])

[<Fact>]
let ``batched float32 products run in float32 per batch slice, with broadcast batch dimensions`` () =
    // Each slice is the rank-2 float32 product of its matrices, bit for bit: the batch runs the
    // same float32 kernel (widening to float64 would round differently for an inner dimension of 300).
    let a, b = random32 26 [| 3; 37; 300 |], random32 27 [| 300; 45 |]
    let batched = Tensor.matmul a b
    assertProductClose a b
    for i in 0 .. 2 do
        Assert.Equal<float32[]>((Tensor.matmul a[i] b).ToArray32(), batched[i].ToArray32())
    // Batch dimensions broadcast: [2, 1] against [3] gives [2, 3].
    let p, q = random32 28 [| 2; 1; 5; 30 |], random32 29 [| 3; 30; 4 |]
    let broadcast = Tensor.matmul p q
    Assert.Equal<int[]>([| 2; 3; 5; 4 |], broadcast.Shape)
    assertProductClose p q
    for i in 0 .. 1 do
        for j in 0 .. 2 do
            let slice = Tensor.matmul (Tensor.index 0 0 p[i]) q[j]
            Assert.Equal<float32[]>(slice.ToArray32(), (Tensor.index 0 j broadcast[i]).ToArray32())
    // The gradients are the transposed batched products, in float32 too.
    let weights = random32 30 [| 2; 3; 5; 4 |]
    let f (x: Tensor) (y: Tensor) = Tensor.sum (Tensor.matmul x y * (if x.DType = DType.Float32 then weights else widened weights))
    let gp, gq = AD.grad (fun (x: Tensor, y: Tensor) -> f x y) (p, q)
    let rp, rq = AD.grad (fun (x: Tensor, y: Tensor) -> f x y) (widened p, widened q)
    Assert.Equal(DType.Float32, gp.DType)
    Assert.Equal(DType.Float32, gq.DType)
    // Each element sums at most 12 products of normal values (Σ|x||y| ≈ 8): at most
    // 12 · 6e-8 · 8 ≈ 6e-6 off in float32, inside 1e-5.
    assertRounded 1e-5 rp gp
    assertRounded 1e-5 rq gq

[<Fact>]
let ``float32 einsum accumulates in float64 and rounds once: the float64 einsum rounded, exactly`` () =
    let a, b, c = random32 31 [| 4; 30 |], random32 32 [| 30; 5 |], random32 33 [| 5; 3 |]
    let batch, square = random32 34 [| 2; 4; 30 |], random32 35 [| 6; 6 |]
    let cases : (string * Tensor list) list =
        [ "ij,jk->ik", [ a; b ]
          "ij,jk,kl->il", [ a; b; c ]
          "bij,jk->bik", [ batch; b ]
          "...ij,jk->...ik", [ batch; b ]
          "ii->i", [ square ]
          "ij->", [ a ]
          "i,j->ij", [ a[0]; c[0] ] ]
    for spec, operands in cases do
        let result = Tensor.einsum spec operands
        Assert.Equal(DType.Float32, result.DType)
        let reference = Tensor.einsum spec (List.map widened operands)
        Assert.Equal<float32[]>(reference.ToArray() |> Array.map float32, result.ToArray32())
        // The gradient is an einsum of the cotangent with the other operands: float32 too, and
        // the float64 gradient rounded.
        let weights = random32 36 result.Shape
        let g = AD.grad (fun t -> Tensor.sum (Tensor.einsum spec (t :: List.tail operands) * weights)) operands.Head
        let g64 = AD.grad (fun t -> Tensor.sum (Tensor.einsum spec (t :: List.map widened (List.tail operands)) * widened weights)) (widened operands.Head)
        Assert.Equal(DType.Float32, g.DType)
        Assert.Equal<float32[]>(g64.ToArray() |> Array.map float32, g.ToArray32())

[<Fact>]
let ``takeAlongAxis and scatterAdd select exactly in float32, scatter sums round once`` () =
    let x = random32 37 [| 4; 6; 3 |]
    // Repeated indices make the scatter-add (the gradient) add several cotangents into one entry.
    let indices = Tensor.create [| 4; 5; 3 |] (Array.init 60 (fun i -> float ((i * 7 + i / 5) % 6)))
    let taken = Tensor.takeAlongAxis 1 indices x
    Assert.Equal(DType.Float32, taken.DType)
    Assert.Equal<float32[]>((Tensor.takeAlongAxis 1 indices (widened x)).ToArray32(), taken.ToArray32())
    let source, target = random32 38 [| 4; 5; 3 |], random32 39 [| 4; 6; 3 |]
    let scattered = Tensor.scatterAdd 1 indices source target
    Assert.Equal(DType.Float32, scattered.DType)
    let reference = Tensor.scatterAdd 1 indices (widened source) (widened target)
    // scatterAdd adds the scattered sums (float64, rounded once) to the target: two float32
    // roundings at most, 2 · 2⁻²⁴ relative to the magnitudes added.
    let magnitudes = Tensor.scatterAdd 1 indices (Tensor.abs (widened source)) (Tensor.abs (widened target))
    Array.iteri2 (fun i (e: float) (a: float) -> Assert.True(abs (e - a) <= 1.2e-7 * (magnitudes.ToArray())[i], sprintf "element %d: %g against %g" i a e))
        (reference.ToArray()) (scattered.ToArray())
    // The gradient of takeAlongAxis is the scatter-add: float32, the float64 gradient rounded.
    let weights = random32 40 taken.Shape
    let g = AD.grad (fun t -> Tensor.sum (Tensor.takeAlongAxis 1 indices t * weights)) x
    let g64 = AD.grad (fun t -> Tensor.sum (Tensor.takeAlongAxis 1 indices t * widened weights)) (widened x)
    Assert.Equal(DType.Float32, g.DType)
    Assert.Equal<float32[]>(g64.ToArray() |> Array.map float32, g.ToArray32())

[<Fact>]
let ``float32 cumsum accumulates in float64 and rounds each output once, cumprod multiplies in float32`` () =
    // 10⁸ + 1 is 10⁸ in float32: float32 running sums would lose every one of the ones and end
    // at 0; float64 ones end at 1000 and pass 10⁸ + 1000 (rounded once) on the way.
    let values = Array.concat [ [| 1e8f |]; Array.create 1000 1.0f; [| -1e8f |] ]
    let running = (Tensor.cumsum 0 (Tensor.ofArray32 values)).ToArray32()
    Assert.Equal(float32 (1e8 + 1000.0), running[1000])
    Assert.Equal(1000.0f, running[1001])
    let x = random32 41 [| 5; 40; 3 |]
    for axis in 0 .. 2 do
        let sums = Tensor.cumsum axis x
        Assert.Equal(DType.Float32, sums.DType)
        Assert.Equal<float32[]>((Tensor.cumsum axis (widened x)).ToArray() |> Array.map float32, sums.ToArray32())
        // Its gradient is the reverse scan, of the same kind.
        let weights = random32 42 x.Shape
        let g = AD.grad (fun t -> Tensor.sum (Tensor.cumsum axis t * weights)) x
        Assert.Equal(DType.Float32, g.DType)
        Assert.Equal<float32[]>((AD.grad (fun t -> Tensor.sum (Tensor.cumsum axis t * widened weights)) (widened x)).ToArray() |> Array.map float32, g.ToArray32())
    // Entry k of cumprod is k rounded float32 multiplications away from the float64 product
    // (whose own error is far below): relative error at most k · 2⁻²⁴ (6e-8) to first order,
    // and (k + 1) · 6e-8 covers the second-order terms.
    let factors = Tensor.exp (random32 43 [| 3; 40 |] * 0.1)
    let products = Tensor.cumprod 1 factors
    Assert.Equal(DType.Float32, products.DType)
    let reference = (Tensor.cumprod 1 (widened factors)).ToArray()
    products.ToArray() |> Array.iteri (fun i a ->
        let k = float (i % 40)
        Assert.True(abs (a - reference[i]) <= (k + 1.0) * 6e-8 * abs reference[i], sprintf "element %d: %g against %g" i a reference[i]))

/// Each element of `actual` (float32) is within `units` · 6e-8 (2⁻²⁴ rounded up) of the
/// magnitude at that element of the float64 result `expected`.
let private assertWithinUnits (units: float) (expected: Tensor) (magnitudes: Tensor) (actual: Tensor) =
    Assert.Equal(DType.Float32, actual.DType)
    Assert.Equal<int[]>(expected.Shape, actual.Shape)
    let bounds = magnitudes.ToArray()
    Array.iteri2 (fun i (e: float) (a: float) -> Assert.True(abs (e - a) <= units * 6e-8 * bounds[i], sprintf "element %d: %g against %g" i a e))
        (expected.ToArray()) (actual.ToArray())

[<Fact>]
let ``convolution patches move float32 elements exactly and add them back in float32`` () =
    let x = random32 45 [| 2; 3; 9; 8 |]
    // Pooling is patches and a max: selection, exact; 3×3 windows 2 apart, padded.
    let pool (t: Tensor) = Tensor.maxPool2dWith (3, 3) (2, 2) (1, 1) t
    let pooled = pool x
    Assert.Equal(DType.Float32, pooled.DType)
    Assert.Equal<float32[]>((pool (widened x)).ToArray() |> Array.map float32, pooled.ToArray32())
    // Its gradient adds the windows' cotangents back (unpatches): an element is in at most 4
    // windows, so 3 float32 additions, at most 3 · 2⁻²⁴ of the magnitudes added.
    let weights = random32 46 pooled.Shape
    let g = AD.grad (fun t -> Tensor.sum (pool t * weights)) x
    let reference = AD.grad (fun t -> Tensor.sum (pool t * widened weights)) (widened x)
    let magnitudes = AD.grad (fun t -> Tensor.sum (pool t * Tensor.abs (widened weights))) (widened x)
    assertWithinUnits 3.0 reference magnitudes g
    // A convolution: patches, then the float32 product over its 3 · 3 · 3 = 27 taps.
    let kernel = random32 47 [| 4; 3; 3; 3 |]
    let conv (t: Tensor) (k: Tensor) = Tensor.conv2d 1 1 t k
    let y = conv x kernel
    assertWithinUnits 27.0 (conv (widened x) (widened kernel)) (conv (Tensor.abs (widened x)) (Tensor.abs (widened kernel))) y
    // The input's gradient: the kernel's transpose times the cotangent (4 outputs), added back
    // over at most 9 taps: at most 4 + 9 roundings of the magnitudes.
    let w = random32 48 y.Shape
    let gx = AD.grad (fun t -> Tensor.sum (conv t kernel * w)) x
    let gx64 = AD.grad (fun t -> Tensor.sum (conv t (widened kernel) * widened w)) (widened x)
    let gxMagnitudes = AD.grad (fun t -> Tensor.sum (conv t (Tensor.abs (widened kernel)) * Tensor.abs (widened w))) (widened x)
    assertWithinUnits 13.0 gx64 gxMagnitudes gx
    // Compiled float32 plans run the same kernels into their buffers.
    let compiled = Compile.compile (fun (t: Tensor) -> Tensor.sum (pool t * weights))
    Assert.Equal<float32[]>((Tensor.sum (pooled * weights)).ToArray32(), (compiled x).ToArray32())

/// A small network's loss: products, broadcasting, tanh, sums — the code people train.
let private loss (w: Tensor) =
    let x = Tensor.reshape [| 4; 3 |] (Tensor.linspace -1.0 1.0 12)
    let x = Tensor.cast w.DType x
    Tensor.mean (Tensor.square (Tensor.tanh (Tensor.matmul x w) - 0.5))

[<Fact>]
let ``gradients of float32 functions are float32 and match float64 and finite differences`` () =
    let w32 = random32 13 [| 3; 2 |]
    let value, g32 = AD.valueAndGrad loss w32
    Assert.Equal(DType.Float32, value.DType)
    Assert.Equal(DType.Float32, g32.DType)
    let g64 = AD.grad loss (widened w32)
    // A dozen float32 operations on values of order 1: 1e-5 is ~100 float32 ulps.
    assertRounded 1e-5 g64 g32
    let fd = Numerical.gradient loss (widened w32)
    assertTensorClose 1e-5 fd (widened g32)
    // Unused inputs get float32 zeros; a strong float64 factor promotes the value, and the
    // gradient is still of the input's type.
    let gs = AD.grad (fun (a: Tensor, _: Tensor) -> Tensor.sum (a * a)) (w32, random32 14 [| 2 |])
    Assert.Equal(DType.Float32, (snd gs).DType)
    let mixed = AD.grad (fun (a: Tensor) -> Tensor.sum (a * Tensor.ofArray [| 2.0; 3.0 |])) w32
    Assert.Equal(DType.Float32, mixed.DType)
    Assert.Equal<float32[]>([| 2.0f; 3.0f; 2.0f; 3.0f; 2.0f; 3.0f |], mixed.ToArray32())

[<Fact>]
let ``second derivatives, jvp and the cast's own derivative keep their primal's type`` () =
    let x = Tensor.ofArray32 [| 0.3f; -0.7f |]
    let h = AD.hessian (fun t -> Tensor.sum (Tensor.sin t * t)) x
    Assert.Equal(DType.Float32, h.DType)
    assertRounded 1e-6 (AD.hessian (fun t -> Tensor.sum (Tensor.sin t * t)) (widened x)) h
    let _, tangent = AD.jvp Tensor.tanh x (Tensor.ofArray [| 1.0; 2.0 |])
    Assert.Equal(DType.Float32, tangent.DType)
    // d/dx Σ cast64(x)² = 2x, pulled back through the cast into float32.
    let g = AD.grad (fun t -> Tensor.sum (Tensor.square (Tensor.cast DType.Float64 t))) x
    Assert.Equal(DType.Float32, g.DType)
    Assert.Equal<float32[]>([| 0.6f; -1.4f |], g.ToArray32())

[<Fact>]
let ``vmap maps float32 programs and keeps their type`` () =
    let xs = random32 15 [| 4; 6 |]
    let f (row: Tensor) = Tensor.sum (Tensor.exp row * 0.5)
    let mapped = AD.vmap f xs
    Assert.Equal(DType.Float32, mapped.DType)
    Assert.Equal<float32[]>(Array.init 4 (fun i -> (f xs[i]).ToArray32()[0]), mapped.ToArray32())
    let perExample = AD.vmap (AD.grad f) xs
    Assert.Equal(DType.Float32, perExample.DType)

[<Fact>]
let ``compile computes float32 inputs and float32 steps in float32, as eager code does`` () =
    let compiled = Compile.compile (fun (t: Tensor) -> Tensor.sum (t * t))
    let result = compiled (Tensor.ofArray32 [| 1.5f; 2.25f |])
    Assert.Equal(DType.Float32, result.DType)
    Assert.Equal<float32[]>([| 1.5f * 1.5f + 2.25f * 2.25f |], result.ToArray32())
    Assert.Equal(5.0, (compiled (Tensor.ofArray [| 1.0; 2.0 |])).ToScalar())
    let inner = Compile.compile (fun (t: Tensor) -> Tensor.cast DType.Float32 t * 0.1)
    let narrowed = inner (Tensor.ofArray [| 1.0; 3.0 |])
    Assert.Equal(DType.Float32, narrowed.DType)
    Assert.Equal<float32[]>([| 0.1f; 3.0f * 0.1f |], narrowed.ToArray32())

/// A float32 batch of well-conditioned n × n matrices: (R + n·I)/n for R of normal entries,
/// whose norm is about 2√n, so every singular value lies in 1 ± 2/√n and κ(A) ≤ 3 for n ≥ 16.
let private wellConditioned (seed: int) (shape: int[]) =
    let n = shape[shape.Length - 1]
    Tensor.cast DType.Float32 ((Tensor.randomNormal seed shape + float n * Tensor.eye n) / float n)

/// The transposes of a batch of matrices: its last two dimensions swapped.
let private transposeMatrices (x: Tensor) =
    Tensor.permute (Array.init x.Rank (fun i -> if i = x.Rank - 2 then x.Rank - 1 elif i = x.Rank - 1 then x.Rank - 2 else i)) x

/// A float32 batch of symmetric positive-definite n × n matrices, B Bᵀ/n + I for B of normal
/// entries: eigenvalues in [1, about 5], so κ(A) ≤ 5.
let private positiveDefinite (seed: int) (shape: int[]) =
    let n = shape[shape.Length - 1]
    let b = Tensor.randomNormal seed shape
    Tensor.cast DType.Float32 (Tensor.matmul b (transposeMatrices b) / float n + Tensor.eye n)

/// `actual` (float32, of `expected`'s shape) within `units` · 2⁻²⁴ (6e-8 rounded up) of the
/// float64 `expected` in the max norm, relative to the largest element of `expected`: the
/// normwise bound of backward-stable factorizations, c · n · κ · 2⁻²⁴.
let private assertNormwise (units: float) (expected: Tensor) (actual: Tensor) =
    Assert.Equal(DType.Float32, actual.DType)
    Assert.Equal<int[]>(expected.Shape, actual.Shape)
    let e, a = expected.ToArray(), actual.ToArray()
    let scale = e |> Array.map abs |> Array.max
    let worst = Array.map2 (fun x y -> abs (x - y)) e a |> Array.max
    Assert.True(worst <= units * 6e-8 * scale, sprintf "largest error %g, bound %g · 6e-8 · %g" worst units scale)

/// Some element of the float32 `actual` differs from the float64 `expected` rounded to
/// float32: the computation ran in float32 (widening, computing in float64 and rounding once
/// would give the rounded result exactly).
let private assertComputedInFloat32 (expected: Tensor) (actual: Tensor) =
    Assert.NotEqual<float32[]>(expected.ToArray() |> Array.map float32, actual.ToArray32())

[<Fact>]
let ``float32 solve and cholesky factor in float32, within the normwise bound of the float64 result`` () =
    // Orders 20 (the library's elimination) and 48 (MathNet's LU: the provider's sgetrf and
    // sgetrs). A backward-stable solve has relative error ≲ c · n · κ · 2⁻²⁴ with κ ≤ 3:
    // 4 · n · 3 units covers c up to 4.
    for n in [ 20; 48 ] do
        let a, b = wellConditioned n [| n; n |], random32 (n + 1) [| n; 3 |]
        let x = Tensor.solve a b
        let reference = Tensor.solve (widened a) (widened b)
        assertNormwise (12.0 * float n) reference x
        assertComputedInFloat32 reference x
        // A batch of systems, and vectors as right-hand sides.
        let batch, vectors = wellConditioned (n + 2) [| 3; n; n |], random32 (n + 3) [| 3; n |]
        let xs = Tensor.solve batch vectors
        assertNormwise (12.0 * float n) (Tensor.solve (widened batch) (widened vectors)) xs
        for i in 0 .. 2 do
            Assert.Equal<float32[]>((Tensor.solve batch[i] vectors[i]).ToArray32(), xs[i].ToArray32())
    // Cholesky is backward stable with no pivoting: the factor's error is ≲ c · n · κ · 2⁻²⁴
    // relative to ‖L‖ (κ ≤ 5).
    for n in [ 20; 48 ] do
        let s = positiveDefinite n [| 2; n; n |]
        let l = Tensor.cholesky s
        let reference = Tensor.cholesky (widened s)
        assertNormwise (20.0 * float n) reference l
        assertComputedInFloat32 reference l

[<Fact>]
let ``gradients through float32 solve and cholesky are float32, within the normwise bound`` () =
    let n = 24
    let a, b = wellConditioned 50 [| n; n |], random32 51 [| n; 2 |]
    let w = random32 52 [| n; 2 |]
    let solveLoss (m: Tensor) (r: Tensor) = Tensor.sum (Tensor.solve m r * (if m.DType = DType.Float32 then w else widened w))
    let ga, gb = AD.grad (fun (m: Tensor, r: Tensor) -> solveLoss m r) (a, b)
    let ra, rb = AD.grad (fun (m: Tensor, r: Tensor) -> solveLoss m r) (widened a, widened b)
    // B̄ = A⁻ᵀ W is a second solve, Ā = −B̄ Xᵀ a product of two solved quantities: twice the
    // solve's bound, and a product's n roundings.
    assertNormwise (30.0 * float n) rb gb
    assertNormwise (30.0 * float n) ra ga
    let s = positiveDefinite 53 [| n; n |]
    let v = random32 54 [| n; n |]
    let choleskyLoss (m: Tensor) = Tensor.sum (Tensor.cholesky m * (if m.DType = DType.Float32 then v else widened v))
    let g = AD.grad choleskyLoss s
    // The factor, then two triangular solves with it (κ(L) ≤ √5) and products.
    assertNormwise (50.0 * float n) (AD.grad choleskyLoss (widened s)) g

[<Fact>]
let ``float32 inverse, det, logDet and slogdet factor in float32, within the normwise bound`` () =
    // inverse: each column is a backward-stable solve, ≲ c · n · κ · 2⁻²⁴ relative (κ ≤ 3).
    // det and log |det| sum the n pivots' relative errors: ≲ c · n · κ · 2⁻²⁴ relative to |det|
    // (absolute for log |det|, which also rounds its n-term sum).
    for n in [ 20; 48 ] do
        let a = wellConditioned (60 + n) [| 3; n; n |]
        let inv = Tensor.inverse a
        let reference = Tensor.inverse (widened a)
        assertNormwise (12.0 * float n) reference inv
        assertComputedInFloat32 reference inv
        let d, d64 = Tensor.det a, Tensor.det (widened a)
        Assert.Equal(DType.Float32, d.DType)
        Array.iteri2 (fun i (e: float) (v: float) -> Assert.True(abs (e - v) <= 12.0 * float n * 6e-8 * abs e, sprintf "det %d: %g against %g" i v e)) (d64.ToArray()) (d.ToArray())
        let logDet, logDet64 = Tensor.logDet a, Tensor.logDet (widened a)
        Assert.Equal(DType.Float32, logDet.DType)
        let within (name: string) (expected: Tensor) (actual: Tensor) =
            Array.iteri2 (fun i (e: float) (v: float) -> Assert.True(abs (e - v) <= 12.0 * float n * 6e-8 * max 1.0 (abs e), sprintf "%s %d: %g against %g" name i v e)) (expected.ToArray()) (actual.ToArray())
        within "logDet" logDet64 logDet
        assertComputedInFloat32 d64 d
        assertComputedInFloat32 logDet64 logDet
        // slogdet of −A (n even): the sign of det(−A) = det A, computed from float32 pivots.
        let sign, logAbs = Tensor.slogdet (-a)
        let sign64, logAbs64 = Tensor.slogdet (-(widened a))
        Assert.Equal(DType.Float32, sign.DType)
        Assert.Equal<float32[]>(sign64.ToArray32(), sign.ToArray32())
        within "slogdet" logAbs64 logAbs
        // The gradient of log |det A| is A⁻ᵀ: the float32 inverse.
        let g = AD.grad (fun t -> Tensor.sum (Tensor.logDet t)) a
        assertNormwise (12.0 * float n) (AD.grad (fun t -> Tensor.sum (Tensor.logDet t)) (widened a)) g

[<Fact>]
let ``float32 triangular solves substitute in float32, within the normwise bound`` () =
    // Substitution is backward stable: relative error ≲ n · κ(T) · 2⁻²⁴, the triangles of the
    // Cholesky factor of a κ ≤ 5 matrix having κ ≤ √5 < 3.
    let n = 48
    let l = Tensor.cast DType.Float32 (Tensor.cholesky (widened (positiveDefinite 70 [| 2; n; n |])))
    let b = random32 71 [| 2; n; 3 |]
    for lower, transpose, unit in [ true, false, false; true, true, false; false, false, false; false, true, false ] do
        let t = if lower then l else transposeMatrices l
        let x = Tensor.triangularSolveWith lower transpose unit t b
        let reference = Tensor.triangularSolveWith lower transpose unit (widened t) (widened b)
        assertNormwise (4.0 * 3.0 * float n) reference x
        assertComputedInFloat32 reference x
    let g = AD.grad (fun (t: Tensor) -> Tensor.sum (Tensor.triangularSolve true t b)) l
    let g64 = AD.grad (fun (t: Tensor) -> Tensor.sum (Tensor.triangularSolve true t (widened b))) (widened l)
    assertNormwise (30.0 * float n) g64 g

[<Fact>]
let ``float32 refusals name the operation, the shape and the matrix of the batch`` () =
    let singular = Tensor.create32 [| 2; 2; 2 |] [| 1.0f; 0.0f; 0.0f; 1.0f; 1.0f; 2.0f; 2.0f; 4.0f |]
    let b = Tensor.onesOf DType.Float32 [| 2; 2 |]
    for name, f in [ "solve", (fun () -> Tensor.solve singular b); "inverse", (fun () -> Tensor.inverse singular); "logDet", (fun () -> Tensor.logDet singular) ] do
        let e = Assert.Throws<LinearAlgebraException>(fun () -> f () |> ignore)
        Assert.Equal(name, e.Operation)
        Assert.Contains("matrix 1 of the batch", e.Message)
        Assert.Contains("[2,2,2]", e.Message)
    // Order 40, past the library's elimination: the LU's zero pivot.
    let rows = Tensor.cast DType.Float32 (Tensor.concat 0 [ Tensor.randomNormal 72 [| 39; 40 |]; Tensor.zeros [| 1; 40 |] ])
    Assert.Contains("singular", (Assert.Throws<LinearAlgebraException>(fun () -> Tensor.solve rows (Tensor.onesOf DType.Float32 [| 40 |]) |> ignore)).Message)
    let indefinite = Tensor.create32 [| 2; 2; 2 |] [| 2.0f; 0.0f; 0.0f; 2.0f; 1.0f; 2.0f; 2.0f; 1.0f |]
    let e = Assert.Throws<LinearAlgebraException>(fun () -> Tensor.cholesky indefinite |> ignore)
    Assert.Equal("cholesky", e.Operation)
    Assert.Contains("matrix 1 of the batch (in row-major order): the matrix is not positive definite", e.Message)
    let zeroDiagonal = Tensor.create32 [| 2; 2 |] [| 1.0f; 0.0f; 1.0f; 0.0f |]
    Assert.Equal("triangularSolve", (Assert.Throws<LinearAlgebraException>(fun () -> Tensor.triangularSolve true zeroDiagonal (Tensor.onesOf DType.Float32 [| 2 |]) |> ignore)).Operation)
    Assert.Equal<float32[]>([| 0.0f |], (Tensor.det (Tensor.create32 [| 2; 2 |] [| 1.0f; 2.0f; 2.0f; 4.0f |])).ToArray32())
