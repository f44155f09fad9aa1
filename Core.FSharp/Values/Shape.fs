namespace FunctionalAD

open System

/// Raised when an operation receives tensors whose shapes do not fit together. It is raised when
/// the node is built, before any work, and names the operation, the shapes and the argument.
type ShapeMismatchException(operation: string, shapes: int[][], argument: string, detail: string) =
    inherit ArgumentException(
        sprintf "%s: %s (shapes %s)" operation detail (shapes |> Array.map (fun s -> "[" + String.Join(",", s) + "]") |> String.concat " and "),
        argument)
    /// The operation that rejected its arguments.
    member _.Operation = operation
    /// The shapes it was given, in argument order.
    member _.Shapes = shapes

/// Shape arithmetic: row-major strides, NumPy broadcasting, axis normalisation.
module Shape =
    /// Formats a shape the way error messages and listings show it: [2,3].
    let format (shape: int[]) = "[" + String.Join(",", shape) + "]"

    /// True when two shapes are equal (a vectorised comparison: shapes are compared on every
    /// operation, and F#'s structural `=` on arrays is generic and slow).
    let same (a: int[]) (b: int[]) = MemoryExtensions.SequenceEqual(ReadOnlySpan<int>(a), ReadOnlySpan<int>(b))

    /// Number of elements of a shape (1 for a scalar). Checked: shapes reach it only after
    /// `validate`, so an overflow here is a bug, and it must not wrap into a wrong count. A zero
    /// dimension makes the count 0 however large the others are ([65536, 65536, 0] is empty).
    let size (shape: int[]) =
        if Array.contains 0 shape then 0
        else
            let mutable n = 1
            for d in shape do n <- Checked.(*) n d
            n

    /// Row-major strides, in elements.
    let strides (shape: int[]) =
        let s = Array.zeroCreate shape.Length
        let mutable acc = 1
        for i in shape.Length - 1 .. -1 .. 0 do
            s[i] <- acc
            acc <- acc * shape[i]
        s

    let fail operation (shapes: int[][]) argument detail =
        raise (ShapeMismatchException(operation, shapes, argument, detail))

    /// The element count of a shape in 64 bits, saturating above the largest array, so that a
    /// product of huge dimensions cannot wrap into a small or negative number.
    let internal count (shape: int[]) =
        let mutable n = 1L
        for d in shape do n <- min (n * int64 (max d 0)) (int64 Array.MaxLength + 1L)
        n

    // Requests below this many bytes are not compared with the memory the process may use
    // (asking the GC costs more than an eager scalar operation).
    let private largeBytes = 1L <<< 30

    /// Refuses, before any work, a shape that `operation` cannot produce: a negative dimension,
    /// more elements than a .NET array holds, or more bytes than this process may allocate.
    /// `shapes` are what the operation was given (shown in the message), `argument` the one at fault.
    let internal validateFor operation (shapes: int[][]) argument (shape: int[]) =
        for i in 0 .. shape.Length - 1 do
            if shape[i] < 0 then
                fail operation shapes argument (sprintf "dimension %d of %s is negative" i (format shape))
        let n = count shape
        if n > int64 Array.MaxLength then
            fail operation shapes argument (sprintf "a result of shape %s would have more elements than an array can hold (%d)" (format shape) Array.MaxLength)
        if n * 8L > largeBytes then
            let available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes
            if n * 8L > available then
                fail operation shapes argument (sprintf "a result of shape %s needs %d bytes, more than the %d this process can use" (format shape) (n * 8L) available)

    /// True for a shape `validateFor` accepts without asking the GC: no negative dimension and
    /// under a gigabyte of elements (the check every node makes, so it allocates nothing).
    let internal isSmall (shape: int[]) =
        let mutable ok = true
        for d in shape do ok <- ok && d >= 0
        ok && count shape * 8L <= largeBytes

    /// `validateFor` of a shape the caller gave directly (`zeros`, `reshape`).
    let internal validate operation argument (shape: int[]) = validateFor operation [| shape |] argument shape

    /// NumPy broadcasting of two shapes: align on the right, a dimension of 1 stretches.
    let broadcast operation (a: int[]) (b: int[]) =
        if same a b then a else
        let rank = max a.Length b.Length
        Array.init rank (fun i ->
            let da = let j = i - (rank - a.Length) in if j >= 0 then a[j] else 1
            let db = let j = i - (rank - b.Length) in if j >= 0 then b[j] else 1
            if da = db || db = 1 then da
            elif da = 1 then db
            else fail operation [| a; b |] "y" (sprintf "dimension %d is %d in x and %d in y and cannot be broadcast" i da db))

    /// True when `source` broadcasts to `target` (NumPy rules).
    let broadcastsTo (source: int[]) (target: int[]) =
        source.Length <= target.Length
        && Seq.forall (fun i ->
               let d = source[source.Length - 1 - i]
               d = 1 || d = target[target.Length - 1 - i]) (seq { 0 .. source.Length - 1 })

    /// Normalises possibly negative axes against a rank, rejecting out-of-range and repeated ones.
    let normalizeAxes operation (shape: int[]) (axes: int[]) =
        let rank = shape.Length
        let normalized =
            axes |> Array.map (fun a ->
                let n = if a < 0 then a + rank else a
                if n < 0 || n >= rank then
                    fail operation [| shape |] "axes" (sprintf "axis %d is out of range for rank %d" a rank)
                n)
        // Sorted, a repeat sits next to its twin (no set: every reduction passes here).
        Array.sortInPlace normalized
        for i in 1 .. normalized.Length - 1 do
            if normalized[i] = normalized[i - 1] then
                fail operation [| shape |] "axes" (sprintf "axes %s repeat" (format axes))
        normalized

    /// The shape left after reducing `axes` (normalised), keeping them as 1 when `keepDims`.
    let reduced (shape: int[]) (axes: int[]) keepDims =
        if keepDims then shape |> Array.mapi (fun i d -> if Array.contains i axes then 1 else d)
        else
            // Two passes over the axes instead of pairs of indices and dimensions.
            let isKept i = not (Array.contains i axes)
            let mutable count = 0
            for i in 0 .. shape.Length - 1 do
                if isKept i then count <- count + 1
            let kept = Array.zeroCreate count
            let mutable k = 0
            for i in 0 .. shape.Length - 1 do
                if isKept i then
                    kept[k] <- shape[i]
                    k <- k + 1
            kept
