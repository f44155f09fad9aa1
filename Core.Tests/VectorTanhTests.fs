/// The library's float64 tanh lanes (`VectorTanh`) against Math.Tanh: within 2 ulps over every
/// magnitude and sign, IEEE special values exactly, and each element's bits independent of where
/// it lies in a span (the tail after the last whole vector goes through the same lanes).
module FunctionalAD.Tests.VectorTanhTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Tests.TestSupport

let private tanhOf = spanKernelOf (SpanMap(fun x d -> VectorTanh.tanhInto x d))

[<Fact>]
let ``tanh lanes are within 2 ulps of Math.Tanh from 1e-12 to 60, both signs`` () =
    let random = Random 20261203
    // Log-uniform magnitudes, so that the rational form (|x| < 0.625), the exponential form and
    // the saturated range (|x| ≥ 22) all get many points, and points on either side of 0.625.
    let xs =
        Array.init 400_000 (fun i ->
            let magnitude = Math.Pow(10.0, random.NextDouble() * 13.8 - 12.0)
            let near = if i % 10 = 0 then 0.625 * (1.0 + (random.NextDouble() - 0.5) * 1e-3) else magnitude
            if i % 2 = 0 then near else -near)
    let result = tanhOf xs
    let worst = Array.init xs.Length (fun i -> ulps result[i] (Math.Tanh xs[i]), xs[i]) |> Array.maxBy fst
    Assert.True(fst worst <= 2L, sprintf "tanh(%.17g): %d ulps from Math.Tanh" (snd worst) (fst worst))

[<Fact>]
let ``tanh lanes keep NaN, ±0, ±∞, subnormals and the saturated range`` () =
    let special =
        [| Double.NaN; 0.0; -0.0; Double.PositiveInfinity; Double.NegativeInfinity; Double.Epsilon; -Double.Epsilon
           2.2250738585072014e-308; 1e-300; -1e-200; 22.0; -22.0; Math.BitDecrement 22.0; 30.0; 710.0; -1e300 |]
    let result = tanhOf special
    special |> Array.iteri (fun i x ->
        let expected = Math.Tanh x
        if Double.IsNaN expected then Assert.True(Double.IsNaN result[i], sprintf "tanh %g" x)
        else Assert.True(BitConverter.DoubleToInt64Bits expected = BitConverter.DoubleToInt64Bits result[i], sprintf "tanh %g: %.17g, Math.Tanh %.17g" x result[i] expected))

[<Fact>]
let ``every element of a span gets the bits it gets alone, whatever the span's length`` () =
    let xs = Array.init 37 (fun i -> Math.Sin(float i * 1.7) * 3.0)
    let alone = xs |> Array.map (fun x -> (tanhOf [| x |])[0])
    for length in 0 .. xs.Length do
        let part = tanhOf xs[.. length - 1]
        Assert.Equal<int64[]>(alone[.. length - 1] |> Array.map BitConverter.DoubleToInt64Bits, part |> Array.map BitConverter.DoubleToInt64Bits)

[<Fact>]
let ``Tensor.tanh runs the lanes, eagerly and in a compiled plan`` () =
    let xs = Array.init 2_000 (fun i -> float (i - 1_000) * 0.013)
    let expected = tanhOf xs |> Array.map BitConverter.DoubleToInt64Bits
    let x = Tensor.create [| 2_000 |] xs
    Assert.Equal<int64[]>(expected, (tanh x).ToArray() |> Array.map BitConverter.DoubleToInt64Bits)
    // From 1 024 elements on a compiled plan runs tanh as a step of its own through the same
    // kernel (doubling is exact, so the step's input is 2·xs bit for bit).
    let compiled = Compile.compile (fun (t: Tensor) -> tanh (t * 2.0))
    let doubled = tanhOf (xs |> Array.map (fun v -> 2.0 * v)) |> Array.map BitConverter.DoubleToInt64Bits
    Assert.Equal<int64[]>(doubled, (compiled x).ToArray() |> Array.map BitConverter.DoubleToInt64Bits)
