namespace FunctionalAD.Primitives

open System
open System.Linq.Expressions
open System.Numerics
open System.Reflection
open FunctionalAD

/// Building the scalar formulas of elementwise primitives (`Capabilities.Formula`): LINQ
/// expressions that state what the primitive computes on one element, on doubles and, where the
/// bits agree, on Vector<double> lanes; formulas exact in either precision (arithmetic,
/// comparisons, selection, √, |·|) state it once for float32 and Vector<float32> lanes too, and
/// the others leave float32 elements to the double formula, rounded once (as eager's widening
/// fallback computes them). Each formula is the one the primitive evaluates eagerly —
/// the `Math` function where the eager kernel calls the TensorPrimitives function of that name
/// (whose vector paths may round a transcendental function differently by an ulp), the
/// primitive's own scalar function otherwise.
module internal Formula =
    /// The method of `ScalarFunctions` named `name` (written `nameof ScalarFunctions.Log1p`, so
    /// that the compiler checks the name) taking `arity` doubles. Quotations found these before:
    /// a quotation literal is deserialized each time it is evaluated, which made `maximum`,
    /// `minimum` and `clamp` cost 4.4–5.8 µs a call on four elements, and FSharp.Quotations' own
    /// code (about 110 methods) was JIT-compiled at a process's first tensor operation.
    let scalarFunction (name: string) (arity: int) : MethodInfo =
        match typeof<ScalarFunctions>.GetMethod(name, Array.create arity typeof<double>) with
        | null -> invalidArg "name" (sprintf "ScalarFunctions has no %s of %d float64 arguments" name arity)
        | m -> m

    let private call (m: MethodInfo) (args: Expression[]) = Expression.Call(m, args) :> Expression

    /// A constant of the element type (double or float32).
    let private constantOf (element: Type) (v: double) : Expression =
        if element = typeof<float32> then Expression.Constant(float32 v) else Expression.Constant v

    /// The lanes type Vector<element>.
    let private lanesOf (element: Type) = typedefof<Vector<_>>.MakeGenericType element

    /// Vector<element> with every lane `v`.
    let private splatOf (element: Type) (v: double) : Expression =
        Expression.New((lanesOf element).GetConstructor [| element |], constantOf element v)

    /// A method of System.Numerics.Vector on Vector<element>: the overload for the element type
    /// that returns Vector<element> where there is one, else the generic method made for it.
    let private vectorMethod (element: Type) (name: string) (arity: int) =
        let lanes = lanesOf element
        let generic () =
            let definition = typeof<Vector>.GetMethods() |> Array.find (fun m -> m.Name = name && m.IsGenericMethodDefinition && m.GetParameters().Length = arity)
            definition.MakeGenericMethod element
        match typeof<Vector>.GetMethod(name, Array.create arity lanes) with
        | null -> generic ()
        | m when m.ReturnType = lanes -> m
        | _ -> generic ()

    /// Lane-wise selection: a where the mask lane is set, else b.
    let private select element (mask: Expression) (a: Expression) (b: Expression) = call (vectorMethod element "ConditionalSelect" 3) [| mask; a; b |]
    let private lanes element name (args: Expression[]) = call (vectorMethod element name args.Length) args

    /// The capabilities of an elementwise primitive with the given formula and algebraic role.
    let capabilities (formula: ScalarFormula) (algebra: Algebra) : Capabilities = { Param.none with Formula = ValueSome formula; Algebra = algebra }

    /// A formula from its scalar and (optional) vector expressions on doubles; float32 elements
    /// go through the double formula (widened, rounded once).
    let make (arity: int) (emit: Expression[] -> Expression) (vectorEmit: (Expression[] -> Expression) voption) (method: MethodInfo) : ScalarFormula =
        { Emit = emit; EmitVector = vectorEmit; Emit32 = ValueNone; EmitVector32 = ValueNone; Method = method; Arity = arity }

    /// A formula stated once for any element type: `scalar element` on scalars, `vector element`
    /// on lanes, for element double and float32. For formulas whose float32 form computes, in
    /// float32, what the primitive's eager float32 kernel computes (IEEE arithmetic, comparisons,
    /// selection: exact in either precision).
    let private inBoth (arity: int) (scalar: Type -> Expression[] -> Expression) (vector: (Type -> Expression[] -> Expression) voption) (method: MethodInfo) =
        { Emit = scalar typeof<double>
          EmitVector = vector |> ValueOption.map (fun v -> v typeof<double>)
          Emit32 = ValueSome(scalar typeof<float32>)
          EmitVector32 = vector |> ValueOption.map (fun v -> v typeof<float32>)
          Method = method
          Arity = arity }

    /// The formula that calls a static method of doubles (`Math.Exp`, or an F# function of this
    /// library written for the primitive), with an optional vector form.
    let ofMethod (m: MethodInfo) (vectorEmit: (Expression[] -> Expression) voption) =
        make (m.GetParameters().Length) (call m) vectorEmit m

    /// A function of `Math` taking doubles.
    let math (name: string) (arity: int) = typeof<Math>.GetMethod(name, Array.create arity typeof<double>)

    /// A function of `Math` and its `MathF` twin on float32, correctly rounded in both (√, |·|),
    /// with the vector method of that name on lanes of either type.
    let exactMath (name: string) (vectorName: string) =
        let scalar (element: Type) =
            let host = if element = typeof<float32> then typeof<MathF> else typeof<Math>
            call (host.GetMethod(name, [| element |]))
        inBoth 1 scalar (ValueSome(fun element -> lanes element vectorName)) (math name 1)

    /// An arithmetic operator of two arguments (IEEE: the vector form computes the same bits, in
    /// float32 as in double).
    let arithmetic (build: Expression * Expression -> BinaryExpression) =
        let emit (_: Type) (a: Expression[]) = build (a[0], a[1]) :> Expression
        inBoth 2 emit (ValueSome emit) null

    /// A comparison giving the mask 1 or 0.
    let comparison (scalarTest: Expression * Expression -> BinaryExpression) (vectorTest: string) (negate: bool) =
        let emit element (a: Expression[]) = Expression.Condition(scalarTest (a[0], a[1]), constantOf element 1.0, constantOf element 0.0) :> Expression
        let vectorEmit element (a: Expression[]) =
            let test = lanes element vectorTest [| a[0]; a[1] |]
            let ones, zeros = splatOf element 1.0, splatOf element 0.0
            if negate then select element test zeros ones else select element test ones zeros
        inBoth 2 emit (ValueSome vectorEmit) null

    /// a · b, except 0 where a = 0 even if b is infinite or NaN.
    let guardedProduct =
        inBoth 2
            (fun element a -> Expression.Condition(Expression.Equal(a[0], constantOf element 0.0), constantOf element 0.0, Expression.Multiply(a[0], a[1])) :> Expression)
            (ValueSome(fun element a -> select element (lanes element "Equals" [| a[0]; splatOf element 0.0 |]) (splatOf element 0.0) (Expression.Multiply(a[0], a[1]))))
            null

    /// cond ≠ 0 ? a : b.
    let selection =
        inBoth 3
            (fun element a -> Expression.Condition(Expression.NotEqual(a[0], constantOf element 0.0), a[1], a[2]) :> Expression)
            (ValueSome(fun element a -> select element (lanes element "Equals" [| a[0]; splatOf element 0.0 |]) a[2] a[1]))
            null

    /// −x.
    let negation = inBoth 1 (fun _ a -> Expression.Negate a[0] :> Expression) (ValueSome(fun _ a -> Expression.Negate a[0] :> Expression)) null

    /// x itself (a primitive that only changes derivatives).
    let identity = inBoth 1 (fun _ a -> a[0]) (ValueSome(fun _ a -> a[0])) null

    /// x^c for a constant c.
    let powerOf (c: double) =
        let pow = math "Pow" 2
        make 1 (fun a -> call pow [| a[0]; Expression.Constant c |]) ValueNone null

    /// x where x > 0, NaN where x is NaN (x ≠ x), else +0, lane by lane: the vector form of relu.
    let private reluLanesOf element (a: Expression[]) =
        let zeros = splatOf element 0.0
        let isNumber = lanes element "Equals" [| a[0]; a[0] |]
        select element (lanes element "GreaterThan" [| a[0]; zeros |]) a[0] (select element isNumber zeros a[0])

    /// relu: the scalar function of this library, and lanes that select x or +0. On float32 the
    /// scalar form stays the double function (rounded once: exact, relu only selects), the lanes
    /// run on Vector<float32>.
    let relu (m: MethodInfo) =
        { ofMethod m (ValueSome(reluLanesOf typeof<double>)) with EmitVector32 = ValueSome(reluLanesOf typeof<float32>) }

    /// The capabilities of the arithmetic primitives, as values: the recursive module that
    /// declares those primitives may only refer to finished values while its records are built.
    module Arithmetic =
        let add = capabilities (arithmetic Expression.Add) Algebra.Sum
        let sub = capabilities (arithmetic Expression.Subtract) Algebra.Difference
        let neg = capabilities negation Algebra.Negation
        let mul = capabilities (arithmetic Expression.Multiply) Algebra.Product
        let div = capabilities (arithmetic Expression.Divide) Algebra.Quotient
        let mulNoNan = capabilities guardedProduct Algebra.GuardedProduct
