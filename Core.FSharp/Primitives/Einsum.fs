namespace FunctionalAD.Primitives

open System
open FunctionalAD
open FunctionalAD.Primitives.Arithmetic

/// Einstein summation over any number of operands (`"ij,jk->ik"`; without `->` the output is
/// the letters that occur once, in alphabetical order, as in NumPy). The derivative with respect
/// to an operand is again an einsum: of the cotangent with the other operands, into that
/// operand's letters; letters repeated in the output write a diagonal, letters found in no
/// input broadcast. `...` stands for the axes an operand's letters leave, broadcast between
/// operands as in NumPy; it becomes letters of its own before anything else, so evaluation
/// (a direct loop over all letters), rules and batching know nothing of it.
module internal Einsum =
    /// A spec's terms as written: each input's letters before and after its "..." (`None`
    /// after, where it has none), and the output's, where `->` gives one.
    type private Terms = { Inputs: (string * string option)[]; Output: (string * string option) option }

    let private failSpec (spec: string) detail = raise (ArgumentException(sprintf "einsum: '%s': %s" spec detail, "spec"))

    /// A term's letters, without its "...".
    let private lettersIn (before: string, after: string option) = before + defaultArg after ""

    let private parse (spec: string) (count: int) =
        let fail detail = failSpec spec detail
        let text = spec.Replace(" ", "")
        let left, right =
            match text.Split("->") with
            | [| l |] -> l, None
            | [| l; r |] -> l, Some r
            | _ -> fail "more than one '->'"
        let term (t: string) =
            let before, after =
                match t.Split("...") with
                | [| whole |] -> whole, None
                | [| before; after |] -> before, Some after
                | _ -> fail "a term may hold '...' only once"
            if lettersIn (before, after) |> Seq.exists (fun c -> not (Char.IsLetter c)) then fail "operands may only use letters and '...'"
            before, after
        let inputs = left.Split(',') |> Array.map term
        if inputs.Length <> count then fail (sprintf "it names %d operands but %d were given" inputs.Length count)
        { Inputs = inputs; Output = right |> Option.map term }

    /// The output's letters, `fresh` standing for its "...". Without `->` they are the ellipsis
    /// letters followed by the letters that occur once, in alphabetical order (NumPy's rule).
    let private outputLetters (terms: Terms) (fresh: char[]) =
        match terms.Output with
        | Some(before, Some after) -> Array.concat [ before.ToCharArray(); fresh; after.ToCharArray() ]
        | Some(letters, None) -> letters.ToCharArray()
        | None ->
            let once = terms.Inputs |> Array.collect (fun t -> (lettersIn t).ToCharArray()) |> Array.countBy id |> Array.filter (fun (_, n) -> n = 1) |> Array.map fst |> Array.sort
            Array.append fresh once

    /// Each operand's letters (its "..." standing for the axes its letters leave) and the
    /// output's, every "..." replaced by letters of its own: the ellipsis axes of all operands
    /// right-aligned and broadcast as NumPy does. An axis of length 1 that broadcasts against a
    /// longer one is left out of its operand's letters (the flags say which axes stay), so the
    /// operand is constant along that letter.
    let private expand (spec: string) (terms: Terms) (shapes: int[][]) =
        let fail k detail = Shape.fail "einsum" shapes (sprintf "operand %d" k) detail
        let ellipsisRank k =
            match terms.Inputs[k] with
            | before, Some after ->
                let e = shapes[k].Length - before.Length - after.Length
                if e < 0 then fail k (sprintf "'%s...%s' names %d axes besides '...' but the operand has %d" before after (before.Length + after.Length) shapes[k].Length)
                e
            | _ -> 0
        let ranks = Array.init shapes.Length ellipsisRank
        let total = Array.fold Operators.max 0 ranks
        // Position p of the ellipsis (of `total` axes) is axis p − (total − e) of an operand's.
        let axisOf k p = (fst terms.Inputs[k]).Length + p - (total - ranks[k])
        let lengthAt k p = if p >= total - ranks[k] then shapes[k][axisOf k p] else 1
        let broadcast = Array.init total (fun p -> Seq.init shapes.Length (fun k -> lengthAt k p) |> Seq.fold Operators.max 1)
        for k in 0 .. shapes.Length - 1 do
            for p in total - ranks[k] .. total - 1 do
                if lengthAt k p <> 1 && lengthAt k p <> broadcast[p] then
                    fail k (sprintf "axis %d (under '...') is %d here and %d elsewhere, and cannot be broadcast" (axisOf k p) (lengthAt k p) broadcast[p])
        let written = String.Concat(Array.append (Array.map lettersIn terms.Inputs) (Option.toArray (Option.map lettersIn terms.Output)))
        let fresh = Seq.append [ 'A' .. 'Z' ] [ 'a' .. 'z' ] |> Seq.filter (fun c -> not (Seq.contains c written)) |> Seq.truncate total |> Seq.toArray
        if fresh.Length < total then failSpec spec (sprintf "'...' stands for %d axes, more than the letters the spec leaves unused" total)
        let inputs, keeps =
            Array.init shapes.Length (fun k ->
                let before, after = terms.Inputs[k]
                let stays p = lengthAt k p <> 1 || broadcast[p] = 1
                let middle = [| for p in total - ranks[k] .. total - 1 do if stays p then yield fresh[p] |]
                let keep = Array.init shapes[k].Length (fun axis ->
                    let p = axis - before.Length + (total - ranks[k])
                    axis < before.Length || p >= total || stays p)
                Array.concat [ before.ToCharArray(); middle; (defaultArg after "").ToCharArray() ], keep)
            |> Array.unzip
        inputs, outputLetters terms fresh, keeps

    /// The most steps the direct loop may take (some seconds to a minute of work). A request
    /// beyond it is refused before any work rather than left running for hours; contracting
    /// the operands in pairs (matmul, or einsum of two operands) does the same far faster.
    let private maxSteps = 1L <<< 32

    /// Every letter of the inputs and the output, once each, in order of appearance: the
    /// dimensions of the direct loop.
    let private lettersOf (inputs: char[][]) (output: char[]) = Array.append (Array.concat inputs) output |> Array.distinct

    /// The number of steps of the direct loop: the product of every letter's size, in 64 bits
    /// (300⁴ does not fit in 32 and must not wrap into a wrong loop count).
    let private steps (letters: char[]) (sizes: Map<char, int>) =
        if letters |> Array.exists (fun c -> sizes[c] = 0) then 0L
        else letters |> Array.fold (fun acc c -> if acc > maxSteps then acc else acc * int64 sizes[c]) 1L

    let private format (inputs: char[][]) (output: char[]) =
        String.Join(",", inputs |> Array.map String) + "->" + String output

    /// Sum over all letters of the product of the inputs' elements (`values`, buffers of one
    /// element type), into a float64 buffer for `output` (sizes of every letter given). Each
    /// element is widened to float64 (exactly) and the products and sums are formed in float64,
    /// whatever the element type.
    let private contract<'T when 'T :> Numerics.INumberBase<'T>> (inputs: char[][]) (output: char[]) (sizes: Map<char, int>) (values: 'T[][]) =
        let letters = lettersOf inputs output
        let extent = letters |> Array.map (fun c -> sizes[c])
        let stridesFor (lettersOf: char[]) =
            let s = Shape.strides (lettersOf |> Array.map (fun c -> sizes[c]))
            letters |> Array.map (fun l -> Seq.fold2 (fun acc c st -> if c = l then acc + st else acc) 0 lettersOf s)
        let inputStrides = inputs |> Array.map stridesFor
        let outputStrides = stridesFor output
        let out = Array.zeroCreate (Shape.size (output |> Array.map (fun c -> sizes[c])))
        let mutable remaining = steps letters sizes
        let index = Array.zeroCreate letters.Length
        let offsets = Array.zeroCreate inputs.Length
        let mutable outOffset = 0
        while remaining > 0L do
            remaining <- remaining - 1L
            let mutable product = 1.0
            for k in 0 .. inputs.Length - 1 do
                product <- product * Double.CreateTruncating(values[k][offsets[k]])
            out[outOffset] <- out[outOffset] + product
            let mutable d = letters.Length - 1
            let mutable carry = true
            while carry && d >= 0 do
                index[d] <- index[d] + 1
                for k in 0 .. inputs.Length - 1 do offsets[k] <- offsets[k] + inputStrides[k][d]
                outOffset <- outOffset + outputStrides[d]
                if index[d] = extent[d] then
                    for k in 0 .. inputs.Length - 1 do offsets[k] <- offsets[k] - inputStrides[k][d] * extent[d]
                    outOffset <- outOffset - outputStrides[d] * extent[d]
                    index[d] <- 0
                    d <- d - 1
                else carry <- false
        out

    /// The einsum of arrays of either element type: float32 operands give a float32 result,
    /// accumulated in float64 (`contract`) and rounded once per element, as the library's float32
    /// sums are; it is the float64 einsum of the same elements rounded, bit for bit.
    let private evaluate (inputs: char[][]) (output: char[]) (sizes: Map<char, int>) (values: NdArray[]) =
        let shape = output |> Array.map (fun c -> sizes[c])
        if values.Length > 0 && values |> Array.forall (fun v -> v.DType = DType.Float32) then
            NdArray.ofSingle shape (Array.map float32 (contract inputs output sizes (values |> Array.map (fun v -> v.Single))))
        else NdArray(shape, contract inputs output sizes (values |> Array.map (fun v -> v.Data)))

    let rec private build (inputs: char[][]) (output: char[]) (sizes: Map<char, int>) (operands: Node[]) : Node =
        let replaced k (x: Node) = Array.init operands.Length (fun j -> if j = k then x else operands[j])
        let gradient (g: Node) k =
            let others = [| for j in 0 .. operands.Length - 1 do if j <> k then yield j |]
            build (Array.append [| output |] (others |> Array.map (fun j -> inputs[j]))) inputs[k] sizes
                (Array.append [| g |] (others |> Array.map (fun j -> operands[j])))
        // A batch is one more letter: on the batched operands and in front of the output.
        let batchedBy (size: int) (args: Node[]) (batched: bool[]) =
            let used = Array.append (Array.concat inputs) output
            let letter = Seq.append [ 'a' .. 'z' ] [ 'A' .. 'Z' ] |> Seq.find (fun c -> not (Array.contains c used))
            let lettersOf k = if batched[k] then Array.append [| letter |] inputs[k] else inputs[k]
            build (Array.init inputs.Length lettersOf) (Array.append [| letter |] output) (sizes.Add(letter, size)) args
        let eval = evaluate inputs output sizes
        Graph.apply
            (opWith "einsum" [ "", Parameter.Text(format inputs output) ] eval
                (fun args _ t ->
                    Seq.init args.Length (fun k -> t[k] |> ValueOption.map (fun tk -> build inputs output sizes (replaced k tk)))
                    |> Seq.fold addTangents ValueNone)
                (fun args _ g -> Array.init args.Length (fun k -> if args[k].IsConstant then ValueNone else ValueSome(gradient g k)))
                { Param.none with Batch = ValueSome batchedBy; Float32 = ValueSome eval })
            (output |> Array.map (fun c -> sizes[c])) operands

    /// Einstein summation of `operands` by `spec`.
    let einsum (spec: string) (operands: Node[]) =
        let shapes = operands |> Array.map (fun o -> o.Shape)
        let inputs, output, keeps = expand spec (parse spec operands.Length) shapes
        // Unit axes broadcast under '...' are dropped: the operand is the same along that letter.
        let operands =
            operands |> Array.mapi (fun k o ->
                if Array.forall id keeps[k] then o
                else reshape (o.Shape |> Array.indexed |> Array.choose (fun (axis, d) -> if keeps[k][axis] then Some d else None)) o)
        let mutable sizes = Map.empty
        for k in 0 .. operands.Length - 1 do
            let letters, shape = inputs[k], operands[k].Shape
            if letters.Length <> shape.Length then
                Shape.fail "einsum" shapes (sprintf "operand %d" k) (sprintf "'%s' names %d axes but the operand has %d" (String letters) letters.Length shape.Length)
            for i in 0 .. letters.Length - 1 do
                match sizes.TryFind letters[i] with
                | Some n when n <> shape[i] ->
                    Shape.fail "einsum" shapes (sprintf "operand %d" k) (sprintf "letter '%c' is %d here but %d elsewhere" letters[i] shape[i] n)
                | _ -> sizes <- sizes.Add(letters[i], shape[i])
        for c in output do
            if not (sizes.ContainsKey c) then raise (ArgumentException(sprintf "einsum: '%s': output letter '%c' is in no operand" spec c, "spec"))
        let total = steps (lettersOf inputs output) sizes
        if total > maxSteps then
            Shape.fail "einsum" shapes "operands"
                (sprintf "'%s' would loop over more than %d index combinations (the product of every letter's size); contract the operands in pairs (matmul, or einsum of two at a time)" spec maxSteps)
        build inputs output sizes operands
