namespace FunctionalAD.Primitives

open System
open FunctionalAD

/// What the algebraic identities need to see and build in one expression language — a compiled
/// program's instructions (tensors of any shape) or Symbolic's scalar terms. What depends on
/// the application being simplified (its result's shape, the table terms are made in) comes as
/// the `'Result` argument, so one record serves every application.
[<NoEquality; NoComparison>]
type internal IdentityLanguage<'T, 'Result> =
    { /// The value of every element of an expression that is a constant of one repeated value.
      Uniform: 'T -> float voption
      /// True when the expression is a constant whose every element passes the test.
      AllElements: (float -> bool) -> 'T -> bool
      /// The algebraic role of the primitive an expression applies, and its arguments; none for
      /// an input or a constant.
      Role: 'T -> struct (Algebra * 'T[]) voption
      /// True when the expression has the result's shape, so it can stand for the result.
      Fits: 'Result -> 'T -> bool
      /// The constant of the given value at the result's shape.
      Filled: 'Result -> float -> 'T
      /// −x, itself simplified.
      Negate: 'Result -> 'T -> 'T
      /// x · y as a plain product, itself simplified.
      Multiply: 'Result -> 'T -> 'T -> 'T
      /// The same elements at the result's shape (a reshape).
      Reshape: 'Result -> 'T -> 'T
      /// The expression broadcast to the result's shape.
      Stretch: 'Result -> 'T -> 'T }

/// The algebraic identities of the primitives' roles (`Capabilities.Algebra`), written once for
/// every simplifier: compile's lowering applies them to instructions and Symbolic to scalar terms
/// (which adds the normal forms only scalar terms have: canonical argument order, like terms,
/// conditionals). Each rewrite keeps the value for finite arguments; a rewrite whose result
/// stands for an argument requires that argument to have the result's shape.
module internal Identities =
    /// The simpler expression equal to `algebra` applied to `args`, or none when no identity applies.
    let simplify (language: IdentityLanguage<'T, 'Result>) (result: 'Result) (algebra: Algebra) (args: 'T[]) : 'T voption when 'T : equality =
        let is v x = language.Uniform x = ValueSome v
        // Applied in full each time: a partial application would allocate a closure per call.
        let fits x = language.Fits result x
        let negationOf x =
            match language.Role x with
            | ValueSome(struct (Algebra.Negation, [| inner |])) -> ValueSome inner
            | _ -> ValueNone
        let isMask x =
            match language.Role x with
            | ValueSome(struct (Algebra.Comparison _, _)) -> true
            | _ -> false
        match algebra, args with
        | Algebra.SameElements, [| x |] -> ValueSome(language.Reshape result x)
        | Algebra.Stretch, [| x |] -> ValueSome(language.Stretch result x)
        | Algebra.PassThrough, [| x |] -> ValueSome x
        | Algebra.Sum, [| x; y |] when is 0.0 x && fits y -> ValueSome y
        | Algebra.Sum, [| x; y |] when is 0.0 y && fits x -> ValueSome x
        | Algebra.Difference, [| x; y |] when is 0.0 y && fits x -> ValueSome x
        | Algebra.Difference, [| x; y |] when is 0.0 x && fits y -> ValueSome(language.Negate result y)
        // 0·x is taken as 0 (IEEE would give NaN for an infinite or NaN x; docs/compile.md).
        | Algebra.Product, [| x; y |] when is 0.0 x || is 0.0 y -> ValueSome(language.Filled result 0.0)
        | Algebra.Product, [| x; y |] when is 1.0 x && fits y -> ValueSome y
        | Algebra.Product, [| x; y |] when is 1.0 y && fits x -> ValueSome x
        | Algebra.Product, [| x; y |] when is -1.0 x && fits y -> ValueSome(language.Negate result y)
        | Algebra.Product, [| x; y |] when is -1.0 y && fits x -> ValueSome(language.Negate result x)
        | Algebra.Quotient, [| x; y |] when is 1.0 y && fits x -> ValueSome x
        | Algebra.Quotient, [| x; y |] when is -1.0 y && fits x -> ValueSome(language.Negate result x)
        | Algebra.GuardedProduct, [| x; _ |] when is 0.0 x -> ValueSome(language.Filled result 0.0)
        // mulNoNan(a, b) differs from a·b only where a = 0 and b is not finite.
        | Algebra.GuardedProduct, [| x; y |] when language.AllElements (fun v -> v <> 0.0) x || language.AllElements Double.IsFinite y ->
            ValueSome(language.Multiply result x y)
        | Algebra.Negation, [| x |] when (negationOf x).IsSome -> negationOf x
        | Algebra.Power, [| x; y |] when is 1.0 y && fits x -> ValueSome x
        | Algebra.Power, [| _; y |] when is 0.0 y -> ValueSome(language.Filled result 1.0)
        | Algebra.PowerOf 1.0, [| x |] -> ValueSome x
        | Algebra.PowerOf 0.0, [| _ |] -> ValueSome(language.Filled result 1.0)
        // A known condition picks its branch (NaN counts as true, as cond ≠ 0 does).
        | Algebra.Selection, [| c; x; y |] when (language.Uniform c).IsSome ->
            let picked = if (language.Uniform c).Value <> 0.0 then x else y
            if fits picked then ValueSome picked else ValueNone
        | Algebra.Selection, [| _; x; y |] when x = y && fits x -> ValueSome x
        // A mask choosing between 1 and 0 is the mask itself.
        | Algebra.Selection, [| c; x; y |] when isMask c && is 1.0 x && is 0.0 y && fits c -> ValueSome c
        | _ -> ValueNone
