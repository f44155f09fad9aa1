module FunctionalAD.Compile.Tests.EquivalenceTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Compile.Tests.Support

// ---- the lectures' examples ---------------------------------------------------------------

let private logistic (w: Tensor) = log (1.0 + exp (-3.5 * w))

[<Fact>]
let ``the lectures' logistic loss, its derivative and second derivative compile to their closed forms`` () =
    let w = Tensor.scalar 0.5
    let value, slope, curvature = Compile.compile logistic w, Compile.compile (AD.grad logistic) w, Compile.compile (AD.grad (AD.grad logistic)) w
    let s = 1.0 / (1.0 + Math.Exp(3.5 * 0.5))
    Assert.Equal(Math.Log(1.0 + Math.Exp -1.75), value.ToScalar(), 15)
    Assert.Equal(-3.5 * s, slope.ToScalar(), 15)
    Assert.Equal(3.5 * 3.5 * s * (1.0 - s), curvature.ToScalar(), 14)

[<Fact>]
let ``gradient of x1·x2 + x3 over an array of tensors is (x2, x1, 1)`` () =
    let f (x: Tensor[]) = x[0] * x[1] + x[2]
    let g = Compile.compile (AD.grad f) [| Tensor.scalar 2.0; Tensor.scalar 5.0; Tensor.scalar -1.0 |]
    Assert.Equal<float[]>([| 5.0; 2.0; 1.0 |], g |> Array.map (fun t -> t.ToScalar()))

[<Fact>]
let ``gradient of x1³·x2 at (2, 3) is (36, 8)`` () =
    let f (x: Tensor) = Tensor.powConst 3.0 x[0] * x[1]
    Assert.Equal<float[]>([| 36.0; 8.0 |], (Compile.compile (AD.grad f) (Tensor.ofArray [| 2.0; 3.0 |])).ToArray())

[<Fact>]
let ``Jacobian of (x1², x1·x2·x3) compiles to the lectures' matrix`` () =
    let f (x: Tensor) = Tensor.stack 0 [ x[0] * x[0]; x[0] * x[1] * x[2] ]
    let x = Tensor.ofArray [| 2.0; 3.0; 5.0 |]
    let j = Compile.compile (AD.jacobian f) x
    Assert.Equal<float[]>([| 4.0; 0.0; 0.0; 15.0; 10.0; 6.0 |], j.ToArray())
    assertSame (AD.jacobian f x) j

// ---- random elementwise chains -------------------------------------------------------------

/// A random chain of 5–30 elementwise steps mixing unary functions, affine maps, products with
/// the input, maxima and `where` branches.
let private chain (seed: int) =
    let rng = Random seed
    let steps = Array.init (5 + rng.Next 26) (fun _ -> rng.Next 11, rng.NextDouble() * 2.0 - 1.0)
    fun (x: Tensor) ->
        steps |> Array.fold (fun (v: Tensor) (kind, c) ->
            match kind with
            | 0 -> sin v
            | 1 -> exp (-(v * v))
            | 2 -> v * c + 0.5
            | 3 -> tanh v
            | 4 -> Tensor.sigmoid v
            | 5 -> Tensor.softplus v
            | 6 -> v * x
            | 7 -> sqrt (1.0 + v * v)
            | 8 -> Tensor.maximum v (x * c)
            | 9 -> v / (1.5 + cos x)
            | _ -> Tensor.where (Tensor.greater v (Tensor.scalar c)) v (cos v)) x

[<Fact>]
let ``random elementwise chains on vectors: values, gradients, Hessian-vector products and donating descent steps agree with eager`` () =
    for seed in 1 .. 25 do
        let f = chain seed
        let loss (x: Tensor) = Tensor.sum (f x)
        let x = uniform seed -1.5 1.5 [| 23 |]
        let v = uniform (seed + 100) -1.0 1.0 [| 23 |]
        assertSame (f x) (Compile.compile f x)
        assertSame (AD.grad loss x) (Compile.compile (AD.grad loss) x)
        assertSame (AD.hvp loss x v) (Compile.compile (fun (x, v) -> AD.hvp loss x v) (x, v))
        // A descent step writes into its donated input wherever the plan allows.
        let descend (x: Tensor) = x - 0.1 * AD.grad loss x, f x
        assertSameTree (descend x) (Compile.compileDonating descend (Tensor.ofArray (x.ToArray())))

