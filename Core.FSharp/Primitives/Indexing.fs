namespace FunctionalAD.Primitives

open System
open FunctionalAD
open FunctionalAD.Primitives.Arithmetic

/// Indexing along an axis with a tensor of indices (NumPy's take_along_axis, PyTorch's
/// gather) and its transpose, the scatter-add. Both are linear in the tensor they index, so
/// each one's JVP is itself on the tangent and its VJP the other one on the cotangent. The
/// indices are parameters (whole numbers, read when the node is built), not arguments: they
/// carry no derivative.
module internal Indexing =
    /// The indices held by `values` as integers, refused unless every one is a whole number in
    /// 0 … length − 1.
    let indicesOf operation (shapes: int[][]) argument (length: int) (values: NdArray) =
        values.ToArray() |> Array.map (fun v ->
            if Double.IsNaN v || v <> Math.Floor v || v < 0.0 || v >= float length then
                let range = if length = 0 then "an empty axis has no indices" else sprintf "indices are whole numbers in 0 … %d" (length - 1)
                Shape.fail operation shapes argument (sprintf "index %g is refused: %s" v range)
            int v)

    /// The sizes before, along and after `axis` of a row-major shape.
    let private split (shape: int[]) (axis: int) = Shape.size shape[.. axis - 1], shape[axis], Shape.size shape[axis + 1 ..]

    /// Entry (…, j, …) of the result is entry (…, indices[…, j, …], …) along `axis` of the
    /// elements `data` (of any type) of an array whose `axis` has length `n`; the result has
    /// the indices' shape.
    let private takeData (axis: int) (indexShape: int[]) (indices: int[]) (n: int) (data: 'T[]) =
        let outer, m, inner = split indexShape axis
        let out = Array.zeroCreate<'T> indices.Length
        for o in 0 .. outer - 1 do
            for j in 0 .. m - 1 do
                for i in 0 .. inner - 1 do
                    let k = (o * m + j) * inner + i
                    out[k] <- data[(o * n + indices[k]) * inner + i]
        out

    /// `takeData` on x's buffer of its own element type: selection, exact in float32 too.
    let private takeKernel (axis: int) (indexShape: int[]) (indices: int[]) (x: NdArray) =
        let n = x.Shape[axis]
        Kernels.sameType x (Array.copy indexShape) (takeData axis indexShape indices n) (takeData axis indexShape indices n)

    /// The transpose of `takeData`: each element of `data` (of shape `gShape`, any type) added
    /// into `out`, float64 zeros of `shape`, where it was taken from. The sums are formed in
    /// float64 whatever the element type.
    let private scatterSumsInto<'T when 'T :> Numerics.INumberBase<'T>> (shape: int[]) (axis: int) (indices: int[]) (gShape: int[]) (data: 'T[]) (out: double[]) =
        let outer, m, inner = split gShape axis
        let n = shape[axis]
        for o in 0 .. outer - 1 do
            for j in 0 .. m - 1 do
                for i in 0 .. inner - 1 do
                    let k = (o * m + j) * inner + i
                    let target = (o * n + indices[k]) * inner + i
                    out[target] <- out[target] + Double.CreateTruncating(data[k])

    /// `scatterSumsInto` a new array.
    let private scatterSums<'T when 'T :> Numerics.INumberBase<'T>> (shape: int[]) (axis: int) (indices: int[]) (gShape: int[]) (data: 'T[]) =
        let out = Array.zeroCreate (Shape.size shape)
        scatterSumsInto shape axis indices gShape data out
        out

    /// The float64 scatter-add into a compiled plan's buffer, which holds the last call's
    /// values: cleared first. (A float32 one would need float64 scratch: it stays eager.)
    let private scatterInto (shape: int[]) (axis: int) (indices: int[]) (argShapes: int[][]) (_: int[]) =
        ValueSome(DestinationKernel(fun args destination ->
            Array.Clear destination
            scatterSumsInto shape axis indices argShapes[0] args[0] destination))

    /// The transpose of `takeKernel`: each entry of `g` added into zeros of `shape` where it was
    /// taken from. A float32 `g` gives a float32 result accumulated in float64 and rounded once
    /// per element, as the library's float32 sums are: the float64 scatter-add rounded, exactly.
    /// (Internal: vmap's compact batches scatter plain values with it, `Batching`.)
    let internal scatterKernel (shape: int[]) (axis: int) (indices: int[]) (g: NdArray) =
        Kernels.sameType g (Array.copy shape) (scatterSums shape axis indices g.Shape) (scatterSums shape axis indices g.Shape >> Array.map float32)

    /// The indices of every example of a batch: the same block `size` times, which is the
    /// index array of the batched shape with the batch leading.
    let private repeated size (indices: int[]) = Array.concat (Array.create size indices)

    /// Refuses indices of another rank than `shape`, or differing from it off `axis`.
    let checkAlong operation (shape: int[]) axis (indexShape: int[]) =
        let shapes = [| shape; indexShape |]
        if indexShape.Length <> shape.Length then
            Shape.fail operation shapes "indices" (sprintf "the indices have rank %d where the tensor has rank %d" indexShape.Length shape.Length)
        if axis < 0 || axis >= shape.Length then Shape.fail operation shapes "axis" (sprintf "axis %d is out of range for rank %d" axis shape.Length)
        for a in 0 .. shape.Length - 1 do
            if a <> axis && indexShape[a] <> shape[a] then
                Shape.fail operation shapes "indices" (sprintf "dimension %d is %d in the indices and %d in the tensor; only axis %d may differ" a indexShape[a] shape[a] axis)

    /// x's entries along `axis` at `indices` (row-major, of shape `indexShape`, checked by the
    /// caller to lie inside the axis).
    let rec takeAlong (axis: int) (indexShape: int[]) (indices: int[]) (x: Node) : Node =
        checkAlong "takeAlongAxis" x.Shape axis indexShape
        let eval (v: NdArray[]) = takeKernel axis indexShape indices v[0]
        Graph.apply
            (opWith "takeAlongAxis" [ "axis", Parameter.Int axis; ints "shape" indexShape; ints "indices" indices ] eval
                (fun _ _ t -> t[0] |> ValueOption.map (takeAlong axis indexShape indices))
                (fun args _ g -> [| ValueSome(scatterAlong args[0].Shape axis indices g) |])
                { Param.none with
                    Algebra = Algebra.Rearrangement
                    Batch = ValueSome(fun size args _ -> takeAlong (axis + 1) (Array.append [| size |] indexShape) (repeated size indices) args[0])
                    Float32 = ValueSome eval })
            (Array.copy indexShape) [| x |]

    /// The transpose of `takeAlong`: the entries of `g` (the indices' shape) added into zeros
    /// of `shape` along `axis` at `indices`.
    and scatterAlong (shape: int[]) (axis: int) (indices: int[]) (g: Node) : Node =
        checkAlong "scatterAdd" shape axis g.Shape
        let eval (v: NdArray[]) = scatterKernel shape axis indices v[0]
        Graph.apply
            (opWith "scatterAdd" [ ints "shape" shape; "axis", Parameter.Int axis; ints "indices" indices ] eval
                (fun _ _ t -> t[0] |> ValueOption.map (scatterAlong shape axis indices))
                (fun args _ c -> [| ValueSome(takeAlong axis args[0].Shape indices c) |])
                { Param.none with
                    Algebra = Algebra.Rearrangement
                    Batch = ValueSome(fun size args _ -> scatterAlong (Array.append [| size |] shape) (axis + 1) (repeated size indices) args[0])
                    Float32 = ValueSome eval
                    // vmap fills a compact batch in by this scatter: a compiled Hessian's n² result.
                    Into = ValueSome(scatterInto shape axis indices) })
            (Array.copy shape) [| g |]

    /// The entries along each of `axes` in reverse order: a gather per axis, which is linear
    /// and batches, so flip needs no rules of its own.
    let flip (axes: int[]) (x: Node) =
        axes |> Array.fold (fun (y: Node) a ->
            let n = y.Shape[a]
            if n <= 1 then y else Layout.gather a (Array.init n (fun i -> n - 1 - i)) y) x

    /// Refuses pad widths that are not one non-negative (before, after) pair per axis.
    let private checkWidths operation (shape: int[]) (widths: (int * int)[]) =
        if widths.Length <> shape.Length then
            Shape.fail operation [| shape |] "widths" (sprintf "%d (before, after) pairs for %d axes" widths.Length shape.Length)
        widths |> Array.iteri (fun a (before, after) ->
            if before < 0 || after < 0 then
                Shape.fail operation [| shape |] "widths" (sprintf "axis %d: the widths (%d, %d) must not be negative" a before after))

    /// `x` surrounded by `value`, widths.[a] = (before, after) entries along each axis a: a
    /// join with constant blocks, axis by axis.
    let padConstant (widths: (int * int)[]) (value: float) (x: Node) =
        checkWidths "pad" x.Shape widths
        widths |> Array.indexed |> Array.fold (fun (y: Node) (a, (before, after)) ->
            let block count = Graph.constant (NdArray.fullOf y.DType (y.Shape |> Array.mapi (fun k d -> if k = a then count else d)) value)
            let parts = [| if before > 0 then block before
                           y
                           if after > 0 then block after |]
            Layout.concat a parts) x

    /// `x` mirrored at its edges without repeating them (NumPy's "reflect"): before an axis
    /// x[p], …, x[1], after it x[n − 2], …, x[n − 1 − q]; a gather per axis. A width must be
    /// smaller than its axis, where there is that much to mirror.
    let padReflect (widths: (int * int)[]) (x: Node) =
        checkWidths "pad" x.Shape widths
        widths |> Array.indexed |> Array.fold (fun (y: Node) (a, (before, after)) ->
            let n = y.Shape[a]
            if before >= n || after >= n then
                Shape.fail "pad" [| x.Shape |] "widths" (sprintf "axis %d of length %d cannot be reflected by (%d, %d): each width must be below the length" a n before after)
            if before = 0 && after = 0 then y
            else Layout.gather a (Array.concat [ Array.init before (fun i -> before - i); Array.init n id; Array.init after (fun i -> n - 2 - i) ]) y) x
