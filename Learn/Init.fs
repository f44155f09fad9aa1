namespace FunctionalAD.Learn

open System
open FunctionalAD

/// Weight initialisers with explicit seeds, so that every run is reproducible.
[<RequireQualifiedAccess>]
module Init =
    let private checkFans operation fanIn fanOut =
        if fanIn <= 0 || fanOut <= 0 then raise (ArgumentOutOfRangeException("fanIn", sprintf "%s: fans must be positive, got %d × %d" operation fanIn fanOut))

    /// Glorot/Xavier uniform: U(−a, a) with a = √(6 / (fanIn + fanOut)), shape (fanIn, fanOut).
    /// It keeps the variance of activations and of gradients alike across tanh layers.
    let glorotUniform (seed: int) (fanIn: int) (fanOut: int) =
        checkFans "glorotUniform" fanIn fanOut
        let a = Math.Sqrt(6.0 / float (fanIn + fanOut))
        Tensor.randomUniform seed -a a [| fanIn; fanOut |]

    /// He normal: N(0, 2 / fanIn), shape (fanIn, fanOut). The factor 2 makes up for relu zeroing
    /// half of its inputs.
    let heNormal (seed: int) (fanIn: int) (fanOut: int) =
        checkFans "heNormal" fanIn fanOut
        Math.Sqrt(2.0 / float fanIn) * Tensor.randomNormal seed [| fanIn; fanOut |]
