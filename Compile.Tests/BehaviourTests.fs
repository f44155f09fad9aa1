module FunctionalAD.Compile.Tests.BehaviourTests

open System
open System.Threading.Tasks
open Xunit
open FunctionalAD
open FunctionalAD.Compile.Tests.Support

[<Fact>]
let ``branching on a value while compiling raises an error that names the operation and the remedy`` () =
    let f (x: Tensor) = if (Tensor.sum x).ToScalar() > 0.0 then x else -x
    let e = Assert.Throws<InvalidOperationException>(fun () -> Compile.compile f (Tensor.ofArray [| 1.0; 2.0 |]) |> ignore)
    Assert.Contains("`sum`", e.Message)
    Assert.Contains("Tensor.where", e.Message)
    Assert.Contains("[2]", e.Message)

[<Fact>]
let ``Tensor.where is the compiled way to branch`` () =
    let f (x: Tensor) = Tensor.where (Tensor.greater (Tensor.sum x) (Tensor.scalar 0.0)) x (-x)
    for x in [ Tensor.ofArray [| 1.0; 2.0 |]; Tensor.ofArray [| -1.0; -2.0 |] ] do
        assertSame (f x) (Compile.compile f x)

[<Fact>]
let ``a plan is traced once per input shapes`` () =
    let mutable traces = 0
    let f (x: Tensor) =
        traces <- traces + 1
        Tensor.sum (exp x)
    let compiled = Compile.compile f
    for _ in 1 .. 3 do compiled (Tensor.ofArray [| 1.0; 2.0; 3.0 |]) |> ignore
    Assert.Equal(1, traces)
    compiled (Tensor.ofArray [| 1.0; 2.0 |]) |> ignore
    compiled (Tensor.ofArray [| 4.0; 5.0; 6.0 |]) |> ignore
    Assert.Equal(2, traces)
    Assert.Equal(Math.Exp 4.0 + Math.Exp 5.0 + Math.Exp 6.0, (compiled (Tensor.ofArray [| 4.0; 5.0; 6.0 |])).ToScalar(), 10)

[<Fact>]
let ``a warm call of an elementwise, reduction and matmul plan allocates almost nothing`` () =
    let x = uniform 30 -1.0 1.0 [| 16; 8 |]
    let f (w: Tensor) = Tensor.sum (tanh (Tensor.matmul x w) * 2.0 + 1.0) + Tensor.sum (Tensor.sumAxes [| 0 |] false (w * w))
    let compiled = Compile.compile f
    let w = uniform 31 -1.0 1.0 [| 8; 4 |]
    for _ in 1 .. 5 do compiled w |> ignore
    let before = GC.GetAllocatedBytesForCurrentThread()
    let result = compiled w
    let allocated = GC.GetAllocatedBytesForCurrentThread() - before
    assertSame (f w) result
    Assert.True(allocated < 1024L, sprintf "%d bytes allocated" allocated)

[<Fact>]
let ``a warm call of a compiled scalar gradient allocates almost nothing`` () =
    let f (x: Tensor) = Seq.fold (fun (v: Tensor) _ -> sin v * 0.5 + exp (-(v * v))) x (seq { 1 .. 50 })
    let compiled = Compile.compile (AD.grad f)
    let x = Tensor.scalar 0.7
    for _ in 1 .. 5 do compiled x |> ignore
    let before = GC.GetAllocatedBytesForCurrentThread()
    compiled x |> ignore
    let allocated = GC.GetAllocatedBytesForCurrentThread() - before
    Assert.True(allocated < 1024L, sprintf "%d bytes allocated" allocated)

[<Fact>]
let ``compiled functions compose with transforms outside them and with compile inside them`` () =
    let f (x: Tensor) = Tensor.sum (sin x * x)
    let x = uniform 32 -1.0 1.0 [| 6 |]
    assertSame (AD.grad f x) (AD.grad (Compile.compile f) x)
    assertSame (AD.hessian f x) (AD.jacobian (AD.grad (Compile.compile f)) x)
    let outer (x: Tensor) = Compile.compile f x * 2.0 + Compile.compile f (x * 3.0)
    assertSame (outer x) (Compile.compile outer x)

[<Fact>]
let ``concurrent calls of one plan give the right results`` () =
    let f (x: Tensor) = Tensor.matmul (tanh x) (Tensor.transpose x) + 1.0
    let compiled = Compile.compile f
    let inputs = Array.init 64 (fun i -> uniform (40 + i) -1.0 1.0 [| 9; 9 |])
    let results = Array.zeroCreate inputs.Length
    Parallel.For(0, inputs.Length, fun i -> results[i] <- compiled inputs[i]) |> ignore
    Array.iter2 (fun x r -> assertSame (f x) r) inputs results

