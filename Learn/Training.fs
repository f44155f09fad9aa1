namespace FunctionalAD.Learn

open System
open System.Diagnostics
open System.Threading
open FunctionalAD

/// A classifier over parameters 'P: the mean loss of a batch, and the predicted classes of a
/// feature matrix. The loss takes the batch's features (samples × features) and its labels as a
/// vector of class indices (`Dataset.labelTensor`): both are inputs of the compiled training
/// step, so each batch's own labels reach it (labels read from a data set inside the loss would
/// be traced as constants, the first batch's, and reused for every batch).
type Classifier<'P> =
    { Loss: 'P -> Tensor -> Tensor -> Tensor
      Predict: 'P -> Tensor -> int[] }

/// How `Training.fit` takes its minibatch steps.
[<RequireQualifiedAccess>]
type StepMode =
    /// The loss, its gradient and the optimiser's update as one compiled, donating function of
    /// (parameters, optimiser state, features, labels): traced on the first batch of each shape
    /// (a smaller last batch gets a plan of its own) and then run as a plan that writes the new
    /// parameters and state into the old ones' buffers.
    | Compiled
    /// `AD.valueAndGrad` and the optimiser's update evaluated operation by operation, for a loss
    /// that cannot be traced (one that reads a value, with `Tensor.toScalar` or an `if`).
    | Eager

/// Minibatch training settings: epochs, batch size, the seed of the shuffles (epoch e shuffles
/// with seed + e, so runs are reproducible) and how the steps run.
type TrainConfig =
    { Epochs: int
      BatchSize: int
      Seed: int
      StepMode: StepMode }

    /// 10 epochs of batches of 32, seed 0, compiled steps; change what differs with
    /// `{ TrainConfig.Default with Epochs = 20 }`.
    static member Default = { Epochs = 10; BatchSize = 32; Seed = 0; StepMode = StepMode.Compiled }

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
        Tensor.toScalar (model.Loss parameters data.Features (Dataset.labelTensor data)),
        Predict.accuracy (model.Predict parameters data.Features) data.Labels

    /// One minibatch step: the loss and its gradient, then the optimiser's update.
    let private step (optimizer: Optimizer<'P, 'S>) (model: Classifier<'P>) (parameters: 'P, state: 'S, features: Tensor, labels: Tensor) =
        let loss, gradient = AD.valueAndGrad (fun q -> model.Loss q features labels) parameters
        let parameters', state' = optimizer.Update state parameters gradient
        parameters', state', loss

    /// The structure with its plain values copied into buffers of their own, so that donating
    /// them leaves the caller's tensors readable. Tensors with derivative history are kept: a
    /// compiled step runs uncompiled on them (an outer transform differentiating through
    /// training), and a copy would cut that history.
    let private owned (structure: 'T) =
        let copy (t: Tensor) =
            match t.DType with
            | DType.Float32 -> Tensor.create32 t.Shape (t.ToArray32())
            | DType.Float64 -> Tensor.create t.Shape (t.ToArray())
        structure |> Tree.map (fun t -> if t.IsConstant then copy t else t)

    /// Refuses a data set whose features are wider than a parameter: by the promotion rules
    /// (docs/conventions.md, "Element types") float64 features would turn a float32 model's
    /// arithmetic into float64 while its gradients, and so its parameters, stay float32 — neither
    /// float32 nor float64 training, and almost always a forgotten `Dataset.withDType`. Narrower
    /// features (float32 data into a float64 model) widen exactly and are accepted.
    let private checkFeatures (argument: string) (data: Dataset) (parameters: 'P) =
        let features = Dataset.dtype data
        Tree.leaves parameters |> Array.iteri (fun i p ->
            if DType.promote p.DType features <> p.DType then
                raise (ArgumentException(sprintf "Training.fit: the %s features are %s but parameter %d (shape %A) is %s; convert the data with Dataset.withDType DType.%A or create the parameters in %s" argument features.Name i p.Shape p.DType.Name p.DType features.Name, argument)))

    /// Refuses a step that changed the element type of a parameter or of the optimiser's state
    /// (a typed float64 constant in an optimiser's update promotes float32 parameters).
    let private checkKept (optimizer: Optimizer<'P, 'S>) (what: string) (before: 'T) (after: 'T) =
        Array.iteri2 (fun i (b: Tensor) (a: Tensor) ->
            if a.DType <> b.DType then
                raise (InvalidOperationException(sprintf "Training.fit: a step of %s turned %s tensor %d (shape %A) from %s into %s; an update must keep every tensor's element type" optimizer.Name what i b.Shape b.DType.Name a.DType.Name)))
            (Tree.leaves before) (Tree.leaves after)

    /// The step function of a configuration and the parameters and state it starts from.
    let private stepper optimizer model (config: TrainConfig) (start: 'P * 'S) =
        match config.StepMode with
        | StepMode.Eager -> step optimizer model, start
        | StepMode.Compiled -> Compile.compileDonating (step optimizer model), owned start

    /// `fit` from a given optimiser state (to resume training), checking `cancellation` before
    /// every batch. Returns the trained parameters, the optimiser's final state and each epoch's
    /// metrics. The starting parameters and state stay readable (a compiled step donates copies).
    /// Parameters train in their own element type (float32 parameters with float32 features:
    /// `Dataset.withDType`); features wider than a parameter are refused (ArgumentException),
    /// and so is a step that changes a parameter's or a state tensor's type (InvalidOperationException).
    let fitFrom (optimizer: Optimizer<'P, 'S>) (model: Classifier<'P>) (config: TrainConfig) (cancellation: CancellationToken)
            (report: int -> EpochMetrics -> unit) (train: Dataset) (test: Dataset) (start: 'P * 'S) : ('P * 'S) * EpochMetrics list =
        if config.Epochs < 0 then invalidArg "config" (sprintf "Training.fit: %d epochs" config.Epochs)
        checkFeatures "train" train (fst start)
        checkFeatures "test" test (fst start)
        let clock = Stopwatch.StartNew()
        let takeStep, (parameters, state) = stepper optimizer model config start
        let runBatch (p: 'P, s: 'S, lossSum: float) (batch: Dataset) =
            cancellation.ThrowIfCancellationRequested()
            let p', s', loss = takeStep (p, s, batch.Features, Dataset.labelTensor batch)
            checkKept optimizer "parameter" p p'
            checkKept optimizer "state" s s'
            p', s', lossSum + Tensor.toScalar loss * float (Dataset.size batch)
        let runEpoch (p: 'P, s: 'S, metrics: EpochMetrics list) (epoch: int) =
            let p', s', lossSum = Dataset.batches (config.Seed + epoch) config.BatchSize train |> Array.fold runBatch (p, s, 0.0)
            // The training loss reported is the mean of the batches' (no second pass for it).
            let trainAccuracy = Predict.accuracy (model.Predict p' train.Features) train.Labels
            let testLoss, testAccuracy = evaluate model p' test
            let m =
                { Epoch = epoch; TrainLoss = lossSum / float (Dataset.size train); TrainAccuracy = trainAccuracy
                  TestLoss = testLoss; TestAccuracy = testAccuracy; Elapsed = clock.Elapsed.TotalSeconds }
            report epoch m
            p', s', m :: metrics
        // A loop rather than `Seq.fold` over a range, whose generic enumerators the JIT compiles
        // during a process's first training run.
        let mutable progress = (parameters, state, [])
        for epoch in 1 .. config.Epochs do progress <- runEpoch progress epoch
        let final, finalState, metrics = progress
        (final, finalState), List.rev metrics

    /// Minibatch training with a first-order optimiser: each batch takes one step, the loss's
    /// `AD.valueAndGrad` and one optimiser update, compiled and donating unless `config.StepMode` is
    /// `StepMode.Eager`. Returns the trained parameters and each epoch's metrics.
    let fit (optimizer: Optimizer<'P, 'S>) (model: Classifier<'P>) (config: TrainConfig) (report: int -> EpochMetrics -> unit)
            (train: Dataset) (test: Dataset) (initial: 'P) : 'P * EpochMetrics list =
        let (final, _), metrics = fitFrom optimizer model config CancellationToken.None report train test (initial, optimizer.Init initial)
        final, metrics
