/// Generated hostile inputs for the core's tensor functions and the C# façade: every shape of
/// `Hostile.shapes` for construction, reshape and broadcasting, every pair of operand shapes for
/// elementwise operations and products, hostile axes, slices and einsum specifications. Each
/// case knows from `Reference` whether NumPy's rules accept it, and checks the value if so.
module FunctionalAD.Adversarial.CoreCases

open System
open FunctionalAD
open FunctionalAD.Adversarial.Outcomes

let private show (shape: int[]) = "[" + String.Join(",", shape) + "]"

/// A case that expects a value when `valid`, a refusal naming `operation` otherwise.
let private case entry input operation valid run =
    { Entry = entry; Input = input; Operation = operation; Expect = (if valid then ExpectValue else ExpectRefusal); Run = run }

/// Whether a shape can be held: no negative dimension and no more elements than an array holds.
let private holdable (shape: int[]) = shape |> Array.forall (fun d -> d >= 0) && Hostile.count shape <= int64 Array.MaxLength

let private check (expectedShape: int[]) (expected: float[]) (t: Tensor) =
    match Reference.sameShape expectedShape t.Shape with
    | Some why -> Some why
    | None -> Reference.compare 1e-9 expected (t.ToArray())

/// zeros, ones and full, in the core and through the façade, for every hostile shape.
let construction =
    [ for shape in Hostile.shapes do
          let ok = holdable shape
          let filled v (t: Tensor) = check shape (Array.create (int (if ok then Hostile.count shape else 0L)) v) t
          yield case "Tensor.zeros" (show shape) "zeros" ok (fun () -> filled 0.0 (Tensor.zeros shape))
          yield case "Tensor.full" (show shape) "full" ok (fun () -> filled 2.5 (Tensor.full shape 2.5))
          yield case "Tensors.Ones (C#)" (show shape) "ones" ok (fun () -> filled 1.0 (Tensors.Ones shape))
      for n in [ -1; 0; 3; 65536; Int32.MaxValue ] do
          let ok = n >= 0 && int64 n * int64 n <= int64 Array.MaxLength
          yield case "Tensors.Eye (C#)" (string n) "eye" ok (fun () ->
              check [| n; n |] (Array.init (n * n) (fun k -> if k / n = k % n then 1.0 else 0.0)) (Tensors.Eye n))
          let ok = n >= 0 && int64 n <= int64 Array.MaxLength
          yield case "Tensor.arange" (string n) "arange" ok (fun () -> check [| n |] (if ok then Array.init n float else [||]) (Tensor.arange n))
          yield case "Tensor.randomNormal" (show [| n; 2 |]) "randomNormal" (ok && int64 n * 2L <= int64 Array.MaxLength) (fun () ->
              let t = Tensor.randomNormal 1 [| n; 2 |]
              if t.Shape = [| n; 2 |] && t.ToArray() |> Array.forall Double.IsFinite then None else Some "not finite samples of the shape") ]

/// reshape of small tensors to every hostile shape (−1 included), core and façade.
let reshapes =
    [ for source in [| [| 2; 3 |]; [| 0; 3 |]; [| 6 |] |] do
          let x = Hostile.tensor 1 false source
          for shape in Hostile.shapes do
              match Reference.reshape (Hostile.count source) shape with
              | Some resolved ->
                  yield case "Tensor.reshape" (show source + " to " + show shape) "reshape" true (fun () -> check resolved (x.ToArray()) (Tensor.reshape shape x))
              | None ->
                  yield case "Tensor.reshape" (show source + " to " + show shape) "reshape" false (fun () -> check shape [||] (Tensor.reshape shape x))
                  yield case "Tensor.Reshape (C#)" (show source + " to " + show shape) "reshape" false (fun () -> check shape [||] (x.Reshape shape)) ]