[<Fact>]
let ``random elementwise chains on scalars run as compiled scalar code and agree with eager`` () =
    for seed in 1 .. 25 do
        let f = chain seed
        let x = Tensor.scalar (float seed / 20.0 - 0.6)
        assertSame (f x) (Compile.compile f x)
        assertSame (AD.grad f x) (Compile.compile (AD.grad f) x)
        assertSame (AD.grad (AD.grad f) x) (Compile.compile (AD.grad (AD.grad f)) x)
        Assert.True((Compile.summarize (AD.grad f) x).ScalarCode)

[<Fact>]
let ``a scalar chain longer than one compiled chunk agrees with eager`` () =
    let f (x: Tensor) = Seq.fold (fun (v: Tensor) i -> if i % 2 = 0 then sin v * 0.9 + 0.1 else exp (-(v * v))) x (seq { 1 .. 1500 })
    let x = Tensor.scalar 0.3
    assertSame (AD.grad f x) (Compile.compile (AD.grad f) x)
    Assert.True((Compile.summarize (AD.grad f) x).Steps > 1)

[<Fact>]
let ``a long scalar program runs interpreted until its IL is ready, with the same bits either way`` () =
    // ≈ 20 000 computed instructions: compiling them takes a tenth of a second or more, so the
    // first calls run interpreted and later ones the swapped-in IL.
    let f (x: Tensor) = Seq.fold (fun (v: Tensor) i -> if i % 2 = 0 then sin v * 0.9 + 0.1 else exp (-(v * v))) x (seq { 1 .. 4000 })
    let x = Tensor.scalar 0.3
    Assert.All((Compile.summarize (AD.grad f) x).StepNames, fun name -> Assert.Equal("interpreted scalar code", name))
    let expected = (AD.grad f x).ToScalar()
    let gradient = Compile.compile (AD.grad f)
    let watch = System.Diagnostics.Stopwatch.StartNew()
    while watch.Elapsed.TotalSeconds < 3.0 do
        Assert.Equal(expected, (gradient x).ToScalar())
        System.Threading.Thread.Sleep 20

[<Fact>]
let ``large elementwise chains run functions without a vector form as vectorised steps of their own`` () =
    let f (x: Tensor) = exp (-(x * x)) * sin x * 0.5 + x / (1.0 + x * x) + tanh (log (x * x + 1.0)) * cos x
    let large = uniform 40 -2.0 2.0 [| 4096 |]
    assertSame (f large) (Compile.compile f large)
    assertSame (AD.grad (fun x -> Tensor.sum (f x)) large) (Compile.compile (AD.grad (fun x -> Tensor.sum (f x))) large)
    let steps = (Compile.summarize f large).StepNames
    for name in [ "exp"; "sin"; "cos"; "tanh"; "log" ] do
        Assert.Contains(name, steps)
    Assert.Contains(steps, fun step -> step.StartsWith "fused[")
    // Below the threshold the whole chain stays one fused loop.
    let small = uniform 41 -2.0 2.0 [| 64 |]
    assertSame (f small) (Compile.compile f small)
    let smallPlan = Compile.summarize f small
    Assert.Equal(1, smallPlan.Steps)
    Assert.Equal(1, smallPlan.FusedLoops)

// ---- models ----------------------------------------------------------------------------------

let private data = uniform 1 -1.0 1.0 [| 32; 12 |]
let private labels = oneHot 5 (Array.init 32 (fun i -> (i * 7) % 5))
let private parameters =
    [| uniform 2 -0.5 0.5 [| 12; 16 |]; uniform 3 -0.1 0.1 [| 16 |]; uniform 4 -0.5 0.5 [| 16; 5 |]; uniform 5 -0.1 0.1 [| 5 |] |]

[<Fact>]
let ``MLP softmax cross-entropy: loss and gradient over an array of parameters agree with eager`` () =
    let loss = mlpLoss data labels
    assertSame (loss parameters) (Compile.compile loss parameters)
    let eagerValue, eagerGrad = AD.valueAndGrad loss parameters
    let value, grads = Compile.compile (AD.valueAndGrad loss) parameters
    assertSame eagerValue value
    assertSameTree eagerGrad grads

