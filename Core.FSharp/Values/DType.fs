namespace FunctionalAD

/// The element type of a tensor. More kinds can be added later; code that must treat each one
/// matches on this type, and promotion (`DType.promote`) is the one place that orders them.
[<RequireQualifiedAccess>]
type DType =
    /// IEEE 754 single precision (`float32`, C# `float`).
    | Float32
    /// IEEE 754 double precision (`float`, C# `double`): the default.
    | Float64

    /// The name messages and listings use: `float32`, `float64`.
    member d.Name =
        match d with
        | Float32 -> "float32"
        | Float64 -> "float64"

    /// Bytes per element.
    member d.Size =
        match d with
        | Float32 -> 4
        | Float64 -> 8

    override d.ToString() = d.Name

    /// The type of a result computed from arguments of these two types: the wider one
    /// (float32 ∘ float64 → float64), JAX's lattice restricted to floats.
    static member promote (a: DType) (b: DType) = if a.Size >= b.Size then a else b

/// The promotion rules, written once (docs/conventions.md, "Element types"): the type of a
/// primitive's result from its arguments' types. A plain .NET `double` constant (a scalar made
/// by `Tensor.scalar`, `2.0 * x`, or a rule's `scalar 1.0`) is *weakly typed*: it takes the type
/// of the typed arguments it meets, so it never promotes a float32 tensor; weak arguments alone
/// give a weak float64 result.
module internal Promotion =
    /// The strong type so far, after one more argument of type `dtype`: a weak argument leaves
    /// it as it was, a strong one promotes it.
    let combine (strong: DType voption) (dtype: DType) (weak: bool) =
        if weak then strong
        else ValueSome(match strong with ValueSome d -> DType.promote d dtype | ValueNone -> dtype)

    /// The result type from the strong type of all `count` arguments, and whether it is weak:
    /// weak arguments alone (and at least one) give a weak float64.
    let finish (count: int) (strong: DType voption) : struct (DType * bool) =
        match strong with
        | ValueSome d -> struct (d, false)
        | ValueNone -> struct (DType.Float64, count > 0)
