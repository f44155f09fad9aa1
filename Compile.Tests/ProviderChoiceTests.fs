/// Which kernel runs a matrix product: the library's own or the native provider's, chosen by
/// size (the crossover is measured by the benchmarks' providers case, not here).
module FunctionalAD.Compile.Tests.ProviderChoiceTests

open Xunit
open MathNet.Numerics.Providers.LinearAlgebra
open FunctionalAD
open FunctionalAD.Native

// Constructing the provider needs no library, and it is never installed here: the choice is a
// function of the provider and the shape.
let private openBlas = OpenBlasLinearAlgebraProvider() :> ILinearAlgebraProvider
let private managed = ManagedLinearAlgebraProvider() :> ILinearAlgebraProvider

/// (transA, transB, m, n, inner, whether the library's kernels run it on a native provider).
let private choices =
    [ false, false, 2, 2, 2, true
      false, false, 4, 4, 4, true
      false, false, 8, 1, 8, true
      false, false, 1, 8, 8, true
      false, false, 8, 8, 8, false
      false, false, 64, 2, 64, false
      // Matrix–vector products below 2²¹ matrix elements stay in the library's row loops.
      false, false, 16, 1, 16, true
      false, true, 1, 1024, 1024, true
      false, false, 1024, 1, 2047, true
      // Row dot products from 2²¹ elements go to the provider…
      false, false, 2048, 1, 1024, false
      false, true, 1, 2048, 2048, false
      false, false, 10_000, 1, 1_000, false
      // …weighted row sums (Aᵀ times a column, a row times an untransposed B) from 2²³.
      true, false, 2048, 1, 2048, true
      false, false, 1, 2048, 2048, true
      true, true, 2048, 1, 2048, true
      true, false, 1_000, 1, 10_000, false
      false, false, 1, 1_000, 10_000, false ]

[<Fact>]
let ``on a native provider small products take the library's kernels and larger ones the provider's`` () =
    for transA, transB, m, n, inner, own in choices do
        Assert.True((own = LinAlgKernels.ownKernels openBlas transA transB m n inner), sprintf "%s%d × %d by %d × %d%s: own kernels expected %b" (if transA then "transposed " else "") m inner inner n (if transB then " (transposed)" else "") own)

[<Fact>]
let ``the threshold counts multiply-adds, without overflow`` () =
    // 2 · 2 · 64 = 256 = nativeProductMinimum.
    Assert.Equal(256L, LinAlgKernels.nativeProductMinimum)
    Assert.True(LinAlgKernels.ownKernels openBlas false false 2 2 63)
    Assert.False(LinAlgKernels.ownKernels openBlas false false 2 2 64)
    let matrix = LinAlgKernels.nativeMatrixVectorMinimum
    Assert.True(LinAlgKernels.ownKernels openBlas false false (int matrix - 1) 1 1)
    Assert.False(LinAlgKernels.ownKernels openBlas false false (int matrix) 1 1)
    let weighted = LinAlgKernels.nativeWeightedRowsMinimum
    Assert.True(LinAlgKernels.ownKernels openBlas true false (int weighted - 1) 1 1)
    Assert.False(LinAlgKernels.ownKernels openBlas true false (int weighted) 1 1)
    Assert.False(LinAlgKernels.ownKernels openBlas false false 100_000 100_000 100_000)

[<Fact>]
let ``on the managed provider every product takes the library's kernels`` () =
    Assert.True(LinAlgKernels.ownKernels managed false false 4 4 4)
    Assert.True(LinAlgKernels.ownKernels managed false false 1_000 1_000 1_000)
    Assert.True(LinAlgKernels.ownKernels managed false false 10_000 1 1_000)
    Assert.True(LinAlgKernels.ownKernels managed true false 1_000 1 10_000)
