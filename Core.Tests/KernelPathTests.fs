/// The broadcasting and reduction kernels' paths — a row [C], a column [N, 1], a scalar and a
/// channel [C, 1] against a larger array, an argument stretched between its own axes; short
/// rows (fewer than 16 elements) and long ones — against direct loops, bit for bit, in float64
/// and float32.
module FunctionalAD.Tests.KernelPathTests

open System
open System.Numerics.Tensors
open Xunit
open FunctionalAD
open FunctionalAD.Primitives

/// One element per row, short rows (the ten classes of logits) and rows for the vector kernels.
let private innerSizes = [ 1; 3; 10; 17; 64 ]

/// Rows: not a multiple of four (the groups of short rows reduced together), and enough that
/// most results span several of the broadcasting kernel's chunks.
let private rows = 301

/// Deterministic values with every sign, and ±0, infinities and NaN at a few places.
let private values (seed: int) (count: int) =
    Array.init count (fun i ->
        match (i + seed) % 97 with
        | 5 -> Double.NaN
        | 11 -> -0.0
        | 12 -> 0.0
        | 40 -> Double.PositiveInfinity
        | 41 -> Double.NegativeInfinity
        | _ -> Math.Round(Math.Sin(float (i * 7919 + seed * 104729)) * 5.0, 3))

/// The bits of each element, NaNs made one (kernels may return any NaN), so that −0 and +0
/// differ and NaN equals NaN.
let private bits (data: double[]) = data |> Array.map (fun v -> if Double.IsNaN v then -1L else BitConverter.DoubleToInt64Bits v)

let private assertSameBits (expected: double[]) (actual: double[]) = Assert.Equal<int64[]>(bits expected, bits actual)

/// The flat index in an array of shape `source` of the element that broadcasting reads at flat
/// index `i` of shape `target`.
let private sourceIndex (source: int[]) (target: int[]) (i: int) =
    let lead = target.Length - source.Length
    let mutable rest = i
    let mutable index = 0
    let mutable stride = 1
    for k in target.Length - 1 .. -1 .. lead do
        let position = rest % target[k]
        rest <- rest / target[k]
        let d = source[k - lead]
        if d <> 1 then index <- index + position * stride
        stride <- stride * d
    index

/// f applied by a direct loop with NumPy broadcasting.
let private broadcastLoop (f: double -> double -> double) (shapeA: int[]) (a: double[]) (shapeB: int[]) (b: double[]) =
    let shape = Shape.broadcast "test" shapeA shapeB
    shape, Array.init (Shape.size shape) (fun i -> f a[sourceIndex shapeA shape i] b[sourceIndex shapeB shape i])

/// Pairs of argument shapes for each inner size: row, column, scalar and outer-product forms
/// in both orders, a channel in the middle of a rank-3 result, and an argument stretched
/// between its own axes (materialised first).
let private broadcastCases =
    [ for c in innerSizes do
          let n = [| rows; c |]
          yield! [ n, [| c |]; [| c |], n; n, [| rows; 1 |]; [| rows; 1 |], n; n, [||]; [||], n; [| rows; 1 |], [| c |]; [| c |], [| rows; 1 |] ]
          yield [| 4; c; 5 |], [| c; 1 |]
          yield [| 3; 1; c |], [| 3; 40; c |] ]

/// Results of more than 256 KB, which a streaming kernel takes in 512 KB chunks (several of
/// them here): a row, a column, a scalar, a channel, and a row longer than a chunk.
let private largeBroadcastCases =
    [ [| 700; 130 |], [| 130 |]; [| 700; 1 |], [| 700; 130 |]; [| 700; 130 |], [||]
      [| 4; 130; 175 |], [| 130; 1 |]; [| 3; 70_000 |], [| 70_000 |]; [| 3; 1 |], [| 3; 70_000 |] ]

