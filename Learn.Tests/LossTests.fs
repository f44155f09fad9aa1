module FunctionalAD.Learn.Tests.LossTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Learn
open FunctionalAD.Tests.TestSupport

[<Fact>]
let ``logistic loss with ±1 labels is the lecture's log(1 + exp(−y·s)) and its gradient`` () =
    let scores, labels = vec [ 0.5; -2.0; 3.0 ], vec [ 1.0; -1.0; -1.0 ]
    let expected = ([ 0.5, 1.0; -2.0, -1.0; 3.0, -1.0 ] |> List.averageBy (fun (sc, y) -> log (1.0 + exp (-y * sc))))
    assertClose 1e-14 expected (scalarOf (Loss.logisticPlusMinus scores labels))
    // ∂/∂s = −y / (1 + exp(y·s)) / n
    let g = AD.grad (fun sc -> Loss.logisticPlusMinus sc labels) scores
    assertTensorClose 1e-14 (vec ([ 0.5, 1.0; -2.0, -1.0; 3.0, -1.0 ] |> List.map (fun (sc, y) -> -y / (1.0 + exp (y * sc)) / 3.0))) g

[<Fact>]
let ``the 0/1 and ±1 logistic losses agree and stay finite for huge scores`` () =
    let scores = vec [ 800.0; -800.0; 0.3 ]
    let zeroOne = vec [ 0.0; 1.0; 1.0 ]
    let a = Loss.logisticZeroOne scores zeroOne
    let b = Loss.logisticPlusMinus scores (2.0 * zeroOne - 1.0)
    assertClose 1e-14 (scalarOf b) (scalarOf a)
    assertClose 1e-12 ((800.0 + 800.0 + log (1.0 + exp -0.3)) / 3.0) (scalarOf a)
    let g = AD.grad (fun sc -> Loss.logisticZeroOne sc zeroOne) scores
    // σ(s) − y over n: 1/3, −1/3 and (σ(0.3) − 1)/3, with no NaN from the saturated exponentials
    assertTensorClose 1e-14 (vec [ 1.0 / 3.0; -1.0 / 3.0; (1.0 / (1.0 + exp -0.3) - 1.0) / 3.0 ]) g

[<Fact>]
let ``softmax cross-entropy is −log softmax at the label and its gradient is softmax − one-hot`` () =
    let logits = mat [ [ 1.0; 2.0; 3.0 ]; [ 1000.0; 0.0; -1000.0 ] ]
    let labels = [| 2; 1 |]
    let logSoftmax (row: float[]) = let m = Array.max row in row |> Array.map (fun v -> v - m - log (Array.sumBy (fun u -> exp (u - m)) row))
    let expected = -(logSoftmax [| 1.0; 2.0; 3.0 |])[2] - (logSoftmax [| 1000.0; 0.0; -1000.0 |])[1]
    assertClose 1e-14 (expected / 2.0) (scalarOf (Loss.softmaxCrossEntropy logits labels))
    let g = AD.grad (fun z -> Loss.softmaxCrossEntropy z labels) logits
    let p = Tensor.softmax 1 logits
    let oneHot = mat [ [ 0.0; 0.0; 1.0 ]; [ 0.0; 1.0; 0.0 ] ]
    assertTensorClose 1e-14 ((p - oneHot) / 2.0) g

[<Fact>]
let ``softmax cross-entropy rejects labels that are not classes`` () =
    let logits = mat [ [ 1.0; 2.0 ] ]
    Assert.Throws<ArgumentOutOfRangeException>(fun () -> Loss.softmaxCrossEntropy logits [| 2 |] |> ignore) |> ignore
    Assert.Throws<ArgumentException>(fun () -> Loss.softmaxCrossEntropy logits [| 0; 1 |] |> ignore) |> ignore

