namespace FunctionalAD.Primitives

open System
open FunctionalAD
open FunctionalAD.Primitives.Arithmetic

/// Layout primitives: permuting, slicing, gathering and joining. All are linear, so each rule
/// is the primitive itself (JVP) or its transpose (VJP).
module internal Layout =
    let private sliceRecords = Records()
    let private unsliceRecords = Records()

    /// The record of a linear primitive of one argument (JAX's `deflinear`), with its other
    /// capabilities: its JVP applies the primitive to the tangent, its VJP is its transpose
    /// applied to the cotangent. Its kernel moves whole elements of either type. Its algebraic
    /// role is a rearrangement unless the capabilities name a narrower one.
    let private linear name parameters eval (self: Node -> Node) (transpose: Node -> Node -> Node) (capabilities: Capabilities) =
        let algebra = match capabilities.Algebra with Algebra.Opaque -> Algebra.Rearrangement | given -> given
        opWith name parameters eval
            (fun _ _ t -> t[0] |> ValueOption.map self)
            (fun args _ g -> [| ValueSome(transpose args[0] g) |])
            { capabilities with Algebra = algebra; Float32 = ValueSome eval }

    /// An axis list shifted past a leading batch axis.
    let private shifted (axes: int[]) = axes |> Array.map ((+) 1)

    /// Permutes dimensions: output dimension i is input dimension perm[i].
    let rec permute (perm: int[]) (x: Node) : Node =
        if perm.Length <> x.Shape.Length || (Array.sort perm) <> Array.init perm.Length id then
            Shape.fail "permute" [| x.Shape; perm |] "perm" "the permutation must list every axis exactly once"
        if perm = Array.init perm.Length id then x
        else
            let inverse = Array.zeroCreate perm.Length
            perm |> Array.iteri (fun i p -> inverse[p] <- i)
            Graph.apply
                (linear "permute" [ ints "" perm ] (fun v -> Kernels.permute perm v[0]) (permute perm) (fun _ g -> permute inverse g)
                    { Param.none with
                        Algebra = if Kernels.swapsLastAxes perm then Algebra.MatrixTranspose else Algebra.Opaque
                        Batch = ValueSome(fun _ args _ -> permute (Array.append [| 0 |] (shifted perm)) args[0])
                        // Compiled plans permute into their buffer (a Hessian's final transpose is n²).
                        Into = ValueSome(fun argShapes _ -> ValueSome(DestinationKernel(fun args destination -> Kernels.permuteInto perm argShapes[0] args[0] destination)))
                        Into32 = ValueSome(fun argShapes _ -> ValueSome(DestinationKernel32(fun args destination -> Kernels.permuteInto perm argShapes[0] args[0] destination))) })
                (perm |> Array.map (fun p -> x.Shape[p])) [| x |]

    /// Where the element at flat position p of a tensor of `outer` shape lies in the window
    /// `starts`, `steps`, `window` of it (−1 outside): the moves of slice.
    /// (The outermost axis takes what is left of p, and a step of 1 divides nothing: a compact
    /// batch moves hundreds of positions through a slice of a vector, where the divisions were
    /// most of the cost.)
    let private windowPosition (outer: int[]) (starts: int[]) (steps: int[]) (window: int[]) (p: int) =
        let mutable rest = p
        let mutable inside = 0
        let mutable scale = 1
        let mutable ok = true
        for axis in outer.Length - 1 .. -1 .. 0 do
            let index = if axis = 0 then rest else rest % outer[axis]
            if axis > 0 then rest <- rest / outer[axis]
            let offset = index - starts[axis]
            let step = steps[axis]
            let along = if step = 1 then offset else offset / step
            if offset < 0 || (step <> 1 && offset % step <> 0) || along >= window[axis] then ok <- false
            inside <- inside + scale * along
            scale <- scale * window[axis]
        if ok then inside else -1

    /// Where the element at flat position q of that window lies in the tensor: unslice's moves.
    let private outerPosition (outer: int[]) (starts: int[]) (steps: int[]) (window: int[]) (q: int) =
        let mutable rest = q
        let mutable position = 0
        let mutable scale = 1
        for axis in window.Length - 1 .. -1 .. 0 do
            let index = if axis = 0 then rest else rest % window[axis]
            position <- position + scale * (starts[axis] + index * steps[axis])
            if axis > 0 then rest <- rest / window[axis]
            scale <- scale * outer[axis]
        position

    /// Takes `counts[i]` elements along each axis i, from `starts[i]` in steps of `steps[i]` (> 0).
    let rec slice (starts: int[]) (counts: int[]) (steps: int[]) (x: Node) : Node =
        let rank = x.Shape.Length
        if starts.Length <> rank || counts.Length <> rank || steps.Length <> rank then
            Shape.fail "slice" [| x.Shape; starts; counts |] "ranges" (sprintf "a range is needed for each of the %d axes" rank)
        for i in 0 .. rank - 1 do
            // The last index in 64 bits: a huge step must not wrap it back inside the dimension.
            if steps[i] <= 0 || starts[i] < 0 || counts[i] < 0 || (counts[i] > 0 && int64 starts[i] + int64 (counts[i] - 1) * int64 steps[i] >= int64 x.Shape[i]) then
                Shape.fail "slice" [| x.Shape |] "ranges" (sprintf "axis %d: start %d, count %d, step %d fall outside a dimension of %d" i starts[i] counts[i] steps[i] x.Shape[i])
        if Shape.same counts x.Shape then x
        else Graph.apply (sliceRecord x.Shape starts counts steps) (Array.copy counts) [| x |]

    /// The record of `slice` from a tensor of shape `source` (shared: `Records`).
    and private sliceRecord (source: int[]) (starts: int[]) (counts: int[]) (steps: int[]) =
        sliceRecords.Get(Array.concat [| source; starts; counts; steps |], fun () ->
            let source, starts, counts, steps = Array.copy source, Array.copy starts, Array.copy counts, Array.copy steps
            linear "slice" [ ints "start" starts; ints "count" counts; ints "step" steps ]
                (fun v -> Kernels.slice starts counts steps v[0])
                (slice starts counts steps) (fun arg g -> unslice arg.Shape starts steps g)
                { Param.none with
                    Into = ValueSome(fun _ _ -> ValueSome(DestinationKernel(fun args dest -> DestinationKernels.windowCopy false source starts counts steps args[0] dest)))
                    Batch = ValueSome(fun size args _ -> slice (Array.append [| 0 |] starts) (Array.append [| size |] counts) (Array.append [| 1 |] steps) args[0])
                    Moves = ValueSome { Position = windowPosition source starts steps counts; Shift = if source.Length = 1 && steps[0] = 1 then ValueSome -starts[0] else ValueNone } })

    /// The transpose of `slice`: `g` placed into zeros of `shape`.
    and unslice (shape: int[]) (starts: int[]) (steps: int[]) (g: Node) : Node =
        Graph.apply (unsliceRecord shape starts steps g.Shape) (Array.copy shape) [| g |]

    /// The record of `unslice` of a window of shape `window` (shared: `Records`).
    and private unsliceRecord (shape: int[]) (starts: int[]) (steps: int[]) (window: int[]) =
        unsliceRecords.Get(Array.concat [| shape; starts; steps; window |], fun () ->
            let shape, starts, steps, window = Array.copy shape, Array.copy starts, Array.copy steps, Array.copy window
            linear "unslice" [ ints "shape" shape; ints "start" starts; ints "step" steps ]
                (fun v -> Kernels.unslice shape starts steps v[0])
                (unslice shape starts steps) (fun arg c -> slice starts arg.Shape steps c)
                { Param.none with
                    Into = ValueSome(fun _ _ -> ValueSome(DestinationKernel(fun args dest -> DestinationKernels.windowCopy true shape starts window steps dest args[0])))
                    Batch = ValueSome(fun size args _ -> unslice (Array.append [| size |] shape) (Array.append [| 0 |] starts) (Array.append [| 1 |] steps) args[0])
                    Moves = ValueSome { Position = outerPosition shape starts steps window; Shift = if shape.Length = 1 && steps[0] = 1 then ValueSome starts[0] else ValueNone } })

    /// Entries along `axis` at `indices` (repeats allowed).
    let rec gather (axis: int) (indices: int[]) (x: Node) : Node =
        let n = x.Shape[axis]
        indices |> Array.iter (fun i ->
            if i < 0 || i >= n then Shape.fail "gather" [| x.Shape |] "indices" (sprintf "index %d is outside axis %d of length %d" i axis n))
        Graph.apply
            (linear "gather" [ "axis", Parameter.Int axis; ints "indices" indices ] (fun v -> Kernels.gather axis indices v[0])
                (gather axis indices) (fun arg g -> scatterAdd arg.Shape axis indices g)
                { Param.none with Batch = ValueSome(fun _ args _ -> gather (axis + 1) indices args[0]) })
            (x.Shape |> Array.mapi (fun i d -> if i = axis then indices.Length else d)) [| x |]

    /// The transpose of `gather`: rows of `g` added into zeros of `shape` at `indices`.
    and scatterAdd (shape: int[]) (axis: int) (indices: int[]) (g: Node) : Node =
        Graph.apply
            (linear "scatterAdd" [ ints "shape" shape; "axis", Parameter.Int axis; ints "indices" indices ] (fun v -> Kernels.scatterAdd shape axis indices v[0])
                (scatterAdd shape axis indices) (fun _ c -> gather axis indices c)
                { Param.none with Batch = ValueSome(fun size args _ -> scatterAdd (Array.append [| size |] shape) (axis + 1) indices args[0]) })
            (Array.copy shape) [| g |]

    /// Joins tensors along `axis`; every other dimension must agree.
    let rec concat (axis: int) (parts: Node[]) : Node =
        if parts.Length = 0 then raise (ArgumentException("concat: at least one tensor is needed", "tensors"))
        let first = parts[0].Shape
        if axis < 0 || axis >= first.Length then Shape.fail "concat" [| first |] "axis" (sprintf "axis %d is out of range for rank %d" axis first.Length)
        for p in parts do
            if p.Shape.Length <> first.Length || (p.Shape |> Array.mapi (fun i d -> i = axis || d = first[i]) |> Array.forall id |> not) then
                Shape.fail "concat" [| first; p.Shape |] "tensors" (sprintf "shapes must agree except along axis %d" axis)
        if parts.Length = 1 then parts[0]
        else
            let total = parts |> Array.sumBy (fun p -> int64 p.Shape[axis])
            if total > int64 Array.MaxLength then
                Shape.fail "concat" (parts |> Array.map (fun p -> p.Shape)) "tensors" (sprintf "the joined axis %d would have %d entries, more than an array can hold" axis total)
            let offsets = parts |> Array.scan (fun acc p -> acc + p.Shape[axis]) 0
            let shape = first |> Array.mapi (fun i d -> if i = axis then offsets[parts.Length] else d)
            let part (g: Node) k =
                let starts = Array.init shape.Length (fun i -> if i = axis then offsets[k] else 0)
                slice starts parts[k].Shape (Array.create shape.Length 1) g
            let eval (v: NdArray[]) = Kernels.concat axis v
            Graph.apply
                (opWith "concat" [ "axis", Parameter.Int axis ] eval
                    (fun args _ t ->
                        if t |> Array.forall ValueOption.isNone then ValueNone
                        else ValueSome(concat axis (Array.init args.Length (fun k -> t[k] |> ValueOption.defaultWith (fun () -> Graph.constant (NdArray.fullOf args[k].DType args[k].Shape 0.0))))))
                    (fun args _ g -> Array.init args.Length (fun k -> ValueSome(part g k)))
                    { Param.none with
                        Algebra = Algebra.Rearrangement
                        Float32 = ValueSome eval
                        Into = ValueSome(fun argShapes _ -> ValueSome(DestinationKernel(fun args dest -> Kernels.concatInto axis argShapes args dest)))
                        Into32 = ValueSome(fun argShapes _ -> ValueSome(DestinationKernel32(fun args dest -> Kernels.concatInto axis argShapes args dest)))
                        Batch =
                            ValueSome(fun size args batched ->
                                // Unbatched parts are the same for every example: stretched along the batch.
                                let lift k (a: Node) = if batched[k] then a else broadcastTo (Array.append [| size |] a.Shape) a
                                concat (axis + 1) (Array.mapi lift args)) })
                shape parts
