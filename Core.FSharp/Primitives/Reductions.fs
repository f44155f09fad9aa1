namespace FunctionalAD.Primitives

open System
open FunctionalAD
open FunctionalAD.Primitives.Arithmetic
open FunctionalAD.Primitives.Elementwise

/// Reductions over axes (normalised, sorted, distinct), with or without kept dimensions.
module internal Reductions =
    let private describe (axes: int[]) keepDims = sprintf "axes=%s%s" (Shape.format axes) (if keepDims then ",keepDims" else "")

    /// A reduced value or cotangent brought back to the input's shape.
    let private expand (input: Node) (axes: int[]) (g: Node) =
        broadcastTo input.Shape (reshape (Shape.reduced input.Shape axes true) g)

    let private checkNonEmpty name (axes: int[]) (x: Node) =
        if axes |> Array.exists (fun a -> x.Shape[a] = 0) then
            Shape.fail name [| x.Shape |] "x" "cannot reduce over an empty dimension"

    /// Σ over axes.
    let rec sum (axes: int[]) keepDims (x: Node) : Node =
        if axes.Length = 0 then x
        else
            Graph.apply
                (op "sum" (describe axes keepDims) (fun v -> Kernels.reduce Kernels.Sum axes keepDims v[0])
                    (fun _ _ t -> t[0] |> ValueOption.map (sum axes keepDims))
                    (fun args _ g -> [| ValueSome(expand args[0] axes g) |]))
                (Shape.reduced x.Shape axes keepDims) [| x |]

    /// Max (or min) over axes. Ties share the gradient evenly (minimum-norm subgradient).
    let private extremum name kind (axes: int[]) keepDims (x: Node) =
        checkNonEmpty name axes x
        let weights (args: Node[]) (out: Node) =
            let hits = equal args[0] (expand args[0] axes out)
            div hits (expand args[0] axes (sum axes true hits))
        Graph.apply
            (op name (describe axes keepDims) (fun v -> Kernels.reduce kind axes keepDims v[0])
                (fun args out t -> t[0] |> ValueOption.map (fun t -> sum axes keepDims (mulNoNan t (weights args out))))
                (fun args out g -> [| ValueSome(mulNoNan (expand args[0] axes g) (weights args out)) |]))
            (Shape.reduced x.Shape axes keepDims) [| x |]

    /// Maximum over axes.
    let max axes keepDims x = extremum "max" Kernels.Max axes keepDims x
    /// Minimum over axes.
    let min axes keepDims x = extremum "min" Kernels.Min axes keepDims x

    /// For each element, the product of the other elements of its reduction group, computed with
    /// prefix and suffix products so zeros are handled exactly. Its own derivative uses the
    /// quotient form, exact wherever the group holds no zero.
    let rec private productOfOthers (axes: int[]) (x: Node) : Node =
        let eval (v: NdArray[]) =
            let a = v[0]
            let rest = [| 0 .. a.Rank - 1 |] |> Array.filter (fun i -> not (Array.contains i axes))
            let perm = Array.append rest axes
            let moved = Kernels.permute perm a
            let n = Shape.size (axes |> Array.map (fun i -> a.Shape[i]))
            let data = moved.Data
            let out = Array.zeroCreate data.Length
            for g in 0 .. (if n = 0 then -1 else data.Length / n - 1) do
                let start = g * n
                let mutable prefix = 1.0
                for i in 0 .. n - 1 do
                    out[start + i] <- prefix
                    prefix <- prefix * data[start + i]
                let mutable suffix = 1.0
                for i in n - 1 .. -1 .. 0 do
                    out[start + i] <- out[start + i] * suffix
                    suffix <- suffix * data[start + i]
            let inverse = Array.zeroCreate perm.Length
            perm |> Array.iteri (fun i p -> inverse[p] <- i)
            Kernels.permute inverse (NdArray(moved.Shape, out))
        let tangent (args: Node[]) (out: Node) (t: Node) =
            let ratio = div t args[0]
            mul out (sub (expand args[0] axes (sum axes true ratio)) ratio)
        Graph.apply
            (op "productOfOthers" (describe axes false) eval
                (fun args out t -> t[0] |> ValueOption.map (tangent args out))
                (fun args out g ->
                    let weighted = mul g out
                    [| ValueSome(div (sub (expand args[0] axes (sum axes true weighted)) weighted) args[0]) |]))
            x.Shape [| x |]

    /// Product over axes; exact first derivatives even where elements are zero.
    let prod (axes: int[]) keepDims (x: Node) =
        if axes.Length = 0 then x
        else
            Graph.apply
                (op "prod" (describe axes keepDims) (fun v -> Kernels.reduce Kernels.Prod axes keepDims v[0])
                    (fun args _ t -> t[0] |> ValueOption.map (fun t -> sum axes keepDims (mulNoNan t (productOfOthers axes args[0]))))
                    (fun args _ g -> [| ValueSome(mulNoNan (expand args[0] axes g) (productOfOthers axes args[0])) |]))
                (Shape.reduced x.Shape axes keepDims) [| x |]
