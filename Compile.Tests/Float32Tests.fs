/// Compiled plans in float32: every value computed in its node's type, with eager's results.
/// Arithmetic, comparisons, selection, √, |·|, relu, products, sums and layout compute the same
/// bits compiled and eager, so those are compared exactly; the transcendental functions differ
/// only where a fused loop calls `Math`'s double function rounded once and eager calls
/// TensorPrimitives' float32 kernel (`assertWithinUlps`).
module FunctionalAD.Compile.Tests.Float32Tests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Compile.Tests.Support

/// Random float32 values (normal, from a seed).
let private random32 (seed: int) (shape: int[]) = Tensor.cast DType.Float32 (Tensor.randomNormal seed shape)

/// Both results are float32 and bit for bit equal.
let private assertExact32 (expected: Tensor) (actual: Tensor) =
    Assert.Equal(DType.Float32, expected.DType)
    Assert.Equal(DType.Float32, actual.DType)
    Assert.Equal<int[]>(expected.Shape, actual.Shape)
    Assert.Equal<float32[]>(expected.ToArray32(), actual.ToArray32())

/// One float32 ulp relative to the value (2⁻²³: the spacing of float32 numbers in [1, 2)).
let private ulp32 = Math.Pow(2.0, -23.0)

/// Both results are float32 and each element is within `ulps` float32 ulps of eager's,
/// relative to max(1, |eager|). TensorPrimitives' float32 exp/log/tanh and `Math`'s double
/// functions rounded once are each within an ulp of the exact value, so one such function
/// differs by at most 2 ulps; the callers say how their chains combine them.
let private assertWithinUlps (ulps: float) (expected: Tensor) (actual: Tensor) =
    Assert.Equal(DType.Float32, expected.DType)
    Assert.Equal(DType.Float32, actual.DType)
    Assert.Equal<int[]>(expected.Shape, actual.Shape)
    Array.iteri2 (fun i (e: float32) (a: float32) ->
        let tolerance = ulps * ulp32 * max 1.0 (abs (float e))
        if not (abs (float e - float a) <= tolerance) then Assert.Fail(sprintf "element %d: eager %.9g, compiled %.9g (%g ulps allowed)" i e a ulps))
        (expected.ToArray32()) (actual.ToArray32())

/// Sizes around the float32 lane count: below one vector, exactly some vectors, vectors and a
/// scalar tail, and large.
let private sizes =
    let w = Numerics.Vector<float32>.Count
    [ 1; w - 1; w; 2 * w; 2 * w + 1; 3 * w + 5; 1000 ]

/// An elementwise chain of exact operations, with weak constants that float32 rounds (0.1).
let private exactChain (x: Tensor) =
    let positive = Tensor.where (Tensor.greater x (Tensor.scalar 0.0)) x (-x)
    Tensor.relu (x * 0.1 + 1.0 / 3.0) + Tensor.sqrt (Tensor.abs x) * positive - x / (x * x + 1.0)

[<Fact>]
let ``float32 lanes have twice the elements of float64 lanes`` () =
    Assert.Equal(2 * Numerics.Vector<double>.Count, Numerics.Vector<float32>.Count)

[<Fact>]
let ``exact elementwise chains fuse into one float32 loop and give eager's bits at every size`` () =
    let compiled = Compile.compile exactChain
    for n in sizes do
        let x = random32 n [| n |]
        assertExact32 (exactChain x) (compiled x)
        let summary = Compile.summarize exactChain x
        if n > 1 then
            Assert.Equal(1, summary.FusedLoops)
            Assert.Contains(summary.StepNames, fun (name: string) -> name.StartsWith "fused[" && name.EndsWith " float32")

[<Fact>]
let ``transcendental chains in fused float32 loops are within the ulps of their functions`` () =
    // exp, tanh and log each differ by at most 2 ulps (see assertWithinUlps); a product,
    // quotient or sum of positive terms adds relative differences, so the chain by at most 6
    // ulps (and one more for the rounding of each later operation: 9 allowed).
    let f (x: Tensor) = Tensor.exp (x * 0.5) * (1.0 + Tensor.tanh x) + Tensor.log (x * x + 1.0)
    let compiled = Compile.compile f
    for n in sizes |> List.filter (fun n -> n < 1024) do
        let x = random32 (100 + n) [| n |]
        assertWithinUlps 9.0 (f x) (compiled x)

