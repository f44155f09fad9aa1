namespace FunctionalAD.Primitives

open System
open System.Linq.Expressions
open System.Numerics
open System.Reflection
open Microsoft.FSharp.Quotations.Patterns
open FunctionalAD

/// Building the scalar formulas of elementwise primitives (`Capabilities.Formula`): LINQ
/// expressions that state what the primitive computes on one element, on doubles and, where the
/// bits agree, on Vector<double> lanes. Each formula is the one the primitive evaluates eagerly —
/// the `Math` function where the eager kernel calls the TensorPrimitives function of that name
/// (whose vector paths may round a transcendental function differently by an ulp), the
/// primitive's own scalar function otherwise.
module internal Formula =
    /// The static method a quotation calls (how F# functions are found without strings).
    let methodOf (q: Quotations.Expr) =
        match q with
        | Call(None, m, _) -> m
        | Lambda(_, Call(None, m, _)) -> m
        | _ -> invalidArg "q" "expected a call of a static method"

    let private zero = Expression.Constant 0.0 :> Expression
    let private one = Expression.Constant 1.0 :> Expression
    let private call (m: MethodInfo) (args: Expression[]) = Expression.Call(m, args) :> Expression

    let private vector = typeof<Vector<double>>
    let private zeros = Expression.Constant Vector<double>.Zero :> Expression
    let private ones = Expression.Constant Vector<double>.One :> Expression

    /// A method of System.Numerics.Vector on Vector<double>: the overload for double that returns
    /// Vector<double> where there is one, else the generic method made for double.
    let private vectorMethod (name: string) (arity: int) =
        let generic () =
            let definition = typeof<Vector>.GetMethods() |> Array.find (fun m -> m.Name = name && m.IsGenericMethodDefinition && m.GetParameters().Length = arity)
            definition.MakeGenericMethod typeof<double>
        match typeof<Vector>.GetMethod(name, Array.create arity vector) with
        | null -> generic ()
        | m when m.ReturnType = vector -> m
        | _ -> generic ()

    /// Lane-wise selection: a where the mask lane is set, else b.
    let private select (mask: Expression) (a: Expression) (b: Expression) = call (vectorMethod "ConditionalSelect" 3) [| mask; a; b |]
    let private lanes name (args: Expression[]) = call (vectorMethod name args.Length) args

    /// The capabilities of an elementwise primitive with the given formula and algebraic role.
    let capabilities (formula: ScalarFormula) (algebra: Algebra) : Capabilities = { Param.none with Formula = ValueSome formula; Algebra = algebra }

    /// A formula from its scalar and (optional) vector expressions.
    let make (arity: int) (emit: Expression[] -> Expression) (vectorEmit: (Expression[] -> Expression) voption) (method: MethodInfo) : ScalarFormula =
        { Emit = emit; EmitVector = vectorEmit; Method = method; Arity = arity }

    /// The formula that calls a static method of doubles (`Math.Exp`, or an F# function of this
    /// library written for the primitive), with an optional vector form.
    let ofMethod (m: MethodInfo) (vectorEmit: (Expression[] -> Expression) voption) =
        make (m.GetParameters().Length) (call m) vectorEmit m

    /// A function of `Math` taking doubles.
    let math (name: string) (arity: int) = typeof<Math>.GetMethod(name, Array.create arity typeof<double>)

    /// The vector form that calls a method of System.Numerics.Vector with the same arguments.
    let vectorCall (name: string) : (Expression[] -> Expression) voption = ValueSome(lanes name)

    /// An arithmetic operator of two arguments (IEEE: the vector form computes the same bits).
    let arithmetic (build: Expression * Expression -> BinaryExpression) =
        let emit (a: Expression[]) = build (a[0], a[1]) :> Expression
        make 2 emit (ValueSome emit) null

    /// A comparison giving the mask 1.0 or 0.0.
    let comparison (scalarTest: Expression * Expression -> BinaryExpression) (vectorTest: string) (negate: bool) =
        let emit (a: Expression[]) = Expression.Condition(scalarTest (a[0], a[1]), one, zero) :> Expression
        let vectorEmit (a: Expression[]) =
            let test = lanes vectorTest [| a[0]; a[1] |]
            if negate then select test zeros ones else select test ones zeros
        make 2 emit (ValueSome vectorEmit) null

    /// a · b, except 0 where a = 0 even if b is infinite or NaN.
    let guardedProduct =
        make 2
            (fun a -> Expression.Condition(Expression.Equal(a[0], zero), zero, Expression.Multiply(a[0], a[1])) :> Expression)
            (ValueSome(fun a -> select (lanes "Equals" [| a[0]; zeros |]) zeros (Expression.Multiply(a[0], a[1]))))
            null

    /// cond ≠ 0 ? a : b.
    let selection =
        make 3
            (fun a -> Expression.Condition(Expression.NotEqual(a[0], zero), a[1], a[2]) :> Expression)
            (ValueSome(fun a -> select (lanes "Equals" [| a[0]; zeros |]) a[2] a[1]))
            null

    /// −x.
    let negation = make 1 (fun a -> Expression.Negate a[0] :> Expression) (ValueSome(fun a -> Expression.Negate a[0] :> Expression)) null

    /// x itself (a primitive that only changes derivatives).
    let identity = make 1 (fun a -> a[0]) (ValueSome(fun a -> a[0])) null

    /// x^c for a constant c.
    let powerOf (c: double) =
        let pow = math "Pow" 2
        make 1 (fun a -> call pow [| a[0]; Expression.Constant c |]) ValueNone null

    /// x where x > 0, NaN where x is NaN (x ≠ x), else +0, lane by lane: the vector form of relu.
    let reluLanes : (Expression[] -> Expression) voption =
        ValueSome(fun a ->
            let isNumber = lanes "Equals" [| a[0]; a[0] |]
            select (lanes "GreaterThan" [| a[0]; zeros |]) a[0] (select isNumber zeros a[0]))

    /// The capabilities of the arithmetic primitives, as values: the recursive module that
    /// declares those primitives may only refer to finished values while its records are built.
    module Arithmetic =
        let add = capabilities (arithmetic Expression.Add) Algebra.Sum
        let sub = capabilities (arithmetic Expression.Subtract) Algebra.Difference
        let neg = capabilities negation Algebra.Negation
        let mul = capabilities (arithmetic Expression.Multiply) Algebra.Product
        let div = capabilities (arithmetic Expression.Divide) Algebra.Quotient
        let mulNoNan = capabilities guardedProduct Algebra.GuardedProduct
