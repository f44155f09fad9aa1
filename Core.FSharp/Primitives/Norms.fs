namespace FunctionalAD.Primitives

open System
open FunctionalAD
open FunctionalAD.Primitives.Arithmetic
open FunctionalAD.Primitives.Elementwise

/// Norms, variance and standard deviation, as compositions of primitives (which gives them
/// derivatives of every order and batching without rules of their own).
module internal Norms =
    /// `root s` for s ≥ 0, with derivatives 0 of every order where s = 0 (the minimum-norm
    /// subgradient of docs/conventions.md): `root` only ever sees positive values, and `where`
    /// sends an exact zero into the branch it did not select, so the infinite slope of √s at 0
    /// never meets a zero cotangent.
    let private rootAtZero (root: Node -> Node) (s: Node) =
        let positive = greater s (scalar 0.0)
        where positive (root (where positive s (scalar 1.0))) (scalar 0.0)

    let private reducesEmpty (axes: int[]) (x: Node) = axes |> Array.exists (fun a -> x.Shape[a] = 0)

    /// The vector p-norm (Σ|x|ᵖ)^(1/p) over `axes`, for p ≥ 1 or p = ∞ (max |x|). p = 2 over
    /// a matrix's two axes is the Frobenius norm. Its derivative is 0 where x is 0 on all the
    /// reduced axes; over an empty axis the norm is 0.
    let norm (p: float) (axes: int[]) keepDims (x: Node) =
        if Double.IsNaN p || p < 1.0 then
            Shape.fail "norm" [| x.Shape |] "p" (sprintf "p = %g is not 1 or more (nor ∞): only those give a norm" p)
        if Double.IsPositiveInfinity p then
            if reducesEmpty axes x then Graph.constant (NdArray.fullOf x.DType (Shape.reduced x.Shape axes keepDims) 0.0)
            else Reductions.max axes keepDims (abs x)
        elif p = 1.0 then Reductions.sum axes keepDims (abs x)
        elif p = 2.0 then rootAtZero sqrt (Reductions.sum axes keepDims (mul x x))
        else rootAtZero (powConst (1.0 / p)) (Reductions.sum axes keepDims (powConst p (abs x)))

    /// x − mean over `axes`, which hold `n` entries.
    let private centredOf (axes: int[]) (n: int64) (x: Node) = sub x (div (Reductions.sum axes true x) (scalar (float n)))

    /// Σ(x − mean)² / (N − ddof) over `axes`, N the number of entries reduced; `operation`
    /// names the caller in refusals.
    let private varianceOf operation (axes: int[]) (ddof: int) keepDims (x: Node) =
        let n = axes |> Array.fold (fun acc a -> acc * int64 x.Shape[a]) 1L
        if int64 ddof >= n || ddof < 0 then
            Shape.fail operation [| x.Shape |] "ddof" (sprintf "ddof = %d needs more than that many entries, and %d are reduced" ddof n)
        let centred = centredOf axes n x
        div (Reductions.sum axes keepDims (mul centred centred)) (scalar (float (n - int64 ddof)))

    /// Σ(x − mean)² / (N − ddof) over `axes`, N the number of entries reduced; ddof = 1 gives
    /// the unbiased estimate.
    let variance axes ddof keepDims x = varianceOf "var" axes ddof keepDims x

    /// √variance, with derivative 0 where the variance is 0.
    let std axes ddof keepDims x = rootAtZero sqrt (varianceOf "std" axes ddof keepDims x)

    /// (x − mean) / √(var + eps) over the last axis (the biased variance, as PyTorch's
    /// layer_norm): a composition, so its derivatives of every order, batching and compilation
    /// are those of its parts.
    let layerNorm (eps: float) (x: Node) =
        if x.Shape.Length = 0 || x.Shape[x.Shape.Length - 1] = 0 then
            Shape.fail "layerNorm" [| x.Shape |] "x" "a tensor with a non-empty last axis is needed (the axis normalised)"
        if not (eps >= 0.0) then Shape.fail "layerNorm" [| x.Shape |] "eps" (sprintf "eps = %g must be 0 or more" eps)
        let last = [| x.Shape.Length - 1 |]
        let n = int64 x.Shape[x.Shape.Length - 1]
        let centred = centredOf last n x
        let variance = div (Reductions.sum last true (mul centred centred)) (scalar (float n))
        div centred (sqrt (add variance (scalar eps)))
