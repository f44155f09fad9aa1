namespace FunctionalAD.Learn

open FunctionalAD

/// A dense (fully connected) layer y = x·W + b, with W of shape (inputs, outputs) and b of
/// shape (outputs). Models are plain records of tensors, so `AD.grad` of a loss over a model
/// returns a gradient of the same record type.
type Dense = { W: Tensor; B: Tensor }

/// Dense layers.
[<RequireQualifiedAccess>]
module Dense =
    /// A layer with weights from an initialiser (`Init.glorotUniform`, `Init.heNormal`) and zero bias.
    let init (initialiser: int -> int -> int -> Tensor) (seed: int) (inputs: int) (outputs: int) =
        { W = initialiser seed inputs outputs; B = Tensor.zeros [| outputs |] }

    /// A layer of zeros: the usual start for convex models (logistic or softmax regression).
    let zeros (inputs: int) (outputs: int) = { W = Tensor.zeros [| inputs; outputs |]; B = Tensor.zeros [| outputs |] }

    /// x·W + b for a batch x of shape (samples, inputs).
    let apply (layer: Dense) (x: Tensor) = Tensor.matmul x layer.W + layer.B

/// A multi-layer perceptron: dense layers with an activation between them and none after the last
/// (the output is logits).
[<RequireQualifiedAccess>]
module Mlp =
    /// Layers for the given sizes (inputs, hidden…, outputs); layer i is seeded with seed + i.
    let init (initialiser: int -> int -> int -> Tensor) (seed: int) (sizes: int list) : Dense[] =
        sizes |> List.pairwise |> List.mapi (fun i (m, n) -> Dense.init initialiser (seed + i) m n) |> List.toArray

    /// The logits of a batch x of shape (samples, inputs).
    let apply (activation: Tensor -> Tensor) (layers: Dense[]) (x: Tensor) =
        layers |> Array.fold (fun (h, i) layer -> (if i = 0 then h else activation h) |> Dense.apply layer, i + 1) (x, 0) |> fst

/// Turning scores into class predictions.
[<RequireQualifiedAccess>]
module Predict =
    /// The class with the largest logit in each row of a (samples, classes) matrix.
    let argmax (logits: Tensor) =
        let values = Tensor.toArray2D logits
        Array.init (Array2D.length1 values) (fun i ->
            let mutable best = 0
            for j in 1 .. Array2D.length2 values - 1 do
                if values[i, j] > values[i, best] then best <- j
            best)

    /// Class 1 where the score is positive, class 0 elsewhere (binary classifiers).
    let sign (scores: Tensor) = Tensor.toArray scores |> Array.map (fun s -> if s > 0.0 then 1 else 0)

    /// The fraction of predictions equal to the labels.
    let accuracy (predicted: int[]) (labels: int[]) =
        if predicted.Length <> labels.Length then
            invalidArg "labels" (sprintf "accuracy: %d predictions for %d labels" predicted.Length labels.Length)
        if labels.Length = 0 then 0.0
        else float (Array.fold2 (fun n p l -> if p = l then n + 1 else n) 0 predicted labels) / float labels.Length

/// A layer normalisation over the last axis with a learned scale and shift per feature,
/// y = (x − mean) / √(var + eps) · Gamma + Beta (PyTorch's nn.LayerNorm).
type LayerNorm = { Gamma: Tensor; Beta: Tensor }

/// Layer normalisation layers.
[<RequireQualifiedAccess>]
module LayerNorm =
    /// The identity start: Gamma of ones and Beta of zeros, for `features` features.
    let init (features: int) = { Gamma = Tensor.ones [| features |]; Beta = Tensor.zeros [| features |] }

    /// The normalised batch, with `eps` (1e-5 in PyTorch) inside the root.
    let apply (eps: float) (layer: LayerNorm) (x: Tensor) = Tensor.layerNormAffine eps layer.Gamma layer.Beta x