/// Columns whose runs are long enough for the kernels taking an element as a value (256 or
/// more), in both orders, a run longer than a chunk that is not a multiple of it, and a column
/// next to a tiled argument whose period its run does not divide (the buffered path).
let private valueRunCases =
    [ [| 40; 1 |], [| 40; 1_000 |]; [| 40; 1_000 |], [| 40; 1 |]; [| 5; 1 |], [| 5; 3_000 |]
      [| 4; 2; 1 |], [| 2; 256 |]; [| 3; 1; 1 |], [| 3; 2; 300 |] ]

/// The arithmetic primitives' kernels and the scalar function each must match bit for bit.
let private binaryKernels : (string * BinaryKernels<double> * BinaryKernels<float32> * (double -> double -> double)) list =
    [ "add", Arithmetic.sums, Arithmetic.sums32, (+)
      "sub", Arithmetic.differences, Arithmetic.differences32, (-)
      "mul", Arithmetic.products, Arithmetic.products32, (*)
      "div", Arithmetic.quotients, Arithmetic.quotients32, (/)
      "mulNoNan", Arithmetic.guardedProducts, Arithmetic.guardedProducts32, (fun a b -> if a = 0.0 then 0.0 else a * b)
      "on spans only", Kernels.spansOnly Arithmetic.products.Spans, Kernels.spansOnly Arithmetic.products32.Spans, (*) ]

[<Fact>]
let ``broadcasting binary kernels give the direct loop's bits for rows, columns, scalars and channels`` () =
    for shapeA, shapeB in broadcastCases @ largeBroadcastCases @ valueRunCases do
        let a, b = values 1 (Shape.size shapeA), values 2 (Shape.size shapeB)
        for name, kernels, kernels32, f in binaryKernels do
          for stores in [ Kernels.Stores.Cached; Kernels.Stores.Streaming ] do
            let shape, expected = broadcastLoop f shapeA a shapeB b
            let actual = Kernels.binary stores kernels shape (NdArray.create shapeA a) (NdArray.create shapeB b)
            Assert.True((bits expected = bits actual.Data), sprintf "%s %A %A %A (float64)" name shapeA shapeB stores)
            // float32: the float32 operation on the elements rounded to float32 (exact for
            // add, sub, mul and div, whose float32 results are the rounded exact ones).
            let a32, b32 = Array.map float32 a, Array.map float32 b
            let _, expected32 = broadcastLoop (fun x y -> double (float32 (f x y))) shapeA (Array.map double a32) shapeB (Array.map double b32)
            let actual32 = Kernels.binary32 stores kernels32 shape (NdArray.create32 shapeA a32) (NdArray.create32 shapeB b32)
            Assert.True((bits expected32 = bits (Array.map double actual32.Single)), sprintf "%s %A %A %A (float32)" name shapeA shapeB stores)

[<Fact>]
let ``comparisons and where broadcast like the direct loop in both element types`` () =
    let mask test = fun (x: double) (y: double) -> if test x y then 1.0 else 0.0
    let comparisons =
        [ "greater", Tensor.greater, mask (>); "greaterEqual", Tensor.greaterEqual, mask (>=); "less", Tensor.less, mask (<)
          "lessEqual", Tensor.lessEqual, mask (<=); "equal", Tensor.equal, mask (=); "notEqual", Tensor.notEqual, mask (<>) ]
    for shapeA, shapeB in broadcastCases do
        // Values from a small set, so that equal pairs are frequent.
        let a = values 3 (Shape.size shapeA) |> Array.map (fun v -> if Double.IsFinite v then Math.Round v else v)
        let b = values 4 (Shape.size shapeB) |> Array.map (fun v -> if Double.IsFinite v then Math.Round v else v)
        for dtype in [ DType.Float64; DType.Float32 ] do
            let ta, tb = Tensor.cast dtype (Tensor.create shapeA a), Tensor.cast dtype (Tensor.create shapeB b)
            for name, compare, f in comparisons do
                let _, expected = broadcastLoop f shapeA a shapeB b
                let actual = compare ta tb
                Assert.Equal(dtype, actual.DType)
                Assert.True((bits expected = bits (actual.ToArray())), sprintf "%s %A %A %s" name shapeA shapeB dtype.Name)
            // where(a > 0, a, b): the condition and one branch of one shape, the other of another.
            let _, expected = broadcastLoop (fun x y -> if x > 0.0 then x else y) shapeA a shapeB b
            let actual = Tensor.where (Tensor.greater ta (Tensor.scalar 0.0)) ta tb
            Assert.True((bits expected = bits (actual.ToArray())), sprintf "where %A %A %s" shapeA shapeB dtype.Name)

