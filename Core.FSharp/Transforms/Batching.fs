namespace FunctionalAD.Transforms

open System
open System.Collections.Generic
open System.Numerics.Tensors
open FunctionalAD
open FunctionalAD.Primitives

/// Batching (vmap): a function traced once on one example is rewritten into the same program on
/// a whole batch, primitive by primitive, by each primitive's batching rule
/// (`Capabilities.Batch`). Batched values carry the batch as their leading axis. The rewritten
/// program is built from ordinary graph operations, so every other transform composes with it.
module internal Batching =
    /// A batched input of `run`.
    [<RequireQualifiedAccess>]
    type BatchedInput =
        /// The examples stacked along a leading axis.
        | Stacked of Node
        /// Basis vectors `start` … `start + size − 1` of the example's shape, one per example (a
        /// chunk of a Jacobian's columns or rows): compact from the start, so no dense chunk is
        /// made and scanned, and filled in only where a step needs it dense.
        | Basis of start: int

    /// Example `b` of a batched value (the batch leading).
    let private example (b: int) (x: Node) =
        let rank = x.Shape.Length
        let starts = Array.init rank (fun i -> if i = 0 then b else 0)
        let counts = Array.init rank (fun i -> if i = 0 then 1 else x.Shape[i])
        Arithmetic.reshape x.Shape[1..] (Layout.slice starts counts (Array.create rank 1) x)

    /// The examples stacked along a new leading axis.
    let private stack (examples: Node[]) =
        Layout.concat 0 (examples |> Array.map (fun e -> Arithmetic.reshape (Array.append [| 1 |] e.Shape) e))

    /// The rule of a primitive that declares none: the primitive applied to one example at a time.
    let private oneAtATime (op: Op) (shape: int[]) (size: int) (args: Node[]) (batched: bool[]) =
        if size = 0 then Graph.constant (NdArray.zeros (Array.append [| 0 |] shape))
        else stack (Array.init size (fun b -> Graph.apply op shape (args |> Array.mapi (fun i a -> if batched[i] then example b a else a))))

    /// The rule of an elementwise primitive: batched arguments get unit axes after the batch so
    /// that broadcasting lines them up with the unbatched ones, then the same primitive applies.
    let private elementwise (op: Op) (shape: int[]) (size: int) (args: Node[]) (batched: bool[]) =
        let aligned = args |> Array.mapi (fun i a -> if batched[i] then Arithmetic.batchedToRank shape.Length a else a)
        Graph.apply op (Array.append [| size |] shape) aligned

    /// A batch whose examples have few nonzeros each — a chunk of basis vectors, and what the
    /// linear steps of a sweep make of it — kept compact: example b (of shape `Example`) is zero
    /// except in its `Width` slots, each at a distinct flat position of the example holding a
    /// value; an unused slot (outside the example) holds exactly 0. In one of two layouts:
    /// - scattered (`Offsets` null): slot j of row b lies at `Positions[b·Width + j]` (−1: unused)
    ///   and holds `Values[b, j]` (shape size × Width);
    /// - a band — basis vectors, and what moves along a vector, products and sums make of them:
    ///   the band of a Hessian — (`Positions` null): slot j of row b lies at b + Offsets[j], distinct
    ///   slots at distinct offsets, and holds `Values[j, b]` (shape Width × size). A slot's values
    ///   are then a contiguous run, and so are the entries of an unbatched factor they meet: a
    ///   band's steps are vector kernels slot by slot, and no positions are stored.
    type private SparseBatch = { Example: int[]; Width: int; Positions: int[]; Offsets: int[]; Values: Node }

    /// The rows [first, last) of `size` in which a band's slot at `offset` lies in an example of
    /// `elements` elements.
    let private bandRows (size: int) (elements: int) (offset: int) = struct (max 0 -offset, min size (elements - offset))

    /// The offsets c_j of a band with these positions — `size` rows of `width` slots, slot by
    /// slot (position j·size + b is slot j of row b) — or null when they are no band (or a slot
    /// is never used).
    let private bandOffsets (size: int) (width: int) (positions: int[]) : int[] =
        let offsets = Array.create width Int32.MinValue
        let mutable banded = true
        for j in 0 .. width - 1 do
            for b in 0 .. size - 1 do
                let p = positions[j * size + b]
                if p >= 0 then
                    if offsets[j] = Int32.MinValue then offsets[j] <- p - b
                    elif offsets[j] <> p - b then banded <- false
        if banded && offsets |> Array.forall ((<>) Int32.MinValue) && (Array.distinct offsets).Length = width then offsets else null

    /// The slots' positions of a batch of `size` rows, in the order of its values: a scattered
    /// batch's stored ones, or a band's made (−1 where a slot is unused).
    let private positionsOf (size: int) (s: SparseBatch) =
        if isNull s.Offsets then s.Positions
        else
            let positions = Array.create (size * s.Width) -1
            let elements = Shape.size s.Example
            for j in 0 .. s.Width - 1 do
                let offset = s.Offsets[j]
                let struct (first, last) = bandRows size elements offset
                for b in first .. last - 1 do positions[j * size + b] <- b + offset
            positions

    /// The value of a node that no enclosing transform differentiates — no dependence on the
    /// levels open below vmap's own `level`, except those dropped here — holding a strong float64
    /// value, or null. Bits from `level` up belong to vmap's own trace, whose every node the
    /// batched program replaces, or to transforms already closed that used those level numbers
    /// (the residuals of `jacfwd`'s `linearize` and of the `grad` it differentiates carry both).
    /// The compact steps compute on such values with the kernels at once: a graph node per step
    /// (its operation record with the index arrays, shape checks, dispatch) cost more than the
    /// arithmetic (an eager Hessian is made of such steps). Values an enclosing transform sees
    /// go through graph operations, which compute the same kernels. `enclosing` is
    /// `enclosingLevels level`, read once per batching run (the levels are thread state).
    let private plainValue (enclosing: uint64) (n: Node) : NdArray =
        let value = n.ValueOrNull
        if not (isNull value) && n.Deps &&& enclosing = 0UL && value.DType = DType.Float64 && not value.IsWeak then value else null

    /// The levels open below vmap's own `level` that are not dropped here (see `plainValue`).
    let private enclosingLevels (level: int) = ((1UL <<< level) - 2UL) &&& ~~~(Levels.dropped ())

    /// The batch filled in with the batch on `axis` of the result (0: leading): each value added
    /// into zeros at its example position with the example's index spliced in at `axis`, so a
    /// batch wanted elsewhere than in front costs no transpose (an unused scattered slot adds
    /// its 0 at the first position of its example).
    let private filledIn (enclosing: uint64) (size: int) (axis: int) (sparse: SparseBatch) =
        let example = sparse.Example
        let shape = Array.insertAt axis size example
        // Elements of one example after the batch axis: position p of example b lands at
        // (p / inner · size + b) · inner + p mod inner.
        let inner = Shape.size example[axis..]
        let width = sparse.Width
        let band = not (isNull sparse.Offsets)
        let index (b: int) (p: int) = if inner = 1 then p * size + b else (p / inner * size + b) * inner + p % inner
        match plainValue enclosing sparse.Values with
        | null ->
            let positions = positionsOf size sparse
            let rowOf k = if band then k % size else k / width
            let indices = Array.init (size * width) (fun k -> index (rowOf k) (max 0 positions[k]))
            let flat = Indexing.scatterAlong [| Shape.size shape |] 0 indices (Arithmetic.reshape [| size * width |] sparse.Values)
            Arithmetic.reshape shape flat
        | values ->
            let filled = Array.zeroCreate (Shape.size shape)
            let data = values.Data
            if band then
                let elements = Shape.size example
                for j in 0 .. width - 1 do
                    let offset = sparse.Offsets[j]
                    let struct (first, last) = bandRows size elements offset
                    for b in first .. last - 1 do
                        let at = index b (b + offset)
                        filled[at] <- filled[at] + data[j * size + b]
            else
                for b in 0 .. size - 1 do
                    for j in 0 .. width - 1 do
                        let at = index b (max 0 sparse.Positions[b * width + j])
                        filled[at] <- filled[at] + data[b * width + j]
            Graph.constant (NdArray.wrap shape filled)

    /// A band laid out as a scattered batch (see `SparseBatch`) whose slots lie at `positions`
    /// (in the band's order, slot by slot), for the steps that meet scattered batches.
    let private scatteredFrom (enclosing: uint64) (size: int) (s: SparseBatch) (positions: int[]) =
        let width = s.Width
        // Row-major place k is slot k mod width of row k / width.
        let bandPlace k = (k % width) * size + k / width
        let values =
            match plainValue enclosing s.Values with
            | null -> Layout.permute [| 1; 0 |] s.Values
            | values -> let data = values.Data in Graph.constant (NdArray.wrap [| size; width |] (Array.init (size * width) (fun k -> data[bandPlace k])))
        { s with Positions = Array.init (size * width) (fun k -> positions[bandPlace k]); Offsets = null; Values = values }

    /// A batch in the scattered layout.
    let private scattered (enclosing: uint64) (size: int) (s: SparseBatch) =
        if isNull s.Offsets then s else scatteredFrom enclosing size s (positionsOf size s)

    /// A batched value (batch leading) with its batch moved to `axis`.
    let private batchTo (axis: int) (x: Node) =
        if axis = 0 then x else Layout.permute (Array.insertAt axis 0 [| 1 .. x.Shape.Length - 1 |]) x

    /// A constant batched input whose examples have at most one nonzero each, compact. (Only a
    /// constant: the derivative with respect to an input reaches its zeros too.)
    let private sparseInput (size: int) (input: Node) : SparseBatch voption =
        let value = input.ValueOrNull
        let width = if input.Shape.Length > 1 then Shape.size input.Shape[1..] else 0
        if not input.IsConstant || isNull value || value.DType <> DType.Float64 || size = 0 || width < 2 then ValueNone
        else
            let data = value.Data
            let positions = Array.zeroCreate size
            let mutable sparse = true
            let mutable b = 0
            while sparse && b < size do
                let row = ReadOnlySpan<double>(data, b * width, width)
                let found = row.IndexOfAnyExcept 0.0
                if found >= 0 && row.Slice(found + 1).IndexOfAnyExcept 0.0 >= 0 then sparse <- false
                positions[b] <- found
                b <- b + 1
            if not sparse then ValueNone
            else
                let values = Indexing.takeAlong 1 [| size; 1 |] (positions |> Array.map (max 0)) (Arithmetic.reshape [| size; width |] input)
                // One slot a row: both layouts hold the values in the same order.
                match bandOffsets size 1 positions with
                | null -> ValueSome { Example = input.Shape[1..]; Width = 1; Positions = positions; Offsets = null; Values = values }
                | offsets -> ValueSome { Example = input.Shape[1..]; Width = 1; Positions = null; Offsets = offsets; Values = Arithmetic.reshape [| 1; size |] values }

    /// Basis vectors `start` … `start + size − 1` of the example shape `example`, compact.
    let private basis (size: int) (start: int) (example: int[]) =
        { Example = example; Width = 1; Positions = null; Offsets = [| start |]; Values = Graph.constant (NdArray.full [| 1; size |] 1.0) }

    /// The product (`Algebra.Product`, or `GuardedProduct`: 0 where its first argument is 0) of a
    /// compact batch with an unbatched factor broadcast to `example`, the batch's values first
    /// when `batchFirst`: the factor's entries at the batch's positions times its values.
    let private scaled (enclosing: uint64) (op: Op) (size: int) (example: int[]) (sparse: SparseBatch) (factor: Node) (batchFirst: bool) =
        let shape = sparse.Values.Shape
        match plainValue enclosing sparse.Values, plainValue enclosing factor with
        | null, _ | _, null ->
            let flat = Arithmetic.reshape [| Shape.size example |] (Arithmetic.broadcastTo example factor)
            let entries = Arithmetic.reshape shape (Layout.gather 0 (positionsOf size sparse |> Array.map (max 0)) flat)
            Graph.apply op shape (if batchFirst then [| sparse.Values; entries |] else [| entries; sparse.Values |])
        | values, factorValue ->
            // A factor of one element is every position's entry (no broadcast copy).
            let single = factorValue.Size = 1
            let entries = if single then factorValue.Data else (Kernels.broadcastTo example factorValue).Data
            let data = values.Data
            // The guard reads the first argument: the batch's value or the factor's entry (a
            // product is the same either way round).
            let guarded = match op.Capabilities.Algebra with Algebra.GuardedProduct -> true | _ -> false
            let guardValue, guardEntry = guarded && batchFirst, guarded && not batchFirst
            let product = Array.zeroCreate data.Length
            if isNull sparse.Offsets then
                for k in 0 .. product.Length - 1 do
                    let value = data[k]
                    let entry = if single then entries[0] else entries[max 0 sparse.Positions[k]]
                    product[k] <- if (guardValue && value = 0.0) || (guardEntry && entry = 0.0) then 0.0 else value * entry
            else
                // A band's slot meets a contiguous run of the factor's entries: one vector kernel
                // a slot, over the rows where it lies in the example (the others keep their 0).
                let elements = Shape.size example
                for j in 0 .. sparse.Width - 1 do
                    let offset = sparse.Offsets[j]
                    let struct (first, last) = bandRows size elements offset
                    if first < last then
                        let slot = ReadOnlySpan<double>(data, j * size + first, last - first)
                        let into = Span<double>(product, j * size + first, last - first)
                        if single then
                            if not (guardEntry && entries[0] = 0.0) then
                                if guardValue then Kernels.guardedProduct slot (ReadOnlySpan<double>(entries, 0, 1)) into
                                else TensorPrimitives.Multiply(slot, entries[0], into)
                        else
                            let run = ReadOnlySpan<double>(entries, first + offset, last - first)
                            if guardValue then Kernels.guardedProduct slot run into
                            elif guardEntry then Kernels.guardedProduct run slot into
                            else TensorPrimitives.Multiply(slot, run, into)
            Graph.constant (NdArray.wrap shape product)

    /// The factor a compact product multiplies by, where 0 times it is 0: the factor itself
    /// when its value is known and finite; while a compiled plan is traced (the value is not
    /// known) and assumptions are allowed, the factor assumed finite (`Assumptions`), which the
    /// plan checks, evaluating the call eagerly where it is not. None where 0 times the factor
    /// may not be 0: the batch is filled in.
    let private finiteFactor (n: Node) =
        let value = n.ValueOrNull
        if isNull value then (if Assumptions.allowed () then ValueSome(Assumptions.assumeFinite n) else ValueNone)
        // The largest magnitude is NaN or ∞ exactly when an element is.
        elif value.Data.Length = 0 || Double.IsFinite(TensorPrimitives.MaxMagnitude(ReadOnlySpan<double>(value.Data))) then ValueSome n
        else ValueNone

    /// The slots (a's values then b's, `capacity` per row) and the positions of two scattered
    /// batches' merged rows, their width and offsets (none: null), found per row: a linear
    /// search of the row's distinct positions (rows are a few slots wide, so it beats a set). An
    /// unused slot (position −1, value exactly 0) adds its 0 at slot 0.
    let private rowSlots (size: int) (a: SparseBatch) (b: SparseBatch) =
        let wa, wb = a.Width, b.Width
        let capacity = wa + wb
        let slots = Array.zeroCreate (size * capacity)
        let rowPositions = Array.zeroCreate (size * capacity)
        let counts = Array.zeroCreate size
        for r in 0 .. size - 1 do
            let first = r * capacity
            let mutable count = 0
            for k in 0 .. capacity - 1 do
                let p = if k < wa then a.Positions[r * wa + k] else b.Positions[r * wb + k - wa]
                if p >= 0 then
                    let mutable at = 0
                    while at < count && rowPositions[first + at] <> p do at <- at + 1
                    if at = count then
                        rowPositions[first + count] <- p
                        count <- count + 1
                    slots[first + k] <- at
            counts[r] <- count
        let width = max 1 (Array.fold max 0 counts)
        let positions = Array.create (size * width) -1
        for r in 0 .. size - 1 do
            for j in 0 .. counts[r] - 1 do positions[r * width + j] <- rowPositions[r * capacity + j]
        struct (slots, positions, width, (null: int[]))

    /// `rowSlots` for two bands: the slots are the same in every row — a's, then b's offsets
    /// that a lacks — so no row is searched, and one row's slots (`capacity` of them) stand for
    /// all; the result is a band (no positions).
    let private bandSlots (a: SparseBatch) (b: SparseBatch) =
        let wa, wb = a.Width, b.Width
        let capacity = wa + wb
        let slots = Array.zeroCreate capacity
        let offsets = ResizeArray<int>(a.Offsets)
        for k in 0 .. capacity - 1 do
            if k < wa then slots[k] <- k
            else
                match Array.IndexOf(a.Offsets, b.Offsets[k - wa]) with
                | -1 ->
                    slots[k] <- offsets.Count
                    offsets.Add b.Offsets[k - wa]
                | at -> slots[k] <- at
        struct (slots, (null: int[]), offsets.Count, offsets.ToArray())

    /// The sum (or, with `negateSecond`, difference) of two sparse batches: each row's positions
    /// merged, and both batches' values added into zeros at their slots, a's before b's (b's
    /// negated) — the bits of spreading each batch into zeros and adding (or subtracting) the
    /// two, which the filled-in sum gives; none when a row would hold more than half of the
    /// example, where the compact form stops paying. Two bands merge slot by slot, in vector
    /// kernels; a band meeting a scattered batch is scattered first.
    let private merged (enclosing: uint64) (size: int) (negateSecond: bool) (a: SparseBatch) (b: SparseBatch) =
        let bands = not (isNull a.Offsets || isNull b.Offsets)
        let a, b = if bands then a, b else scattered enclosing size a, scattered enclosing size b
        let wa, wb = a.Width, b.Width
        let capacity = wa + wb
        let struct (slots, positions, width, offsets) = if bands then bandSlots a b else rowSlots size a b
        if 2 * width > Shape.size a.Example then ValueNone
        else
            let values =
                match plainValue enclosing a.Values, plainValue enclosing b.Values with
                | null, _ | _, null ->
                    let second = if negateSecond then Arithmetic.neg b.Values else b.Values
                    if bands then Indexing.scatterAlong [| width; size |] 0 (Array.init (capacity * size) (fun i -> slots[i / size])) (Layout.concat 0 [| a.Values; second |])
                    else Indexing.scatterAlong [| size; width |] 1 slots (Layout.concat 1 [| a.Values; second |])
                | first, second ->
                    let sums = Array.zeroCreate (size * width)
                    let first, second = first.Data, second.Data
                    // Each element's terms are added in slot order, a's then b's, either way.
                    if bands then
                        for k in 0 .. capacity - 1 do
                            let sum = ReadOnlySpan<double>(sums, slots[k] * size, size)
                            let into = Span<double>(sums, slots[k] * size, size)
                            if k < wa then TensorPrimitives.Add(sum, ReadOnlySpan<double>(first, k * size, size), into)
                            else
                                let terms = ReadOnlySpan<double>(second, (k - wa) * size, size)
                                if negateSecond then TensorPrimitives.Subtract(sum, terms, into) else TensorPrimitives.Add(sum, terms, into)
                    else
                        let sign = if negateSecond then -1.0 else 1.0
                        for r in 0 .. size - 1 do
                            for k in 0 .. capacity - 1 do
                                let value = if k < wa then first[r * wa + k] else sign * second[r * wb + k - wa]
                                sums[r * width + slots[r * capacity + k]] <- sums[r * width + slots[r * capacity + k]] + value
                    Graph.constant (NdArray.wrap (if bands then [| width; size |] else [| size; width |]) sums)
            ValueSome { Example = a.Example; Width = width; Positions = positions; Offsets = offsets; Values = values }

    /// The batched node computed on the compact form of sparse arguments, where the primitive
    /// keeps few nonzeros and the result equals the filled-in computation: a reshape or a move
    /// (slice, unslice), a negation, a product with an unbatched factor (0 times it must be 0:
    /// the guard of `mulNoNan` on the sparse side, or a finite factor, `finiteFactor`), a sum or
    /// difference of two sparse batches.
    let private sparseApply (enclosing: uint64) (node: Node) (op: Op) (size: int) (args: Node[]) (batched: bool[]) (sparse: SparseBatch voption[]) : SparseBatch voption =
        let example = node.Shape
        let onExample (s: SparseBatch) = Shape.same s.Example example
        match op.Capabilities.Algebra, op.Capabilities.Moves, sparse with
        // A result of fewer than two elements per example gains nothing from the compact form.
        | _ when Shape.size example < 2 -> ValueNone
        | Algebra.SameElements, _, [| ValueSome s |] -> ValueSome { s with Example = example }
        | _, ValueSome move, [| ValueSome s |] ->
            let elements = Shape.size example
            // The values with the slots that leave the example zeroed by `clear` (on the values'
            // copy, or on a mask of ones), or as they are when `dropped` (some used slot leaves
            // the example) is false.
            let keptValues (dropped: bool) (clear: double[] -> unit) =
                if not dropped then s.Values
                else
                    let shape = s.Values.Shape
                    match plainValue enclosing s.Values with
                    | null ->
                        let mask = Array.create (size * s.Width) 1.0
                        clear mask
                        Elementwise.where (Graph.constant (NdArray.wrap shape mask)) s.Values (Arithmetic.scalar 0.0)
                    | values ->
                        let kept = Array.copy values.Data
                        clear kept
                        Graph.constant (NdArray.wrap shape kept)
            match move.Shift with
            | ValueSome d when not (isNull s.Offsets) ->
                // A band moved by a shift is the band of its offsets shifted: a slot's used rows
                // are those whose new place lies in the new example.
                let before = Shape.size s.Example
                let offsets = s.Offsets |> Array.map ((+) d)
                let rows = offsets |> Array.map (bandRows size elements)
                let dropped =
                    s.Offsets |> Array.exists2 (fun struct (first', last') offset ->
                        let struct (first, last) = bandRows size before offset
                        first < last && (first < first' || last > last')) rows
                let values =
                    keptValues dropped (fun slots ->
                        for j in 0 .. s.Width - 1 do
                            let struct (first, last) = bandRows size before s.Offsets[j]
                            let struct (first', last') = rows[j]
                            for b in first .. last - 1 do
                                if b < first' || b >= last' then slots[j * size + b] <- 0.0)
                ValueSome { s with Example = example; Offsets = offsets; Values = values }
            | shift ->
                let positions = positionsOf size s
                let moved = Array.zeroCreate positions.Length
                let mutable dropped = false
                for k in 0 .. positions.Length - 1 do
                    let p = positions[k]
                    let q =
                        if p < 0 then -1
                        else
                            match shift with
                            | ValueSome d -> if p + d >= 0 && p + d < elements then p + d else -1
                            | ValueNone -> move.Position p
                    if p >= 0 && q < 0 then dropped <- true
                    moved[k] <- q
                let values = keptValues dropped (fun slots -> for k in 0 .. moved.Length - 1 do if moved[k] < 0 then slots[k] <- 0.0)
                let movedBatch = { s with Example = example; Values = values }
                if isNull s.Offsets then ValueSome { movedBatch with Positions = moved }
                else
                    // What a band becomes under another move is found again (its positions are
                    // in the band's order).
                    match bandOffsets size s.Width moved with
                    | null -> ValueSome (scatteredFrom enclosing size movedBatch moved)
                    | offsets -> ValueSome { movedBatch with Offsets = offsets }
        | Algebra.Negation, _, [| ValueSome s |] ->
            let values =
                match plainValue enclosing s.Values with
                | null -> Arithmetic.neg s.Values
                | values -> Graph.constant (NdArray.wrap s.Values.Shape (Array.map (~-) values.Data))
            ValueSome { s with Values = values }
        | (Algebra.Product | Algebra.GuardedProduct), _, [| ValueSome s; ValueNone |]
            when not batched[1] && onExample s && Shape.broadcastsTo args[1].Shape example ->
            let factor = if op.Capabilities.Algebra = Algebra.GuardedProduct then ValueSome args[1] else finiteFactor args[1]
            factor |> ValueOption.map (fun factor -> { s with Values = scaled enclosing op size example s factor true })
        | (Algebra.Product | Algebra.GuardedProduct), _, [| ValueNone; ValueSome s |]
            when not batched[0] && onExample s && Shape.broadcastsTo args[0].Shape example ->
            finiteFactor args[0] |> ValueOption.map (fun factor -> { s with Values = scaled enclosing op size example s factor false })
        | Algebra.Sum, _, [| ValueSome a; ValueSome b |] when onExample a && onExample b -> merged enclosing size false a b
        | Algebra.Difference, _, [| ValueSome a; ValueSome b |] when onExample a && onExample b -> merged enclosing size true a b
        | _ -> ValueNone

    /// The batched form of one traced operation node.
    let private batchApply (node: Node) (op: Op) (size: int) (args: Node[]) (batched: bool[]) =
        let result =
            match op.Capabilities.Batch, op.Capabilities.Formula with
            | ValueSome rule, _ -> rule size args batched
            | ValueNone, ValueSome _ -> elementwise op node.Shape size args batched
            | ValueNone, ValueNone -> oneAtATime op node.Shape size args batched
        let expected = Array.append [| size |] node.Shape
        if result.Shape <> expected then
            raise (InvalidOperationException(sprintf "vmap: the batching rule of '%s' gave shape %s where %s was expected" op.Name (Shape.format result.Shape) (Shape.format expected)))
        result

    /// The batched values of `outputs`, which were traced at `level` from the abstract examples
    /// `inputs`, given the batched inputs (`size` examples); output k gets its batch on axis
    /// `batchAxes[k]`. Each result says whether it is batched: an output that does not depend
    /// on the inputs is not (and keeps its shape). A batched input whose examples have one
    /// nonzero each (basis vectors, or stacked examples found to be so) goes through the steps
    /// that keep it sparse in compact form (`sparseApply`), filled in where another step needs it.
    let run (level: int) (inputs: Node[]) (batchedInputs: BatchedInput[]) (size: int) (outputs: Node[]) (batchAxes: int[]) : struct (Node * bool)[] =
        let enclosing = enclosingLevels level
        let mapped = Dictionary<Node, struct (Node * bool)>(NodeIdentity.Comparer)
        let sparse = Dictionary<Node, SparseBatch>(NodeIdentity.Comparer)
        Array.iter2 (fun (input: Node) batched ->
            match batched with
            | BatchedInput.Stacked examples ->
                mapped[input] <- struct (examples, true)
                match sparseInput size examples with
                | ValueSome s -> sparse[input] <- s
                | ValueNone -> ()
            | BatchedInput.Basis start -> sparse[input] <- basis size start input.Shape) inputs batchedInputs
        // A node outside the trace (a constant, a value of an enclosing transform, or a node left
        // by a closed transform that happened to use the same level number) is the same for
        // every example.
        let lookup (n: Node) =
            match mapped.TryGetValue n with
            | true, m -> m
            | _ ->
                match sparse.TryGetValue n with
                | true, s ->
                    let filled = struct (filledIn enclosing size 0 s, true)
                    mapped[n] <- filled
                    filled
                | _ -> struct (n, false)
        let sparseOf (n: Node) = match sparse.TryGetValue n with | true, s -> ValueSome s | _ -> ValueNone
        for node in Graph.topologicalOrder level outputs do
            if not (mapped.ContainsKey node || sparse.ContainsKey node) then
                match node.Kind with
                // A variable of a transform inside the function stands for its argument.
                | Variable _ when node.Arity = 1 ->
                    match sparseOf (node.Arg 0) with
                    | ValueSome s -> sparse[node] <- s
                    | ValueNone -> mapped[node] <- lookup (node.Arg 0)
                | Apply op ->
                    // Each argument's compact form, else whether it is batched: one lookup or two.
                    let arguments = Array.init node.Arity node.Arg
                    let compact = Array.zeroCreate arguments.Length
                    let batched = Array.zeroCreate arguments.Length
                    let mutable anyCompact = false
                    for i in 0 .. arguments.Length - 1 do
                        match sparse.TryGetValue arguments[i] with
                        | true, s ->
                            compact[i] <- ValueSome s
                            batched[i] <- true
                            anyCompact <- true
                        | _ -> batched[i] <- (match mapped.TryGetValue arguments[i] with | true, struct (_, b) -> b | _ -> false)
                    if Array.contains true batched then
                        match (if anyCompact then sparseApply enclosing node op size arguments batched compact else ValueNone) with
                        | ValueSome s -> sparse[node] <- s
                        | ValueNone ->
                            let args = arguments |> Array.map (fun a -> let struct (value, _) = lookup a in value)
                            mapped[node] <- struct (batchApply node op size args batched, true)
                | _ -> ()
        Array.map2 (fun (output: Node) axis ->
            match mapped.TryGetValue output, sparse.TryGetValue output with
            | (false, _), (true, s) -> struct (filledIn enclosing size axis s, true)
            | _ ->
                let struct (value, batched) = lookup output
                struct ((if batched then batchTo axis value else value), batched)) outputs batchAxes
