namespace FunctionalAD.Learn

open System
open System.Diagnostics
open System.IO
open FunctionalAD

/// One minimiser's run in the logistic-regression comparison.
type SolverRun =
    { Method: string
      Iterations: int
      Converged: bool
      FinalLoss: float
      GradientNorm: float
      TrainAccuracy: float
      TestAccuracy: float
      Seconds: float
      /// The objective at every iterate (iteration 0 first).
      Losses: float[]
      /// ‖∇f‖ at every iterate.
      GradientNorms: float[] }

/// Settings of the digits MLP demo.
type MlpDigitsConfig =
    { Hidden: int list
      Epochs: int
      BatchSize: int
      LearningRate: float
      Seed: int
      TestFraction: float
      /// How the training steps run (`StepMode.Compiled` by default).
      StepMode: StepMode }

/// Settings of the digits CNN demo.
type CnnDigitsConfig =
    { Channels: int list
      Epochs: int
      BatchSize: int
      LearningRate: float
      Seed: int
      TestFraction: float }

/// A minibatch training run's outcome: per-epoch metrics and the total time.
type TrainingRun =
    { Name: string
      Epochs: EpochMetrics list
      TestAccuracy: float
      Seconds: float }

/// The machine-learning demos on the real data sets of `data/`, as functions returning their
/// measurements (the console sample draws them; tests check them).
[<RequireQualifiedAccess>]
module Demos =
    /// The path of a data file: `data/<fileName>` in the current directory or the nearest parent
    /// of it or of the running assembly that has one.
    let dataFile (fileName: string) =
        let rec search (folder: DirectoryInfo) =
            if isNull folder then None
            else
                let candidate = Path.Combine(folder.FullName, "data", fileName)
                if File.Exists candidate then Some candidate else search folder.Parent
        [ Directory.GetCurrentDirectory(); AppContext.BaseDirectory ]
        |> List.tryPick (fun start -> search (DirectoryInfo start))
        |> Option.defaultWith (fun () -> raise (FileNotFoundException(sprintf "data/%s was not found above %s or %s" fileName (Directory.GetCurrentDirectory()) AppContext.BaseDirectory, fileName)))

    /// Loads `data/<fileName>`, splits it (seeded) and standardises it with the training statistics.
    let loadSplit (fileName: string) (seed: int) (testFraction: float) =
        Csv.load (dataFile fileName) |> Dataset.split seed testFraction ||> Standardizer.fitApply

    // ---- logistic regression on breast cancer: gradient descent against Newton ---------------

    /// The L2 strength of the logistic-regression objective: small, but it makes the Hessian
    /// positive definite (the standardised data are almost separable).
    let logisticL2 = 1e-3

    /// The binary classifier of the lectures: a linear score x·w + b, the logistic loss with 0/1
    /// labels, and ½λ‖w‖² (the bias is not penalised).
    let logisticModel (lambda: float) : Classifier<Dense> =
        let scores (p: Dense) (x: Tensor) = Tensor.reshape [| -1 |] (Dense.apply p x)
        { Loss = fun p features labels -> Loss.logisticZeroOne (scores p features) labels + Loss.l2 lambda p.W
          Predict = fun p x -> Predict.sign (scores p x) }

    /// Gradient descent (fixed step), L-BFGS, Newton-CG and Newton (exact Hessian) on the breast
    /// cancer training set (80 %, seed 0), each from zero weights until ‖∇f‖ ≤ tolerance.
    let logisticBreastCancer (tolerance: float) =
        let train, test = loadSplit "breast_cancer.csv" 0 0.2
        let model = logisticModel logisticL2
        let labels = Dataset.zeroOneLabels train
        let objective p = model.Loss p train.Features labels
        let start = Dense.zeros (Dataset.featureCount train) 1
        let measure name (minimize: SolverOptions -> (Dense -> Tensor) -> Dense -> SolverResult<Dense>) maxIterations =
            let clock = Stopwatch.StartNew()
            let result = minimize { MaxIterations = maxIterations; GradientTolerance = tolerance } objective start
            let seconds = clock.Elapsed.TotalSeconds
            let last = List.last result.History
            { Method = name; Iterations = last.Iteration; Converged = result.Converged; FinalLoss = last.Value; GradientNorm = last.GradientNorm
              TrainAccuracy = snd (Training.evaluate model result.Solution train)
              TestAccuracy = snd (Training.evaluate model result.Solution test)
              Seconds = seconds
              Losses = result.History |> List.map (fun it -> it.Value) |> List.toArray
              GradientNorms = result.History |> List.map (fun it -> it.GradientNorm) |> List.toArray }
        [ measure "gradient descent (η = 1)" (GradientDescent.minimize 1.0) 500
          measure "L-BFGS (m = 10)" (Lbfgs.minimize 10) 500
          measure "Newton-CG" (NewtonCg.minimize 50) 50
          measure "Newton (exact Hessian)" Newton.minimize 50 ]

    // ---- an MLP on digits --------------------------------------------------------------------

    /// 64 → 64 → 64 → 10 with tanh, Adam at 0.01, batches of 64, 20 epochs, 20 % held out.
    let mlpDigitsDefaults =
        { Hidden = [ 64; 64 ]; Epochs = 20; BatchSize = 64; LearningRate = 0.01; Seed = 0; TestFraction = 0.2; StepMode = StepMode.Compiled }

    /// The MLP classifier: tanh hidden layers, softmax cross-entropy on the logits.
    let mlpModel : Classifier<Dense[]> =
        { Loss = fun layers features labels -> Loss.crossEntropyFromLabels (Mlp.apply Activation.tanh layers features) labels
          Predict = fun layers x -> Predict.argmax (Mlp.apply Activation.tanh layers x) }

    /// Trains the MLP on the digits (pixels standardised on the training split), reporting each epoch.
    let mlpDigits (config: MlpDigitsConfig) (report: int -> EpochMetrics -> unit) =
        let train, test = loadSplit "digits.csv" config.Seed config.TestFraction
        let sizes = Dataset.featureCount train :: config.Hidden @ [ Dataset.classCount train ]
        let initial = Mlp.init Init.glorotUniform config.Seed sizes
        let optimizer = Optimizer.adam (Optimizer.adamDefaults config.LearningRate)
        let clock = Stopwatch.StartNew()
        let training = { TrainConfig.Default with Epochs = config.Epochs; BatchSize = config.BatchSize; Seed = config.Seed; StepMode = config.StepMode }
        let _, epochs = Training.fit optimizer mlpModel training report train test initial
        { Name = sprintf "MLP %s on digits" (String.Join("-", sizes)); Epochs = epochs
          TestAccuracy = (List.last epochs).TestAccuracy; Seconds = clock.Elapsed.TotalSeconds }

    // ---- a CNN on the digits images ----------------------------------------------------------

    /// conv 3×3 (32 channels) → relu → pool → conv 3×3 (64) → relu → pool → dense, Adam at
    /// 0.001, batches of 32, 8 epochs over the training images and their one-pixel shifts, the
    /// same 20 % held out as the MLP's.
    let cnnDigitsDefaults =
        { Channels = [ 32; 64 ]; Epochs = 8; BatchSize = 32; LearningRate = 0.001; Seed = 0; TestFraction = 0.2 }

    /// The digits' 64 pixels of a batch as [N, 1, 8, 8] images.
    let private digitImages (features: Tensor) = Tensor.reshape [| features.Shape[0]; 1; 8; 8 |] features

    /// The CNN classifier on rows of 64 pixels: relu blocks, softmax cross-entropy on the logits.
    let cnnModel : Classifier<Cnn> =
        { Loss = fun model features labels -> Loss.crossEntropyFromLabels (Cnn.apply Activation.relu model (digitImages features)) labels
          Predict = fun model x -> Predict.argmax (Cnn.apply Activation.relu model (digitImages x)) }

    /// Trains the CNN on the 8 × 8 digits images (intensities 0 … 16 scaled to 0 … 1, not
    /// standardised per pixel: a convolution shares its kernel across positions) and their
    /// one-pixel shifts (without them it reaches 97.5 % and overfits: training loss 0.001),
    /// reporting each epoch.
    let cnnDigits (config: CnnDigitsConfig) (report: int -> EpochMetrics -> unit) =
        let scaled (data: Dataset) = { data with Features = data.Features / 16.0 }
        let train, test = Csv.load (dataFile "digits.csv") |> Dataset.split config.Seed config.TestFraction
        let train, test = Augment.withPixelShifts 8 8 (scaled train), scaled test
        let initial = Cnn.init config.Seed 1 config.Channels 3 8 8 (Dataset.classCount train)
        let optimizer = Optimizer.adam (Optimizer.adamDefaults config.LearningRate)
        let clock = Stopwatch.StartNew()
        let _, epochs = Training.fit optimizer cnnModel { TrainConfig.Default with Epochs = config.Epochs; BatchSize = config.BatchSize; Seed = config.Seed } report train test initial
        { Name = sprintf "CNN 1-%s on digits" (String.Join("-", config.Channels)); Epochs = epochs
          TestAccuracy = (List.last epochs).TestAccuracy; Seconds = clock.Elapsed.TotalSeconds }

    // ---- softmax regression on wine ----------------------------------------------------------

    /// Multiclass logistic (softmax) regression: logits x·W + b.
    let softmaxModel (lambda: float) : Classifier<Dense> =
        { Loss = fun p features labels -> Loss.crossEntropyFromLabels (Dense.apply p features) labels + Loss.l2 lambda p.W
          Predict = fun p x -> Predict.argmax (Dense.apply p x) }

    /// Softmax regression on wine (20 % held out, seed 0) with Adam at 0.05, batches of 16.
    let softmaxWine (epochs: int) (report: int -> EpochMetrics -> unit) =
        let train, test = loadSplit "wine.csv" 0 0.2
        let clock = Stopwatch.StartNew()
        let _, metrics =
            Training.fit (Optimizer.adam (Optimizer.adamDefaults 0.05)) (softmaxModel 1e-3) { TrainConfig.Default with Epochs = epochs; BatchSize = 16 } report
                train test (Dense.zeros (Dataset.featureCount train) (Dataset.classCount train))
        { Name = "softmax regression on wine"; Epochs = metrics; TestAccuracy = (List.last metrics).TestAccuracy; Seconds = clock.Elapsed.TotalSeconds }
