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
let s (v: float) = Tensor.scalar v
let vec (values: float list) = Tensor.ofArray (List.toArray values)
let mat (rows: float list list) = Tensor.ofArray2D (array2D rows)
