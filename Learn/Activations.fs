namespace FunctionalAD.Learn

open FunctionalAD

/// Activation functions for layers. At kinks they follow the library's minimum-norm
/// subgradient convention (relu'(0) = 0, abs'(0) = 0, ties in max split evenly).
[<RequireQualifiedAccess>]
module Activation =
    /// max(x, 0); relu'(0) = 0.
    let relu (x: Tensor) = Tensor.relu x
    /// The hyperbolic tangent.
    let tanh (x: Tensor) = Tensor.tanh x
    /// The logistic function 1 / (1 + e⁻ˣ).
    let sigmoid (x: Tensor) = Tensor.sigmoid x
    /// log(1 + eˣ), a smooth relu.
    let softplus (x: Tensor) = Tensor.softplus x
