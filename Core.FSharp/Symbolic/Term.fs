namespace FunctionalAD.Symbolic

open System
open System.Collections.Generic
open System.Linq.Expressions
open FunctionalAD

/// A comparison whose result is the mask 1.0 (true) or 0.0 (false): the core's relations.
type internal Comparison = Relation

/// An elementwise primitive of one argument, as a term's function: compared by the primitive's
/// name and parameters, and written, evaluated and folded with the primitive's own formula.
[<Sealed>]
type internal Function(op: Op, formula: ScalarFormula, mask: bool) =
    let evaluate =
        lazy
            (let p = Expression.Parameter(typeof<float>, "v")
             Expression.Lambda<Func<float, float>>(formula.Emit [| p |], [| p |]).Compile())
    /// The primitive's identity (name and parameters).
    member _.Key = op.Key
    /// The primitive's formula.
    member _.Formula = formula
    /// The value at one number (constant folding).
    member _.Apply(v: float) = evaluate.Value.Invoke v
    /// True when a zero of the result can come from a test (sign), or from an argument that is
    /// such a zero (f(0) = 0: relu, abs, sin, tanh …).
    member f.PassesSelectedZero(argumentMay: bool) = mask || (argumentMay && f.Apply 0.0 = 0.0)
    override f.Equals(other: obj) =
        match other with
        | :? Function as g -> HashIdentity.Structural.Equals(g.Key, f.Key)
        | _ -> false
    override f.GetHashCode() = HashIdentity.Structural.GetHashCode f.Key

/// What a scalar term computes from its arguments.
type internal Operation =
    | Constant of float
    | Parameter of int
    | Negate
    | Add
    | Subtract
    | Multiply
    | Divide
    /// a·b, except 0 where a = 0 even if b is infinite or NaN (the core's `mulNoNan`).
    | MultiplyNoNan
    | Power
    | Maximum
    | Minimum
    | Apply of Function
    | Compare of Comparison
    /// cond ≠ 0 ? a : b (arguments cond, a, b).
    | Select

/// One node of a scalar expression DAG over the parameters of a lambda. Terms are hash-consed
/// by a `TermTable`, so structurally equal terms are the same object: common subexpressions are
/// shared by construction, and equality is reference equality.
[<Sealed; AllowNullLiteral>]
type internal Term(id: int, operation: Operation, args: Term[]) =
    let maySelectZero =
        let arg (i: int) = args[i].MaySelectZero
        match operation with
        | Constant v -> v = 0.0
        | Compare _ -> true
        | Apply f -> f.PassesSelectedZero(arg 0)
        | Select -> arg 1 || arg 2
        | Multiply | MultiplyNoNan -> arg 0 || arg 1
        | Divide | Negate -> arg 0
        | Add | Subtract | Maximum | Minimum -> arg 0 && arg 1
        | _ -> false

    /// Creation order within its table: arguments have smaller ids than their users.
    member _.Id = id
    member _.Operation = operation
    member _.Args = args
    /// The value of a constant term.
    member _.ConstantValue = match operation with Constant v -> ValueSome v | _ -> ValueNone
    /// True when the term can be an exact zero chosen by a branch: a comparison mask, a sign, or
    /// a conditional with such a zero on one side (and products, quotients and sums of those).
    /// Known when the term is built, from its arguments', so asking costs nothing.
    member _.MaySelectZero : bool = maySelectZero

/// Scalar semantics of the functions and comparisons, for constant folding.
module internal Semantics =
    let compare (c: Comparison) (a: float) (b: float) =
        let holds =
            match c with
            | Greater -> a > b
            | GreaterEqual -> a >= b
            | Less -> a < b
            | LessEqual -> a <= b
            | Equal -> a = b
            | NotEqual -> a <> b
        if holds then 1.0 else 0.0

/// Interns terms: asking twice for the same operation on the same arguments returns the same
/// term. One table per translation, so ids are small and nothing is shared across threads.
[<Sealed>]
type internal TermTable() =
    let terms = Dictionary<struct (Operation * int * int * int), Term>(HashIdentity.Structural)

    /// The unique term for `operation` applied to `args` (at most three arguments).
    member _.Intern(operation: Operation, args: Term[]) =
        let idOf i = if i < args.Length then args[i].Id else -1
        let key = struct (operation, idOf 0, idOf 1, idOf 2)
        match terms.TryGetValue key with
        | true, t -> t
        | _ ->
            let t = Term(terms.Count, operation, args)
            terms[key] <- t
            t