[<Fact>]
let ``logistic regression: loss, gradient, Hessian and Hessian-vector product agree with eager`` () =
    let x = uniform 6 -1.0 1.0 [| 40; 7 |]
    let y = Tensor.create [| 40; 1 |] (Array.init 40 (fun i -> if i % 3 = 0 then 1.0 else -1.0))
    let w = uniform 7 -0.3 0.3 [| 7; 1 |]
    let v = uniform 8 -1.0 1.0 [| 7; 1 |]
    let loss = logisticLoss x y
    assertSame (loss w) (Compile.compile loss w)
    assertSame (AD.grad loss w) (Compile.compile (AD.grad loss) w)
    assertSame (AD.hessian loss w) (Compile.compile (AD.hessian loss) w)
    assertSame (AD.hvp loss w v) (Compile.compile (fun (w, v) -> AD.hvp loss w v) (w, v))

[<Fact>]
let ``Hessian of Σ exp(x_i·x_{i+1}) agrees with eager`` () =
    let f (x: Tensor) = Tensor.sum (exp (Tensor.slice [| (0, -1, 1) |] x * Tensor.slice [| (1, Int32.MaxValue, 1) |] x))
    let x = uniform 9 -0.5 0.5 [| 9 |]
    assertSame (AD.hessian f x) (Compile.compile (AD.hessian f) x)

[<Fact>]
let ``a function returning a pair of tensors returns the pair`` () =
    let f (x: Tensor) = Tensor.sum (x * x), Tensor.transpose (Tensor.matmul x x)
    let x = uniform 10 -1.0 1.0 [| 4; 4 |]
    let a, b = Compile.compile f x
    let ea, eb = f x
    assertSame ea a
    assertSame eb b

[<Fact>]
let ``reductions over inner, outer and several axes, broadcasts and layout primitives agree with eager`` () =
    let f (x: Tensor) =
        let rows = Tensor.sumAxes [| 1 |] true x
        let cols = Tensor.sumAxes [| 0 |] false x
        let both = Tensor.sumAxes [| 0; 2 |] false (Tensor.reshape [| 2; 3; 4 |] x)
        Tensor.sum (x / rows + cols) + Tensor.sum (both * both) + Tensor.max (Tensor.transpose x) + Tensor.sum (Tensor.gather 0 [| 5; 0; 5 |] x)
    let x = uniform 11 0.5 1.5 [| 6; 4 |]
    assertSame (f x) (Compile.compile f x)
    assertSame (AD.grad f x) (Compile.compile (AD.grad f) x)

[<Fact>]
let ``strided slices of matrices and their transposes (gradients) agree with eager`` () =
    let f (x: Tensor) =
        let window = Tensor.slice [| (1, 6, 2); (0, 4, 3) |] x
        Tensor.sum (window * window * Tensor.slice [| (0, 3, 1); (2, 4, 1) |] x) + Tensor.sum (sin x[2])
    let x = uniform 12 -1.0 1.0 [| 6; 4 |]
    assertSame (f x) (Compile.compile f x)
    assertSame (AD.grad f x) (Compile.compile (AD.grad f) x)

[<Fact>]
let ``vectorised fused loops, with a scalar tail, agree with eager on every lane`` () =
    let f (x: Tensor) =
        let masked = Tensor.where (Tensor.greater x (Tensor.scalar 0.1)) (sqrt (abs x) * log (1.0 + x * x)) (exp x * sin x - cos x)
        masked + Tensor.less x (Tensor.scalar -0.5) * 3.0 - Tensor.notEqual x (Tensor.scalar 0.0) + Tensor.equal x x / (2.0 + x * x) + Tensor.relu (x - 0.2)
    let loss (x: Tensor) = Tensor.sum (f x * f x)
    for n in [ 8; 37; 64 ] do
        let x = uniform (50 + n) -1.0 1.0 [| n |]
        assertSame (f x) (Compile.compile f x)
        assertSame (AD.grad loss x) (Compile.compile (AD.grad loss) x)

[<Fact>]
let ``products large enough for the provider write into reused buffers and agree with eager`` () =
    let a = uniform 13 -1.0 1.0 [| 64; 48 |]
    let f (w: Tensor) =
        let h = tanh (Tensor.matmul a w)
        let g = tanh (Tensor.matmul (Tensor.transpose h) h)
        Tensor.sum (Tensor.matmul h g * Tensor.matmul a w)
    let w = uniform 14 -0.3 0.3 [| 48; 40 |]
    assertSame (f w) (Compile.compile f w)
    Assert.Contains("matmul", (Compile.summarize (AD.grad f) w).StepNames)
    // repeated calls run on buffers holding the previous call's values
    let compiled = Compile.compile (AD.grad f)
    for _ in 1 .. 3 do assertSame (AD.grad f w) (compiled w)

