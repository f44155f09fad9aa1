module FunctionalAD.Tests.TestSupport

open System
open Xunit
open FunctionalAD

/// |expected − actual| ≤ tol · max(1, |expected|): a relative bound that degrades to an absolute
/// one near zero.
let assertClose (tol: float) (expected: float) (actual: float) =
    let bound = tol * max 1.0 (abs expected)
    if not (abs (expected - actual) <= bound) then
        failwithf "expected %.17g but got %.17g (difference %.3g exceeds %.3g)" expected actual (abs (expected - actual)) bound

/// Elementwise `assertClose` with equal shapes.
let assertTensorClose (tol: float) (expected: Tensor) (actual: Tensor) =
    Assert.Equal<int[]>(expected.Shape, actual.Shape)
    Array.iter2 (assertClose tol) (expected.ToArray()) (actual.ToArray())

let scalarOf (t: Tensor) = t.ToScalar()

/// The distance in ulps between two doubles of the same sign (both NaN: 0).
let ulps (a: double) (b: double) =
    if Double.IsNaN a && Double.IsNaN b then 0L
    else abs (BitConverter.DoubleToInt64Bits a - BitConverter.DoubleToInt64Bits b)

/// A float64 kernel from one span into another.
type SpanMap = delegate of ReadOnlySpan<double> * Span<double> -> unit

/// A float64 span kernel applied to a whole array.
let spanKernelOf (kernel: SpanMap) (xs: double[]) =
    let result = Array.zeroCreate xs.Length
    kernel.Invoke(ReadOnlySpan xs, Span result)
    result
let s (v: float) = Tensor.scalar v
let vec (values: float list) = Tensor.ofArray (List.toArray values)
let mat (rows: float list list) = Tensor.ofArray2D (array2D rows)
