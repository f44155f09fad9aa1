namespace FunctionalAD.Primitives

open System
open FunctionalAD
open FunctionalAD.Primitives.Arithmetic
open FunctionalAD.Primitives.Elementwise

/// Reductions over axes (normalised, sorted, distinct), with or without kept dimensions.
module internal Reductions =
    let private describe (axes: int[]) keepDims : Parameters = [ ints "axes" axes; "keepDims", Parameter.Flag keepDims ]

    /// Axes shifted past a leading batch axis.
    let private shifted (axes: int[]) = axes |> Array.map ((+) 1)

    /// A reduced value or cotangent brought back to the input's shape.
    let private expand (input: Node) (axes: int[]) (g: Node) =
        broadcastTo input.Shape (reshape (Shape.reduced input.Shape axes true) g)

    let private checkNonEmpty name (axes: int[]) (x: Node) =
        if axes |> Array.exists (fun a -> x.Shape[a] = 0) then
            Shape.fail name [| x.Shape |] "x" "cannot reduce over an empty dimension"

    /// Σ over axes.
    let private sumRecords = Records()

    let rec sum (axes: int[]) keepDims (x: Node) : Node =
        if axes.Length = 0 then x
        else
            // The key: the axes, then whether dimensions are kept.
            let record =
                sumRecords.Get(Array.append axes [| (if keepDims then 1 else 0) |], fun () ->
                    let axes = Array.copy axes
                    opWith "sum" (describe axes keepDims) (fun v -> Kernels.reduce Kernels.Sum axes keepDims v[0])
                        (fun _ _ t -> t[0] |> ValueOption.map (sum axes keepDims))
                        (fun args _ g -> [| ValueSome(expand args[0] axes g) |])
                        { Param.none with
                            Algebra = Algebra.Rearrangement
                            Into = ValueSome(fun argShapes _ -> sumIntoKernel argShapes[0] (Array.init argShapes[0].Length (fun a -> Array.contains a axes)))
                            Into32 = ValueSome(fun argShapes _ -> sumIntoKernel32 argShapes[0] (Array.init argShapes[0].Length (fun a -> Array.contains a axes)))
                            Float32 = ValueSome(fun v -> Kernels.sum32 axes keepDims v[0])
                            Batch = ValueSome(fun _ args _ -> sum (shifted axes) keepDims args[0]) })
            Graph.apply record (Shape.reduced x.Shape axes keepDims) [| x |]

    /// Max (or min) over axes. Ties share the gradient evenly (minimum-norm subgradient).
    let rec private extremum name kind (axes: int[]) keepDims (x: Node) =
        checkNonEmpty name axes x
        let weights (args: Node[]) (out: Node) =
            let hits = equal args[0] (expand args[0] axes out)
            div hits (expand args[0] axes (sum axes true hits))
        Graph.apply
            (opWith name (describe axes keepDims) (fun v -> Kernels.reduce kind axes keepDims v[0])
                (fun args out t -> t[0] |> ValueOption.map (fun t -> sum axes keepDims (mulNoNan t (weights args out))))
                (fun args out g -> [| ValueSome(mulNoNan (expand args[0] axes g) (weights args out)) |])
                { Param.none with
                    Algebra = Algebra.Rearrangement
                    Float32 = ValueSome(fun v -> Kernels.extremum32 kind axes keepDims v[0])
                    Batch = ValueSome(fun _ args _ -> extremum name kind (shifted axes) keepDims args[0]) })
            (Shape.reduced x.Shape axes keepDims) [| x |]

    /// Maximum over axes.
    let max axes keepDims x = extremum "max" Kernels.Max axes keepDims x
    /// Minimum over axes.
    let min axes keepDims x = extremum "min" Kernels.Min axes keepDims x

    /// Product over axes, as a balanced tree of elementwise multiplications along the reduced
    /// elements: the rules of `mul` then give exact derivatives of every order, also where
    /// elements are zero (a quotient form such as prod/x would divide by zero there).
    let prod (axes: int[]) keepDims (x: Node) =
        if axes.Length = 0 then x
        else
            let rank = x.Shape.Length
            let rest = [| 0 .. rank - 1 |] |> Array.filter (fun i -> not (Array.contains i axes))
            let restShape = rest |> Array.map (fun i -> x.Shape[i])
            let n = Shape.size (axes |> Array.map (fun i -> x.Shape[i]))
            let resultShape = Shape.reduced x.Shape axes keepDims
            if n = 0 then Graph.constant (NdArray.fullOf x.DType resultShape 1.0)
            else
                let along (start: int) (count: int) (v: Node) =
                    Layout.slice (Array.append (Array.zeroCreate rest.Length) [| start |]) (Array.append restShape [| count |]) (Array.create (rest.Length + 1) 1) v
                let rec halve (v: Node) (m: int) =
                    if m = 1 then v
                    else
                        let half = m / 2
                        let paired = mul (along 0 half v) (along half half v)
                        if m % 2 = 0 then halve paired half
                        else halve (Layout.concat rest.Length [| paired; along (2 * half) 1 v |]) (half + 1)
                let grouped = reshape (Array.append restShape [| n |]) (Layout.permute (Array.append rest axes) x)
                reshape resultShape (halve grouped n)
