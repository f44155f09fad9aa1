module FunctionalAD.Compile.Tests.OptimisationTests

open Xunit
open FunctionalAD
open FunctionalAD.Compile.Tests.Support

let private vector = uniform 20 -1.0 1.0 [| 50 |]

[<Fact>]
let ``common subexpressions are computed once`` () =
    let f (x: Tensor) = sin x * 2.0 + sin x * 2.0
    // input, the scalar 2, sin, one product, the sum
    Assert.Equal(5, (Compile.summarize f vector).Instructions)
    assertSame (f vector) (Compile.compile f vector)

[<Fact>]
let ``x·1 + 0 and reshapes there and back leave the input itself`` () =
    let f (x: Tensor) = Tensor.reshape [| 50 |] (Tensor.reshape [| 5; 10 |] (x * 1.0 + 0.0))
    let summary = Compile.summarize f vector
    Assert.Equal(1, summary.Instructions)
    Assert.Equal(0, summary.Steps)
    assertSame vector (Compile.compile f vector)

[<Fact>]
let ``work the outputs do not need is dropped`` () =
    let f (x: Tensor) =
        let _unused = Tensor.matmul (Tensor.reshape [| 5; 10 |] x) (Tensor.reshape [| 10; 5 |] x)
        exp x
    Assert.Equal(2, (Compile.summarize f vector).Instructions)

[<Fact>]
let ``an elementwise chain runs as one fused loop`` () =
    let f (x: Tensor) = exp (sin x * 2.0 + 1.0) / (1.0 + x * x)
    let summary = Compile.summarize f vector
    Assert.Equal(1, summary.Steps)
    Assert.Equal(1, summary.FusedLoops)
    // Only the result is stored: every intermediate lives in a register of the loop.
    Assert.Equal(0, summary.Buffers)
    assertSame (f vector) (Compile.compile f vector)

[<Fact>]
let ``primitives declared with a formula fuse into the elementwise loop`` () =
    // erf, atan and atan2 reach fused loops through their declarations alone.
    let f (x: Tensor) = Tensor.erf (atan x * 2.0) + atan2 x (1.0 + x * x)
    let summary = Compile.summarize f vector
    Assert.Equal(1, summary.FusedLoops)
    Assert.Equal(1, summary.Steps)
    assertSame (f vector) (Compile.compile f vector)

[<Fact>]
let ``buffers are reused once their values are dead`` () =
    let f (x: Tensor) =
        let m = Tensor.reshape [| 10; 5 |] x
        let rec layers (h: Tensor) n = if n = 0 then h else layers (Tensor.matmul (Tensor.matmul h (Tensor.transpose h)) h) (n - 1)
        Tensor.sum (layers m 6)
    let summary = Compile.summarize f vector
    // twelve products, but at any time only a few values are alive
    Assert.True(summary.Buffers <= 4, sprintf "%d buffers" summary.Buffers)
    assertSame (f (vector * 0.3)) (Compile.compile f (vector * 0.3))

[<Fact>]
let ``the gradient of the lectures' loss folds the seed and simplifies mulNoNan by a constant`` () =
    let f (w: Tensor) = log (1.0 + exp (-3.5 * w))
    let w = Tensor.scalar 0.5
    let summary = Compile.summarize (AD.grad f) w
    Assert.True(summary.ScalarCode)
    // forward: −3.5w, exp, 1 + ·, and backward: 1/v2, ·exp, ·(−3.5): no multiplication by the seed 1
    Assert.True(summary.Instructions <= 9, sprintf "%d instructions" summary.Instructions)

[<Fact>]
let ``primitives whose parameters abbreviate them are not merged: gathers of different indices, clamps of different bounds`` () =
    let f (x: Tensor) =
        Tensor.sum (Tensor.gather 0 [| 0; 1 |] x * 10.0 + Tensor.gather 0 [| 2; 3 |] x)
        + Tensor.sum (Tensor.clamp -0.1234567 0.5 x - Tensor.clamp -0.1234568 0.5 x)
    let x = Tensor.ofArray [| 1.0; 2.0; -0.12345675; 4.0 |]
    assertSame (f x) (Compile.compile f x)
    assertSame (AD.grad f x) (Compile.compile (AD.grad f) x)