/// broadcastTo of small tensors to every hostile shape.
let broadcasts =
    [ for source in [| [| 1 |]; [| 3 |]; [| 2; 1 |] |] do
          let x = Hostile.tensor 2 true source
          for shape in Hostile.shapes do
              let ok = holdable shape && Reference.broadcastsTo source shape
              let expected () = Reference.binary (fun a _ -> a) shape (source, x.ToArray()) ([||], [| 0.0 |])
              yield case "Tensor.broadcastTo" (show source + " to " + show shape) "broadcastTo" ok (fun () -> check shape (if ok then expected () else [||]) (Tensor.broadcastTo shape x))
      // Operands that fit, whose broadcast result would have 2³² elements.
      let column, row = Tensor.zeros [| 65536; 1 |], Tensor.zeros [| 1; 65536 |]
      yield case "Tensor.add" "[65536,1] + [1,65536]" "add" false (fun () -> check [||] [||] (Tensor.add column row))
      yield case "Tensor.mul" "[65536,1] * [1,65536]" "mul" false (fun () -> check [||] [||] (Tensor.mul column row)) ]

/// Elementwise operations of two arguments over every pair of operand shapes, with ±∞ and NaN.
let elementwise =
    let nanMax a b = if Double.IsNaN a || Double.IsNaN b then nan else max a b
    let operations : (string * (Tensor -> Tensor -> Tensor) * (float -> float -> float)) list =
        [ "add", Tensor.add, (+)
          "mul", Tensor.mul, (*)
          "div", Tensor.div, (/)
          "sub", (fun a b -> a.Sub b), (-)
          "maximum", Tensor.maximum, nanMax
          "pow", Tensor.pow, (fun a b -> Math.Pow(a, b))
          "greater", Tensor.greater, (fun a b -> if a > b then 1.0 else 0.0) ]
    [ for a in Hostile.operandShapes do
          for b in Hostile.operandShapes do
              let x, y = Hostile.tensor 3 true a, Hostile.tensor 4 true b
              for name, f, reference in operations do
                  match Reference.broadcast a b with
                  | Some shape ->
                      yield case ("Tensor." + name) (show a + " and " + show b) name true (fun () ->
                          check shape (Reference.binary reference shape (a, x.ToArray()) (b, y.ToArray())) (f x y))
                  | None -> yield case ("Tensor." + name) (show a + " and " + show b) name false (fun () -> check [||] [||] (f x y)) ]

/// Reductions over hostile axes, against naive references (SciPy's logsumexp conventions).
let reductions =
    let nanMax a b = if Double.IsNaN a || Double.IsNaN b then nan else max a b
    [ for shape in Hostile.operandShapes do
          let x = Hostile.tensorFrom Hostile.nonFinite 5 shape
          let data = x.ToArray()
          for given in Hostile.axisLists do
              let input = show shape + " over " + show given
              match Reference.axes shape.Length given with
              | None ->
                  for name, f in [ "sum", Tensor.sumAxes; "max", Tensor.maxAxes; "mean", Tensor.meanAxes; "logsumexp", Tensor.logsumexpAxes ] do
                      yield case ("Tensor." + name + "Axes") input name false (fun () -> check [||] [||] (f given false x))
              | Some axes ->
                  let empty = axes |> Array.exists (fun a -> shape[a] = 0)
                  let outShape, sums = Reference.reduce (+) 0.0 shape data axes
                  yield case "Tensor.sumAxes" input "sum" true (fun () -> check outShape sums (Tensor.sumAxes given false x))
                  let _, maxima = Reference.reduce nanMax Double.NegativeInfinity shape data axes
                  yield case "Tensor.maxAxes" input "max" (not empty) (fun () -> check outShape maxima (Tensor.maxAxes given false x))
                  let n = axes |> Array.fold (fun acc a -> acc * shape[a]) 1
                  yield case "Tensor.meanAxes" input "mean" (not empty) (fun () -> check outShape (sums |> Array.map (fun s -> s / float n)) (Tensor.meanAxes given false x))
                  let shift = maxima |> Array.map (fun m -> if Double.IsFinite m then m else 0.0)
                  let expected =
                      let _, shifted =
                          Reference.reduce (+) 0.0 shape
                              (data |> Array.mapi (fun k v ->
                                  let index = Reference.indexOf shape k
                                  let kept = index |> Array.indexed |> Array.filter (fun (i, _) -> not (Array.contains i axes)) |> Array.map snd
                                  let mutable o = 0
                                  for i in 0 .. kept.Length - 1 do o <- o * outShape[i] + kept[i]
                                  exp (v - shift[o]))) axes
                      Array.map2 (fun s m -> log s + m) shifted shift
                  yield case "Tensor.logsumexpAxes" input "logsumexp" true (fun () -> check outShape expected (Tensor.logsumexpAxes given false x))
          for axis in [ 0; -1; 1; 3; -4 ] do
              let ok = Reference.axes shape.Length [| axis |] |> Option.isSome
              yield case "Tensor.softmax" (show shape + " along " + string axis) "softmax" ok (fun () ->
                  let s = Tensor.softmax axis x
                  if s.Shape <> shape then Some "the shape changed"
                  else
                      // Rows of finite inputs sum to 1; NaN only where the input row has NaN or ∞.
                      let a = (Reference.axes shape.Length [| axis |]).Value[0]
                      let finiteInput = data |> Array.forall Double.IsFinite
                      if finiteInput && shape[a] > 0 then
                          let _, rowSums = Reference.reduce (+) 0.0 shape (s.ToArray()) [| a |]
                          Reference.compare 1e-12 (Array.create rowSums.Length 1.0) rowSums
                      else None)
              yield case "Tensor.logSoftmax" (show shape + " along " + string axis) "logSoftmax" ok (fun () ->
                  if (Tensor.logSoftmax axis x).Shape = shape then None else Some "the shape changed") ]

