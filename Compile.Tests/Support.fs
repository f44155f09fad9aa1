module FunctionalAD.Compile.Tests.Support

open System
open Xunit
open FunctionalAD

/// Compiled and eager results agree: the same shape, and every element equal to within 1e-12
/// relative to its size (the fused loops use Math.Exp etc. where eager kernels use the
/// vectorised TensorPrimitives, which may round the last bit differently).
let assertSame (expected: Tensor) (actual: Tensor) =
    Assert.Equal<int[]>(expected.Shape, actual.Shape)
    let e, a = expected.ToArray(), actual.ToArray()
    for i in 0 .. e.Length - 1 do
        let tolerance = 1e-12 * max 1.0 (abs e[i])
        if not (abs (e[i] - a[i]) <= tolerance || (Double.IsNaN e[i] && Double.IsNaN a[i])) then
            Assert.Fail(sprintf "element %d: eager %.17g, compiled %.17g" i e[i] a[i])

/// The same check over structures of tensors.
let assertSameTree (expected: 'T) (actual: 'T) =
    let e, a = Tree.leaves expected, Tree.leaves actual
    Assert.Equal(e.Length, a.Length)
    Array.iter2 assertSame e a

/// A seeded random tensor with entries in [lo, hi).
let uniform seed lo hi (shape: int[]) = Tensor.randomUniform seed lo hi shape

/// Softmax cross-entropy of a two-layer tanh MLP, with the data as constants.
let mlpLoss (x: Tensor) (labels: Tensor) (p: Tensor[]) =
    let hidden = Tensor.tanh (Tensor.matmul x p[0] + p[1])
    let logits = Tensor.matmul hidden p[2] + p[3]
    -(Tensor.sum (labels * Tensor.logSoftmax 1 logits)) / float x.Shape[0]

/// Mean logistic loss log(1 + exp(−y·Xw)) (the lectures' loss over a data set).
let logisticLoss (x: Tensor) (y: Tensor) (w: Tensor) = Tensor.mean (Tensor.softplus (-(y * Tensor.matmul x w)))

/// One-hot rows for class labels.
let oneHot (classes: int) (labels: int[]) =
    Tensor.create [| labels.Length; classes |] (Array.init (labels.Length * classes) (fun k -> if labels[k / classes] = k % classes then 1.0 else 0.0))
