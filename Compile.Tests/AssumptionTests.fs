module FunctionalAD.Compile.Tests.AssumptionTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Benchmarks
open FunctionalAD.Compile.Tests.Support

/// Compiled and eager results agree element by element where values overflow: NaN where eager
/// has NaN, the same infinity where it has one, the finite elements as `assertSame` compares them.
let private assertSameNonFinite (expected: Tensor) (actual: Tensor) =
    Assert.Equal<int[]>(expected.Shape, actual.Shape)
    let e, a = expected.ToArray(), actual.ToArray()
    for i in 0 .. e.Length - 1 do
        let agree =
            if Double.IsNaN e[i] then Double.IsNaN a[i]
            elif Double.IsInfinity e[i] then e[i] = a[i]
            else abs (e[i] - a[i]) <= 1e-12 * max 1.0 (abs e[i])
        if not agree then Assert.Fail(sprintf "element %d: eager %.17g, compiled %.17g" i e[i] a[i])

/// Eager and compiled results with the same bits, NaNs included (the call was evaluated eagerly).
let private assertIdentical (expected: Tensor) (actual: Tensor) =
    Assert.Equal<int[]>(expected.Shape, actual.Shape)
    Assert.Equal<int64[]>(expected.ToArray() |> Array.map BitConverter.DoubleToInt64Bits, actual.ToArray() |> Array.map BitConverter.DoubleToInt64Bits)

/// A point where exp(x_0·x_1) = exp(900) overflows to infinity.
let private overflowing = Tensor.ofArray [| 30.0; 30.0; 0.5; -0.2; 0.1 |]

let private point n = uniform 5 -0.5 0.5 [| n |]

[<Theory>]
[<InlineData 10>]
[<InlineData 300>]
let ``the compiled Hessian of Σ exp(x_i·x_i+1) equals the eager one`` (n: int) =
    let x = point n
    assertSame (AD.hessian Cases.coupled x) (Compile.compile (AD.hessian Cases.coupled) x)

[<Fact>]
let ``the compiled Hessian keeps its batch of basis vectors compact: no step fills in n × (n − 1)`` () =
    let n = 300
    let steps = (Compile.summarize (AD.hessian Cases.coupled) (point n)).StepNames
    let filledIn = sprintf "[%d,%d]" n (n - 1)
    Assert.DoesNotContain(steps, fun (name: string) -> name.Contains filledIn)
    // What keeps it compact: the factors of its products are checked to be finite.
    Assert.Contains("assumeFinite", steps)

[<Fact>]
let ``a call whose values break the assumption is evaluated eagerly: overflow gives eager's NaN and inf`` () =
    let compiled = Compile.compile (AD.hessian Cases.coupled)
    let eager = AD.hessian Cases.coupled overflowing
    // The case is one where the compact product would differ: eager's 0 · inf makes NaNs.
    Assert.Contains(eager.ToArray(), fun v -> Double.IsNaN v)
    Assert.Contains(eager.ToArray(), fun v -> Double.IsPositiveInfinity v)
    assertIdentical eager (compiled overflowing)
    // The plan stays in use for values that keep the assumption.
    let finite = uniform 6 -0.5 0.5 [| 5 |]
    assertSame (AD.hessian Cases.coupled finite) (compiled finite)
    assertIdentical eager (compiled overflowing)

[<Fact>]
let ``a donating compiled Hessian assumes nothing and gives eager's values`` () =
    let donating = Compile.compileDonating (AD.hessian Cases.coupled)
    for n in [ 10; 300 ] do
        let x = point n
        assertSame (AD.hessian Cases.coupled x) (donating (point n))
    assertSameNonFinite (AD.hessian Cases.coupled overflowing) (donating (Tensor.ofArray (overflowing.ToArray())))

[<Fact>]
let ``vmap of the compiled Hessian checks the batched factors and falls back for the whole batch`` () =
    let hessians = AD.vmap (AD.hessian Cases.coupled)
    let compiled = Compile.compile hessians
    let rows = uniform 7 -0.5 0.5 [| 3; 5 |]
    Assert.Contains("assumeFinite", (Compile.summarize hessians rows).StepNames)
    assertSame (hessians rows) (compiled rows)
    let withOverflow = Tensor.stack 0 [| point 5; overflowing; point 5 |]
    assertIdentical (hessians withOverflow) (compiled withOverflow)

[<Fact>]
let ``derivatives of the compiled Hessian pass through the assumption`` () =
    let x = point 6
    let throughReverse (x: Tensor) = AD.grad (fun x -> let h = AD.hessian Cases.coupled x in Tensor.sum (h * h)) x
    assertSame (throughReverse x) (Compile.compile throughReverse x)
    let throughForward = AD.jacfwd (AD.hessian Cases.coupled)
    assertSame (throughForward x) (Compile.compile throughForward x)

[<Fact>]
let ``a float32 factor is checked in float32`` () =
    let n = 6
    let scaledBasis (x: Tensor) = AD.vmap (fun (t: Tensor) -> x * t) (Tensor.eye n)
    let compiled = Compile.compile scaledBasis
    let x = Tensor.cast DType.Float32 (point n)
    Assert.Contains("assumeFinite float32", (Compile.summarize scaledBasis x).StepNames)
    assertSame (scaledBasis x) (compiled x)
    let infinite = Tensor.ofArray32 [| 1.0f; infinityf; 2.0f; 3.0f; 4.0f; 5.0f |]
    let eager = scaledBasis infinite
    Assert.Contains(eager.ToArray(), fun v -> Double.IsNaN v)
    assertIdentical eager (compiled infinite)

[<Fact>]
let ``an assumption broken already while the plan is made (a folded constant) leaves the plan without assumptions`` () =
    let n = 4
    // The factor depends on x in the graph, but the lowering folds it to the constant ∞
    // (x·0 > 1 is false everywhere), so its check fails on every call.
    let scaledBasis (x: Tensor) =
        let factor = Tensor.where (Tensor.greater (x * 0.0) (Tensor.scalar 1.0)) x (Tensor.full [| n |] infinity)
        AD.vmap (fun (t: Tensor) -> factor * t) (Tensor.eye n)
    let x = point n
    Assert.DoesNotContain("assumeFinite", (Compile.summarize scaledBasis x).StepNames)
    assertSameNonFinite (scaledBasis x) (Compile.compile scaledBasis x)

[<Fact>]
let ``a compiled Hessian called on constants inside another function's trace falls back there too`` () =
    let hessian = Compile.compile (AD.hessian Cases.coupled)
    let shifted (y: Tensor) = y + hessian overflowing
    let y = uniform 8 -1.0 1.0 [| 5; 5 |]
    assertSameNonFinite (y + AD.hessian Cases.coupled overflowing) (Compile.compile shifted y)
