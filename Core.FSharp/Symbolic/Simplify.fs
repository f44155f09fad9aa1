namespace FunctionalAD.Symbolic

open System
open FunctionalAD
// Reopened after FunctionalAD so that a term's operations (Constant, Apply) are not hidden by
// the graph nodes' kinds of the same names.
open FunctionalAD.Symbolic
open FunctionalAD.Primitives

/// Smart constructors for terms: each folds constants, applies the primitives' algebraic
/// identities that derivative graphs are full of (`Identities`, shared with compile's lowering:
/// x·1, x+0, 0·x, x−0, −(−x), a seed of 1 times a local derivative) and then the normal forms
/// of scalar terms (canonical order, like terms, constant factors, conditionals), so a
/// derivative reads like one written by hand. Every rewrite keeps the value
/// for finite inputs; the one place that reasons about zeros is `mulNoNan`, explained there.
module internal Simplify =
    let constant (table: TermTable) (v: float) = table.Intern(Constant v, [||])
    let parameter (table: TermTable) (i: int) = table.Intern(Parameter i, [||])

    let private (|Const|_|) (t: Term) = match t.ConstantValue with ValueSome v -> Some v | ValueNone -> None

    /// The arguments of a commutative operation in one canonical order (a constant first, then
    /// by creation), so x·y and y·x are the same term and are computed once.
    let private commutative (table: TermTable) (operation: Operation) (a: Term) (b: Term) =
        let first, second =
            match a, b with
            | _, Const _ -> b, a
            | Const _, _ -> a, b
            | _ -> if a.Id <= b.Id then a, b else b, a
        table.Intern(operation, [| first; second |])

    /// A term as coefficient × base (3·x is (3, x), −x is (−1, x), x is (1, x)), so like terms
    /// combine: x + x is 2·x, 2·x − x is x.
    let private (|Scaled|) (t: Term) =
        match t.Operation with
        | Multiply when t.Args[0].ConstantValue.IsSome -> t.Args[0].ConstantValue.Value, t.Args[1]
        | Negate -> -1.0, t.Args[0]
        | _ -> 1.0, t

    /// True when two non-constant terms are multiples of one base, so their sum is one product.
    let private alike (a: Term) (b: Term) =
        let (Scaled(_, x)), (Scaled(_, y)) = a, b
        obj.ReferenceEquals(x, y) && x.ConstantValue.IsNone

    let private (|Selection|_|) (t: Term) = if t.Operation = Select then Some(t.Args[0], t.Args[1], t.Args[2]) else None

    /// True for a term whose value is a 1/0 mask.
    let private isMask (t: Term) = match t.Operation with Compare _ -> true | _ -> false

    /// The algebraic role of a term's operation (how the shared identities see it).
    let private role (t: Term) =
        let withArgs (algebra: Algebra) = ValueSome(struct (algebra, t.Args))
        match t.Operation with
        | Constant _ | Parameter _ -> ValueNone
        | Negate -> withArgs Algebra.Negation
        | Add -> withArgs Algebra.Sum
        | Subtract -> withArgs Algebra.Difference
        | Multiply -> withArgs Algebra.Product
        | Divide -> withArgs Algebra.Quotient
        | MultiplyNoNan -> withArgs Algebra.GuardedProduct
        | Power -> withArgs Algebra.Power
        | Maximum -> withArgs Algebra.Maximum
        | Minimum -> withArgs Algebra.Minimum
        | Apply _ -> withArgs Algebra.Opaque
        | Compare c -> withArgs (Algebra.Comparison c)
        | Select -> withArgs Algebra.Selection

    /// Scalar terms as the shared identities see them, made in the table they are given: every
    /// term fits the (scalar) result.
    let rec private language () : IdentityLanguage<Term, TermTable> =
        { Uniform = fun t -> t.ConstantValue
          AllElements = fun test t -> match t.ConstantValue with ValueSome v -> test v | ValueNone -> false
          Role = role
          Fits = fun _ _ -> true
          Filled = constant
          Negate = neg
          Multiply = mul
          Reshape = fun _ t -> t
          Stretch = fun _ t -> t }

    /// The term the primitives' shared identities (`Identities`) make of `algebra` applied to the
    /// arguments, when one applies.
    and private (|Identity|_|) (table: TermTable) (algebra: Algebra) (args: Term[]) =
        match Identities.simplify (language ()) table algebra args with
        | ValueSome t -> Some t
        | ValueNone -> None

    and neg (table: TermTable) (a: Term) =
        match [| a |] with
        | [| Const v |] -> constant table -v
        | Identity table Algebra.Negation t -> t
        | [| Selection(c, x, y) |] -> select table c (neg table x) (neg table y)
        | _ -> table.Intern(Negate, [| a |])

    /// Sums and differences of two conditionals on the same condition, or of a conditional and
    /// a constant, become one conditional: the derivative of `c ? x*x : -x` reads `c ? 2*x : -1`.
    and add (table: TermTable) (a: Term) (b: Term) =
        match [| a; b |] with
        | [| Const x; Const y |] -> constant table (x + y)
        | Identity table Algebra.Sum t -> t
        | [| Const c; _ |] when c < 0.0 -> sub table b (constant table -c)
        | [| _; Const c |] when c < 0.0 -> sub table a (constant table -c)
        | [| Selection(c, x, y); Selection(d, u, v) |] when obj.ReferenceEquals(c, d) -> select table c (add table x u) (add table y v)
        | [| Selection(c, x, y); Const _ |] -> select table c (add table x b) (add table y b)
        | [| Const _; Selection(c, x, y) |] -> select table c (add table a x) (add table a y)
        | _ when b.Operation = Negate -> sub table a b.Args[0]
        | _ when a.Operation = Negate -> sub table b a.Args[0]
        | [| Scaled(p, x); Scaled(q, y) |] when obj.ReferenceEquals(x, y) -> mul table (constant table (p + q)) x
        | _ when b.Operation = Add && alike a b.Args[0] -> add table (add table a b.Args[0]) b.Args[1]
        | _ when b.Operation = Add && alike a b.Args[1] -> add table (add table a b.Args[1]) b.Args[0]
        | _ when a.Operation = Add && alike b a.Args[0] -> add table (add table b a.Args[0]) a.Args[1]
        | _ when a.Operation = Add && alike b a.Args[1] -> add table (add table b a.Args[1]) a.Args[0]
        | _ -> commutative table Add a b

    and sub (table: TermTable) (a: Term) (b: Term) =
        match [| a; b |] with
        | [| Const x; Const y |] -> constant table (x - y)
        | Identity table Algebra.Difference t -> t
        | [| Selection(c, x, y); Selection(d, u, v) |] when obj.ReferenceEquals(c, d) -> select table c (sub table x u) (sub table y v)
        | [| Selection(c, x, y); Const _ |] -> select table c (sub table x b) (sub table y b)
        | [| Const _; Selection(c, x, y) |] -> select table c (sub table a x) (sub table a y)
        | _ when b.Operation = Negate -> add table a b.Args[0]
        | [| Scaled(p, x); Scaled(q, y) |] when obj.ReferenceEquals(x, y) -> mul table (constant table (p - q)) x
        | _ -> table.Intern(Subtract, [| a; b |])

    /// Products keep a constant factor on the left and merge nested constant factors, so
    /// 2·(3·x) is 6·x, x·(2·y) is 2·(x·y) and −(x)·c is (−c)·x; a reciprocal factor becomes a quotient, so
    /// (1/y)·x is x/y and c·(x/y) is (c·x)/y; a constant scales both branches of a conditional.
    and mul (table: TermTable) (a: Term) (b: Term) =
        match [| a; b |] with
        | [| Const x; Const y |] -> constant table (x * y)
        | Identity table Algebra.Product t -> t
        | [| _; Const _ |] -> mul table b a
        | [| Const _; Selection(c, x, y) |] -> select table c (mul table a x) (mul table a y)
        // A mask from a derivative rule (relu', the winner of a max) selects rather than scales.
        | _ when isMask a && not (isMask b) -> select table a b (constant table 0.0)
        | _ when isMask b && not (isMask a) -> select table b a (constant table 0.0)
        | [| Const c; _ |] when b.Operation = Negate -> mul table (constant table -c) b.Args[0]
        | [| Const c; _ |] when b.Operation = Multiply && b.Args[0].ConstantValue.IsSome -> mul table (constant table (c * b.Args[0].ConstantValue.Value)) b.Args[1]
        | _ when b.Operation = Multiply && b.Args[0].ConstantValue.IsSome -> mul table b.Args[0] (mul table a b.Args[1])
        | _ when a.Operation = Multiply && a.Args[0].ConstantValue.IsSome -> mul table a.Args[0] (mul table a.Args[1] b)
        | _ when a.Operation = Negate && b.Operation = Negate -> mul table a.Args[0] b.Args[0]
        | _ when a.Operation = Negate -> neg table (mul table a.Args[0] b)
        | _ when b.Operation = Negate -> neg table (mul table a b.Args[0])
        | _ when a.Operation = Divide && a.Args[0].ConstantValue = ValueSome 1.0 -> div table b a.Args[1]
        | _ when b.Operation = Divide && b.Args[0].ConstantValue = ValueSome 1.0 -> div table a b.Args[1]
        | [| Const _; _ |] when b.Operation = Divide -> div table (mul table a b.Args[0]) b.Args[1]
        | _ -> commutative table Multiply a b

    and div (table: TermTable) (a: Term) (b: Term) =
        match [| a; b |] with
        | [| Const x; Const y |] -> constant table (x / y)
        | Identity table Algebra.Quotient t -> t
        | _ -> table.Intern(Divide, [| a; b |])

    /// cond ≠ 0 ? a : b, by the shared identities (a known condition picks its branch, equal
    /// branches need no condition, a mask choosing between 1 and 0 is the mask itself).
    and select (table: TermTable) (cond: Term) (a: Term) (b: Term) =
        match [| cond; a; b |] with
        | Identity table Algebra.Selection t -> t
        | _ -> table.Intern(Select, [| cond; a; b |])

    /// a·b with the core's guard (0 where a = 0, even if b is infinite or NaN) kept only where a
    /// can be a zero selected by a branch (`Term.MaySelectZero`): those zeros are what the
    /// core's NaN policy guards, a tangent through the branch that a conditional did not select
    /// meeting an infinite local derivative. Elsewhere it is a plain product. So a derivative
    /// through `c ? x : 1/x` stays finite where the core's is, and ordinary chain-rule products
    /// read as products. (At points where a derivative is 0·∞ for another reason, such as
    /// d/dy x·log y at x = y = 0, the plain product gives NaN where the core gives 0.)
    let rec mulNoNan (table: TermTable) (a: Term) (b: Term) =
        match [| a; b |] with
        | Identity table Algebra.GuardedProduct t -> t
        | _ when isMask a -> select table a b (constant table 0.0)
        | [| Selection(c, p, q); _ |] -> select table c (mulNoNan table p b) (mulNoNan table q b)
        | _ when a.MaySelectZero -> table.Intern(MultiplyNoNan, [| a; b |])
        | _ -> mul table a b

    let power (table: TermTable) (a: Term) (b: Term) =
        match [| a; b |] with
        | [| Const x; Const y |] -> constant table (Math.Pow(x, y))
        | Identity table Algebra.Power t -> t
        | _ -> table.Intern(Power, [| a; b |])

    let apply (table: TermTable) (f: Function) (a: Term) =
        match a with
        | Const v -> constant table (f.Apply v)
        | _ -> table.Intern(Apply f, [| a |])

    let private nanAware (pick: float -> float -> float) (x: float) (y: float) = if Double.IsNaN x || Double.IsNaN y then Double.NaN else pick x y

    let maximum (table: TermTable) (a: Term) (b: Term) =
        match a, b with
        | Const x, Const y -> constant table (nanAware max x y)
        | _ -> table.Intern(Maximum, [| a; b |])

    let minimum (table: TermTable) (a: Term) (b: Term) =
        match a, b with
        | Const x, Const y -> constant table (nanAware min x y)
        | _ -> table.Intern(Minimum, [| a; b |])

    let compare (table: TermTable) (c: Comparison) (a: Term) (b: Term) =
        match a, b with
        | Const x, Const y -> constant table (Semantics.compare c x y)
        | _ -> table.Intern(Compare c, [| a; b |])