/// Python slices with hostile bounds and steps, on each axis of a matrix.
let slices =
    let shape = [| 5; 3 |]
    let x = Hostile.tensor 6 false shape
    let data = x.ToArray()
    [ for axis in 0 .. 1 do
          for start in Hostile.bounds do
              for stop in Hostile.bounds do
                  for step in Hostile.steps do
                      let input = sprintf "axis %d, %d:%d:%d of %s" axis start stop step (show shape)
                      let ranges = Array.init 2 (fun i -> if i = axis then (start, stop, step) else (0, shape[i], 1))
                      if step <= 0 then
                          yield case "Tensor.slice" input "slice" false (fun () -> check [||] [||] (Tensor.slice ranges x))
                          yield case "Tensor.Slice (C#)" input "slice" false (fun () -> check [||] [||] (x.Slice(axis, start, stop, step)))
                      else
                          let taken = Reference.slice shape[axis] start stop step
                          let outShape = Array.init 2 (fun i -> if i = axis then taken.Length else shape[i])
                          let expected =
                              Array.init (outShape[0] * outShape[1]) (fun k ->
                                  let i, j = k / outShape[1], k % outShape[1]
                                  let r, c = (if axis = 0 then taken[i], j else i, taken[j])
                                  data[r * shape[1] + c])
                          yield case "Tensor.slice" input "slice" true (fun () -> check outShape expected (Tensor.slice ranges x))
                          yield case "Tensor.Slice (C#)" input "slice" true (fun () -> check outShape expected (x.Slice(axis, start, stop, step))) ]

