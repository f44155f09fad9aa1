/// The demos on real data, with the accuracy targets of issue 7.
module FunctionalAD.Learn.Tests.DemoTests

open Xunit
open FunctionalAD.Learn
open FunctionalAD.Tests.TestSupport

[<Fact>]
let ``logistic regression on breast cancer: Newton converges in at most 10 iterations, every method reaches 95 %`` () =
    let runs = Demos.logisticBreastCancer 1e-8
    let newton = runs |> List.find (fun r -> r.Method.StartsWith "Newton (")
    Assert.True(newton.Converged)
    Assert.True(newton.Iterations <= 10, sprintf "Newton took %d iterations" newton.Iterations)
    Assert.True(newton.GradientNorm < 1e-8)
    Assert.True(newton.TestAccuracy >= 0.95, sprintf "test accuracy %g" newton.TestAccuracy)
    // the converged methods reach the same minimum of the strictly convex objective
    for r in runs |> List.filter (fun r -> r.Converged) do
        assertClose 1e-12 newton.FinalLoss r.FinalLoss
    let gd = runs |> List.find (fun r -> r.Method.StartsWith "gradient descent")
    Assert.True(gd.TestAccuracy >= 0.94)
    // gradient descent is still far from the tolerance after 500 iterations: Newton's point
    Assert.False(gd.Converged)
    // damped Newton and gradient descent with a stable step never increase the objective
    for r in [ newton; gd ] do
        Assert.True(Array.pairwise r.Losses |> Array.forall (fun (a, b) -> b <= a))

[<Fact>]
let ``an MLP reaches at least 96 % test accuracy on the digits`` () =
    let epochs = ResizeArray()
    let run = Demos.mlpDigits Demos.mlpDigitsDefaults (fun e m -> epochs.Add((e, m)))
    Assert.Equal(Demos.mlpDigitsDefaults.Epochs, epochs.Count)
    Assert.Equal<int list>([ 1 .. Demos.mlpDigitsDefaults.Epochs ], epochs |> Seq.map fst |> List.ofSeq)
    Assert.True(run.TestAccuracy >= 0.96, sprintf "test accuracy %g" run.TestAccuracy)

[<Fact>]
let ``a CNN reaches at least 98 % test accuracy on the digits images`` () =
    let run = Demos.cnnDigits Demos.cnnDigitsDefaults (fun _ _ -> ())
    Assert.Equal(Demos.cnnDigitsDefaults.Epochs, run.Epochs.Length)
    Assert.True(run.TestAccuracy >= 0.98, sprintf "test accuracy %g" run.TestAccuracy)

[<Fact>]
let ``softmax regression separates the wine cultivars`` () =
    let run = Demos.softmaxWine 30 (fun _ _ -> ())
    Assert.True(run.TestAccuracy >= 0.94, sprintf "test accuracy %g" run.TestAccuracy)
    Assert.True((List.last run.Epochs).TrainLoss < (List.head run.Epochs).TrainLoss)

[<Fact>]
let ``seeded training runs are reproducible`` () =
    let a = Demos.softmaxWine 3 (fun _ _ -> ())
    let b = Demos.softmaxWine 3 (fun _ _ -> ())
    Assert.Equal<float list>(a.Epochs |> List.map (fun m -> m.TrainLoss), b.Epochs |> List.map (fun m -> m.TrainLoss))
