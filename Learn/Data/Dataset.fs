namespace FunctionalAD.Learn

open System
open FunctionalAD

/// A labelled classification data set: a feature matrix (samples × features), one integer class
/// per sample (0 … classes − 1) and the classes' names.
type Dataset =
    { Features: Tensor
      Labels: int[]
      ClassNames: string[] }

/// Building, splitting and batching data sets. Every random choice takes an explicit seed.
[<RequireQualifiedAccess>]
module Dataset =
    /// A data set, checked: a matrix of features, one label per row, every label a known class.
    let create (features: Tensor) (labels: int[]) (classNames: string[]) =
        if features.Rank <> 2 then raise (ArgumentException(sprintf "Dataset.create: features must be a matrix (samples × features), not shape %A" features.Shape, "features"))
        if features.Shape[0] <> labels.Length then
            raise (ArgumentException(sprintf "Dataset.create: %d rows of features but %d labels" features.Shape[0] labels.Length, "labels"))
        labels |> Array.iter (fun c ->
            if c < 0 || c >= classNames.Length then
                raise (ArgumentOutOfRangeException("labels", sprintf "Dataset.create: label %d is not one of the %d classes" c classNames.Length)))
        { Features = features; Labels = labels; ClassNames = classNames }

    /// The number of samples.
    let size (data: Dataset) = data.Labels.Length

    /// The number of features.
    let featureCount (data: Dataset) = data.Features.Shape[1]

    /// The number of classes.
    let classCount (data: Dataset) = data.ClassNames.Length

    /// The samples at the given row indices, in that order.
    let subset (indices: int[]) (data: Dataset) =
        { data with Features = Tensor.gather 0 indices data.Features; Labels = indices |> Array.map (fun i -> data.Labels[i]) }

    /// 0 … n − 1 in an order drawn from a seeded generator (Fisher–Yates).
    let permutation (seed: int) (n: int) =
        let rng = Random(seed)
        let order = Array.init n id
        for i in n - 1 .. -1 .. 1 do
            let j = rng.Next(i + 1)
            let t = order[i]
            order[i] <- order[j]
            order[j] <- t
        order

    /// A shuffled split into (train, test) with round(testFraction · n) test samples.
    let split (seed: int) (testFraction: float) (data: Dataset) =
        if not (testFraction > 0.0 && testFraction < 1.0) then
            raise (ArgumentOutOfRangeException("testFraction", testFraction, "Dataset.split: the test fraction must lie strictly between 0 and 1"))
        let n = size data
        let order = permutation seed n
        let testCount = int (Math.Round(testFraction * float n))
        subset order[testCount..] data, subset order[.. testCount - 1] data

    /// The data in shuffled minibatches of `batchSize` (the last one may be smaller).
    let batches (seed: int) (batchSize: int) (data: Dataset) : Dataset[] =
        if batchSize <= 0 then raise (ArgumentOutOfRangeException("batchSize", batchSize, "Dataset.batches: the batch size must be positive"))
        permutation seed (size data) |> Array.chunkBySize batchSize |> Array.map (fun rows -> subset rows data)

    /// The element type of the features (`DType.Float64` unless converted with `withDType`).
    let dtype (data: Dataset) = data.Features.DType

    /// The data set with its features in `dtype` (float64 features rounded to float32, or float32
    /// ones widened exactly); labels and class names are kept. Training a float32 model takes
    /// float32 features: `Training.fit` refuses features wider than the parameters.
    let withDType (dtype: DType) (data: Dataset) =
        { data with Features = ElementType.convert dtype data.Features }

    /// Numbers of the labels as a vector in the features' element type: class numbers are exact
    /// in float32 too (below 2²⁴), and labels of the features' type do not promote a float32 loss.
    let private labelVector (data: Dataset) (value: int -> float) =
        let values = data.Labels |> Array.map value
        match dtype data with
        | DType.Float32 -> Tensor.ofArray32 (Array.map float32 values)
        | DType.Float64 -> Tensor.ofArray values

    /// The labels as a vector of class indices 0.0 … classes − 1 in the features' element type,
    /// the form in which `Classifier.Loss` receives them (`Loss.crossEntropyFromLabels` takes it as is).
    let labelTensor (data: Dataset) = labelVector data float

    let private checkTwoClasses operation (data: Dataset) =
        if classCount data <> 2 then raise (ArgumentException(sprintf "%s: the data set has %d classes, not 2" operation (classCount data), "data"))

    /// Labels of a two-class data set as a vector of −1 (class 0) and +1 (class 1), in the
    /// features' element type.
    let plusMinusLabels (data: Dataset) =
        checkTwoClasses "plusMinusLabels" data
        labelVector data (fun c -> if c = 1 then 1.0 else -1.0)

    /// Labels of a two-class data set as a vector of 0 and 1, in the features' element type.
    let zeroOneLabels (data: Dataset) =
        checkTwoClasses "zeroOneLabels" data
        labelVector data float
