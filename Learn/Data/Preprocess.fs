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

/// Training sets enlarged with transformed copies of their examples.
[<RequireQualifiedAccess>]
module Augment =
    /// Each row of `features` read as a `height` × `width` image, moved `down` rows and `right`
    /// columns (negative: up, left), with zeros shifted in.
    let shifted (height: int) (width: int) (down: int, right: int) (features: Tensor) =
        if features.Rank <> 2 || features.Shape[1] <> height * width then
            invalidArg "features" (sprintf "Augment.shifted: rows of %d × %d = %d pixels are needed; the features are %A" height width (height * width) features.Shape)
        if abs down >= height || abs right >= width then
            invalidArg "right" (sprintf "Augment.shifted: a move of (%d, %d) leaves nothing of a %d × %d image" down right height width)
        let n = features.Shape[0]
        let images = Tensor.reshape [| n; height; width |] features
        let padded = Tensor.pad (PadMode.Constant 0.0) [| (0, 0); (max down 0, max -down 0); (max right 0, max -right 0) |] images
        let window = Tensor.slice [| (0, n, 1); (max -down 0, max -down 0 + height, 1); (max -right 0, max -right 0 + width, 1) |] padded
        Tensor.reshape [| n; height * width |] window

    /// The data set followed by its copies moved one pixel up, down, left and right (five times
    /// as many examples): a classifier then learns that a digit moved by a pixel is the same digit.
    let withPixelShifts (height: int) (width: int) (data: Dataset) =
        let moves = [ (0, 0); (1, 0); (-1, 0); (0, 1); (0, -1) ]
        { data with
            Features = Tensor.concat 0 [ for move in moves -> shifted height width move data.Features ]
            Labels = Array.concat [ for _ in moves -> data.Labels ] }
