/// Learn in float32 (issue 16): parameters created in the type asked for, data converted,
/// optimiser states that keep the parameters' type, and mixed types refused by Training.fit.
module FunctionalAD.Learn.Tests.Float32Tests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Learn
open FunctionalAD.Tests.TestSupport
open FunctionalAD.Learn.Tests.TrainingTests

/// Every tensor of a structure is float32.
let private assertFloat32 (structure: 'T) =
    for t in Tree.leaves structure do
        Assert.Equal(DType.Float32, t.DType)

/// The float32 rounding of a float64 tensor, elementwise.
let private rounded (t: Tensor) = t.ToArray() |> Array.map (float32 >> float)

[<Fact>]
let ``initialisers and model constructors create float32 parameters, the float64 draw of the seed rounded`` () =
    for float32Draw, float64Draw in [ Init.glorotUniformOf DType.Float32, Init.glorotUniform; Init.heNormalOf DType.Float32, Init.heNormal ] do
        let w = float32Draw 3 5 4
        Assert.Equal(DType.Float32, w.DType)
        Assert.Equal<int[]>([| 5; 4 |], w.Shape)
        Assert.Equal<float[]>(rounded (float64Draw 3 5 4), w.ToArray())
    let mlp = Mlp.init (Init.glorotUniformOf DType.Float32) 0 [ 6; 5; 3 ]
    assertFloat32 mlp
    let mlp64 = Mlp.init Init.glorotUniform 0 [ 6; 5; 3 ]
    Assert.Equal<float[]>(rounded mlp64[1].W, mlp[1].W.ToArray())
    assertFloat32 (Dense.zerosOf DType.Float32 4 2)
    assertFloat32 (LayerNorm.initOf DType.Float32 7)
    let cnn = Cnn.initOf DType.Float32 1 1 [ 2; 3 ] 3 8 8 10
    assertFloat32 cnn
    let cnn64 = Cnn.init 1 1 [ 2; 3 ] 3 8 8 10
    Assert.Equal<float[]>(rounded cnn64.Blocks[1].Kernel, cnn.Blocks[1].Kernel.ToArray())
    // the float64 defaults are unchanged
    for t in Tree.leaves (Cnn.init 1 1 [ 2 ] 3 8 8 10, LayerNorm.init 3, Dense.zeros 2 2) do
        Assert.Equal(DType.Float64, t.DType)
    Assert.Throws<ArgumentOutOfRangeException>(fun () -> Init.glorotUniformOf DType.Float32 0 0 3 |> ignore) |> ignore

[<Fact>]
let ``a data set converts its features to float32, and its label vectors follow the features' type`` () =
    let train, _ = Demos.loadSplit "breast_cancer.csv" 0 0.2
    let train32 = Dataset.withDType DType.Float32 train
    Assert.Equal(DType.Float64, Dataset.dtype train)
    Assert.Equal(DType.Float32, Dataset.dtype train32)
    Assert.Equal<float[]>(rounded train.Features, train32.Features.ToArray())
    Assert.Equal<int[]>(train.Labels, train32.Labels)
    Assert.Equal<string[]>(train.ClassNames, train32.ClassNames)
    for labels64, labels32 in [ Dataset.labelTensor train, Dataset.labelTensor train32
                                Dataset.zeroOneLabels train, Dataset.zeroOneLabels train32
                                Dataset.plusMinusLabels train, Dataset.plusMinusLabels train32 ] do
        Assert.Equal(DType.Float64, labels64.DType)
        Assert.Equal(DType.Float32, labels32.DType)
        Assert.Equal<float[]>(labels64.ToArray(), labels32.ToArray())
    // the augmented copies (shifts with zeros padded in) stay float32
    let images = Dataset.withDType DType.Float32 (fst (Demos.loadSplit "digits.csv" 0 0.2))
    Assert.Equal(DType.Float32, Dataset.dtype (Augment.withPixelShifts 8 8 images))
    // back to float64: the float32 values widened exactly
    Assert.Equal<float[]>(train32.Features.ToArray(), (Dataset.withDType DType.Float64 train32).Features.ToArray())

[<Fact>]
let ``the losses of float32 logits and labels are float32, with float32 gradients, and agree with float64`` () =
    let logits = Tensor.randomNormal 4 [| 6; 3 |]
    let labels = Tensor.ofArray [| 0.0; 2.0; 1.0; 1.0; 0.0; 2.0 |]
    let logits32, labels32 = Tensor.cast DType.Float32 logits, Tensor.cast DType.Float32 labels
    let loss32, gradient32 = AD.valueAndGrad (fun z -> Loss.crossEntropyFromLabels z labels32) logits32
    let loss64, gradient64 = AD.valueAndGrad (fun z -> Loss.crossEntropyFromLabels z labels) (Tensor.cast DType.Float64 logits32)
    Assert.Equal(DType.Float32, loss32.DType)
    Assert.Equal(DType.Float32, gradient32.DType)
    // a softmax of 3 classes and a mean of 6: a few dozen roundings of 2⁻²⁴ each
    assertClose 1e-5 (loss64.ToScalar()) (loss32.ToScalar())
    assertTensorClose 1e-5 gradient64 gradient32
    let scores32 = Tensor.cast DType.Float32 (Tensor.randomNormal 5 [| 6 |])
    let zeroOne32 = Tensor.ofArray32 [| 0.0f; 1.0f; 1.0f; 0.0f; 1.0f; 0.0f |]
    for loss in [ Loss.logisticZeroOne scores32 zeroOne32; Loss.logisticPlusMinus scores32 (2.0 * zeroOne32 - 1.0)
                  Loss.hinge scores32 (2.0 * zeroOne32 - 1.0); Loss.squaredError scores32 zeroOne32
                  Loss.l2 0.1 (Mlp.init (Init.glorotUniformOf DType.Float32) 0 [ 3; 2 ])
                  Loss.softmaxCrossEntropy logits32 [| 0; 2; 1; 1; 0; 2 |] ] do
        Assert.Equal(DType.Float32, loss.DType)

/// Optimisers over a float32 MLP, each with the parameters' and the state's tensors after steps.
let private steps (optimizer: Optimizer<Dense[], 'S>) =
    let train, _ = Demos.loadSplit "wine.csv" 0 0.2
    let data = Dataset.withDType DType.Float32 train
    let labels = Dataset.labelTensor data
    let initial = Mlp.init (Init.glorotUniformOf DType.Float32) 0 [ 13; 8; 3 ]
    let step (p, s) _ =
        let g = AD.grad (fun q -> Demos.mlpModel.Loss q data.Features labels) p
        assertFloat32 g
        optimizer.Update s p g
    Seq.fold step (initial, optimizer.Init initial) (seq { 1 .. 3 })

[<Fact>]
let ``every optimiser keeps float32 parameters and its moments and velocity in float32`` () =
    let sgd, () = steps (Optimizer.sgd 0.1)
    assertFloat32 sgd
    for optimizer in [ Optimizer.momentum 0.1 0.9; Optimizer.nesterov 0.1 0.9 ] do
        let parameters, velocity = steps optimizer
        assertFloat32 (parameters, velocity)
    for config in [ Optimizer.adamDefaults 0.01; { Optimizer.adamDefaults 0.01 with WeightDecay = 0.01 } ] do
        let parameters, state = steps (Optimizer.adamW config)
        assertFloat32 (parameters, state.First, state.Second)
        // the step count is a float64 scalar on purpose (exact past 2²⁴ steps); the bias
        // corrections made from it are converted to each moment's type, so it promotes nothing
        Assert.Equal(3.0, state.Step.ToScalar())

[<Fact>]
let ``Adam's step count as a typed float64 tensor, as a compiled step receives it, promotes no moment`` () =
    // a compiled training step gets the state as plan inputs, which are typed (a weak .NET
    // double constant becomes a float64 tensor there); the copy Training.fit donates is made so
    let optimizer = Optimizer.adam (Optimizer.adamDefaults 0.01)
    let p = Mlp.init (Init.glorotUniformOf DType.Float32) 0 [ 3; 2 ]
    let typedStep = Tensor.reshape [||] (Tensor.ofArray [| 4.0 |])
    Assert.Equal(DType.Float64, typedStep.DType)
    let start = { optimizer.Init p with Step = typedStep }
    let g = Tree.map (fun (t: Tensor) -> Tensor.onesLike t) p
    let p', state = optimizer.Update start p g
    assertFloat32 (p', state.First, state.Second)
    Assert.Equal(5.0, state.Step.ToScalar())
    // the same update as with the weak step count
    let p'', _ = optimizer.Update { start with Step = Tensor.scalar 4.0 } p g
    Array.iter2 (fun (a: Tensor) (b: Tensor) -> Assert.Equal<float[]>(a.ToArray(), b.ToArray())) (Tree.leaves p'') (Tree.leaves p')

/// The step modes by name, for theories over both.
let private stepMode (name: string) = if name = "compiled" then StepMode.Compiled else StepMode.Eager

[<Theory>]
[<InlineData("eager")>]
[<InlineData("compiled")>]
let ``float32 Adam follows the float64 trajectory from the same start to float32 precision`` (mode: string) =
    let train, test = Demos.loadSplit "wine.csv" 0 0.2
    let config = { TrainConfig.Default with Epochs = 2; BatchSize = 16; StepMode = StepMode.Eager }
    let run dtype stepMode =
        Training.fit (Optimizer.adam (Optimizer.adamDefaults 0.01)) Demos.mlpModel { config with StepMode = stepMode } quiet
            (Dataset.withDType dtype train) (Dataset.withDType dtype test) (Mlp.init (Init.glorotUniformOf dtype) 0 [ 13; 8; 3 ])
    // the float32 run eager or compiled (float32 plans), against the eager float64 one
    let trained32, metrics32 = run DType.Float32 (stepMode mode)
    let trained64, metrics64 = run DType.Float64 StepMode.Eager
    assertFloat32 trained32
    // 18 Adam steps: each moves a weight by at most η = 0.01, and the float32 roundings of the
    // data, the start and every operation perturb those moves by a relative 1e-6 or so; a step
    // divides by √v̂, so a small gradient can amplify it, hence the margin of 1e-4 (absolute,
    // for weights of order 1)
    Array.iter2 (assertTensorClose 1e-4) (Tree.leaves trained64) (Tree.leaves trained32)
    for m64, m32 in List.zip metrics64 metrics32 do
        assertClose 1e-4 m64.TrainLoss m32.TrainLoss

[<Fact>]
let ``Training.fit refuses features wider than the parameters and accepts narrower ones`` () =
    let train, test = Demos.loadSplit "wine.csv" 0 0.2
    let train32, test32 = Dataset.withDType DType.Float32 train, Dataset.withDType DType.Float32 test
    let eager = { TrainConfig.Default with Epochs = 1; StepMode = StepMode.Eager }
    let fit data testData initial = Training.fit (Optimizer.sgd 0.1) (Demos.softmaxModel 1e-3) eager quiet data testData initial
    let model32 = Dense.zerosOf DType.Float32 13 3
    let refusal = Assert.Throws<ArgumentException>(fun () -> fit train test32 model32 |> ignore)
    Assert.Equal("train", refusal.ParamName)
    Assert.StartsWith("Training.fit: the train features are float64 but parameter 0 (shape [|13; 3|]) is float32", refusal.Message)
    Assert.Equal("test", Assert.Throws<ArgumentException>(fun () -> fit train32 test model32 |> ignore).ParamName)
    // float32 features into a float64 model widen exactly: the float64 training on the widened data
    let trained, metrics = fit train32 test32 (Dense.zeros 13 3)
    let widened, widenedMetrics = fit (Dataset.withDType DType.Float64 train32) (Dataset.withDType DType.Float64 test32) (Dense.zeros 13 3)
    for t, w in Array.zip (Tree.leaves trained) (Tree.leaves widened) do
        Assert.Equal(DType.Float64, t.DType)
        Assert.Equal<float[]>(w.ToArray(), t.ToArray())
    Assert.Equal<float list>(widenedMetrics |> List.map (fun m -> m.TrainLoss), metrics |> List.map (fun m -> m.TrainLoss))

[<Fact>]
let ``Training.fit refuses an optimiser whose step changes a parameter's type`` () =
    let train, test = Demos.loadSplit "wine.csv" 0 0.2
    let train32, test32 = Dataset.withDType DType.Float32 train, Dataset.withDType DType.Float32 test
    // a typed float64 learning rate (a tensor, not a .NET double) promotes float32 parameters
    let rate = Tensor.ofArray [| 0.1 |]
    let promoting : Optimizer<Dense, unit> = { Name = "typed-rate SGD"; Init = ignore; Update = fun () p g -> Tree.map2 (fun x y -> x - rate * y) p g, () }
    let refusal =
        Assert.Throws<InvalidOperationException>(fun () ->
            Training.fit promoting (Demos.softmaxModel 0.0) { TrainConfig.Default with StepMode = StepMode.Eager } quiet train32 test32 (Dense.zerosOf DType.Float32 13 3)
            |> ignore)
    Assert.Equal("Training.fit: a step of typed-rate SGD turned parameter tensor 0 (shape [|13; 3|]) from float32 into float64; an update must keep every tensor's element type", refusal.Message)

[<Theory>]
[<InlineData("eager")>]
[<InlineData("compiled")>]
let ``the digits MLP trained in float32 reaches 96 % test accuracy, its parameters float32`` (mode: string) =
    let train, test = Demos.loadSplit "digits.csv" Demos.mlpDigitsDefaults.Seed Demos.mlpDigitsDefaults.TestFraction
    let train32, test32 = Dataset.withDType DType.Float32 train, Dataset.withDType DType.Float32 test
    let d = Demos.mlpDigitsDefaults
    let initial = Mlp.init (Init.glorotUniformOf DType.Float32) d.Seed (64 :: d.Hidden @ [ 10 ])
    let config = { Epochs = d.Epochs; BatchSize = d.BatchSize; Seed = d.Seed; StepMode = stepMode mode }
    let trained, metrics = Training.fit (Optimizer.adam (Optimizer.adamDefaults d.LearningRate)) Demos.mlpModel config quiet train32 test32 initial
    assertFloat32 trained
    let accuracy = (List.last metrics).TestAccuracy
    Assert.True(accuracy >= 0.96, sprintf "float32 test accuracy %g" accuracy)
    Assert.Equal(accuracy, snd (Training.evaluate Demos.mlpModel trained test32))
