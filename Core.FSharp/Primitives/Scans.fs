namespace FunctionalAD.Primitives

open System
open FunctionalAD
open FunctionalAD.Primitives.Arithmetic

/// Scans along an axis: running sums and products.
module internal Scans =
    /// Running sums along `axis` of the elements `data` (of any type) of an array of `shape`:
    /// entry k is the sum of entries 0 … k, or of k … n − 1 when `reverse` (the transpose of the
    /// forward scan). The running sums are kept in float64 whatever the element type.
    let private runningSums<'T when 'T :> Numerics.INumberBase<'T>> (axis: int) (reverse: bool) (shape: int[]) (data: 'T[]) =
        let outer, n, inner = Shape.size shape[.. axis - 1], shape[axis], Shape.size shape[axis + 1 ..]
        let out = Array.zeroCreate data.Length
        for o in 0 .. outer - 1 do
            for i in 0 .. inner - 1 do
                let mutable acc = 0.0
                for step in 0 .. n - 1 do
                    let k = (o * n + (if reverse then n - 1 - step else step)) * inner + i
                    acc <- acc + Double.CreateTruncating(data[k])
                    out[k] <- acc
        out

    /// `runningSums` of x. A float32 x gives a float32 result: the running sums accumulate in
    /// float64 and each output rounds once, as the library's float32 sums do (float32 running
    /// sums would add an error growing with the position along the axis), so it is the float64
    /// cumsum rounded, exactly.
    let private cumsumKernel (axis: int) (reverse: bool) (x: NdArray) =
        Kernels.sameType x (Array.copy x.Shape) (runningSums axis reverse x.Shape) (runningSums axis reverse x.Shape >> Array.map float32)

    /// Running sums along `axis` (from the end when `reverse`). Linear: its JVP is the same
    /// scan of the tangent and its VJP the scan in the other direction of the cotangent.
    let rec cumsum (axis: int) (reverse: bool) (x: Node) : Node =
        if axis < 0 || axis >= x.Shape.Length then
            Shape.fail "cumsum" [| x.Shape |] "axis" (sprintf "axis %d is out of range for rank %d" axis x.Shape.Length)
        let eval (v: NdArray[]) = cumsumKernel axis reverse v[0]
        Graph.apply
            (opWith "cumsum" [ "axis", Parameter.Int axis; "reverse", Parameter.Flag reverse ] eval
                (fun _ _ t -> t[0] |> ValueOption.map (cumsum axis reverse))
                (fun _ _ g -> [| ValueSome(cumsum axis (not reverse) g) |])
                { Param.none with
                    Algebra = Algebra.Rearrangement
                    Batch = ValueSome(fun _ args _ -> cumsum (axis + 1) reverse args[0])
                    Float32 = ValueSome eval })
            (Array.copy x.Shape) [| x |]

    /// Running products along `axis`, as a Hillis–Steele scan: ⌈log₂ n⌉ rounds, each
    /// multiplying every entry by the one 2ʳ places before it (by 1 where there is none).
    /// Only products, never a quotient such as cumsum-of-logs or prod/x: the rules of `mul`
    /// give exact derivatives of every order, also where entries are zero. Built of `slice`,
    /// `concat` and `mul`, it runs in float32 for float32 x: entry k is k + 1 factors multiplied
    /// by k float32 multiplications (over ⌈log₂ n⌉ rounds), each rounded, so its relative error
    /// is at most about k · 2⁻²⁴.
    let cumprod (axis: int) (x: Node) : Node =
        if axis < 0 || axis >= x.Shape.Length then
            Shape.fail "cumprod" [| x.Shape |] "axis" (sprintf "axis %d is out of range for rank %d" axis x.Shape.Length)
        let n = x.Shape[axis]
        let rank = x.Shape.Length
        let along count (shape: int[]) = shape |> Array.mapi (fun a d -> if a = axis then count else d)
        let rec rounds (y: Node) offset =
            if offset >= n then y
            else
                let earlier = Layout.slice (Array.zeroCreate rank) (along (n - offset) y.Shape) (Array.create rank 1) y
                let ones = Graph.constant (NdArray.fullOf y.DType (along offset y.Shape) 1.0)
                rounds (mul y (Layout.concat axis [| ones; earlier |])) (2 * offset)
        rounds x 1