[<Fact>]
let ``large float32 exp and tanh run as TensorPrimitives float32 steps, with eager's bits`` () =
    let f (x: Tensor) = Tensor.exp x * 2.0 + Tensor.tanh x
    let x = random32 7 [| 4096 |]
    assertExact32 (f x) (Compile.compile f x)
    let summary = Compile.summarize f x
    Assert.Contains("exp float32", summary.StepNames)
    Assert.Contains("tanh float32", summary.StepNames)

[<Fact>]
let ``float32 reductions, products, broadcasting and layout give eager's bits`` () =
    let f (a: Tensor, b: Tensor, bias: Tensor, column: Tensor) =
        let product = Tensor.matmul a b + bias
        let stretched = product * column
        let laidOut = Tensor.transpose (Tensor.reshape [| 6; 10 |] stretched)
        Tensor.sumAxes [| 0 |] false laidOut,
        Tensor.maxAxes [| 1 |] true stretched,
        Tensor.mean (Tensor.slice [| (0, 6, 2); (1, 9, 3) |] stretched),
        Tensor.matmul (Tensor.transpose a) a,
        Tensor.sumAxes [| 0; 1 |] false (Tensor.reshape [| 3; 2; 10 |] stretched)
    let inputs = random32 1 [| 6; 4 |], random32 2 [| 4; 10 |], random32 3 [| 10 |], random32 4 [| 6; 1 |]
    let eager = f inputs
    let compiled = Compile.compile f inputs
    let e1, e2, e3, e4, e5 = eager
    let c1, c2, c3, c4, c5 = compiled
    assertExact32 e1 c1
    assertExact32 e2 c2
    assertExact32 e3 c3
    assertExact32 e4 c4
    assertExact32 e5 c5
    let steps = (Compile.summarize f inputs).StepNames
    Assert.Contains("matmul float32", steps)
    // Sums over one axis or all axes (the mean of the slice) write into their float32 buffers;
    // over two of three axes, which eager folds one axis at a time, they evaluate eagerly.
    Assert.Contains("sum[axes=[0]] float32", steps)
    Assert.Contains("sum[axes=[0,1]] float32", steps)
    Assert.Contains("sum[axes=[0,1]] (eager) float32", steps)

[<Fact>]
let ``compiled float32 gradients are eager's, in float32`` () =
    let f (x: Tensor) = Tensor.sum (exactChain x * x)
    let compiled = Compile.compile (AD.grad f)
    for n in sizes do
        let x = random32 (200 + n) [| n |]
        assertExact32 (AD.grad f x) (compiled x)

[<Fact>]
let ``the tanh MLP's float32 loss and gradient are within the ulps of its functions`` () =
    // tanh and exp/log (logSoftmax) differ by at most 2 ulps per element; the gradient's
    // products sum terms of magnitude below 1 (12 rows), so differences stay within 12·2·3 ulps
    // of max(1, |g|).
    let x = Tensor.cast DType.Float32 (uniform 40 -1.0 1.0 [| 12; 5 |])
    let labels = Tensor.cast DType.Float32 (oneHot 3 (Array.init 12 (fun i -> i % 3)))
    let loss = mlpLoss x labels
    let p = [| random32 41 [| 5; 7 |]; Tensor.zerosOf DType.Float32 [| 7 |]; random32 42 [| 7; 3 |]; Tensor.zerosOf DType.Float32 [| 3 |] |]
    let eagerLoss, eagerGrad = AD.valueAndGrad loss p
    let compiledLoss, compiledGrad = Compile.compile (AD.valueAndGrad loss) p
    assertWithinUlps 72.0 eagerLoss compiledLoss
    Array.iter2 (assertWithinUlps 72.0) eagerGrad compiledGrad

/// A relu MLP with a squared-error loss: matrix products, sums, relu and arithmetic only, so
/// its float32 training step is exact compiled as eager.
let private reluLoss (x: Tensor) (y: Tensor) (p: Tensor[]) =
    let hidden = Tensor.relu (Tensor.matmul x p[0] + p[1])
    let output = Tensor.matmul hidden p[2] + p[3]
    Tensor.mean (Tensor.square (output - y))