[<Fact>]
let ``constant outputs, returned inputs and aliases of inputs come back unchanged`` () =
    let f (x: Tensor) = x, Tensor.reshape [| 2; 2 |] x, Tensor.scalar 7.0
    let x = Tensor.ofArray [| 1.0; 2.0; 3.0; 4.0 |]
    let a, b, c = Compile.compile f x
    assertSame x a
    Assert.Equal<int[]>([| 2; 2 |], b.Shape)
    Assert.Equal<float[]>(x.ToArray(), b.ToArray())
    Assert.Equal(7.0, c.ToScalar())

[<Fact>]
let ``every differentiation transform traces with abstract inputs`` () =
    let f (x: Tensor) = Tensor.sum (exp (sin x) * x)
    let g (x: Tensor) = Tensor.stack 0 [ Tensor.sum (x * x); Tensor.prod x; Tensor.max x ]
    let x = uniform 33 -1.0 1.0 [| 4 |]
    let v = uniform 34 -1.0 1.0 [| 4 |]
    assertSame (AD.jacrev g x) (Compile.compile (AD.jacrev g) x)
    assertSame (AD.jacfwd g x) (Compile.compile (AD.jacfwd g) x)
    assertSame (AD.hvpReverse f x v) (Compile.compile (fun (x, v) -> AD.hvpReverse f x v) (x, v))
    assertSame (snd (AD.linearize g x) v) (Compile.compile (fun (x, v) -> snd (AD.linearize g x) v) (x, v))
    let s = Tensor.scalar 0.3
    assertSame (AD.nthDerivative 3 sin s) (Compile.compile (AD.nthDerivative 3 sin) s)
    let (value, aux), grad = AD.valueAndGradAux (fun x -> f x, x * 2.0) x
    let (value', aux'), grad' = Compile.compile (AD.valueAndGradAux (fun x -> f x, x * 2.0)) x
    assertSame value value'
    assertSame aux aux'
    assertSame grad grad'

[<Fact>]
let ``prepared plans trace ahead of the first call, once per example's shapes`` () =
    let mutable traces = 0
    let f (x: Tensor) =
        traces <- traces + 1
        Tensor.sum (tanh x * x)
    let g = Compile.prepare (AD.grad f) [ Tensor.zeros [| 3 |]; Tensor.zeros [| 2; 2 |] ]
    Assert.Equal(2, traces)
    let x = uniform 35 -1.0 1.0 [| 3 |]
    let m = uniform 36 -1.0 1.0 [| 2; 2 |]
    let expectedX, expectedM = AD.grad f x, AD.grad f m
    traces <- 0
    assertSame expectedX (g x)
    assertSame expectedM (g m)
    Assert.Equal(0, traces)
    g (uniform 37 -1.0 1.0 [| 5 |]) |> ignore
    Assert.Equal(1, traces)

[<Fact>]
let ``code made ahead on a worker is made once, whoever asks first, and its failure reaches every caller`` () =
    let mutable makes = 0
    let cell = FunctionalAD.Compilation.MadeOnce(fun () -> Threading.Interlocked.Increment(&makes) |> ignore; Threading.Thread.Sleep 20; 42)
    let answers = Parallel.For(0, 8, fun i -> if i % 2 = 0 then cell.TryMake() |> ignore else Assert.Equal(42, cell.Value))
    Assert.True answers.IsCompleted
    Assert.Equal(1, makes)
    Assert.Equal(42, cell.Value)
    Assert.True (cell.TryMake()).IsNone
    let failing = FunctionalAD.Compilation.MadeOnce<int>(fun () -> invalidOp "no code for this loop")
    Assert.True (failing.TryMake()).IsNone
    for _ in 1 .. 2 do
        let e = Assert.Throws<InvalidOperationException>(fun () -> failing.Value |> ignore)
        Assert.Equal("no code for this loop", e.Message)

[<Fact>]
let ``a new plan's first calls from several threads at once, racing the worker that makes its loops, give eager's values`` () =
    // A structure no other test compiles, so that its loops are new to this process.
    let f (x: Tensor) = Tensor.erf (Tensor.atan (x * 0.375) + x) * Tensor.softplus (x - 0.125)
    let x = Tensor.ofArray [| for i in 0 .. 99 -> float i / 50.0 - 1.0 |]
    let compiled = Compile.compile (AD.grad (f >> Tensor.sum))
    let expected = AD.grad (f >> Tensor.sum) x
    let results = Array.zeroCreate<Tensor> 6
    Parallel.For(0, results.Length, fun i -> results[i] <- compiled x) |> ignore
    for r in results do assertSame expected r
