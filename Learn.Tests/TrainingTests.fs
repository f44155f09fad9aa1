/// Training.fit's compiled, donating steps against its eager ones.
module FunctionalAD.Learn.Tests.TrainingTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Learn
open FunctionalAD.Tests.TestSupport

/// An epoch report that does nothing.
let quiet (_: int) (_: EpochMetrics) = ()

/// Both runs' parameters, tensor by tensor, and their metrics agree to `tol` (relative).
let private assertSameRun (tol: float) (expected: 'P * EpochMetrics list) (actual: 'P * EpochMetrics list) =
    Array.iter2 (assertTensorClose tol) (Tree.leaves (fst expected)) (Tree.leaves (fst actual))
    for e, a in List.zip (snd expected) (snd actual) do
        Assert.Equal(e.Epoch, a.Epoch)
        for x, y in [ e.TrainLoss, a.TrainLoss; e.TestLoss, a.TestLoss; e.TrainAccuracy, a.TrainAccuracy; e.TestAccuracy, a.TestAccuracy ] do
            assertClose tol x y

let private eager (config: TrainConfig) = { config with StepMode = StepMode.Eager }

[<Fact>]
let ``compiled steps train softmax regression on wine as eager steps do, batch by batch with each batch's labels`` () =
    let train, test = Demos.loadSplit "wine.csv" 0 0.2
    // 142 samples in batches of 16: eight full batches and a last one of 14, a second plan
    Assert.Equal(142, Dataset.size train)
    let config = { TrainConfig.Default with Epochs = 4; BatchSize = 16 }
    let batches = Dataset.batches (config.Seed + 1) config.BatchSize train
    Assert.Equal(14, Dataset.size (Array.last batches))
    // every batch brings labels of its own: labels traced as constants would repeat the first batch's
    Assert.Equal(batches.Length, batches |> Array.distinctBy (fun b -> b.Labels) |> Array.length)
    let run config =
        Training.fit (Optimizer.adam (Optimizer.adamDefaults 0.05)) (Demos.softmaxModel 1e-3) config quiet train test
            (Dense.zeros (Dataset.featureCount train) (Dataset.classCount train))
    let compiled = run config
    assertSameRun 1e-12 (run (eager config)) compiled
    Assert.True((List.last (snd compiled)).TestAccuracy >= 0.9)

[<Fact>]
let ``compiled steps train the digits MLP as eager ones, with Adam, momentum and stateless SGD`` () =
    let train, test = Demos.loadSplit "digits.csv" 0 0.2
    let initial = Mlp.init Init.glorotUniform 0 [ 64; 32; 10 ]
    // 1438 samples in batches of 100: the last batch has 38
    let config = { TrainConfig.Default with Epochs = 3; BatchSize = 100; Seed = 5 }
    let both (optimizer: Optimizer<Dense[], 'S>) =
        let run config = Training.fit optimizer Demos.mlpModel config quiet train test initial
        assertSameRun 1e-12 (run (eager config)) (run config)
    both (Optimizer.adam (Optimizer.adamDefaults 0.01))
    both (Optimizer.momentum 0.05 0.9)
    both (Optimizer.sgd 0.1)

[<Fact>]
let ``a compiled fit leaves its starting parameters and state readable and returns Adam's step count`` () =
    let train, test = Demos.loadSplit "wine.csv" 0 0.2
    let optimizer = Optimizer.adam (Optimizer.adamDefaults 0.05)
    let initial = Dense.init Init.glorotUniform 3 13 3
    let weights = initial.W.ToArray()
    let state = optimizer.Init initial
    let (trained, final), _ =
        Training.fitFrom optimizer (Demos.softmaxModel 1e-3) { TrainConfig.Default with Epochs = 2; BatchSize = 50 } Threading.CancellationToken.None
            quiet train test (initial, state)
    Assert.Equal<float[]>(weights, initial.W.ToArray())
    Assert.Equal(0.0, state.Step.ToScalar())
    // 142 samples: three batches an epoch
    Assert.Equal(6.0, final.Step.ToScalar())
    Assert.NotEqual<float[]>(weights, trained.W.ToArray())

[<Fact>]
let ``a loss that reads a value trains eagerly, and a compiled step says it cannot trace it`` () =
    let train, test = Demos.loadSplit "wine.csv" 0 0.2
    let softmax = Demos.softmaxModel 0.0
    // a loss scaled by a number read from the batch: fine eagerly, unknown while tracing
    let model = { softmax with Loss = fun p x labels -> softmax.Loss p x labels * (1.0 / Tensor.toScalar (Tensor.max labels)) }
    let run mode =
        Training.fit (Optimizer.sgd 0.1) model { TrainConfig.Default with Epochs = 1; StepMode = mode } quiet train test (Dense.zeros 13 3)
    Assert.Equal(1, (snd (run StepMode.Eager)).Length)
    Assert.StartsWith("compile:", Assert.Throws<InvalidOperationException>(fun () -> run StepMode.Compiled |> ignore).Message)

[<Fact>]
let ``fitFrom stops before the next batch once its token is cancelled`` () =
    let train, test = Demos.loadSplit "wine.csv" 0 0.2
    use cancellation = new Threading.CancellationTokenSource()
    let epochs = ResizeArray()
    let report epoch (_: EpochMetrics) =
        epochs.Add epoch
        cancellation.Cancel()
    let optimizer = Optimizer.sgd 0.1
    Assert.ThrowsAny<OperationCanceledException>(fun () ->
        Training.fitFrom optimizer (Demos.softmaxModel 0.0) { TrainConfig.Default with Epochs = 5 } cancellation.Token report train test (Dense.zeros 13 3, ())
        |> ignore) |> ignore
    Assert.Equal<int list>([ 1 ], List.ofSeq epochs)
