/// Reference semantics, written naively and independently of the library: NumPy broadcasting,
/// reshape inference, Python slices, reductions. The suite compares the library with them.
module FunctionalAD.Adversarial.Reference

open System

/// The broadcast shape of two shapes (NumPy), or None.
let broadcast (a: int[]) (b: int[]) =
    let rank = max a.Length b.Length
    let dim (s: int[]) i = let j = i - (rank - s.Length) in if j >= 0 then s[j] else 1
    let dims = Array.init rank (fun i -> let x, y = dim a i, dim b i in if x = y || y = 1 then Some x elif x = 1 then Some y else None)
    if Array.forall Option.isSome dims then Some(Array.map Option.get dims) else None

/// True when `source` broadcasts to `target` (NumPy's broadcast_to).
let broadcastsTo (source: int[]) (target: int[]) =
    source.Length <= target.Length
    && Seq.forall (fun i -> let d = source[source.Length - 1 - i] in d = 1 || d = target[target.Length - 1 - i]) (seq { 0 .. source.Length - 1 })

/// The row-major index of `index` in `shape` read through broadcasting.
let private offsetIn (shape: int[]) (index: int[]) =
    let lead = index.Length - shape.Length
    let mutable offset = 0
    for i in 0 .. shape.Length - 1 do
        offset <- offset * shape[i] + (if shape[i] = 1 then 0 else index[lead + i])
    offset

/// The multi-index of a row-major position.
let indexOf (shape: int[]) (k: int) =
    let index = Array.zeroCreate shape.Length
    let mutable rest = k
    for i in shape.Length - 1 .. -1 .. 0 do
        index[i] <- rest % shape[i]
        rest <- rest / shape[i]
    index

/// An elementwise binary operation with broadcasting.
let binary (f: float -> float -> float) (shape: int[]) (a: int[], x: float[]) (b: int[], y: float[]) =
    let n = shape |> Array.fold (*) 1
    Array.init n (fun k -> let index = indexOf shape k in f x[offsetIn a index] y[offsetIn b index])

/// The shape of a reshape with at most one −1 inferred, or None when NumPy refuses it.
let reshape (size: int64) (shape: int[]) =
    let inferred = shape |> Array.filter ((=) -1) |> Array.length
    if inferred > 1 || shape |> Array.exists (fun d -> d < -1) then None
    else
        let known = shape |> Array.filter ((<>) -1) |> Array.fold (fun acc d -> acc * int64 d) 1L
        if inferred = 0 then (if known = size then Some shape else None)
        elif known = 0L || size % known <> 0L then None
        else Some(shape |> Array.map (fun d -> if d = -1 then int (size / known) else d))

/// The indices a Python slice start:stop:step takes from a dimension of n (step > 0).
let slice (n: int) (start: int) (stop: int) (step: int) =
    let clamp (v: int64) = Math.Clamp((if v < 0L then v + int64 n else v), 0L, int64 n)
    let s, e = clamp (int64 start), clamp (int64 stop)
    [| let mutable i = s
       while i < e do
           yield int i
           i <- i + int64 step |]

/// Normalised, sorted axes, or None when one is out of range or repeated.
let axes (rank: int) (given: int[]) =
    let normalized = given |> Array.map (fun a -> if a < 0 then int64 a + int64 rank else int64 a)
    if normalized |> Array.exists (fun a -> a < 0L || a >= int64 rank) || (Array.distinct normalized).Length <> normalized.Length then None
    else Some(normalized |> Array.map int |> Array.sort)

/// A reduction over sorted axes by `combine` from `seed`, keeping no dimensions.
let reduce (combine: float -> float -> float) (seed: float) (shape: int[]) (data: float[]) (axes: int[]) =
    let outShape = shape |> Array.indexed |> Array.filter (fun (i, _) -> not (Array.contains i axes)) |> Array.map snd
    let out = Array.create (outShape |> Array.fold (*) 1) seed
    data |> Array.iteri (fun k v ->
        let index = indexOf shape k
        let kept = index |> Array.indexed |> Array.filter (fun (i, _) -> not (Array.contains i axes)) |> Array.map snd
        let mutable o = 0
        for i in 0 .. kept.Length - 1 do o <- o * outShape[i] + kept[i]
        out[o] <- combine out[o] v)
    outShape, out

/// Equal within a relative tolerance, NaN equal to NaN and infinities equal to themselves.
let close (tolerance: float) (expected: float) (actual: float) =
    (Double.IsNaN expected && Double.IsNaN actual)
    || expected = actual
    || (Double.IsFinite expected && Double.IsFinite actual && abs (expected - actual) <= tolerance * max 1.0 (abs expected))

/// None when the arrays agree elementwise, else where they differ.
let compare (tolerance: float) (expected: float[]) (actual: float[]) =
    if expected.Length <> actual.Length then Some(sprintf "%d elements where %d were expected" actual.Length expected.Length)
    else
        match Array.tryFindIndex id (Array.map2 (fun e a -> not (close tolerance e a)) expected actual) with
        | Some k -> Some(sprintf "element %d is %g where %g was expected" k actual[k] expected[k])
        | None -> None

/// None when the shapes agree, else the difference.
let sameShape (expected: int[]) (actual: int[]) =
    if expected = actual then None else Some(sprintf "shape [%s] where [%s] was expected" (String.Join(",", actual)) (String.Join(",", expected)))