/// Σ of a row in the kernels' documented order: left to right for fewer than 16 elements,
/// TensorPrimitives' order (its vector lanes) for longer rows.
let private rowSum (row: double[]) =
    if row.Length < 16 then Array.reduce (+) row
    else TensorPrimitives.Sum(ReadOnlySpan<double> row)

[<Fact>]
let ``reductions over the last axis and over rows give the direct loop's bits`` () =
    for c in innerSizes do
        let x = values 5 (rows * c)
        let row r = x[r * c .. r * c + c - 1]
        let column j = Array.init rows (fun r -> x[r * c + j])
        let input = NdArray.create [| rows; c |] x
        let combinations : (Kernels.Reduction * (double -> double -> double)) list =
            [ Kernels.Sum, (+); Kernels.Max, (fun a b -> Math.Max(a, b)); Kernels.Min, (fun a b -> Math.Min(a, b)) ]
        for kind, combine in combinations do
            // The last axis: each row reduced; rows: each column combined row after row.
            let lastAxis = Array.init rows (fun r -> if kind = Kernels.Sum then rowSum (row r) else Array.reduce combine (row r))
            assertSameBits lastAxis (Kernels.reduce kind [| 1 |] false input).Data
            assertSameBits (Array.init c (fun j -> Array.reduce combine (column j))) (Kernels.reduce kind [| 0 |] false input).Data
            if kind <> Kernels.Sum then
                let input32 = NdArray.create32 [| rows; c |] (Array.map float32 x)
                let expected32 kernel = Array.map (float32 >> double) kernel
                let rounded = Array.map (float32 >> double) x
                let row32 r = rounded[r * c .. r * c + c - 1]
                assertSameBits (expected32 (Array.init rows (fun r -> Array.reduce combine (row32 r)))) (Array.map double (Kernels.extremum32 kind [| 1 |] false input32).Single)
                assertSameBits (expected32 (Array.init c (fun j -> Array.init rows (fun r -> rounded[r * c + j]) |> Array.reduce combine))) (Array.map double (Kernels.extremum32 kind [| 0 |] false input32).Single)
        // The bias gradient: sumTo [N, C] → [C] adds the rows in order.
        assertSameBits (Array.init c (fun j -> Array.reduce (+) (column j))) (Kernels.sumTo [| c |] input).Data
        // A compiled plan's sum into a buffer adds in the eager order.
        let dest = Array.zeroCreate rows
        DestinationKernels.sumInto rows c 1 x dest
        assertSameBits (Array.init rows (fun r -> rowSum (row r))) dest

[<Fact>]
let ``float32 sums over the last axis and over rows are the exact sums rounded once`` () =
    for c in innerSizes do
        // Eighths of small whole numbers: every partial sum is exact in float64, whatever the order.
        let x = Array.init (rows * c) (fun i -> float32 ((i * 37 % 101) - 50) / 8.0f)
        let input = NdArray.create32 [| rows; c |] x
        let exact (indices: int seq) = indices |> Seq.sumBy (fun i -> double x[i]) |> float32
        Assert.Equal<float32[]>(Array.init rows (fun r -> exact (seq { r * c .. r * c + c - 1 })), (Kernels.sum32 [| 1 |] false input).Single)
        Assert.Equal<float32[]>(Array.init c (fun j -> exact (seq { for r in 0 .. rows - 1 -> r * c + j })), (Kernels.sumTo32 [| c |] input).Single)
