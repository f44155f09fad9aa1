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
    Assert.False(LinAlgKernels.ownKernels openBlas 16 1 16)
    Assert.False(LinAlgKernels.ownKernels openBlas 64 1 64)
    Assert.False(LinAlgKernels.ownKernels openBlas 1 64 64)
    Assert.False(LinAlgKernels.ownKernels openBlas 10_000 1 1_000)

[<Fact>]
let ``the threshold counts multiply-adds, without overflow`` () =
    let below = LinAlgKernels.nativeProductMinimum - 1L
    Assert.True(LinAlgKernels.ownKernels openBlas (int below) 1 1)
    Assert.False(LinAlgKernels.ownKernels openBlas (int LinAlgKernels.nativeProductMinimum) 1 1)
    Assert.False(LinAlgKernels.ownKernels openBlas 100_000 100_000 100_000)

[<Fact>]
let ``on the managed provider every product takes the library's kernels`` () =
    Assert.True(LinAlgKernels.ownKernels managed 4 4 4)
    Assert.True(LinAlgKernels.ownKernels managed 1_000 1_000 1_000)
    Assert.True(LinAlgKernels.ownKernels managed 10_000 1 1_000)