/// index, expandDims, concat and stack with hostile axes and mismatched shapes.
let layout =
    [ for shape in Hostile.operandShapes do
          let x = Hostile.tensor 7 false shape
          let data = x.ToArray()
          for axis in [ 0; 1; -1; 2; -3; 7 ] do
              let normalized = Reference.axes shape.Length [| axis |]
              for i in [ 0; 1; -1; 2; Int32.MaxValue; Int32.MinValue ] do
                  let input = sprintf "%s, axis %d, index %d" (show shape) axis i
                  match normalized with
                  | Some [| a |] when (let n = shape[a] in (if i < 0 then int64 i + int64 n else int64 i) |> fun k -> k >= 0L && k < int64 n) ->
                      let k = if i < 0 then i + shape[a] else i
                      let outShape = shape |> Array.removeAt a
                      let expected = data |> Array.indexed |> Array.filter (fun (p, _) -> (Reference.indexOf shape p)[a] = k) |> Array.map snd
                      yield case "Tensor.index" input "index" true (fun () -> check outShape expected (Tensor.index axis i x))
                  | _ -> yield case "Tensor.index" input "index" false (fun () -> check [||] [||] (Tensor.index axis i x))
              let newAxis = if axis < 0 then axis + shape.Length + 1 else axis
              let ok = newAxis >= 0 && newAxis <= shape.Length
              yield case "Tensor.expandDims" (sprintf "%s, axis %d" (show shape) axis) "expandDims" ok (fun () ->
                  check (if ok then Array.insertAt newAxis 1 shape else [||]) data (Tensor.expandDims axis x))
              yield case "Tensor.stack" (sprintf "two %s, axis %d" (show shape) axis) "stack" ok (fun () ->
                  let s = Tensor.stack axis [ x; x ]
                  if s.Shape = Array.insertAt newAxis 2 shape then None else Some "wrong shape")
          for other in Hostile.operandShapes do
              let y = Hostile.tensor 8 false other
              for axis in [ 0; 1; -1; 2 ] do
                  let input = sprintf "%s and %s, axis %d" (show shape) (show other) axis
                  let ok =
                      match Reference.axes shape.Length [| axis |] with
                      | Some [| a |] -> other.Length = shape.Length && Array.forall2 (fun i (d, e) -> i = a || d = e) (Array.init shape.Length id) (Array.zip shape other)
                      | _ -> false
                  yield case "Tensors.Concat (C#)" input "concat" ok (fun () ->
                      let c = Tensors.Concat(axis, x, y)
                      let a = (Reference.axes shape.Length [| axis |]).Value[0]
                      if c.Shape = (shape |> Array.mapi (fun i d -> if i = a then d + other[i] else d)) && Array.sort (c.ToArray()) = Array.sort (Array.append data (y.ToArray())) then None else Some "wrong concatenation")
                  if other <> shape then
                      yield case "Tensor.stack" (sprintf "%s and %s, axis %d" (show shape) (show other) axis) "stack" false (fun () -> check [||] [||] (Tensor.stack axis [ x; y ])) ]

/// NumPy's matmul, naively: vectors promoted, batch dimensions broadcast.
let private referenceMatmul (a: int[], x: float[]) (b: int[], y: float[]) =
    if a.Length = 0 || b.Length = 0 then None
    else
        let a2 = if a.Length = 1 then [| 1; a[0] |] else a
        let b2 = if b.Length = 1 then [| b[0]; 1 |] else b
        let m, k = a2[a2.Length - 2], a2[a2.Length - 1]
        let k2, n = b2[b2.Length - 2], b2[b2.Length - 1]
        match Reference.broadcast a2[.. a2.Length - 3] b2[.. b2.Length - 3] with
        | Some batch when k = k2 ->
            let full = Array.append batch [| m; n |]
            let values =
                Array.init (full |> Array.fold (*) 1) (fun p ->
                    let index = Reference.indexOf full p
                    let batchIndex = index[.. batch.Length - 1]
                    let at (shape: int[]) (data: float[]) (r: int) (c: int) =
                        let lead = batchIndex.Length - (shape.Length - 2)
                        let mutable o = 0
                        for d in 0 .. shape.Length - 3 do o <- o * shape[d] + (if shape[d] = 1 then 0 else batchIndex[lead + d])
                        data[(o * shape[shape.Length - 2] + r) * shape[shape.Length - 1] + c]
                    Seq.sum (seq { for t in 0 .. k - 1 -> at a2 x index[batch.Length] t * at b2 y t index[batch.Length + 1] }))
            let shape =
                [| yield! batch
                   if a.Length > 1 then yield m
                   if b.Length > 1 then yield n |]
            Some(shape, values)
        | _ -> None

