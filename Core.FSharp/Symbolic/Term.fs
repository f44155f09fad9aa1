namespace FunctionalAD.Symbolic

open System
open System.Collections.Generic

/// A comparison whose result is the mask 1.0 (true) or 0.0 (false).
type internal Comparison =
    | Greater
    | GreaterEqual
    | Less
    | LessEqual
    | Equal
    | NotEqual

/// A scalar function of one argument, written inline (`Math.Exp`, or a short formula for
/// sigmoid and friends) when a term becomes a LINQ expression.
type internal Function =
    | Exp
    | Log
    | Log1p
    | Expm1
    | Sqrt
    | Sin
    | Cos
    | Tan
    | Tanh
    | Sigmoid
    | Softplus
    | Relu
    | Abs
    | Sign

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
    /// Creation order within its table: arguments have smaller ids than their users.
    member _.Id = id
    member _.Operation = operation
    member _.Args = args
    /// The value of a constant term.
    member _.ConstantValue = match operation with Constant v -> ValueSome v | _ -> ValueNone

/// Scalar semantics of the operations, shared by constant folding and by the tests' reference.
module internal Semantics =
    let private sigmoid (v: float) = if v >= 0.0 then 1.0 / (1.0 + Math.Exp -v) else let e = Math.Exp v in e / (1.0 + e)
    let private log1p (v: float) = let u = 1.0 + v in if u = 1.0 then v else Math.Log u * v / (u - 1.0)

    let apply (f: Function) (v: float) =
        match f with
        | Exp -> Math.Exp v
        | Log -> Math.Log v
        | Log1p -> log1p v
        | Expm1 -> let u = Math.Exp v in if u = 1.0 then v elif u - 1.0 = -1.0 then -1.0 elif Double.IsPositiveInfinity u then u else (u - 1.0) * v / Math.Log u
        | Sqrt -> Math.Sqrt v
        | Sin -> Math.Sin v
        | Cos -> Math.Cos v
        | Tan -> Math.Tan v
        | Tanh -> Math.Tanh v
        | Sigmoid -> sigmoid v
        | Softplus -> Math.Max(v, 0.0) + log1p (Math.Exp(-Math.Abs v))
        | Relu -> if Double.IsNaN v then v else Math.Max(v, 0.0)
        | Abs -> Math.Abs v
        | Sign -> if Double.IsNaN v then v else float (Math.Sign v)

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
