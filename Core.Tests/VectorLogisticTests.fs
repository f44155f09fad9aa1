/// The library's vectorised logistic function and softplus (`VectorLogistic`) against their
/// scalar formulas (`ScalarFunctions.Sigmoid`, `ScalarFunctions.Softplus`, which fused loops and
/// expression trees call): within a few ulps over every magnitude and sign, the limits and IEEE
/// special values exactly, each element's bits independent of where it lies in a span, and
/// float32 within a few float32 ulps.
module FunctionalAD.Tests.VectorLogisticTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Tests.TestSupport

let private sigmoidOf = spanKernelOf (SpanMap(fun x d -> VectorLogistic.sigmoidInto x d))
let private softplusOf = spanKernelOf (SpanMap(fun x d -> VectorLogistic.softplusInto x d))

/// Log-uniform magnitudes from 1e-12 to 745 (past which e^−|x| is 0), both signs.
let private points =
    let random = Random 20261204
    Array.init 400_000 (fun i ->
        let magnitude = Math.Pow(10.0, random.NextDouble() * 14.87 - 12.0)
        if i % 2 = 0 then magnitude else -magnitude)

[<Fact>]
let ``sigmoid lanes are within 3 ulps and softplus lanes within 6 ulps of the scalar formulas`` () =
    for name, lanes, formula, bound in [ "sigmoid", sigmoidOf, ScalarFunctions.Sigmoid, 3L; "softplus", softplusOf, ScalarFunctions.Softplus, 6L ] do
        let result = lanes points
        let worst = Array.init points.Length (fun i -> ulps result[i] (formula points[i]), points[i]) |> Array.maxBy fst
        Assert.True(fst worst <= bound, sprintf "%s(%.17g): %d ulps from the scalar formula" name (snd worst) (fst worst))

[<Fact>]
let ``sigmoid and softplus lanes keep NaN, the limits and the tiny values of large negative arguments`` () =
    let special =
        [| Double.NaN; 0.0; -0.0; Double.PositiveInfinity; Double.NegativeInfinity; Double.Epsilon; -Double.Epsilon
           1e-300; -1e-20; 36.0; -37.0; 709.0; -720.0; -745.0; -746.0; 1e300; -1e300 |]
    for name, lanes, formula in [ "sigmoid", sigmoidOf, ScalarFunctions.Sigmoid; "softplus", softplusOf, ScalarFunctions.Softplus ] do
        let result = lanes special
        special |> Array.iteri (fun i x ->
            let expected = formula x
            if Double.IsNaN expected then Assert.True(Double.IsNaN result[i], sprintf "%s %g" name x)
            else Assert.True(ulps expected result[i] <= 1L, sprintf "%s %g: %.17g, the formula %.17g" name x result[i] expected))
    // e^x where log(1 + e^x) or 1/(1 + e^−x) would round it away, down to the subnormals.
    Assert.Equal(Math.Exp -720.0, (softplusOf [| -720.0 |])[0], 1e-320)
    Assert.True((sigmoidOf [| -720.0 |])[0] > 0.0)
    Assert.Equal<double[]>([| 1.0; 0.0; 0.5 |], sigmoidOf [| Double.PositiveInfinity; Double.NegativeInfinity; 0.0 |])
    Assert.Equal<double[]>([| Double.PositiveInfinity; 0.0; Math.Log 2.0 |], softplusOf [| Double.PositiveInfinity; Double.NegativeInfinity; 0.0 |])

[<Fact>]
let ``every element of a span gets the bits it gets alone, across blocks and tails`` () =
    let xs = Array.init 600 (fun i -> Math.Sin(float i * 1.7) * 30.0)
    for lanes in [ sigmoidOf; softplusOf ] do
        let alone = xs |> Array.map (fun x -> (lanes [| x |])[0] |> BitConverter.DoubleToInt64Bits)
        for length in [ 0; 1; 7; 8; 9; 255; 256; 257; 513; 600 ] do
            Assert.Equal<int64[]>(alone[.. length - 1], lanes xs[.. length - 1] |> Array.map BitConverter.DoubleToInt64Bits)

[<Fact>]
let ``float32 sigmoid and softplus are within a few float32 ulps of the float64 formulas`` () =
    let xs = points |> Array.filter (fun x -> abs x < 80.0) |> Array.map float32
    for name, lanes, formula in [ "sigmoid", Tensor.sigmoid, ScalarFunctions.Sigmoid; "softplus", Tensor.softplus, ScalarFunctions.Softplus ] do
        let result = (lanes (Tensor.ofArray32 xs)).ToArray32()
        let worst =
            Array.init xs.Length (fun i ->
                let expected = formula (float xs[i])
                abs (float result[i] - expected) / (abs expected * 5.96e-8), xs[i])
            |> Array.maxBy fst
        Assert.True(fst worst <= 8.0, sprintf "float32 %s(%.9g): %.1f float32 ulps from the formula" name (snd worst) (fst worst))

[<Fact>]
let ``Tensor.sigmoid and Tensor.softplus run the lanes, eagerly and in a compiled plan`` () =
    let xs = Array.init 2_000 (fun i -> float (i - 1_000) * 0.013)
    let x = Tensor.create [| 2_000 |] xs
    for lanes, primitive in [ sigmoidOf, Tensor.sigmoid; softplusOf, Tensor.softplus ] do
        let expected = lanes xs |> Array.map BitConverter.DoubleToInt64Bits
        Assert.Equal<int64[]>(expected, (primitive x).ToArray() |> Array.map BitConverter.DoubleToInt64Bits)
        // From 1 024 elements on a compiled plan runs the function as a step of its own through
        // the same kernel (doubling is exact, so the step's input is 2·xs bit for bit).
        let compiled = Compile.compile (fun (t: Tensor) -> primitive (t * 2.0))
        let doubled = lanes (xs |> Array.map (fun v -> 2.0 * v)) |> Array.map BitConverter.DoubleToInt64Bits
        Assert.Equal<int64[]>(doubled, (compiled x).ToArray() |> Array.map BitConverter.DoubleToInt64Bits)
