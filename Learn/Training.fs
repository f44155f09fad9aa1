namespace FunctionalAD.Learn

open System.Diagnostics
open FunctionalAD

/// A classifier over parameters 'P: the training loss on a batch, and the predicted classes of a
/// feature matrix.
type Classifier<'P> =
    { Loss: 'P -> Dataset -> Tensor
      Predict: 'P -> Tensor -> int[] }

/// Minibatch training settings: epochs, batch size, and the seed of the shuffles (epoch e
/// shuffles with seed + e, so runs are reproducible).
type TrainConfig = { Epochs: int; BatchSize: int; Seed: int }

/// What a training run reports after each epoch.
type EpochMetrics =
    { Epoch: int
      /// Mean of the minibatch losses seen during the epoch.
      TrainLoss: float
      TrainAccuracy: float
      TestLoss: float
      TestAccuracy: float
      /// Seconds since training started.
      Elapsed: float }

/// Training loops. The library reports progress through a callback `epoch -> metrics -> unit`
/// and leaves drawing (terminal progress bars, plots) to the caller.
[<RequireQualifiedAccess>]
module Training =
    /// The loss and the accuracy of a classifier on a whole data set.
    let evaluate (model: Classifier<'P>) (parameters: 'P) (data: Dataset) =
        Tensor.toScalar (model.Loss parameters data), Predict.accuracy (model.Predict parameters data.Features) data.Labels

    /// Minibatch training with a first-order optimiser: each batch takes one `AD.valueAndGrad` of
    /// the loss and one optimiser update. Returns the trained parameters and each epoch's metrics.
    let fit (optimizer: Optimizer<'P, 'S>) (model: Classifier<'P>) (config: TrainConfig) (report: int -> EpochMetrics -> unit)
            (train: Dataset) (test: Dataset) (initial: 'P) : 'P * EpochMetrics list =
        if config.Epochs < 0 then invalidArg "config" (sprintf "Training.fit: %d epochs" config.Epochs)
        let clock = Stopwatch.StartNew()
        let runEpoch (parameters: 'P, state: 'S, metrics: EpochMetrics list) (epoch: int) =
            let batches = Dataset.batches (config.Seed + epoch) config.BatchSize train
            let (parameters', state', lossSum) =
                batches |> Array.fold (fun (p, s, total) batch ->
                    let loss, gradient = AD.valueAndGrad (fun q -> model.Loss q batch) p
                    let p', s' = optimizer.Update s p gradient
                    p', s', total + Tensor.toScalar loss * float (Dataset.size batch)) (parameters, state, 0.0)
            let _, trainAccuracy = evaluate model parameters' train
            let testLoss, testAccuracy = evaluate model parameters' test
            let m =
                { Epoch = epoch; TrainLoss = lossSum / float (Dataset.size train); TrainAccuracy = trainAccuracy
                  TestLoss = testLoss; TestAccuracy = testAccuracy; Elapsed = clock.Elapsed.TotalSeconds }
            report epoch m
            parameters', state', m :: metrics
        let final, _, metrics = Seq.fold runEpoch (initial, optimizer.Init initial, []) (seq { 1 .. config.Epochs })
        final, List.rev metrics
