/// The references: gradients derived by hand and written the way a performance-minded engineer
/// would, on row-major buffers allocated once, with every matrix product on the same kernel the
/// library uses.
module FunctionalAD.Benchmarks.HandWritten

open System
open System.Numerics

/// C = op(A)·op(B) for row-major buffers of doubles or float32s, through the product kernel the
/// library itself uses for that type (the active provider; on the managed provider,
/// matrix–vector products run the library's vectorised loops instead of MathNet's copying
/// product), so that a comparison with the reference measures what differentiation adds, not a
/// difference of kernels.
let gemm<'T> transA transB (a: 'T[]) ra ca (b: 'T[]) rb cb (c: 'T[]) =
    match box a, box b, box c with
    | (:? (double[]) as a), (:? (double[]) as b), (:? (double[]) as c) -> FunctionalAD.LinAlgKernels.gemmInto transA transB a ra ca b rb cb c
    | (:? (float32[]) as a), (:? (float32[]) as b), (:? (float32[]) as c) -> FunctionalAD.LinAlgKernels.gemmInto32 transA transB a ra ca b rb cb c
    | _ -> invalidArg "a" (sprintf "gemm: no product kernel for %s buffers" typeof<'T>.Name)

// The references are written once for double and float32 elements ('T), with .NET's generic
// math, which the JIT specialises per element type: for double, the code written for double.
let inline private (+.) (a: 'T) (b: 'T) : 'T when 'T :> IFloatingPointIeee754<'T> = 'T.op_Addition(a, b)
let inline private (-.) (a: 'T) (b: 'T) : 'T when 'T :> IFloatingPointIeee754<'T> = 'T.op_Subtraction(a, b)
let inline private ( *. ) (a: 'T) (b: 'T) : 'T when 'T :> IFloatingPointIeee754<'T> = 'T.op_Multiply(a, b)
let inline private (/.) (a: 'T) (b: 'T) : 'T when 'T :> IFloatingPointIeee754<'T> = 'T.op_Division(a, b)
let inline private (<.) (a: 'T) (b: 'T) : bool when 'T :> IFloatingPointIeee754<'T> = 'T.op_LessThan(a, b)
let inline private negative (a: 'T) : 'T when 'T :> IFloatingPointIeee754<'T> = 'T.op_UnaryNegation a
/// F#'s `max`: y where x < y, else x.
let inline private larger (x: 'T) (y: 'T) : 'T when 'T :> IFloatingPointIeee754<'T> = if x <. y then y else x
let inline private count (n: int) : 'T when 'T :> IFloatingPointIeee754<'T> = 'T.CreateTruncating n

let private softplus (v: 'T) : 'T when 'T :> IFloatingPointIeee754<'T> = larger v 'T.Zero +. 'T.Log('T.One +. 'T.Exp(negative ('T.Abs v)))
let private sigmoid (v: 'T) : 'T when 'T :> IFloatingPointIeee754<'T> =
    if not (v <. 'T.Zero) then 'T.One /. ('T.One +. 'T.Exp(negative v)) else let e = 'T.Exp v in e /. ('T.One +. e)

/// Mean logistic loss log(1 + exp(−y·Xw)) and its gradient −Xᵀ(y·σ(−y·Xw))/n.
type Logistic<'T when 'T :> IFloatingPointIeee754<'T> and 'T: (new: unit -> 'T) and 'T: struct and 'T :> ValueType>(x: 'T[], rows: int, cols: int, y: 'T[]) =
    let z = Array.zeroCreate<'T> rows
    let r = Array.zeroCreate<'T> rows

    /// The loss alone.
    member _.Loss(w: 'T[]) =
        gemm false false x rows cols w cols 1 z
        let mutable total = 'T.Zero
        for i in 0 .. rows - 1 do total <- total +. softplus (negative y[i] *. z[i])
        total /. count rows

    /// The loss, with the gradient written into `gradient`.
    member _.LossAndGradient(w: 'T[], gradient: 'T[]) =
        gemm false false x rows cols w cols 1 z
        let mutable total = 'T.Zero
        for i in 0 .. rows - 1 do
            let margin = negative y[i] *. z[i]
            total <- total +. softplus margin
            r[i] <- negative y[i] *. sigmoid margin /. count rows
        gemm true false x rows cols r rows 1 gradient
        total /. count rows

    /// Bytes of working buffers.
    member _.Bytes = int64 (z.Length + r.Length) * int64 sizeof<'T>

/// A ReLU MLP with softmax cross-entropy, trained by plain SGD with hand-derived backprop.
type Mlp<'T when 'T :> IFloatingPointIeee754<'T> and 'T: (new: unit -> 'T) and 'T: struct and 'T :> ValueType>(batch: int, sizes: int[]) =
    let layers = sizes.Length - 1
    let buffer rows cols = Array.zeroCreate<'T> (rows * cols)
    let z = Array.init layers (fun l -> buffer batch sizes[l + 1])
    let h = Array.init layers (fun l -> buffer batch sizes[l + 1])
    let dz = Array.init layers (fun l -> buffer batch sizes[l + 1])
    let dh = Array.init layers (fun l -> buffer batch sizes[l + 1])
    let dw = Array.init layers (fun l -> buffer sizes[l] sizes[l + 1])
    let db = Array.init layers (fun l -> Array.zeroCreate<'T> sizes[l + 1])

    /// One SGD step on (x, one-hot labels); parameters are [W1; b1; W2; b2; …], updated in
    /// place. Returns the loss before the step.
    member _.Step(x: 'T[], labels: 'T[], parameters: 'T[][], rate: 'T) =
        // forward
        for l in 0 .. layers - 1 do
            let input = if l = 0 then x else h[l - 1]
            let w, b = parameters[2 * l], parameters[2 * l + 1]
            let n = sizes[l + 1]
            gemm false false input batch sizes[l] w sizes[l] n z[l]
            for i in 0 .. batch - 1 do
                for j in 0 .. n - 1 do
                    let v = z[l][i * n + j] +. b[j]
                    z[l][i * n + j] <- v
                    h[l][i * n + j] <- if l < layers - 1 then larger v 'T.Zero else v
        // softmax cross-entropy and its gradient with respect to the logits
        let classes = sizes[layers]
        let logits = h[layers - 1]
        let top = dz[layers - 1]
        let mutable loss = 'T.Zero
        for i in 0 .. batch - 1 do
            let row = i * classes
            let mutable m = 'T.NegativeInfinity
            for j in 0 .. classes - 1 do m <- larger m logits[row + j]
            let mutable s = 'T.Zero
            for j in 0 .. classes - 1 do s <- s +. 'T.Exp(logits[row + j] -. m)
            let logSum = m +. 'T.Log s
            for j in 0 .. classes - 1 do
                let logP = logits[row + j] -. logSum
                loss <- loss -. labels[row + j] *. logP
                top[row + j] <- ('T.Exp logP -. labels[row + j]) /. count batch
        // backward
        for l in layers - 1 .. -1 .. 0 do
            let input = if l = 0 then x else h[l - 1]
            let n = sizes[l + 1]
            if l < layers - 1 then
                for k in 0 .. batch * n - 1 do dz[l][k] <- if 'T.Zero <. z[l][k] then dh[l][k] else 'T.Zero
            gemm true false input batch sizes[l] dz[l] batch n dw[l]
            Array.Clear db[l]
            for i in 0 .. batch - 1 do
                for j in 0 .. n - 1 do db[l][j] <- db[l][j] +. dz[l][i * n + j]
            if l > 0 then gemm false true dz[l] batch n parameters[2 * l] sizes[l] n dh[l - 1]
        // update
        for l in 0 .. layers - 1 do
            let w, b = parameters[2 * l], parameters[2 * l + 1]
            for k in 0 .. w.Length - 1 do w[k] <- w[k] -. rate *. dw[l][k]
            for k in 0 .. b.Length - 1 do b[k] <- b[k] -. rate *. db[l][k]
        loss /. count batch

    /// Bytes of working buffers.
    member _.Bytes = [ z; h; dz; dh; dw; db ] |> List.sumBy (Array.sumBy (fun a -> int64 a.Length * int64 sizeof<'T>))

/// A 3 × 3 convolution with stride 1 and one pixel of zero padding ("same"), forward and
/// backward, as im2col + one product each way on buffers allocated once: the loss
/// Σ conv(x, w) ⊙ r, and its gradients with respect to x ([N, C, H, W]) and w ([O, C, 3, 3]).
type Conv3x3(n: int, c: int, h: int, width: int, o: int) =
    let taps = c * 9
    let positions = n * h * width
    let columns = Array.zeroCreate<double> (taps * positions)
    let product = Array.zeroCreate<double> (o * positions)
    let cotangent = Array.zeroCreate<double> (o * positions)
    let columnCotangent = Array.zeroCreate<double> (taps * positions)

    /// Calls `run column pixel lo hi` for every run of a row of the columns (tap (i, j) of
    /// channel ch, one image row) that lies inside the image: column entries lo … hi − 1 from
    /// offset `column` belong to the pixels from offset `pixel`.
    let forEachRun (run: int -> int -> int -> int -> unit) =
        for ch in 0 .. c - 1 do
            for i in 0 .. 2 do
                for j in 0 .. 2 do
                    let row = (ch * 3 + i) * 3 + j
                    let lo, hi = max 0 (1 - j), min width (width + 1 - j)
                    for b in 0 .. n - 1 do
                        for p in 0 .. h - 1 do
                            let y = p + i - 1
                            if y >= 0 && y < h then run ((row * n + b) * h * width + p * width) (((b * c + ch) * h + y) * width + j - 1) lo hi

    /// Row (ch, i, j) of the columns: tap (i, j) of channel ch at every position of every image.
    let im2col (x: double[]) =
        Array.Clear columns
        forEachRun (fun column pixel lo hi -> Array.Copy(x, pixel + lo, columns, column + lo, hi - lo))

    /// The transpose of im2col: every column entry added back into its pixel.
    let col2im (gx: double[]) =
        Array.Clear gx
        forEachRun (fun column pixel lo hi -> for q in lo .. hi - 1 do gx[pixel + q] <- gx[pixel + q] + columnCotangent[column + q])

    /// The loss, with the gradients written into `gx` and `gw`.
    member _.LossAndGradient(x: double[], w: double[], r: double[], gx: double[], gw: double[]) =
        im2col x
        gemm false false w o taps columns taps positions product
        // product is [O, N·H·W]; r and the result are [N, O, H, W].
        let plane = h * width
        let mutable loss = 0.0
        for oc in 0 .. o - 1 do
            for b in 0 .. n - 1 do
                let from, at = oc * positions + b * plane, (b * o + oc) * plane
                for k in 0 .. plane - 1 do
                    loss <- loss + product[from + k] * r[at + k]
                    cotangent[from + k] <- r[at + k]
        gemm false true cotangent o positions columns taps positions gw
        gemm true false w o taps cotangent o positions columnCotangent
        col2im gx
        loss

    /// Bytes of working buffers.
    member _.Bytes = int64 (columns.Length + product.Length + cotangent.Length + columnCotangent.Length) * 8L