[<Fact>]
let ``cross-entropy from a tensor of labels equals the integer form, and takes batches of sequences`` () =
    let logits = mat [ [ 1.0; 2.0; 3.0 ]; [ 1000.0; 0.0; -1000.0 ] ]
    let fromLabels z = Loss.crossEntropyFromLabels z (vec [ 2.0; 1.0 ])
    assertClose 1e-15 (scalarOf (Loss.softmaxCrossEntropy logits [| 2; 1 |])) (scalarOf (fromLabels logits))
    // Its gradient is softmax − one-hot over the samples.
    let g = AD.grad fromLabels logits
    assertTensorClose 1e-14 ((Tensor.softmax 1 logits - Tensor.oneHot 3 (vec [ 2.0; 1.0 ])) / 2.0) g
    // Logits (batch 2, length 3, classes 2): the mean over all six positions.
    let sequences = Tensor.reshape [| 2; 3; 2 |] (Tensor.arange 12 * 0.1)
    let tags = mat [ [ 0.0; 1.0; 1.0 ]; [ 1.0; 0.0; 0.0 ] ]
    let perPosition = Loss.softmaxCrossEntropy (Tensor.reshape [| 6; 2 |] sequences) [| 0; 1; 1; 1; 0; 0 |]
    assertClose 1e-15 (scalarOf perPosition) (scalarOf (Loss.crossEntropyFromLabels sequences tags))
    let e = Assert.Throws<ArgumentException>(fun () -> Loss.crossEntropyFromLabels logits (vec [ 0.0 ]) |> ignore)
    Assert.Contains("crossEntropyFromLabels", e.Message)
    Assert.Contains("[|2|]", e.Message)
    Assert.Equal("labels", e.ParamName)
    for bad in [ 3.0; -1.0; 0.5 ] do
        let e = Assert.Throws<ArgumentOutOfRangeException>(fun () -> Loss.crossEntropyFromLabels logits (vec [ 0.0; bad ]) |> ignore)
        Assert.Contains(sprintf "label %g is not a class index 0..2" bad, e.Message)
    // labels unknown while tracing are compared with the classes, not used as indices
    assertClose 1e-15 (scalarOf (fromLabels logits)) (scalarOf (Compile.compile (fun (z, y) -> Loss.crossEntropyFromLabels z y) (logits, vec [ 2.0; 1.0 ])))

[<Fact>]
let ``hinge loss and squared error have their closed forms`` () =
    let scores, labels = vec [ 2.0; 0.5; -1.0 ], vec [ 1.0; 1.0; 1.0 ]
    assertClose 1e-15 ((0.0 + 0.5 + 2.0) / 3.0) (scalarOf (Loss.hinge scores labels))
    assertTensorClose 1e-15 (vec [ 0.0; -1.0 / 3.0; -1.0 / 3.0 ]) (AD.grad (fun sc -> Loss.hinge sc labels) scores)
    let predictions, targets = mat [ [ 1.0; 2.0 ]; [ 0.0; 0.0 ] ], mat [ [ 0.0; 0.0 ]; [ 1.0; 1.0 ] ]
    assertClose 1e-15 (0.5 * (1.0 + 4.0 + 1.0 + 1.0) / 2.0) (scalarOf (Loss.squaredError predictions targets))
    assertTensorClose 1e-15 ((predictions - targets) / 2.0) (AD.grad (fun p -> Loss.squaredError p targets) predictions)
    Assert.Throws<ArgumentException>(fun () -> Loss.hinge scores (vec [ 1.0 ]) |> ignore) |> ignore

[<Fact>]
let ``the L2 penalty sums over a whole parameter structure`` () =
    let p = { W = mat [ [ 1.0; 2.0 ] ]; B = vec [ 3.0 ] }
    assertClose 1e-15 (0.5 * 0.1 * 14.0) (scalarOf (Loss.l2 0.1 p))
    let g = AD.grad (Loss.l2 0.1) p
    assertTensorClose 1e-15 (0.1 * p.W) g.W
    assertTensorClose 1e-15 (0.1 * p.B) g.B

[<Fact>]
let ``initialisers are seeded and have their documented ranges and scales`` () =
    let a = Init.glorotUniform 7 200 100
    Assert.Equal<int[]>([| 200; 100 |], a.Shape)
    Assert.Equal<float[]>(a.ToArray(), (Init.glorotUniform 7 200 100).ToArray())
    Assert.NotEqual<float[]>(a.ToArray(), (Init.glorotUniform 8 200 100).ToArray())
    let bound = sqrt (6.0 / 300.0)
    Assert.True(a.ToArray() |> Array.forall (fun v -> abs v <= bound))
    // variance of U(−a, a) is a²/3 = 2/(fanIn + fanOut)
    let variance (t: Tensor) = t.ToArray() |> Array.averageBy (fun v -> v * v)
    assertClose 0.05 (2.0 / 300.0) (variance a)
    let h = Init.heNormal 3 400 50
    assertClose 0.05 (2.0 / 400.0) (variance h)
    Assert.Throws<ArgumentOutOfRangeException>(fun () -> Init.heNormal 0 0 3 |> ignore) |> ignore

[<Fact>]
let ``activations are the tensor functions they name`` () =
    let x = vec [ -2.0; 0.0; 1.5 ]
    assertTensorClose 0.0 (vec [ 0.0; 0.0; 1.5 ]) (Activation.relu x)
    assertTensorClose 1e-15 (vec [ tanh -2.0; 0.0; tanh 1.5 ]) (Activation.tanh x)
    assertTensorClose 1e-15 (vec [ 1.0 / (1.0 + exp 2.0); 0.5; 1.0 / (1.0 + exp -1.5) ]) (Activation.sigmoid x)
    assertTensorClose 1e-15 (vec [ log (1.0 + exp -2.0); log 2.0; log (1.0 + exp 1.5) ]) (Activation.softplus x)
