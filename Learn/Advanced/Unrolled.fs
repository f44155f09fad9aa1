namespace FunctionalAD.Learn

open FunctionalAD

/// Differentiating through an optimisation's iterations: K steps of gradient descent are ordinary
/// code built from `AD.grad`, so reverse mode through them gives the derivative of the final
/// weights — and of any validation loss of them — with respect to a hyper-parameter (a learning
/// rate, a regularisation strength). Each step nests one `grad` inside the outer one.
[<RequireQualifiedAccess>]
module Unrolled =
    /// w_K after K steps of w ← w − η·∇L(w) from w₀, differentiable in η (a scalar tensor) and w₀.
    let descend (trainLoss: Tensor -> Tensor) (steps: int) (w0: Tensor) (learningRate: Tensor) =
        if steps < 0 then invalidArg "steps" (sprintf "Unrolled.descend: %d steps" steps)
        Seq.fold (fun (w: Tensor) _ -> w - learningRate * AD.grad trainLoss w) w0 (seq { 1 .. steps })

    /// The validation loss after K steps at learning rate η, and its hyper-gradient d/dη.
    let learningRateGradient (trainLoss: Tensor -> Tensor) (validationLoss: Tensor -> Tensor) (steps: int) (w0: Tensor) (learningRate: float) =
        let value, gradient = AD.valueAndGrad (fun eta -> validationLoss (descend trainLoss steps w0 eta)) (Tensor.scalar learningRate)
        Tensor.toScalar value, Tensor.toScalar gradient

    /// The validation loss after K steps on L(w) + ½λ‖w‖² at a fixed learning rate, and its
    /// hyper-gradient d/dλ.
    let l2Gradient (trainLoss: Tensor -> Tensor) (validationLoss: Tensor -> Tensor) (steps: int) (learningRate: float) (w0: Tensor) (lambda: float) =
        let final (l: Tensor) = descend (fun w -> trainLoss w + 0.5 * l * Tensor.sum (Tensor.square w)) steps w0 (Tensor.scalar learningRate)
        let value, gradient = AD.valueAndGrad (fun l -> validationLoss (final l)) (Tensor.scalar lambda)
        Tensor.toScalar value, Tensor.toScalar gradient
