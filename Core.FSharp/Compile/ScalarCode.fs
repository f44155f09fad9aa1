namespace FunctionalAD.Compilation

open System.Linq.Expressions
open FunctionalAD

/// The scalar formulas compiled code evaluates: each elementwise primitive's own
/// (`Capabilities.Formula`, declared beside the primitive), so compiled and eager results agree.
module internal ScalarCode =
    /// The scalar formula of a primitive as a builder from argument expressions, or None for
    /// primitives that are not elementwise.
    let tryFormula (op: Op) : (Expression[] -> Expression) option =
        match op.Capabilities.Formula with
        | ValueSome formula -> Some formula.Emit
        | ValueNone -> None

    /// The same formula on Vector<double> lanes, where the primitive declares one that computes
    /// what the scalar one does; None for the others, whose loops stay scalar.
    let tryVectorFormula (op: Op) : (Expression[] -> Expression) option =
        match op.Capabilities.Formula with
        | ValueSome { EmitVector = ValueSome emit } -> Some emit
        | _ -> None

    /// True for the primitives a fused loop can evaluate.
    let isElementwise (op: Op) = op.Capabilities.Formula.IsSome
