namespace FunctionalAD.Learn

open System
open FunctionalAD

/// Weight initialisers with explicit seeds, so that every run is reproducible. Each draws in
/// float64; the `…Of` forms round the draw to the element type asked for (the float32 weights of
/// a seed are the float64 weights of that seed rounded), the plain forms give float64.
[<RequireQualifiedAccess>]
module Init =
    let private checkFans operation fanIn fanOut =
        if fanIn <= 0 || fanOut <= 0 then raise (ArgumentOutOfRangeException("fanIn", sprintf "%s: fans must be positive, got %d × %d" operation fanIn fanOut))

    /// Glorot/Xavier uniform in `dtype`: U(−a, a) with a = √(6 / (fanIn + fanOut)), shape
    /// (fanIn, fanOut). It keeps the variance of activations and of gradients alike across tanh layers.
    let glorotUniformOf (dtype: DType) (seed: int) (fanIn: int) (fanOut: int) =
        checkFans "glorotUniform" fanIn fanOut
        let a = Math.Sqrt(6.0 / float (fanIn + fanOut))
        Tensor.randomUniform seed -a a [| fanIn; fanOut |] |> ElementType.convert dtype

    /// Glorot/Xavier uniform in float64 (`glorotUniformOf DType.Float64`).
    let glorotUniform (seed: int) (fanIn: int) (fanOut: int) = glorotUniformOf DType.Float64 seed fanIn fanOut

    /// He normal in `dtype`: N(0, 2 / fanIn), shape (fanIn, fanOut). The factor 2 makes up for
    /// relu zeroing half of its inputs.
    let heNormalOf (dtype: DType) (seed: int) (fanIn: int) (fanOut: int) =
        checkFans "heNormal" fanIn fanOut
        Math.Sqrt(2.0 / float fanIn) * Tensor.randomNormal seed [| fanIn; fanOut |] |> ElementType.convert dtype

    /// He normal in float64 (`heNormalOf DType.Float64`).
    let heNormal (seed: int) (fanIn: int) (fanOut: int) = heNormalOf DType.Float64 seed fanIn fanOut