[<Fact>]
let ``vectorised relu, comparisons and where keep NaN, infinities and signed zeros bit for bit`` () =
    let f (x: Tensor) = Tensor.relu x + Tensor.where (Tensor.greater x (Tensor.scalar 0.0)) x (-x) * Tensor.lessEqual x (Tensor.scalar 1.0)
    let x = Tensor.ofArray [| nan; -0.0; 0.0; 1.0; -1.0; infinity; -infinity; 2.0; nan; -0.0; 0.5 |]
    let bits (t: Tensor) = t.ToArray() |> Array.map BitConverter.DoubleToInt64Bits
    Assert.Equal<int64[]>(bits (f x), bits (Compile.compile f x))

[<Fact>]
let ``concatenations write into their buffers, blocks short and long, in float64 and float32, as eager does`` () =
    // Along the last axis (blocks of 2 and 3 elements, copied by a loop), along the first (blocks
    // of whole rows of 40, copied by span), and a part that is itself the result of a step.
    let f (x: Tensor) =
        let pairs = Tensor.concat 1 [| Tensor.slice [| (0, 8, 1); (0, 2, 1) |] x; sin (Tensor.slice [| (0, 8, 1); (2, 5, 1) |] x) |]
        let rows = Tensor.concat 0 [| x; cos x |]
        Tensor.sum (pairs * pairs) + Tensor.sum (exp rows)
    let g = AD.grad f
    let steps = (Compile.summarize (fun (x: Tensor) -> Tensor.concat 0 [| x; cos x |]) (uniform 20 -1.0 1.0 [| 8; 40 |])).StepNames
    Assert.Contains(steps, fun (name: string) -> name.StartsWith "concat" && not (name.Contains "(eager)"))
    let compiled = Compile.compile g
    for seed in 21 .. 23 do
        let x = uniform seed -1.0 1.0 [| 8; 40 |]
        assertSame (g x) (compiled x)
        let x32 = Tensor.cast DType.Float32 x
        Array.iter2 (fun (e: float32) (a: float32) -> Assert.True(abs (e - a) <= 1e-5f * max 1.0f (abs e), sprintf "eager %g, compiled %g" e a))
            ((g x32).ToArray32()) ((compiled x32).ToArray32())

[<Fact>]
let ``permutes and scatter-adds write into reused buffers, in float64 and float32, and agree with eager`` () =
    let indices = Tensor.create [| 3; 2; 4 |] (Array.init 24 (fun k -> float ((k * 7) % 5)))
    let f (x: Tensor) =
        let moved = Tensor.permute [| 2; 0; 1 |] (sin x)
        let spread = Tensor.scatterAdd 2 indices (cos x) (Tensor.zerosOf x.DType [| 3; 2; 5 |])
        Tensor.sum (exp moved) + Tensor.sum (spread * spread)
    let g = AD.grad f
    let x = uniform 15 -1.0 1.0 [| 3; 2; 4 |]
    let steps = (Compile.summarize g x).StepNames
    Assert.Contains("permute[[2,0,1]]", steps)
    Assert.Contains(steps, fun (name: string) -> name.StartsWith "scatterAdd" && not (name.Contains "(eager)"))
    Assert.Contains("permute[[2,0,1]] float32", (Compile.summarize g (Tensor.cast DType.Float32 x)).StepNames)
    // Repeated calls run on buffers holding the previous call's values: a scatter-add clears its own.
    let compiled = Compile.compile g
    for seed in 16 .. 18 do
        let x = uniform seed -1.0 1.0 [| 3; 2; 4 |]
        assertSame (g x) (compiled x)
        // float32: sin, cos and exp run in a fused loop, within an ulp of eager's kernels.
        let x32 = Tensor.cast DType.Float32 x
        Array.iter2 (fun (e: float32) (a: float32) -> Assert.True(abs (e - a) <= 1e-5f * max 1.0f (abs e), sprintf "eager %g, compiled %g" e a))
            ((g x32).ToArray32()) ((compiled x32).ToArray32())