[<Fact>]
let ``user-defined functions with custom rules compile, values and derivatives`` () =
    let softClip = Custom.withVjp "softClip" (fun x -> tanh x * 2.0) (fun x _ g -> g * 2.0 * (1.0 - tanh x * tanh x))
    let f (x: Tensor) = Tensor.sum (softClip (x * 3.0) * x)
    let x = uniform 21 -1.0 1.0 [| 7 |]
    assertSame (f x) (Compile.compile f x)
    assertSame (AD.grad f x) (Compile.compile (AD.grad f) x)

[<Fact>]
let ``the identities Symbolic shares simplify programs too: x·(−1), 0 − x and x/(−1) are one negation, x¹ is x, a known condition picks its branch`` () =
    let f (x: Tensor) = x * -1.0 + (0.0 - x) + x / -1.0 + x ** 1.0 + Tensor.where (Tensor.scalar 1.0) x (sin x)
    // input, one negation, four sums: no product, quotient, power, selection or sine is left
    Assert.Equal(6, (Compile.summarize f vector).Instructions)
    assertSame (f vector) (Compile.compile f vector)
    assertSame (AD.grad (f >> Tensor.sum) vector) (Compile.compile (AD.grad (f >> Tensor.sum)) vector)

[<Fact>]
let ``a plan for another size reuses the code of fused loops of the same structure, constants and sizes apart`` () =
    let chain (scale: float) (x: Tensor) = Tensor.atan (Tensor.expm1 x * scale) - Tensor.log1p (x * x) / 3.0
    let small, large = uniform 31 -1.0 1.0 [| 40 |], uniform 32 -1.0 1.0 [| 1003 |]
    Assert.Equal(1, (Compile.summarize (chain 0.25) small).FusedLoops)
    // Whichever plan compiled the loop first, a plan of the same structure finds it compiled.
    let later = Compile.summarize (chain 0.5) large
    Assert.Equal(1, later.FusedLoops)
    Assert.Equal(0, later.LoopsCompiled)
    for scale, x in [ 0.25, small; 0.5, large; 0.5, small ] do
        assertSame (chain scale x) (Compile.compile (chain scale) x)
    // A different primitive is a different structure: its own code, its own values.
    let other (x: Tensor) = Tensor.atan (Tensor.expm1 x * 0.25) + Tensor.log1p (x * x) / 3.0
    assertSame (other small) (Compile.compile other small)

[<Fact>]
let ``vectorised fused loops shared across sizes compute every element, tails included`` () =
    let f (x: Tensor) = (x * 3.0 + 1.0) * x - 2.0
    for n in [ 16; 17; 1000; 1003 ] do
        let x = uniform n -2.0 2.0 [| n |]
        assertSame (f x) (Compile.compile f x)
    Assert.Equal(0, (Compile.summarize f (uniform 5 -2.0 2.0 [| 64 |])).LoopsCompiled)

[<Fact>]
let ``rows and columns broadcast into a fused loop are read in place, not materialised, and give eager's values`` () =
    for n, c in [ 7, 10; 33, 64; 5, 3; 16, 17 ] do
        let x = uniform 40 -1.0 1.0 [| n; c |]
        let row = uniform 41 -1.0 1.0 [| c |]
        let column = uniform 42 -1.0 1.0 [| n; 1 |]
        let f (x: Tensor, row: Tensor, column: Tensor) = Tensor.relu (x + row) * column - column
        let summary = Compile.summarize f (x, row, column)
        Assert.DoesNotContain("broadcast", summary.StepNames)
        Assert.Equal(1, summary.FusedLoops)
        assertSame (f (x, row, column)) (Compile.compile f (x, row, column))
        let x32, row32, column32 = Tensor.cast DType.Float32 x, Tensor.cast DType.Float32 row, Tensor.cast DType.Float32 column
        assertSame (f (x32, row32, column32)) (Compile.compile f (x32, row32, column32))

