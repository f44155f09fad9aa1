namespace FunctionalAD

open System
open System.Numerics.Tensors
open FunctionalAD

/// Kernels that write into an existing buffer, so a compiled plan allocates nothing per call.
/// Each reads its geometry from arrays fixed when the plan is built (shared, never written).
module internal DestinationKernels =
    let private readOnly (s: Span<double>) : ReadOnlySpan<double> = Span<double>.op_Implicit s

    /// A reduction seen as (outer, n, inner): `n` blocks of `inner` elements are summed within
    /// each of `outer` groups. Present when the reduced axes are contiguous once axes of length 1
    /// are ignored (the common case: all axes, leading axes, trailing axes, one axis).
    let geometry (shape: int[]) (reduced: bool[]) =
        let counts = Array.init shape.Length (fun k -> reduced[k] && shape[k] <> 1)
        match Array.tryFindIndex id counts, Array.tryFindIndexBack id counts with
        | Some first, Some last ->
            if Seq.exists (fun k -> not counts[k] && shape[k] <> 1) (seq { first .. last }) then None
            else Some(Shape.size shape[.. first - 1], Shape.size shape[first .. last], Shape.size shape[last + 1 ..])
        | _ -> Some(Shape.size shape, 1, 1)

    /// dest = Σ over the middle index of src viewed as (outer, n, inner). The order of additions
    /// is the eager kernel's (`Kernels.reduceRows` over rows, or row after row).
    let sumInto (outer: int) (n: int) (inner: int) (src: double[]) (dest: double[]) =
        if n = 1 then Array.Copy(src, dest, outer * inner)
        elif inner = 1 then Kernels.reduceRows Kernels.Sum n (ReadOnlySpan<double>(src, 0, outer * n)) (Span<double>(dest, 0, outer))
        else
            for o in 0 .. outer - 1 do
                let acc = Span<double>(dest, o * inner, inner)
                if n = 0 then acc.Clear()
                else
                    ReadOnlySpan<double>(src, o * n * inner, inner).CopyTo acc
                    for r in 1 .. n - 1 do
                        LaneArithmetic.add (readOnly acc) (ReadOnlySpan<double>(src, (o * n + r) * inner, inner)) acc

    /// Strides of a source of shape `source` read at the shape `target` it broadcasts to
    /// (0 along stretched axes).
    let broadcastStrides (source: int[]) (target: int[]) =
        let padded = Array.append (Array.create (target.Length - source.Length) 1) source
        Array.map2 (fun (d: int) s -> if d = 1 then 0 else s) padded (Shape.strides padded)

    /// dest (of shape `target`) = src broadcast with the given strides, one innermost row at a time.
    let broadcastInto<'T> (target: int[]) (strides: int[]) (src: 'T[]) (dest: 'T[]) =
        let size = dest.Length
        if src.Length = 1 then Array.Fill(dest, src[0])
        elif size > 0 then
            let rank = target.Length
            let inner = target[rank - 1]
            let innerStride = strides[rank - 1]
            for row in 0 .. size / inner - 1 do
                let mutable rest = row
                let mutable offset = 0
                for d in rank - 2 .. -1 .. 0 do
                    offset <- offset + (rest % target[d]) * strides[d]
                    rest <- rest / target[d]
                let row = Span<'T>(dest, row * inner, inner)
                if innerStride = 0 then row.Fill src[offset]
                else ReadOnlySpan<'T>(src, offset, inner).CopyTo row

    /// Products with at most this many multiply-adds run as direct loops, where the call into
    /// `LinAlgKernels.gemmInto` costs more than the arithmetic. Measured against it (Benchmarks'
    /// providers case with a row for this loop, 2 December 2026): the loop takes 0.2–0.6× its
    /// time for 2×2 and 4×4 products and 0.55–1.3× for 4×4 matrix–vector products (8–64
    /// multiply-adds), but
    /// 2.5× for 8×8 (512), 6× for 32×32 (32 768) and 20–29× for 64 … 181 square matrices times a
    /// vector, which a limit of 32 768 had sent here.
    let smallProduct = 64

    /// C = op(A)·op(B) by direct loops (row-major buffers; op transposes when its flag is set).
    let smallMatmulInto (transA: bool) (transB: bool) (a: double[]) (ra: int) (ca: int) (b: double[]) (rb: int) (cb: int) (c: double[]) =
        let m = if transA then ca else ra
        let n = if transB then rb else cb
        let inner = if transA then ra else ca
        Array.Clear c
        for i in 0 .. m - 1 do
            let row = i * n
            for p in 0 .. inner - 1 do
                let aip = if transA then a[p * ca + i] else a[i * ca + p]
                if transB then
                    for j in 0 .. n - 1 do c[row + j] <- c[row + j] + aip * b[j * cb + p]
                else
                    let offset = p * cb
                    for j in 0 .. n - 1 do c[row + j] <- c[row + j] + aip * b[offset + j]

    /// The strided window of a slice: element j of the window (shape `counts`, row-major) is
    /// element start + index·step of the whole (shape `shape`). Copies window ← whole, or
    /// whole ← window when `scatter` (the transpose, `unslice`; the rest of whole is zeroed).
    let windowCopy (scatter: bool) (shape: int[]) (starts: int[]) (counts: int[]) (steps: int[]) (whole: double[]) (window: double[]) =
        let strides = Shape.strides shape
        let origin = Array.fold2 (fun acc s st -> acc + s * st) 0 starts strides
        if scatter then Array.Clear whole
        let rank = counts.Length
        if rank = 0 then
            if scatter then whole[origin] <- window[0] else window[0] <- whole[origin]
        elif window.Length > 0 then
            let inner = counts[rank - 1]
            let innerStride = strides[rank - 1] * steps[rank - 1]
            for row in 0 .. window.Length / inner - 1 do
                let mutable rest = row
                let mutable offset = origin
                for d in rank - 2 .. -1 .. 0 do
                    offset <- offset + (rest % counts[d]) * strides[d] * steps[d]
                    rest <- rest / counts[d]
                let first = row * inner
                if scatter then
                    for j in 0 .. inner - 1 do whole[offset + j * innerStride] <- window[first + j]
                else
                    for j in 0 .. inner - 1 do window[first + j] <- whole[offset + j * innerStride]
