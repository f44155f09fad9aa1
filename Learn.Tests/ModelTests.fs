module FunctionalAD.Learn.Tests.ModelTests

open Xunit
open FunctionalAD
open FunctionalAD.Learn
open FunctionalAD.Tests.TestSupport

[<Fact>]
let ``flatten and unflatten are inverse and differentiable`` () =
    let p = [| { W = mat [ [ 1.0; 2.0 ]; [ 3.0; 4.0 ] ]; B = vec [ 5.0; 6.0 ] }; { W = mat [ [ 7.0 ]; [ 8.0 ] ]; B = vec [ 9.0 ] } |]
    let flat = Params.flatten p
    assertTensorClose 0.0 (Tensor.arange 9 + 1.0) flat
    Assert.Equal(9, Params.count p)
    assertClose 1e-15 (Seq.sumBy (fun k -> float (k * k)) (seq { 1 .. 9 })) (Params.dot p p)
    assertClose 1e-15 (sqrt 285.0) (Params.norm p)
    let back = Params.unflatten p flat
    assertTensorClose 0.0 p[1].W back[1].W
    // the gradient through unflatten is the flattened gradient of the structure
    let f (q: Dense[]) = Tensor.sum (Tensor.square q[0].W) + Tensor.sum (q[1].B * q[1].B * q[1].B)
    assertTensorClose 1e-15 (Params.flatten (AD.grad f p)) (AD.grad (fun v -> f (Params.unflatten p v)) flat)
    Assert.Throws<System.ArgumentException>(fun () -> Params.unflatten p (Tensor.zeros [| 8 |]) |> ignore) |> ignore

[<Fact>]
let ``an MLP gradient has the model's structure and matches finite differences`` () =
    let layers = Mlp.init Init.glorotUniform 3 [ 4; 5; 3 ]
    Assert.Equal<int[]>([| 4; 5 |], layers[0].W.Shape)
    Assert.Equal<int[]>([| 3 |], layers[1].B.Shape)
    let x = Tensor.randomNormal 1 [| 6; 4 |]
    let labels = [| 0; 1; 2; 0; 1; 2 |]
    let loss (ls: Dense[]) = Loss.softmaxCrossEntropy (Mlp.apply Activation.tanh ls x) labels
    let g = AD.grad loss layers
    Assert.Equal(2, g.Length)
    let numeric = Numerical.gradient (fun v -> loss (Params.unflatten layers v)) (Params.flatten layers)
    assertTensorClose 1e-8 numeric (Params.flatten g)

[<Fact>]
let ``predictions pick the largest logit or the sign of the score`` () =
    Assert.Equal<int[]>([| 2; 0 |], Predict.argmax (mat [ [ 0.1; 0.2; 0.3 ]; [ 5.0; -1.0; 4.0 ] ]))
    Assert.Equal<int[]>([| 1; 0; 0 |], Predict.sign (vec [ 0.2; 0.0; -3.0 ]))
    assertClose 0.0 0.75 (Predict.accuracy [| 1; 0; 2; 2 |] [| 1; 0; 2; 0 |])

[<Fact>]
let ``a LayerNorm layer starts as the plain normalisation and its gradient has its structure`` () =
    let x = Tensor.randomNormal 2 [| 5; 4 |]
    let layer = LayerNorm.init 4
    assertTensorClose 0.0 (Tensor.layerNorm 1e-5 x) (LayerNorm.apply 1e-5 layer x)
    // ∂/∂Beta of Σ y is the number of rows per feature; ∂/∂Gamma is Σ of the normalised column.
    let g = AD.grad (fun (l: LayerNorm) -> Tensor.sum (LayerNorm.apply 1e-5 l x)) layer
    assertTensorClose 0.0 (Tensor.full [| 4 |] 5.0) g.Beta
    assertTensorClose 1e-14 (Tensor.sumAxes [| 0 |] false (Tensor.layerNorm 1e-5 x)) g.Gamma

[<Fact>]
let ``convolution layers add their bias per channel, and a CNN's shapes follow its pooling`` () =
    // A 1 × 1 kernel of 2 on one channel, bias 0.5: every pixel becomes 2x + 0.5.
    let layer = { Kernel = Tensor.full [| 1; 1; 1; 1 |] 2.0; Bias = vec [ 0.5 ] }
    let image = Tensor.reshape [| 1; 1; 2; 2 |] (vec [ 1.0; 2.0; 3.0; 4.0 ])
    assertTensorClose 0.0 (Tensor.reshape [| 1; 1; 2; 2 |] (vec [ 2.5; 4.5; 6.5; 8.5 ])) (Conv2d.apply Conv2dOptions.Default layer image)
    // He-normal kernels: variance 2 / fan-in (fan-in 3 · 3 · 3 = 27); 10 800 samples put the
    // sample variance within ±1.4 % (one standard deviation) of it, so ±5 % fails a wrong scale.
    let kernels = (Conv2d.init 1 3 400 3).Kernel
    Assert.Equal<int[]>([| 400; 3; 3; 3 |], kernels.Shape)
    Assert.InRange(Tensor.toScalar (Tensor.var 0 kernels) / (2.0 / 27.0), 0.95, 1.05)
    Assert.Equal<int[]>([| 2; 12 |], (Layer.flatten (Tensor.zeros [| 2; 3; 2; 2 |])).Shape)
    let cnn = Cnn.init 0 1 [ 4; 8 ] 3 8 8 10
    Assert.Equal<int[]>([| 32; 10 |], cnn.Output.W.Shape)
    Assert.Equal<int[]>([| 5; 10 |], (Cnn.apply Activation.relu cnn (Tensor.zeros [| 5; 1; 8; 8 |])).Shape)
    Assert.Throws<System.ArgumentException>(fun () -> Cnn.init 0 1 [ 4; 8; 16; 32 ] 3 8 8 10 |> ignore) |> ignore
    Assert.Throws<System.ArgumentException>(fun () -> Conv2d.init 0 0 4 3 |> ignore) |> ignore