[<Fact>]
let ``a channel bias broadcast into a fused loop is read in place, its runs cycling through the channels`` () =
    for h, w in [ 4, 4; 3, 5 ] do
        let x = uniform 45 -1.0 1.0 [| 3; 5; h; w |]
        let bias = uniform 46 -1.0 1.0 [| 1; 5; 1; 1 |]
        let f (x: Tensor, bias: Tensor) = Tensor.relu (x + bias)
        Assert.DoesNotContain("broadcast", (Compile.summarize f (x, bias)).StepNames)
        assertSame (f (x, bias)) (Compile.compile f (x, bias))

[<Fact>]
let ``a broadcast that is returned or read by another step is still materialised`` () =
    let x = uniform 43 -1.0 1.0 [| 6; 8 |]
    let row = uniform 44 -1.0 1.0 [| 8 |]
    let returned (x: Tensor, row: Tensor) = x * row, Tensor.broadcastTo [| 6; 8 |] row
    let a, b = returned (x, row)
    let ca, cb = Compile.compile returned (x, row)
    assertSame a ca
    assertSame b cb
    let product (x: Tensor, row: Tensor) = Tensor.matmul (Tensor.transpose (Tensor.broadcastTo [| 6; 8 |] row)) x + x[0..0, *]
    assertSame (product (x, row)) (Compile.compile product (x, row))

[<Fact>]
let ``a product of a transpose multiplies through the flag, with no copy, the values and gradients of the transposed matrix's`` () =
    let x = uniform 47 -1.0 1.0 [| 7; 5 |]
    let r = uniform 48 -1.0 1.0 [| 7 |]
    let c = uniform 49 -1.0 1.0 [| 5 |]
    // Xᵀ materialised by hand: the reference product reads a matrix that is no transpose.
    let xData = x.ToArray()
    let copied = Tensor.create [| 5; 7 |] (Array.init 35 (fun k -> xData[(k % 7) * 5 + k / 7]))
    let xtr (x: Tensor, r: Tensor) = Tensor.matmul (Tensor.transpose x) r
    Assert.Equal<string[]>([| "matmul[Aᵀ]" |], (Compile.summarize xtr (x, r)).StepNames)
    assertSame (Tensor.matmul copied r) (xtr (x, r))
    assertSame (xtr (x, r)) (Compile.compile xtr (x, r))
    let row = Tensor.reshape [| 1; 5 |] c
    let rxt (row: Tensor, x: Tensor) = Tensor.matmul row (Tensor.transpose x)
    Assert.DoesNotContain("permute[[1,0]]", (Compile.summarize rxt (row, x)).StepNames)
    assertSame (Tensor.matmul row copied) (rxt (row, x))
    // The gradient of Σ c ⊙ (Xᵀ r) with respect to X is r cᵀ, reached without transposing back.
    let loss (x: Tensor) = Tensor.sum (c * Tensor.matmul (Tensor.transpose x) r)
    assertSame (Tensor.outer r c) (AD.grad loss x)
    Assert.DoesNotContain("permute[[1,0]]", (Compile.summarize (AD.grad loss) x).StepNames)
    // A batch of matrices transposed in their last two axes folds too; a permute that moves a
    // batch axis does not.
    let a = uniform 50 -1.0 1.0 [| 2; 3; 4 |]
    let b = uniform 51 -1.0 1.0 [| 2; 3; 6 |]
    let batched (a: Tensor, b: Tensor) = Tensor.matmul (Tensor.permute [| 0; 2; 1 |] a) b
    Assert.Equal(1, (Compile.summarize batched (a, b)).Steps)
    let both = batched (a, b)
    for i in 0 .. 1 do
        assertSame (xtr (a[i], b[i])) both[i]
    let square = uniform 52 -1.0 1.0 [| 3; 3; 3 |]
    let moved (a: Tensor, b: Tensor) = Tensor.matmul (Tensor.permute [| 1; 0; 2 |] a) b
    Assert.Contains("permute[[1,0,2]]", (Compile.summarize moved (square, square)).StepNames)