/// matmul over every pair of operand shapes.
let products =
    [ for a in Hostile.operandShapes do
          for b in Hostile.operandShapes do
              let x, y = Hostile.tensor 9 false a, Hostile.tensor 10 false b
              match referenceMatmul (a, x.ToArray()) (b, y.ToArray()) with
              | Some(shape, values) -> yield case "Tensor.matmul" (show a + " @ " + show b) "matmul" true (fun () -> check shape values (Tensor.matmul x y))
              | None -> yield case "Tensor.matmul" (show a + " @ " + show b) "matmul" false (fun () -> check [||] [||] (Tensor.matmul x y)) ]

/// A naive einsum by the library's documented rules (repeated output letters write a
/// diagonal), or None when the specification or the operands are refused.
let private referenceEinsum (spec: string) (operands: (int[] * float[])[]) =
    let text = spec.Replace(" ", "")
    let parts = text.Split("->")
    if parts.Length > 2 then None
    else
        let inputs = parts[0].Split(',') |> Array.map (fun s -> s.ToCharArray())
        let letters = Array.concat inputs
        if inputs.Length <> operands.Length || letters |> Array.exists (fun c -> not (Char.IsLetter c)) then None
        else
            let output = if parts.Length = 2 then parts[1].ToCharArray() else letters |> Array.countBy id |> Array.filter (fun (_, n) -> n = 1) |> Array.map fst |> Array.sort
            let sizes = Collections.Generic.Dictionary<char, int>()
            let consistent =
                Array.forall2 (fun (l: char[]) (shape: int[], _) ->
                    l.Length = shape.Length && Array.forall2 (fun c d -> (match sizes.TryGetValue c with | true, s -> s = d | _ -> (sizes[c] <- d; true))) l shape) inputs operands
            if not consistent || output |> Array.exists (fun c -> not (sizes.ContainsKey c)) then None
            else
                let all = Array.append letters output |> Array.distinct
                let extents = all |> Array.map (fun c -> sizes[c])
                let outShape = output |> Array.map (fun c -> sizes[c])
                let out = Array.zeroCreate (outShape |> Array.fold (*) 1)
                for p in 0 .. (extents |> Array.fold (*) 1) - 1 do
                    let index = Reference.indexOf extents p
                    let value (c: char) = index[Array.IndexOf(all, c)]
                    let offset (l: char[]) (shape: int[]) = Array.fold2 (fun acc c d -> acc * d + value c) 0 l shape
                    let product = Array.fold2 (fun acc (l: char[]) (shape: int[], data: float[]) -> acc * data[offset l shape]) 1.0 inputs operands
                    out[offset output outShape] <- out[offset output outShape] + product
                Some(outShape, out)

/// einsum with hostile specifications, through the façade.
let einsums =
    let operandLists = [| [| [| 2; 3 |]; [| 3; 4 |] |]; [| [| 3; 3 |] |]; [| [| 3 |]; [| 3 |] |]; [| [| 2; 3 |]; [| 2; 3 |] |]; [||]; [| [||] |] |]
    [ for spec in Hostile.einsumSpecs do
          for shapes in operandLists do
              let tensors = shapes |> Array.mapi (fun i s -> Hostile.tensor (20 + i) false s)
              let input = sprintf "'%s' on %s" spec (String.Join(" ", shapes |> Array.map show))
              match referenceEinsum spec (Array.map2 (fun s (t: Tensor) -> s, t.ToArray()) shapes tensors) with
              | Some(shape, values) -> yield case "Tensors.Einsum (C#)" input "einsum" true (fun () -> check shape values (Tensors.Einsum(spec, tensors)))
              | None -> yield case "Tensors.Einsum (C#)" input "einsum" false (fun () -> check [||] [||] (Tensors.Einsum(spec, tensors))) ]

/// Every generated case of the core and the façade.
let all = List.concat [ construction; reshapes; broadcasts; elementwise; reductions; slices; layout; products; einsums ]
