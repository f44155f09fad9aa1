namespace FunctionalAD.Compilation

open System
open System.Linq.Expressions
open FunctionalAD

/// The scalar formulas compiled code evaluates: each elementwise primitive's own
/// (`Capabilities.Formula`, declared beside the primitive), so compiled and eager results agree.
module internal ScalarCode =
    /// The .NET type of one element of `dtype`.
    let elementType (dtype: DType) = match dtype with DType.Float32 -> typeof<float32> | DType.Float64 -> typeof<double>

    /// A double formula on float32 elements: the arguments widened (exactly), the result rounded
    /// once, which is what eager's widening fallback computes for a primitive without a float32
    /// kernel.
    let private widened (emit: Expression[] -> Expression) (args: Expression[]) =
        Expression.Convert(emit (args |> Array.map (fun a -> Expression.Convert(a, typeof<double>) :> Expression)), typeof<float32>) :> Expression

    /// The scalar formula of a primitive computing in `dtype` from arguments of that type, as a
    /// builder from argument expressions (of `elementType dtype`), or None for primitives that
    /// are not elementwise. float32 uses the primitive's float32 formula where it declares one,
    /// else the double formula, rounded once.
    let tryFormula (dtype: DType) (op: Op) : (Expression[] -> Expression) option =
        match op.Capabilities.Formula, dtype with
        | ValueNone, _ -> None
        | ValueSome formula, DType.Float64 -> Some formula.Emit
        | ValueSome { Emit32 = ValueSome emit }, DType.Float32 -> Some emit
        | ValueSome formula, DType.Float32 -> Some(widened formula.Emit)

    /// A double holding a value of `dtype`: for float32, the double value rounded to float32 and
    /// widened back (exactly).
    let heldAs (dtype: DType) (value: Expression) =
        match dtype with
        | DType.Float32 -> Expression.Convert(Expression.Convert(value, typeof<float32>), typeof<double>) :> Expression
        | DType.Float64 -> value

    /// The value of `dtype` computed by the double formula on doubles holding values of that
    /// type (scalar plans keep every value in a double register): for float32, the result
    /// rounded to float32 and widened back. For +, −, ×, ÷ and √ that is the float32 operation's
    /// own result, since double carries more than 2·24 + 2 bits (double rounding is then
    /// innocuous), and for the rest it is eager's widening fallback.
    let tryFormulaOnDoubles (dtype: DType) (op: Op) : (Expression[] -> Expression) option =
        match op.Capabilities.Formula with
        | ValueSome formula -> Some(fun args -> heldAs dtype (formula.Emit args))
        | ValueNone -> None

    /// The same formula on Vector<double> or Vector<float32> lanes, where the primitive declares
    /// one that computes what the scalar one does; None for the others, whose loops stay scalar.
    let tryVectorFormula (dtype: DType) (op: Op) : (Expression[] -> Expression) option =
        match op.Capabilities.Formula, dtype with
        | ValueSome { EmitVector = ValueSome emit }, DType.Float64 -> Some emit
        | ValueSome { EmitVector32 = ValueSome emit }, DType.Float32 -> Some emit
        | _ -> None

    /// True for the primitives a fused loop can evaluate.
    let isElementwise (op: Op) = op.Capabilities.Formula.IsSome

    /// The number of elements in one Vector of `dtype` lanes.
    let laneCount (dtype: DType) = match dtype with DType.Float32 -> Numerics.Vector<float32>.Count | DType.Float64 -> Numerics.Vector<double>.Count
