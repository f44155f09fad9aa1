namespace FunctionalAD.Learn

open FunctionalAD

/// Per-feature standardisation: (x − mean) / scale, with the statistics of the training set.
type Standardizer = { Mean: Tensor; Scale: Tensor }

/// Preprocessing fitted on training data and applied unchanged to test data, so that nothing
/// about the test set leaks into training.
[<RequireQualifiedAccess>]
module Standardizer =
    /// The mean and standard deviation of each feature (column). A constant feature (such as a
    /// digit pixel that is always blank) gets scale 1, so it maps to 0 instead of NaN.
    let fit (features: Tensor) =
        let mean = Tensor.meanAxes [| 0 |] false features
        let std = Tensor.sqrt (Tensor.meanAxes [| 0 |] false (Tensor.square (features - mean)))
        { Mean = mean; Scale = Tensor.where (Tensor.greater std (Tensor.scalar 1e-12)) std (Tensor.onesLike std) }

    /// Standardises a feature matrix.
    let apply (s: Standardizer) (features: Tensor) = (features - s.Mean) / s.Scale

    /// Fits on the training set and standardises both sets.
    let fitApply (train: Dataset) (test: Dataset) =
        let s = fit train.Features
        { train with Features = apply s train.Features }, { test with Features = apply s test.Features }