[<Fact>]
let ``a donating float32 MLP training step keeps float32 parameters, writes them in place and equals the eager step`` () =
    let x, y = random32 50 [| 16; 8 |], random32 51 [| 16; 3 |]
    let step (p: Tensor[]) = Array.map2 (fun (p: Tensor) g -> p - 0.05 * g) p (AD.grad (reluLoss x y) p)
    let initial () = [| random32 52 [| 8; 6 |]; Tensor.zerosOf DType.Float32 [| 6 |]; random32 53 [| 6; 3 |]; Tensor.zerosOf DType.Float32 [| 3 |] |]
    let donating = Compile.compileDonating step
    Assert.Equal(4, (Compile.summarize step (initial ())).DonatableOutputs)
    let mutable eager, compiled = initial (), initial ()
    for _ in 1 .. 4 do
        let before = compiled |> Array.map (fun t -> t.Node.Value.Single)
        let next = donating compiled
        Array.iter2 (fun (old: float32[]) (t: Tensor) -> Assert.Same(old, t.Node.Value.Single)) before next
        eager <- step eager
        Array.iter2 assertExact32 eager next
        compiled <- next
    let given = initial ()
    donating given |> ignore
    let refused = Assert.Throws<InvalidOperationException>(fun () -> given[0].ToArray32() |> ignore)
    Assert.Contains("donated", refused.Message)

[<Fact>]
let ``a cast to float64 inside a float32 program computes the rest in float64, as eager does`` () =
    let f (x: Tensor) =
        let wide = Tensor.cast DType.Float64 (x * 0.1)
        Tensor.sum (wide * 0.1) , Tensor.cast DType.Float32 (Tensor.exp wide) * x
    let x = random32 60 [| 40 |]
    let (eagerSum, eagerBack), (compiledSum, compiledBack) = f x, Compile.compile f x
    Assert.Equal(DType.Float64, compiledSum.DType)
    Assert.Equal(eagerSum.ToScalar(), compiledSum.ToScalar(), 12)
    // exp in float64: Math.Exp against TensorPrimitives' double kernel (Support's 1e-12), then
    // rounded to float32 on both sides: at most one float32 ulp apart, and the float32 product
    // by x adds at most one more.
    assertWithinUlps 2.0 eagerBack compiledBack
    Assert.Contains((Compile.summarize f x).StepNames, fun (name: string) -> name.StartsWith "cast")

[<Fact>]
let ``float32 combined with a float64 tensor promotes to float64, widening exactly`` () =
    let weights = uniform 61 -1.0 1.0 [| 30 |]
    let f (x: Tensor) = x * weights + x * 0.1, Tensor.sum (x * x)
    let x = random32 62 [| 30 |]
    let (eagerMixed, eagerSum), (compiledMixed, compiledSum) = f x, Compile.compile f x
    Assert.Equal(DType.Float64, compiledMixed.DType)
    Assert.Equal<float[]>(eagerMixed.ToArray(), compiledMixed.ToArray())
    assertExact32 eagerSum compiledSum
    Assert.Contains("convert to float64", (Compile.summarize f x).StepNames)

[<Fact>]
let ``a float32 buffer is never reused for a float64 value of its size`` () =
    // The float32 intermediates die at the cast, where float64 values of the same size are
    // born: reuse by size alone would hand them the float32 buffers.
    let f (x: Tensor) =
        let wide = Tensor.cast DType.Float64 (x * x * 0.5 + x)
        let square = Tensor.reshape [| 8; 8 |] (wide * wide)
        Tensor.sum (Tensor.matmul square square) + Tensor.sum (wide * 0.5)
    let x = random32 80 [| 64 |]
    let compiled = Compile.compile f x
    Assert.Equal(DType.Float64, compiled.DType)
    assertSame (f x) compiled

[<Fact>]
let ``prepare makes float32 plans ahead of the first call`` () =
    let x = random32 90 [| 33 |]
    let prepared = Compile.prepare exactChain [ Tensor.zerosOf DType.Float32 [| 33 |] ]
    assertExact32 (exactChain x) (prepared x)

[<Fact>]
let ``one compiled function keeps a plan per element type`` () =
    let compiled = Compile.compile exactChain
    let x64 = Tensor.randomNormal 70 [| 20 |]
    let x32 = Tensor.cast DType.Float32 x64
    assertSame (exactChain x64) (compiled x64)
    assertExact32 (exactChain x32) (compiled x32)
    assertSame (exactChain x64) (compiled x64)

[<Fact>]
let ``an all-scalar float32 program runs as scalar code in float32`` () =
    let f (x: Tensor, y: Tensor) = Tensor.sqrt (x * x + y * 0.1) / (y - 1.0 / 3.0) + Tensor.relu (x - y)
    let x, y = Tensor.cast DType.Float32 (Tensor.scalar 1.7), Tensor.cast DType.Float32 (Tensor.scalar 0.3)
    Assert.True((Compile.summarize f (x, y)).ScalarCode)
    assertExact32 (f (x, y)) (Compile.compile f (x, y))
    let g = Compile.compile (AD.grad (fun (x: Tensor) -> x * x * x * 0.1))
    assertExact32 (AD.grad (fun (x: Tensor) -> x * x * x * 0.1) x) (g x)
