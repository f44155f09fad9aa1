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

[<Fact>]
let ``on a native provider small products take the library's kernels and larger ones the provider's`` () =
    Assert.True(LinAlgKernels.ownKernels openBlas 2 2 2)
    Assert.True(LinAlgKernels.ownKernels openBlas 4 4 4)
    Assert.True(LinAlgKernels.ownKernels openBlas 8 1 8)
    Assert.True(LinAlgKernels.ownKernels openBlas 1 8 8)
    Assert.False(LinAlgKernels.ownKernels openBlas 8 8 8)
    Assert.False(LinAlgKernels.ownKernels openBlas 64 2 64)
    // Matrix–vector products below 2²¹ matrix elements stay in the library's row loops.
    Assert.True(LinAlgKernels.ownKernels openBlas 16 1 16)
    Assert.True(LinAlgKernels.ownKernels openBlas 1 1024 1024)
    Assert.True(LinAlgKernels.ownKernels openBlas 1024 1 2047)
    Assert.False(LinAlgKernels.ownKernels openBlas 2048 1 1024)
    Assert.False(LinAlgKernels.ownKernels openBlas 1 2048 2048)
    Assert.False(LinAlgKernels.ownKernels openBlas 10_000 1 1_000)

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
