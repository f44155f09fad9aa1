namespace FunctionalAD

open System
open FunctionalAD.Transforms

/// How `jacobian` computes: one forward sweep per input element, one reverse sweep per output
/// element, or whichever needs fewer sweeps.
type JacobianMode =
    | Auto
    | Forward
    | Reverse

/// The differentiation combinators. Each takes a function and returns a function (or applies
/// it at a point); they compose and nest to any order. Inputs and outputs may be tensors or
/// structures of tensors (tuples, records, arrays, lists).
[<CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module AD =
    let private release (t: Tensor) = Tensor.Of(Graph.release t.Node)

    /// Runs `f` on fresh variables standing for the leaves of `x`, one nesting level deeper.
    let private trace (f: 'T -> 'Y) (x: 'T) = Trace.run Trace.values f x

    let private checkSameShapes operation (expected: Tensor[]) (given: Tensor[]) (argument: string) =
        if expected.Length <> given.Length then
            raise (ArgumentException(sprintf "%s: the structure has %d tensors but %d were given" operation expected.Length given.Length, argument))
        Array.iter2 (fun (e: Tensor) (g: Tensor) ->
            if e.Shape <> g.Shape then Shape.fail operation [| e.Shape; g.Shape |] argument "a tangent or cotangent must have its primal's shape") expected given

    let private orZeros (primal: Node) (found: Node voption) =
        match found with
        | ValueSome n -> Tensor.Of n
        | ValueNone -> Tensor.zerosOf primal.DType primal.Shape

    /// The cotangents of `x`'s leaves (the variables of `tag`) from cotangents of outputs.
    let private pullBack (x: 'T) (tag: VarTag) (variables: Node[]) (seeds: (Node * Node)[]) : 'T =
        let adjoint = Sweeps.backward tag.Level seeds variables
        Tree.unflatten x (variables |> Array.map (fun v -> orZeros v (match adjoint.TryGetValue v with | true, g -> ValueSome g | _ -> ValueNone) |> release))

    /// Reverse mode: the value of `f` at `x` and its pullback u ↦ Jᵀu. The pullback can be called
    /// many times; each call walks the recorded graph once.
    let vjp (f: 'T -> 'Y) (x: 'T) : 'Y * ('Y -> 'T) =
        let tag, variables, y = trace f x
        let outputs = Tree.leaves y
        let pullback (u: 'Y) =
            let cotangents = Tree.leaves u
            checkSameShapes "vjp" outputs cotangents "cotangent"
            pullBack x tag variables (Array.map2 (fun (o: Tensor) (c: Tensor) -> o.Node, c.Node) outputs cotangents)
        Tree.map release y, pullback

    /// Records `f` at `x` once and returns the value and the pushforward v ↦ J·v; `operation`
    /// names the caller in shape errors.
    let private pushforwardOf (operation: string) (f: 'T -> 'Y) (x: 'T) : 'Y * ('T -> 'Y) =
        let tag, variables, y = trace f x
        let inputs = Tree.leaves x
        let outputs = Tree.leaves y
        let pushforward (v: 'T) =
            let tangentsIn = Tree.leaves v
            checkSameShapes operation inputs tangentsIn "tangent"
            let tangent = Sweeps.forward tag.Level (Array.map2 (fun (var: Node) (t: Tensor) -> var, t.Node) variables tangentsIn) (outputs |> Array.map (fun o -> o.Node))
            Tree.unflatten y (outputs |> Array.map (fun o -> orZeros o.Node (match tangent.TryGetValue o.Node with | true, t -> ValueSome t | _ -> ValueNone) |> release))
        Tree.map release y, pushforward

    /// Forward mode: the value of `f` at `x` and the directional derivative J·v.
    let jvp (f: 'T -> 'Y) (x: 'T) (v: 'T) : 'Y * 'Y =
        let y, pushforward = pushforwardOf "jvp" f x
        y, pushforward v

    /// The value of `f` at `x` and the linear map v ↦ J·v, reusing one recorded graph for every v.
    let linearize (f: 'T -> 'Y) (x: 'T) : 'Y * ('T -> 'Y) = pushforwardOf "linearize" f x

    let private requireScalar operation (y: Tensor) =
        if y.Size <> 1 then
            raise (ArgumentException(sprintf "%s: the function must return a scalar (one element), but returned shape %s; use jacobian or vjp for other outputs" operation (Shape.format y.Shape), "f"))

    /// The value of a scalar function of a structure and its gradient (same structure as `x`).
    let valueAndGrad (f: 'T -> Tensor) (x: 'T) : Tensor * 'T =
        let tag, variables, y = trace f x
        requireScalar "grad" y
        // Unlike `vjp`, nothing here keeps the output node once the sweep has its seed, so the
        // graph can be collected piece by piece as the sweep passes.
        let value = release y
        value, pullBack x tag variables [| y.Node, (Tensor.onesLike y).Node |]

    /// The gradient of a scalar function: `grad f` is again a function and can be differentiated.
    let grad (f: 'T -> Tensor) : 'T -> 'T = fun x -> snd (valueAndGrad f x)

    /// Like `valueAndGrad` for a function that also returns auxiliary data (not differentiated).
    let valueAndGradAux (f: 'T -> Tensor * 'A) (x: 'T) : (Tensor * 'A) * 'T =
        let aux = ref Unchecked.defaultof<'A>
        let y, g = valueAndGrad (fun x -> let y, a = f x in aux.Value <- a; y) x
        (y, aux.Value), g

    /// Gradients with respect to the chosen arguments of a function of several tensors.
    let gradArgs (argnums: int[]) (f: Tensor[] -> Tensor) (args: Tensor[]) : Tensor[] =
        argnums |> Array.iter (fun i ->
            if i < 0 || i >= args.Length then raise (ArgumentOutOfRangeException("argnums", sprintf "grad: argument %d does not exist; the function takes %d" i args.Length)))
        let chosen = argnums |> Array.map (fun i -> args[i])
        grad (fun (picked: Tensor[]) ->
            let full = Array.copy args
            Array.iteri (fun k i -> full[i] <- picked[k]) argnums
            f full) chosen

    /// The derivative of a function of a scalar (applied elementwise to an elementwise function):
    /// forward mode with tangent 1.
    let derivative (f: Tensor -> Tensor) : Tensor -> Tensor = fun x -> snd (jvp f x (Tensor.onesLike x))

    /// The n-th derivative, by nesting `derivative` n times.
    let nthDerivative (n: int) (f: Tensor -> Tensor) : Tensor -> Tensor =
        if n < 0 then raise (ArgumentOutOfRangeException("n", "nthDerivative: the order must be at least 0"))
        Seq.fold (fun g _ -> derivative g) f (seq { 1 .. n })

    /// `x` with axis `source` moved to position `target`.
    let private moveAxis (source: int) (target: int) (x: Tensor) =
        if source = target then x
        else
            let others = [| 0 .. x.Shape.Length - 1 |] |> Array.filter ((<>) source)
            Tensor.permute (Array.insertAt target source others) x

    /// An axis of a tensor of rank `rank`, negative ones counted from the end.
    let private normaliseAxis (argument: string) (index: int) (axis: int) (rank: int) (shape: int[]) =
        let a = if axis < 0 then axis + rank else axis
        if a < 0 || a >= rank then
            raise (ArgumentOutOfRangeException(argument, sprintf "vmap: %s[%d] = %d is out of range for a tensor of shape %s (rank %d)" argument index axis (Shape.format shape) rank))
        a

    /// The axis for leaf i of `count`: one entry applies to every leaf.
    let private axisOf (axes: int option[]) (argument: string) (count: int) (i: int) =
        if axes.Length = 1 then axes[0]
        elif axes.Length = count then axes[i]
        else raise (ArgumentException(sprintf "vmap: %s has %d entries for %d tensors (give one entry, or one per tensor)" argument axes.Length count, argument))

    /// A mapped input leaf of a vmap: one example's shape and element type, how the batching run
    /// receives the leaf, and example b of it (for a function applied one example at a time).
    type private MappedLeaf = { Example: int[]; DType: DType; Batched: Batching.BatchedInput; ExampleAt: int -> Tensor }

    /// `f` mapped over `size` examples of the leaves of `xs` that `mapped` describes (None: the
    /// leaf is the same for every example, and is passed as it is), `outAxes` saying where each
    /// output leaf gets the batch axis (see `vmapWith`).
    let private vmapOver (mapped: MappedLeaf option[]) (size: int) (outAxes: int option[]) (f: 'T -> 'Y) (xs: 'T) : 'Y =
        let leaves = Tree.leaves xs
        // The axis output k's batch goes to, counted in the batched output; 0 where it must have none
        // (checked below, once it is known whether the output depends on the mapped inputs).
        let batchAxis (outputs: Tensor[]) k =
            match axisOf outAxes "outAxes" outputs.Length k with
            | Some axis ->
                let stacked = Array.append [| size |] outputs[k].Shape
                normaliseAxis "outAxes" k axis stacked.Length stacked
            | None -> 0
        let traced () =
            // One example of each mapped input, as an abstract variable of its shape.
            let example tag i _ = mapped[i] |> Option.map (fun m -> Graph.abstractVariable tag m.Example m.DType)
            Trace.runThen example f xs (fun tag inputs y ->
                let outputs = Tree.leaves y
                let axes = Array.init outputs.Length (batchAxis outputs)
                let batched = Batching.run tag.Level inputs (mapped |> Array.choose (Option.map (fun m -> m.Batched))) size (outputs |> Array.map (fun t -> t.Node)) axes
                y, outputs, batched |> Array.map (fun struct (n, b) -> struct (Tensor.Of n, b)))
        let oneAtATime () =
            if size = 0 then
                raise (InvalidOperationException "vmap: the function reads values, so it is applied one example at a time, which cannot give the shapes of an empty batch")
            let exampleOf b = Tree.unflatten xs (Array.init leaves.Length (fun i -> match mapped[i] with Some m -> m.ExampleAt b | None -> leaves[i]))
            let results = Array.init size (fun b -> f (exampleOf b))
            let y = results[0]
            let perLeaf = results |> Array.map Tree.leaves
            let outputs = Tree.leaves y
            y, outputs, outputs |> Array.mapi (fun k _ -> struct (moveAxis 0 (batchAxis outputs k) (Tensor.stack 0 (perLeaf |> Array.map (fun l -> l[k]))), true))
        let y, outputs, batched = try traced () with :? ValueNotKnownException -> oneAtATime ()
        batched
        |> Array.mapi (fun k (struct (result, isBatched)) ->
            let result = release result
            match axisOf outAxes "outAxes" outputs.Length k, isBatched with
            | None, false -> result
            | None, true ->
                raise (ArgumentException(sprintf "vmap: output %d (shape %s per example) depends on the mapped inputs, so outAxes[%d] cannot be None" k (Shape.format outputs[k].Shape) k, "outAxes"))
            // A batched output comes with its batch where it was asked for.
            | Some _, true -> result
            | Some axis, false ->
                let stacked = Tensor.broadcastTo (Array.append [| size |] result.Shape) result
                moveAxis 0 (normaliseAxis "outAxes" k axis stacked.Shape.Length stacked.Shape) stacked)
        |> Tree.unflatten y

    /// `f` mapped over the examples of a batch: `inAxes` says for each input leaf which axis
    /// holds the examples (None: the leaf is the same for every example), `outAxes` where each
    /// output leaf gets the batch axis (a single entry applies to every leaf). Like `jax.vmap`,
    /// the function is traced once on one example and rewritten into one program on the whole
    /// batch by each primitive's batching rule, so `vmap (grad f)` gives per-example gradients in
    /// a few large operations. A function that reads values (branches on them) cannot be traced:
    /// it is then applied to one example at a time, with the same result.
    let vmapWith (inAxes: int option[]) (outAxes: int option[]) (f: 'T -> 'Y) : 'T -> 'Y =
        fun (xs: 'T) ->
            let leaves = Tree.leaves xs
            let fronted =
                leaves |> Array.mapi (fun i leaf ->
                    axisOf inAxes "inAxes" leaves.Length i
                    |> Option.map (fun axis -> moveAxis (normaliseAxis "inAxes" i axis leaf.Shape.Length leaf.Shape) 0 leaf))
            let sizes = fronted |> Array.choose (Option.map (fun t -> t.Shape[0])) |> Array.distinct
            if sizes.Length = 0 then
                raise (ArgumentException("vmap: no input is mapped (every entry of inAxes is None); map at least one", "inAxes"))
            if sizes.Length > 1 then
                let described = Array.map2 (fun (leaf: Tensor) axis -> sprintf "%s along %s" (Shape.format leaf.Shape) (match axis with Some a -> string a | None -> "none")) leaves (Array.init leaves.Length (axisOf inAxes "inAxes" leaves.Length))
                raise (ArgumentException(sprintf "vmap: the mapped inputs have different batch sizes %s (inputs %s)" (String.Join(", ", sizes)) (String.Join("; ", described)), "xs"))
            let stacked (batch: Tensor) =
                { Example = batch.Shape[1..]; DType = batch.DType; Batched = Batching.BatchedInput.Stacked batch.Node; ExampleAt = fun b -> Tensor.index 0 b batch }
            vmapOver (fronted |> Array.map (Option.map stacked)) sizes[0] outAxes f xs

    /// `f` mapped over axis 0 of every input leaf, the batch on axis 0 of every output leaf
    /// (`jax.vmap` with its defaults).
    let vmap (f: 'T -> 'Y) : 'T -> 'Y = vmapWith [| Some 0 |] [| Some 0 |] f

    /// Basis vectors `start`, `start + 1` … of a tensor of `shape` as a mapped leaf: the batching
    /// run keeps them compact from the start (`Batching.BatchedInput.Basis`), and a function
    /// applied one example at a time gets each as a tensor.
    let private basisLeaf (shape: int[]) (start: int) : MappedLeaf =
        { Example = Array.copy shape; DType = DType.Float64; Batched = Batching.BatchedInput.Basis start
          ExampleAt = fun b ->
            let data = Array.zeroCreate (Shape.size shape)
            data[start + b] <- 1.0
            Tensor.Const(NdArray(Array.copy shape, data)) }

    /// The default number of basis vectors pushed through one sweep: all of them, unless a chunk
    /// of results would exceed about 2²² elements (32 MB).
    let private defaultChunk (vectors: int) (resultSize: int) = max 1 (min vectors (4_194_304 / max 1 resultSize))

    /// The chunks (start, count) covering `n` basis vectors.
    let private chunks (n: int) (chunkSize: int) = [| for start in 0 .. chunkSize .. n - 1 -> start, min chunkSize (n - start) |]

    let private checkChunk (chunkSize: int) =
        if chunkSize < 1 then raise (ArgumentOutOfRangeException("chunkSize", chunkSize, "jacobian: the chunk size must be at least 1"))

    /// Columns `start` … of the Jacobian from one batched forward sweep: each output leaf gets
    /// shape (output shape @ count).
    let private forwardBlock (pushforward: Tensor -> 'Y) (x: Tensor) (start: int) (count: int) : Tensor[] =
        Tree.leaves (vmapOver [| Some(basisLeaf x.Shape start) |] count [| Some -1 |] pushforward x)

    /// Rows `start` … of the Jacobian of output leaf k from one batched reverse sweep: shape
    /// (count @ input shape).
    let private reverseBlock (pullback: 'Y -> Tensor) (y: 'Y) (k: int) (start: int) (count: int) : Tensor =
        let outputs = Tree.leaves y
        // Output k is mapped over its basis vectors (its own value only stands in for the
        // leaf); the other outputs get zero cotangents.
        let seeds = outputs |> Array.mapi (fun j o -> if j = k then o else Tensor.zeros o.Shape)
        let mapped = Array.init outputs.Length (fun j -> if j = k then Some(basisLeaf outputs[k].Shape start) else None)
        vmapOver mapped count [| Some 0 |] (fun u -> pullback (Tree.unflatten y u)) seeds

    /// Jacobian by forward mode in chunks of basis vectors whose size `chunkFor` picks from the
    /// number of output elements.
    let private jacfwdBy (chunkFor: int -> int) (f: Tensor -> 'Y) (x: Tensor) : 'Y =
        let y, pushforward = linearize f x
        let chunkSize = chunkFor (Tree.leaves y |> Array.sumBy (fun t -> t.Size))
        let blocks = chunks x.Size chunkSize |> Array.map (fun (start, count) -> forwardBlock pushforward x start count)
        Tree.leaves y
        |> Array.mapi (fun k out ->
            // An empty input has no columns: its Jacobian is empty.
            if blocks.Length = 0 then Tensor.zeros (Array.append out.Shape x.Shape)
            else Tensor.reshape (Array.append out.Shape x.Shape) (Tensor.concat out.Shape.Length (blocks |> Array.map (fun b -> b[k]))))
        |> Tree.unflatten y

    /// Jacobian by reverse mode in chunks of basis vectors whose size `chunkFor` picks from the
    /// size of the largest output leaf.
    let private jacrevBy (chunkFor: int -> int) (f: Tensor -> 'Y) (x: Tensor) : 'Y =
        let y, pullback = vjp f x
        let chunkSize = chunkFor (Tree.leaves y |> Array.fold (fun m t -> max m t.Size) 1)
        Tree.leaves y
        |> Array.mapi (fun k out ->
            let rows = chunks out.Size chunkSize |> Array.map (fun (start, count) -> reverseBlock pullback y k start count)
            // An empty output has no rows: its Jacobian is empty.
            if rows.Length = 0 then Tensor.zeros (Array.append out.Shape x.Shape)
            else Tensor.reshape (Array.append out.Shape x.Shape) (Tensor.concat 0 rows))
        |> Tree.unflatten y

    /// Jacobian by forward mode: the basis vectors are pushed through one recorded graph in
    /// batched sweeps (vmap), as many at a time as keep a chunk of results near 32 MB. Each output
    /// leaf gets a Jacobian of shape (output shape @ input shape).
    let jacfwd (f: Tensor -> 'Y) (x: Tensor) : 'Y = jacfwdBy (defaultChunk x.Size) f x

    /// Jacobian by reverse mode: basis cotangents are pulled back through one recorded graph in
    /// batched sweeps (vmap), chunked as for `jacfwd`.
    let jacrev (f: Tensor -> 'Y) (x: Tensor) : 'Y = jacrevBy (fun outputs -> defaultChunk outputs x.Size) f x

    /// Jacobian by forward mode with at most `chunkSize` basis vectors per batched sweep of one
    /// recorded graph (bounds memory: a chunk costs `chunkSize` times one sweep).
    let jacfwdChunked (chunkSize: int) (f: Tensor -> 'Y) (x: Tensor) : 'Y =
        checkChunk chunkSize
        jacfwdBy (fun _ -> chunkSize) f x

    /// Jacobian by reverse mode with at most `chunkSize` basis vectors per batched sweep.
    let jacrevChunked (chunkSize: int) (f: Tensor -> 'Y) (x: Tensor) : 'Y =
        checkChunk chunkSize
        jacrevBy (fun _ -> chunkSize) f x

    /// The Jacobian of a tensor-valued function in blocks, computed lazily: each element of the
    /// sequence is (first index, block). With reverse mode a block holds `chunkSize` rows (output
    /// elements, shape chunk @ input shape); with forward mode `chunkSize` columns (input
    /// elements, shape output shape @ chunk). Each block is one batched sweep, and only one block
    /// is alive at a time, so a Jacobian too large for memory can be streamed to disk or reduced
    /// on the fly.
    let jacobianChunks (mode: JacobianMode) (chunkSize: int) (f: Tensor -> Tensor) (x: Tensor) : seq<int * Tensor> =
        checkChunk chunkSize
        let forwardMode () =
            let _, pushforward = linearize f x
            chunks x.Size chunkSize |> Seq.map (fun (start, count) -> start, (forwardBlock pushforward x start count)[0])
        let reverseMode () =
            let y, pullback = vjp f x
            chunks y.Size chunkSize |> Seq.map (fun (start, count) -> start, reverseBlock pullback y 0 start count)
        match mode with
        | Forward -> forwardMode ()
        | Reverse -> reverseMode ()
        | Auto -> if x.Size < (f x).Size then forwardMode () else reverseMode ()

    /// The Jacobian (output shape @ input shape). `Auto` uses forward mode when there are fewer
    /// inputs than outputs, reverse mode otherwise. Basis vectors go through one recorded graph
    /// in batched sweeps (see `jacfwd`; `jacfwdChunked`/`jacrevChunked` bound the chunk).
    let jacobianWith (mode: JacobianMode) (f: Tensor -> 'Y) (x: Tensor) : 'Y =
        match mode with
        | Forward -> jacfwd f x
        | Reverse -> jacrev f x
        | Auto ->
            let outputs = Tree.leaves (f x) |> Array.sumBy (fun t -> t.Size)
            if x.Size < outputs then jacfwd f x else jacrev f x

    /// The Jacobian, choosing the mode from the shapes.
    let jacobian (f: Tensor -> 'Y) (x: Tensor) : 'Y = jacobianWith Auto f x

    /// The Hessian of a scalar function (input shape @ input shape), forward-over-reverse: the
    /// gradient's graph is recorded once and pushed forward along the basis vectors in batched
    /// sweeps (vmap).
    let hessian (f: Tensor -> Tensor) (x: Tensor) : Tensor = jacfwd (grad f) x

    /// The Hessian with at most `chunkSize` basis vectors per batched sweep.
    let hessianChunked (chunkSize: int) (f: Tensor -> Tensor) (x: Tensor) : Tensor = jacfwdChunked chunkSize (grad f) x

    /// Hessian-vector product H·v, reverse-over-forward: the gradient of the directional
    /// derivative x ↦ ⟨∇f(x), v⟩, which `jvp` computes along v (one tangent sweep, one reverse
    /// sweep). JAX's recipe is forward-over-reverse, `jvp (grad f) x v`; evaluated eagerly, that
    /// computes the gradient itself, whose value the product discards — for a loss over constant
    /// data its last products (Xᵀr for a logistic loss) are work for nothing: a quarter of the
    /// logistic HVP's time, a tenth to a fifth of an MLP's (BENCHMARKS.md). Compiled, both
    /// orders cost the same (the plan drops what no output reads).
    let hvp (f: 'T -> Tensor) (x: 'T) (v: 'T) : 'T =
        checkSameShapes "hvp" (Tree.leaves x) (Tree.leaves v) "v"
        grad (fun x' -> snd (jvp f x' v)) x

    /// Hessian-vector product H·v, reverse-over-reverse: the gradient of ⟨∇f(x), v⟩.
    let hvpReverse (f: 'T -> Tensor) (x: 'T) (v: 'T) : 'T =
        checkSameShapes "hvpReverse" (Tree.leaves x) (Tree.leaves v) "v"
        grad (fun x' -> Array.fold2 (fun (acc: Tensor) (g: Tensor) (d: Tensor) -> acc + Tensor.sum (g * d)) (Tensor.scalar 0.0) (Tree.leaves (grad f x')) (Tree.leaves v)) x

    // ---- Functions of several tensors: Jacobians and Hessians in blocks, one per input pair ----
    // The inputs are packed into one vector so the single-input Jacobians (and their batched
    // sweeps) do the work; the blocks are slices of the result.

    /// The inputs' elements as one vector, the map back from such a vector to the inputs, and
    /// where each input starts in it.
    let private packArgs (operation: string) (xs: Tensor[]) =
        if xs.Length = 0 then raise (ArgumentException(sprintf "%s: the function must take at least one tensor" operation, "xs"))
        let offsets = xs |> Array.scan (fun o (t: Tensor) -> o + t.Size) 0
        let unpack (v: Tensor) = xs |> Array.mapi (fun i x -> Tensor.reshape x.Shape (Tensor.slice [| offsets[i], offsets[i + 1], 1 |] v))
        Tensor.concat 0 (xs |> Array.map (Tensor.reshape [| -1 |])), unpack, offsets

    /// Splits the last axis of a derivative with respect to the packed inputs (shape leading @
    /// [total]) into one block per input (leading @ that input's shape).
    let private splitBlocks (offsets: int[]) (xs: Tensor[]) (leading: int[]) (d: Tensor) =
        xs |> Array.mapi (fun i x ->
            let ranges = Array.append (leading |> Array.map (fun n -> 0, n, 1)) [| offsets[i], offsets[i + 1], 1 |]
            Tensor.reshape (Array.append leading x.Shape) (Tensor.slice ranges d))

    let private jacobianArgsBy operation (jacobianOf: (Tensor -> Tensor[]) -> Tensor -> Tensor[]) (f: Tensor[] -> Tensor[]) (xs: Tensor[]) =
        let packed, unpack, offsets = packArgs operation xs
        jacobianOf (unpack >> f) packed |> Array.map (fun j -> splitBlocks offsets xs j.Shape[.. j.Rank - 2] j)

    /// Jacobian blocks of a function of several tensors by forward mode: `[k][j]` is
    /// ∂(output k)/∂(input j), shape (output k's shape @ input j's shape).
    let jacfwdArgs (f: Tensor[] -> Tensor[]) (xs: Tensor[]) : Tensor[][] = jacobianArgsBy "jacfwdArgs" jacfwd f xs

    /// Jacobian blocks as `jacfwdArgs`, by reverse mode.
    let jacrevArgs (f: Tensor[] -> Tensor[]) (xs: Tensor[]) : Tensor[][] = jacobianArgsBy "jacrevArgs" jacrev f xs

    /// Jacobian blocks as `jacfwdArgs`, by whichever mode needs fewer sweeps.
    let jacobianArgs (f: Tensor[] -> Tensor[]) (xs: Tensor[]) : Tensor[][] = jacobianArgsBy "jacobianArgs" jacobian f xs

    /// The Hessian of a scalar function of several tensors in blocks (jax.hessian with argnums):
    /// `[i][j]` is ∂²f/∂xᵢ∂xⱼ, shape (xᵢ's shape @ xⱼ's shape); forward-over-reverse.
    let hessianArgs (f: Tensor[] -> Tensor) (xs: Tensor[]) : Tensor[][] =
        let packed, unpack, offsets = packArgs "hessianArgs" xs
        let h = hessian (unpack >> f) packed
        xs |> Array.mapi (fun i x ->
            let rows = Tensor.slice [| (offsets[i], offsets[i + 1], 1); (0, packed.Size, 1) |] h
            splitBlocks offsets xs x.Shape (Tensor.reshape (Array.append x.Shape [| packed.Size |]) rows))

    /// The value with its derivative blocked (a constant to every transform).
    let stopGradient (x: Tensor) = Tensor.stopGradient x
