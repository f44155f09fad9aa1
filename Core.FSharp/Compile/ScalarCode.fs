namespace FunctionalAD.Compilation

open System
open System.Globalization
open System.Linq.Expressions
open System.Numerics
open System.Reflection
open Microsoft.FSharp.Quotations.Patterns
open FunctionalAD.Primitives

/// The elementwise primitives as scalar expressions (System.Linq.Expressions): the bodies of
/// fused loops and of compiled scalar programs. Each formula is the one the primitive evaluates
/// eagerly — `Math.*` where the primitive calls the TensorPrimitives function of the same name,
/// the primitive's own scalar function otherwise — so compiled and eager results agree to the
/// last bits (TensorPrimitives' vector paths may round the transcendental functions differently
/// by an ulp).
module internal ScalarCode =
    /// The static method a quotation calls (how F# module functions are found without strings).
    let private methodOf (q: Quotations.Expr) =
        match q with
        | Call(None, m, _) -> m
        | _ -> invalidArg "q" "expected a call of a static method"

    let private math (name: string) = typeof<Math>.GetMethod(name, [| typeof<double> |])
    let private zero = Expression.Constant 0.0 :> Expression
    let private one = Expression.Constant 1.0 :> Expression
    let private call (m: MethodInfo) (args: Expression[]) = Expression.Call(m, args) :> Expression
    let private mask (test: Expression) = Expression.Condition(test, one, zero) :> Expression

    let private unaryMath name = Some(fun (a: Expression[]) -> call (math name) [| a[0] |])
    let private unaryFunction q = Some(fun (a: Expression[]) -> call (methodOf q) [| a[0] |])
    let private binary (build: Expression * Expression -> Expression) = Some(fun (a: Expression[]) -> build (a[0], a[1]))

    /// The scalar formula of an elementwise primitive (by its name and parameters) as a builder
    /// from argument expressions, or None for primitives that are not elementwise here.
    let tryFormula (name: string) (parameters: string) : (Expression[] -> Expression) option =
        match name with
        | "add" -> binary (fun (a, b) -> Expression.Add(a, b))
        | "sub" -> binary (fun (a, b) -> Expression.Subtract(a, b))
        | "mul" -> binary (fun (a, b) -> Expression.Multiply(a, b))
        | "div" -> binary (fun (a, b) -> Expression.Divide(a, b))
        | "mulNoNan" -> binary (fun (a, b) -> Expression.Condition(Expression.Equal(a, zero), zero, Expression.Multiply(a, b)))
        | "neg" -> Some(fun a -> Expression.Negate a[0])
        | "exp" | "log" | "sqrt" | "sin" | "cos" | "tan" | "tanh" | "abs" -> unaryMath (string (Char.ToUpperInvariant name[0]) + name.Substring 1)
        | "log1p" -> unaryFunction <@ Elementwise.log1pValue 0.0 @>
        | "expm1" -> unaryFunction <@ Elementwise.expm1Value 0.0 @>
        | "sigmoid" -> unaryFunction <@ Elementwise.sigmoidValue 0.0 @>
        | "softplus" -> unaryFunction <@ Elementwise.softplusValue 0.0 @>
        | "relu" -> unaryFunction <@ Elementwise.reluValue 0.0 @>
        | "sign" -> unaryFunction <@ Elementwise.signValue 0.0 @>
        | "maximum" -> binary (fun (a, b) -> call (methodOf <@ Elementwise.maximumValue 0.0 0.0 @>) [| a; b |])
        | "minimum" -> binary (fun (a, b) -> call (methodOf <@ Elementwise.minimumValue 0.0 0.0 @>) [| a; b |])
        | "pow" -> binary (fun (a, b) -> call (typeof<Math>.GetMethod("Pow")) [| a; b |])
        | "powConst" ->
            let c = Expression.Constant(Double.Parse(parameters, CultureInfo.InvariantCulture)) :> Expression
            Some(fun a -> call (typeof<Math>.GetMethod("Pow")) [| a[0]; c |])
        | "greater" -> binary (fun (a, b) -> mask (Expression.GreaterThan(a, b)))
        | "greaterEqual" -> binary (fun (a, b) -> mask (Expression.GreaterThanOrEqual(a, b)))
        | "less" -> binary (fun (a, b) -> mask (Expression.LessThan(a, b)))
        | "lessEqual" -> binary (fun (a, b) -> mask (Expression.LessThanOrEqual(a, b)))
        | "equal" -> binary (fun (a, b) -> mask (Expression.Equal(a, b)))
        | "notEqual" -> binary (fun (a, b) -> mask (Expression.NotEqual(a, b)))
        | "where" -> Some(fun a -> Expression.Condition(Expression.NotEqual(a[0], zero), a[1], a[2]))
        | _ -> None

    /// True for the primitives a fused loop can evaluate.
    let isElementwise name parameters = (tryFormula name parameters).IsSome

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

    let private select (mask: Expression) (a: Expression) (b: Expression) = call (vectorMethod "ConditionalSelect" 3) [| mask; a; b |]
    let private vectorUnary name = Some(fun (a: Expression[]) -> call (vectorMethod name 1) [| a[0] |])
    let private vectorMask name = binary (fun (a, b) -> select (call (vectorMethod name 2) [| a; b |]) ones zeros)

    /// The same formulas on Vector<double> lanes, for the primitives whose vector form computes
    /// what the scalar one does (IEEE arithmetic, comparisons, selection, √, |·|, relu); None for the
    /// others, whose loops stay scalar. Vector.Exp/Log/Sin/Cos exist but measured slower than
    /// scalar Math calls (BENCHMARKS.md), so transcendental functions keep a loop scalar.
    let tryVectorFormula (name: string) : (Expression[] -> Expression) option =
        match name with
        | "add" | "sub" | "mul" | "div" | "neg" -> tryFormula name ""
        | "mulNoNan" -> binary (fun (a, b) -> select (call (vectorMethod "Equals" 2) [| a; zeros |]) zeros (Expression.Multiply(a, b)))
        | "sqrt" -> vectorUnary "SquareRoot"
        | "abs" -> vectorUnary "Abs"
        | "greater" -> vectorMask "GreaterThan"
        | "greaterEqual" -> vectorMask "GreaterThanOrEqual"
        | "less" -> vectorMask "LessThan"
        | "lessEqual" -> vectorMask "LessThanOrEqual"
        | "equal" -> vectorMask "Equals"
        | "notEqual" -> binary (fun (a, b) -> select (call (vectorMethod "Equals" 2) [| a; b |]) zeros ones)
        | "where" -> Some(fun a -> select (call (vectorMethod "Equals" 2) [| a[0]; zeros |]) a[2] a[1])
        // x where x > 0, NaN where x is NaN (x ≠ x), else +0: reluValue lane by lane.
        | "relu" ->
            Some(fun a ->
                let isNumber = call (vectorMethod "Equals" 2) [| a[0]; a[0] |]
                select (call (vectorMethod "GreaterThan" 2) [| a[0]; zeros |]) a[0] (select isNumber zeros a[0]))
        | _ -> None
