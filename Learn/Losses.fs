namespace FunctionalAD.Learn

open System
open FunctionalAD

/// Loss functions, each the mean over the samples of a batch. The logistic and cross-entropy
/// losses are written with softplus and logSoftmax so that large scores neither overflow nor
/// lose their gradient.
[<RequireQualifiedAccess>]
module Loss =
    let private checkSameShape operation (a: Tensor) (b: Tensor) =
        if a.Shape <> b.Shape then
            raise (ArgumentException(sprintf "%s: predictions have shape %A but targets have shape %A" operation a.Shape b.Shape, "targets"))

    /// Mean over samples of ½‖prediction − target‖², so that its gradient is the residual.
    let squaredError (predictions: Tensor) (targets: Tensor) =
        checkSameShape "squaredError" predictions targets
        let samples = if predictions.Rank = 0 then 1 else predictions.Shape[0]
        0.5 * Tensor.sum (Tensor.square (predictions - targets)) / float (max 1 samples)

    /// Logistic loss for labels y ∈ {−1, +1}: mean of log(1 + exp(−y·s)) = softplus(−y·s), the
    /// lectures' binary-classification loss.
    let logisticPlusMinus (scores: Tensor) (labels: Tensor) =
        checkSameShape "logisticPlusMinus" scores labels
        Tensor.mean (Tensor.softplus (-(labels * scores)))

    /// Logistic loss for labels y ∈ {0, 1} (binary cross-entropy on the logit s):
    /// mean of softplus(s) − y·s, which equals −y·log σ(s) − (1 − y)·log(1 − σ(s)).
    let logisticZeroOne (scores: Tensor) (labels: Tensor) =
        checkSameShape "logisticZeroOne" scores labels
        Tensor.mean (Tensor.softplus scores - labels * scores)

    /// Hinge loss for labels y ∈ {−1, +1}: mean of max(0, 1 − y·s). At the kink y·s = 1 the
    /// gradient is relu's minimum-norm subgradient, 0.
    let hinge (scores: Tensor) (labels: Tensor) =
        checkSameShape "hinge" scores labels
        Tensor.mean (Tensor.relu (1.0 - labels * scores))

    /// Entry labels[…] of logSoftmax(logits) along the last (class) axis, one per sample: a
    /// takeAlongAxis, whose gradient scatters back to the chosen classes.
    let private chosenLogProbabilities (logits: Tensor) (labels: Tensor) =
        Tensor.logSoftmax -1 logits |> Tensor.takeAlongAxis -1 (Tensor.expandDims -1 labels) |> Tensor.reshape labels.Shape

    /// The log-probability of each sample's class: entries (i, labels[i]) of logSoftmax(logits)
    /// for logits of shape (n, classes).
    let logLikelihoods (logits: Tensor) (labels: int[]) =
        if logits.Rank <> 2 || logits.Shape[0] <> labels.Length then
            raise (ArgumentException(sprintf "softmaxCrossEntropy: logits of shape %A need one label per row, but %d labels were given" logits.Shape labels.Length, "labels"))
        let classes = logits.Shape[1]
        labels |> Array.iter (fun c ->
            if c < 0 || c >= classes then raise (ArgumentOutOfRangeException("labels", sprintf "softmaxCrossEntropy: label %d is outside 0..%d" c (classes - 1))))
        chosenLogProbabilities logits (Tensor.ofArray (Array.map float labels))

    /// Softmax cross-entropy from logits (n × classes) and integer labels: mean of
    /// −log softmax(logits)[label], computed through logSoftmax.
    let softmaxCrossEntropy (logits: Tensor) (labels: int[]) = -(Tensor.mean (logLikelihoods logits labels))

    /// Each label checked, when its value is known, to be a whole number naming a class.
    let private checkLabelValues (classes: int) (labels: Tensor) =
        if labels.IsConstant then
            labels.ToArray() |> Array.iter (fun c ->
                if c <> Math.Floor c || c < 0.0 || c >= float classes then
                    raise (ArgumentOutOfRangeException("labels", sprintf "crossEntropyFromLabels: label %g is not a class index 0..%d" c (classes - 1))))

    /// Entry labels[…] of logSoftmax(logits) along the last axis, chosen by comparing the labels
    /// with every class index rather than by indexing with them: the labels need no value, so
    /// they can be an input of a compiled function (the batch's labels in a training step).
    /// The mask is made in the logits' element type (the class indices of `arange` are float64,
    /// and a float64 mask would promote a float32 `where` to float64).
    let private maskedLogProbabilities (logits: Tensor) (labels: Tensor) =
        let classes = Tensor.arange logits.Shape[logits.Rank - 1]
        let chosen = Tensor.equal (Tensor.expandDims -1 labels) classes |> ElementType.convert logits.DType
        Tensor.sumAxes [| -1 |] false (Tensor.where chosen (Tensor.logSoftmax -1 logits) (Tensor.scalar 0.0))

    /// Softmax cross-entropy from logits (…, classes) and a tensor of labels (…), whole numbers
    /// in 0 … classes − 1: the mean over every sample (a batch, or a batch of sequences) of
    /// −log softmax(logits)[label] along the last axis. Labels read from a data set need no
    /// conversion to integers, the labels carry no gradient, and they may be unknown values (an
    /// input of a compiled training step); known labels are checked.
    let crossEntropyFromLabels (logits: Tensor) (labels: Tensor) =
        if logits.Rank = 0 || labels.Shape <> logits.Shape[.. logits.Rank - 2] then
            raise (ArgumentException(sprintf "crossEntropyFromLabels: logits of shape %A need labels of shape %A (one per sample), but the labels have shape %A" logits.Shape (if logits.Rank = 0 then [||] else logits.Shape[.. logits.Rank - 2]) labels.Shape, "labels"))
        checkLabelValues logits.Shape[logits.Rank - 1] labels
        -(Tensor.mean (maskedLogProbabilities logits labels))

    /// The L2 penalty ½·λ·Σ‖p‖² over every tensor of a parameter structure.
    let l2 (lambda: float) (parameters: 'P) =
        0.5 * lambda * (Tree.leaves parameters |> Array.fold (fun (acc: Tensor) p -> acc + Tensor.sum (Tensor.square p)) (Tensor.scalar 0.0))
