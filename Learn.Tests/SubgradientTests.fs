/// The kink convention in training: the minimum-norm subgradient (relu'(0) = 0, abs'(0) = 0,
/// ties split evenly), so a sample sitting exactly on a kink contributes nothing it cannot justify.
module FunctionalAD.Learn.Tests.SubgradientTests

open Xunit
open FunctionalAD
open FunctionalAD.Learn
open FunctionalAD.Tests.TestSupport

[<Fact>]
let ``relu, abs and max take the minimum-norm subgradient at their kinks`` () =
    assertTensorClose 0.0 (vec [ 0.0; 0.0; 1.0 ]) (AD.grad (fun x -> Tensor.sum (Activation.relu x)) (vec [ -1.0; 0.0; 2.0 ]))
    assertTensorClose 0.0 (vec [ -1.0; 0.0; 1.0 ]) (AD.grad (fun x -> Tensor.sum (Tensor.abs x)) (vec [ -1.0; 0.0; 2.0 ]))
    assertTensorClose 0.0 (vec [ 0.5; 0.5; 0.0 ]) (AD.grad Tensor.max (vec [ 3.0; 3.0; 1.0 ]))

[<Fact>]
let ``a hidden unit exactly at relu's kink passes no gradient to its weights`` () =
    // the first hidden unit's pre-activation is exactly 0 for the only sample
    let layers = [| { W = mat [ [ 1.0; 1.0 ]; [ -1.0; 1.0 ] ]; B = vec [ 0.0; 0.0 ] }; { W = mat [ [ 1.0 ]; [ 1.0 ] ]; B = vec [ 0.0 ] } |]
    let x = mat [ [ 1.0; 1.0 ] ]
    let loss (ls: Dense[]) = Loss.squaredError (Mlp.apply Activation.relu ls x) (mat [ [ 0.0 ] ])
    let g = AD.grad loss layers
    // unit 0: 1 − 1 = 0 (kink), unit 1: 1 + 1 = 2, output 2: dL/dout = 2
    assertTensorClose 0.0 (mat [ [ 0.0; 2.0 ]; [ 0.0; 2.0 ] ]) g[0].W
    assertTensorClose 0.0 (vec [ 0.0; 2.0 ]) g[0].B
    assertTensorClose 0.0 (mat [ [ 0.0 ]; [ 4.0 ] ]) g[1].W

[<Fact>]
let ``a sample exactly on the hinge's margin and an L1 weight at zero contribute nothing`` () =
    let x = mat [ [ 1.0; 0.0 ]; [ 0.0; 1.0 ] ]
    let labels = vec [ 1.0; -1.0 ]
    // w = (1, 0): sample 0 has margin y·s = 1 exactly (kink), sample 1 has margin 0 (active)
    let objective (w: Tensor) = Loss.hinge (Tensor.matmul x w) labels + 0.1 * Tensor.sum (Tensor.abs w)
    let g = AD.grad objective (vec [ 1.0; 0.0 ])
    // hinge: only sample 1 counts, −y·x/2 = (0, ½); L1: 0.1·sign(w) with sign(0) = 0
    assertTensorClose 1e-15 (vec [ 0.1; 0.5 ]) g

[<Fact>]
let ``subgradient descent on the hinge loss trains a linear SVM on breast cancer`` () =
    let train, test = Demos.loadSplit "breast_cancer.csv" 0 0.2
    let scores (p: Dense) (x: Tensor) = Tensor.reshape [| -1 |] (Dense.apply p x)
    // labels 0/1 arrive as a tensor; the hinge loss wants −1/+1
    let model = { Loss = (fun p x labels -> Loss.hinge (scores p x) (2.0 * labels - 1.0) + Loss.l2 1e-3 p.W); Predict = fun p x -> Predict.sign (scores p x) }
    let p, metrics = Training.fit (Optimizer.sgd 0.05) model { TrainConfig.Default with Epochs = 10 } (fun _ _ -> ()) train test (Dense.zeros 30 1)
    Assert.Equal(10, metrics.Length)
    Assert.True((List.last metrics).TrainLoss < (List.head metrics).TrainLoss)
    Assert.True(snd (Training.evaluate model p test) >= 0.95)
