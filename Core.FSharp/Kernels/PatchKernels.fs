namespace FunctionalAD

open System
open System.Numerics.Tensors
open System.Threading.Tasks

/// The sliding window of a convolution or a pooling over the last two axes of an
/// [N, C, H, W] array: its size, its steps, the zeros added around the input (before and
/// after each axis) and the spacing of its taps (dilation).
[<Struct>]
type internal Window =
    { KernelH: int; KernelW: int
      StrideH: int; StrideW: int
      PadTop: int; PadBottom: int; PadLeft: int; PadRight: int
      DilationH: int; DilationW: int }

    /// The rows (or columns) the taps span: dilation · (size − 1) + 1.
    member w.ExtentH = w.DilationH * (w.KernelH - 1) + 1
    member w.ExtentW = w.DilationW * (w.KernelW - 1) + 1
    /// The number of window positions down an input of `height` rows (0 when the padded input
    /// is shorter than the window; callers refuse that before building anything).
    member w.OutputH(height: int) =
        let room = height + w.PadTop + w.PadBottom - w.ExtentH
        if room < 0 then 0 else room / w.StrideH + 1
    member w.OutputW(width: int) =
        let room = width + w.PadLeft + w.PadRight - w.ExtentW
        if room < 0 then 0 else room / w.StrideW + 1

/// im2col and its transpose. `patches` lays every window of an [N, C, H, W] array out as the
/// columns of a [C, KH, KW, N, OH, OW] array (row (c, i, j) holds tap (i, j) of channel c at
/// every output position of every example; zeros where the tap falls in the padding), so a
/// convolution is one matrix product of the kernel with it. `unpatches` adds such columns
/// back into an [N, C, H, W] array (col2im): it is the transpose of `patches`.
module internal PatchKernels =
    /// Work (elements moved) below which the loops run on one thread.
    let private parallelWork = 1 <<< 16

    /// Runs `body` for 0 … count − 1, on the thread pool when the whole job is large.
    let private forEach (count: int) (work: int64) (body: int -> unit) =
        if work < int64 parallelWork || count = 1 then
            for k in 0 .. count - 1 do body k
        else Parallel.For(0, count, body) |> ignore

    /// The output positions q (0 ≤ q < outputs) whose tap column q·stride + offset lies in
    /// 0 … length − 1, as an inclusive range (empty when lo > hi).
    let private inside (outputs: int) (stride: int) (offset: int) (length: int) =
        let lo = if offset >= 0 then 0 else (-offset + stride - 1) / stride
        let last = length - 1 - offset
        let hi = if last < 0 then -1 else min (outputs - 1) (last / stride)
        struct (lo, hi)

    /// Calls `run from to lo hi` for every run of taps that lies inside the image: the entries
    /// q = lo … hi of the columns' row at offset `from` correspond to the image's entries at
    /// `to` + q · stride. One (channel, example) pair touches its own rows and its own image
    /// plane only, so the pairs run in parallel.
    let inline private forEachRun (w: Window) (n: int) (c: int) (h: int) (width: int) (oh: int) (ow: int) ([<InlineIfLambda>] run: int -> int -> int -> int -> unit) =
        forEach (c * n) (int64 c * int64 w.KernelH * int64 w.KernelW * int64 n * int64 oh * int64 ow) (fun pair ->
            let ch, b = pair / n, pair % n
            for i in 0 .. w.KernelH - 1 do
                for j in 0 .. w.KernelW - 1 do
                    let row = (ch * w.KernelH + i) * w.KernelW + j
                    let offset = j * w.DilationW - w.PadLeft
                    let struct (lo, hi) = inside ow w.StrideW offset width
                    for p in 0 .. oh - 1 do
                        let y = p * w.StrideH - w.PadTop + i * w.DilationH
                        if y >= 0 && y < h && lo <= hi then
                            run (((row * n + b) * oh + p) * ow) (((b * c + ch) * h + y) * width + offset) lo hi)

    // The kernels move and add elements of either type (float64, float32), in that type.

    /// Writes the [C, KH, KW, N, OH, OW] columns of `source` (an [N, C, H, W] array of `shape`)
    /// into `out`, every element (compiled plans reuse their buffers).
    let patchesInto (w: Window) (shape: int[]) (source: 'T[]) (out: 'T[]) =
        let n, c, h, width = shape[0], shape[1], shape[2], shape[3]
        // Taps in the padding are zeros: clearing first leaves only the runs inside to copy.
        Array.Clear out
        forEachRun w n c h width (w.OutputH h) (w.OutputW width) (fun column image lo hi ->
            if w.StrideW = 1 then Array.Copy(source, image + lo, out, column + lo, hi - lo + 1)
            else
                for q in lo .. hi do out[column + q] <- source[image + q * w.StrideW])

    /// `into` run on a new buffer of `count` elements, which it fills.
    let private filled<'T> (count: int) (into: 'T[] -> unit) =
        let out = GC.AllocateUninitializedArray<'T> count
        into out
        out

    /// The [C, KH, KW, N, OH, OW] columns of `x` ([N, C, H, W]), of x's element type: a layout
    /// move, exact in float32.
    let patches (w: Window) (x: NdArray) =
        let c, h, width = x.Shape[1], x.Shape[2], x.Shape[3]
        let shape = [| c; w.KernelH; w.KernelW; x.Shape[0]; w.OutputH h; w.OutputW width |]
        let count = Shape.size shape
        Kernels.sameType x shape (fun data -> filled count (patchesInto w x.Shape data)) (fun data -> filled count (patchesInto w x.Shape data))

    /// Adds the columns `columns` (of shape [C, KH, KW, N, OH, OW]) back where `patchesInto` takes
    /// them from, into `out` (an [N, C, H, W] array of `shape`), which is cleared first. The sums
    /// are formed in the element type: in float32 an element receiving t taps is off by at most
    /// (t − 1) · 2⁻²⁴ of the sum of their magnitudes, as convolution's products (which also
    /// accumulate in float32) are.
    let unpatchesInto<'T when 'T :> Numerics.INumber<'T>> (w: Window) (shape: int[]) (columns: 'T[]) (out: 'T[]) =
        let n, c, h, width = shape[0], shape[1], shape[2], shape[3]
        Array.Clear out
        forEachRun w n c h width (w.OutputH h) (w.OutputW width) (fun column image lo hi ->
            if w.StrideW = 1 then
                let count = hi - lo + 1
                TensorPrimitives.Add(ReadOnlySpan<'T>(out, image + lo, count), ReadOnlySpan<'T>(columns, column + lo, count), Span<'T>(out, image + lo, count))
            else
                for q in lo .. hi do
                    let k = image + q * w.StrideW
                    out[k] <- 'T.op_Addition(out[k], columns[column + q]))

    /// The columns `g` ([C, KH, KW, N, OH, OW]) added back where `patches` took them from, into
    /// zeros of `shape` ([N, C, H, W]), of g's element type.
    let unpatches (w: Window) (shape: int[]) (g: NdArray) =
        let count = Shape.size shape
        Kernels.sameType g (Array.copy shape) (fun data -> filled count (unpatchesInto w shape data)) (fun data -> filled count (unpatchesInto w shape data))
