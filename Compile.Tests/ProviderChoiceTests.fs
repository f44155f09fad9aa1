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

/// (m, n, inner, whether the library's kernels run it on a native provider).
let private choices =
    [ 2, 2, 2, true
      4, 4, 4, true
      8, 1, 8, true
      1, 8, 8, true
      8, 8, 8, false
      64, 2, 64, false
      // Matrix–vector products below 2²¹ matrix elements stay in the library's row loops.
      16, 1, 16, true
      1, 1024, 1024, true
      1024, 1, 2047, true
      2048, 1, 1024, false
      1, 2048, 2048, false
      10_000, 1, 1_000, false ]

[<Fact>]
let ``on a native provider small products take the library's kernels and larger ones the provider's`` () =
    for m, n, inner, own in choices do
        Assert.True((own = LinAlgKernels.ownKernels openBlas m n inner), sprintf "%d × %d by %d × %d: own kernels expected %b" m inner inner n own)

[<Fact>]
let ``the threshold counts multiply-adds, without overflow`` () =
    // 2 · 2 · 64 = 256 = nativeProductMinimum.
    Assert.Equal(256L, LinAlgKernels.nativeProductMinimum)
    Assert.True(LinAlgKernels.ownKernels openBlas 2 2 63)
    Assert.False(LinAlgKernels.ownKernels openBlas 2 2 64)
    let matrix = LinAlgKernels.nativeMatrixVectorMinimum
    Assert.True(LinAlgKernels.ownKernels openBlas (int matrix - 1) 1 1)
    Assert.False(LinAlgKernels.ownKernels openBlas (int matrix) 1 1)
    Assert.False(LinAlgKernels.ownKernels openBlas 100_000 100_000 100_000)

[<Fact>]
let ``on the managed provider every product takes the library's kernels`` () =
    Assert.True(LinAlgKernels.ownKernels managed 4 4 4)
    Assert.True(LinAlgKernels.ownKernels managed 1_000 1_000 1_000)
    Assert.True(LinAlgKernels.ownKernels managed 10_000 1 1_000)
