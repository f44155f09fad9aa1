namespace FunctionalAD.Learn

open FunctionalAD

/// A dense (fully connected) layer y = x·W + b, with W of shape (inputs, outputs) and b of
/// shape (outputs). Models are plain records of tensors, so `AD.grad` of a loss over a model
/// returns a gradient of the same record type.
type Dense = { W: Tensor; B: Tensor }

/// Dense layers.
[<RequireQualifiedAccess>]
module Dense =
    /// A layer with weights from an initialiser (`Init.glorotUniform`, `Init.heNormal`, or
    /// `Init.glorotUniformOf DType.Float32` for float32) and a zero bias of the weights' type.
    let init (initialiser: int -> int -> int -> Tensor) (seed: int) (inputs: int) (outputs: int) =
        let w = initialiser seed inputs outputs
        { W = w; B = Tensor.zerosOf w.DType [| outputs |] }

    /// A layer of zeros in `dtype`: the usual start for convex models (logistic or softmax regression).
    let zerosOf (dtype: DType) (inputs: int) (outputs: int) =
        { W = Tensor.zerosOf dtype [| inputs; outputs |]; B = Tensor.zerosOf dtype [| outputs |] }

    /// A layer of float64 zeros (`zerosOf DType.Float64`).
    let zeros (inputs: int) (outputs: int) = zerosOf DType.Float64 inputs outputs

    /// x·W + b for a batch x of shape (samples, inputs).
    let apply (layer: Dense) (x: Tensor) = Tensor.matmul x layer.W + layer.B

/// A multi-layer perceptron: dense layers with an activation between them and none after the last
/// (the output is logits).
[<RequireQualifiedAccess>]
module Mlp =
    /// Layers for the given sizes (inputs, hidden…, outputs); layer i is seeded with seed + i.
    /// The parameters have the initialiser's element type (`Init.glorotUniformOf DType.Float32`
    /// gives a float32 perceptron).
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

/// A 2-D convolution layer over [N, C, H, W] batches: a kernel [O, C, KH, KW] and a bias [O]
/// added to every position of each output channel.
type Conv2d = { Kernel: Tensor; Bias: Tensor }

/// Convolution layers.
[<RequireQualifiedAccess>]
module Conv2d =
    /// A layer in `dtype` of `outputs` square kernels of `size` taps over `inputs` channels,
    /// He-normal (variance 2 / fan-in, the fan-in being inputs · size², drawn in float64 and
    /// rounded to `dtype`) with zero bias.
    let initOf (dtype: DType) (seed: int) (inputs: int) (outputs: int) (size: int) =
        let fanIn = inputs * size * size
        if inputs <= 0 || outputs <= 0 || size <= 0 then
            invalidArg "size" (sprintf "Conv2d.init: %d inputs, %d outputs and size %d must all be positive" inputs outputs size)
        { Kernel = sqrt (2.0 / float fanIn) * Tensor.randomNormal seed [| outputs; inputs; size; size |] |> ElementType.convert dtype
          Bias = Tensor.zerosOf dtype [| outputs |] }

    /// A float64 layer (`initOf DType.Float64`).
    let init (seed: int) (inputs: int) (outputs: int) (size: int) = initOf DType.Float64 seed inputs outputs size

    /// The convolution of a batch under `options`, plus the bias.
    let apply (options: Conv2dOptions) (layer: Conv2d) (x: Tensor) =
        Tensor.conv2dWith options x layer.Kernel + Tensor.reshape [| 1; layer.Bias.Size; 1; 1 |] layer.Bias

/// Layers without parameters: pooling and flattening.
[<RequireQualifiedAccess>]
module Layer =
    /// Max pooling over square windows.
    let maxPool2d (size: int) (stride: int) (x: Tensor) = Tensor.maxPool2d size stride x
    /// Average pooling over square windows.
    let avgPool2d (size: int) (stride: int) (x: Tensor) = Tensor.avgPool2d size stride x
    /// The mean of each channel: [N, C, H, W] to [N, C].
    let globalAvgPool2d (x: Tensor) = Tensor.globalAvgPool2d x
    /// Every example as one row: [N, …] to [N, rest].
    let flatten (x: Tensor) =
        if x.Rank < 1 then invalidArg "x" "Layer.flatten: a batch (rank 1 or more) is needed"
        Tensor.reshape [| x.Shape[0]; -1 |] x

/// A convolutional classifier: blocks of convolution ('same' padding) → activation → 2 × 2 max
/// pooling, then the flattened features through a dense layer to the logits.
type Cnn = { Blocks: Conv2d[]; Output: Dense }

/// Convolutional classifiers.
[<RequireQualifiedAccess>]
module Cnn =
    /// A classifier in `dtype`: blocks with the given channel counts (after the `inputs` channels
    /// of the images) and square kernels of `size`, then a dense layer from the pooled [channels,
    /// height, width] features of `height` × `width` images to `classes` logits; block i is
    /// seeded with seed + i.
    let initOf (dtype: DType) (seed: int) (inputs: int) (channels: int list) (size: int) (height: int) (width: int) (classes: int) =
        let blocks = (inputs :: channels) |> List.pairwise |> List.mapi (fun i (c, o) -> Conv2d.initOf dtype (seed + i) c o size) |> List.toArray
        let pooled (n: int) = List.fold (fun m _ -> m / 2) n channels
        if pooled height < 1 || pooled width < 1 then
            invalidArg "channels" (sprintf "Cnn.init: %d blocks of 2 × 2 pooling leave nothing of %d × %d images" channels.Length height width)
        let features = List.last (inputs :: channels) * pooled height * pooled width
        { Blocks = blocks; Output = Dense.init (Init.glorotUniformOf dtype) (seed + blocks.Length) features classes }

    /// A float64 classifier (`initOf DType.Float64`).
    let init (seed: int) (inputs: int) (channels: int list) (size: int) (height: int) (width: int) (classes: int) =
        initOf DType.Float64 seed inputs channels size height width classes

    /// The logits of a batch of images [N, C, H, W].
    let apply (activation: Tensor -> Tensor) (model: Cnn) (images: Tensor) =
        let same = { Conv2dOptions.Default with Padding = (ConvPadding.Same, ConvPadding.Same) }
        let features = model.Blocks |> Array.fold (fun x block -> Conv2d.apply same block x |> activation |> Layer.maxPool2d 2 2) images
        Dense.apply model.Output (Layer.flatten features)

/// A layer normalisation over the last axis with a learned scale and shift per feature,
/// y = (x − mean) / √(var + eps) · Gamma + Beta (PyTorch's nn.LayerNorm).
type LayerNorm = { Gamma: Tensor; Beta: Tensor }

/// Layer normalisation layers.
[<RequireQualifiedAccess>]
module LayerNorm =
    /// The identity start in `dtype`: Gamma of ones and Beta of zeros, for `features` features.
    let initOf (dtype: DType) (features: int) = { Gamma = Tensor.onesOf dtype [| features |]; Beta = Tensor.zerosOf dtype [| features |] }

    /// The identity start in float64 (`initOf DType.Float64`).
    let init (features: int) = initOf DType.Float64 features

    /// The normalised batch, with `eps` (1e-5 in PyTorch) inside the root.
    let apply (eps: float) (layer: LayerNorm) (x: Tensor) = Tensor.layerNormAffine eps layer.Gamma layer.Beta x
