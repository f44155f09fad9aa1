namespace FunctionalAD.Symbolic

open System
open System.Collections.Generic
open System.Globalization
open System.Linq.Expressions
open System.Runtime.CompilerServices
open FunctionalAD

/// Turns a LINQ lambda over doubles into a function on scalar tensors, so the core's AD can
/// differentiate it: there is no second differentiation engine, only this translation in and
/// `ToExpression`'s translation out.
module internal FromExpression =
    let private unsupported (e: Expression) (why: string) : 'T =
        raise (NotSupportedException(sprintf "Symbolic differentiation: the %O node '%O' is not supported: %s." e.NodeType e why))

    /// True when `e` refers to one of the parameters being differentiated.
    let private mentions (parameters: ParameterExpression[]) (e: Expression) =
        let mutable found = false
        let visitor =
            { new ExpressionVisitor() with
                override _.VisitParameter p =
                    if Array.contains p parameters then found <- true
                    p }
        visitor.Visit e |> ignore
        found

    /// The subexpressions the translation descends into; None for the others, which it
    /// evaluates whole or reports.
    let private children (e: Expression) : Expression list option =
        match e with
        | :? BinaryExpression as b -> Some [ b.Left; b.Right ]
        | :? UnaryExpression as u -> Some [ u.Operand ]
        | :? ConditionalExpression as c -> Some [ c.Test; c.IfTrue; c.IfFalse ]
        | :? MethodCallExpression as m -> Some [ if not (isNull m.Object) then m.Object
                                                 yield! m.Arguments ]
        | :? ParameterExpression | :? ConstantExpression -> Some []
        | _ -> None

    /// The subexpressions that depend on the parameters, found in one pass with an explicit
    /// stack: asking each node afresh visited a chain's whole subtree at every level (quadratic
    /// time), and recursion would overflow the stack on a deep tree.
    let private dependents (parameters: ParameterExpression[]) (root: Expression) =
        let found = HashSet<Expression>()
        let visited = HashSet<Expression>()
        let stack = Stack<struct (Expression * bool)>()
        stack.Push(struct (root, false))
        while stack.Count > 0 do
            let struct (e, expanded) = stack.Pop()
            match children e with
            | None -> if visited.Add e && mentions parameters e then found.Add e |> ignore
            | Some kids when expanded ->
                let isParameter = match e with :? ParameterExpression as p -> Array.contains p parameters | _ -> false
                if isParameter || kids |> List.exists found.Contains then found.Add e |> ignore
            | Some kids ->
                if visited.Add e then
                    stack.Push(struct (e, true))
                    for k in kids do stack.Push(struct (k, false))
        found

    /// The value of an expression that does not depend on the parameters: a literal, a captured
    /// variable (a field of a closure object), a static field such as Math.PI, a constant call.
    let private evaluate (e: Expression) : obj =
        match e with
        | :? ConstantExpression as c -> c.Value
        | _ -> Expression.Lambda<Func<obj>>(Expression.Convert(e, typeof<obj>)).Compile(preferInterpretation = true).Invoke()

    let private number (e: Expression) =
        match evaluate e with
        | :? float as v -> v
        | :? float32 | :? int | :? int64 | :? int16 | :? byte | :? decimal | :? uint32 | :? uint64 as v -> Convert.ToDouble(v, CultureInfo.InvariantCulture)
        | v -> unsupported e (sprintf "it evaluates to %s, not a number" (if isNull v then "null" else v.GetType().Name))

    let private log10 = log 10.0

    /// The methods with a tensor form: those an elementwise primitive declares as its formula
    /// (Math.Exp, Math.Atan2, ScalarFunctions.Log1p …), and a few compositions (Sinh and Cosh
    /// through exp, logarithms to a base through the natural logarithm).
    let private call (e: MethodCallExpression) (args: Tensor[]) : Tensor =
        let declared = Primitives.Elementwise.registered () |> Seq.tryFind (fun p -> p.Formula.Method = e.Method)
        match declared, e.Method.Name, args with
        | Some p, _, _ -> Tensor.Of(p.Apply(args |> Array.map (fun a -> a.Node)))
        | None, "Log", [| x; b |] -> log x / log b
        | None, "Log10", [| x |] -> log x / log10
        | None, "Sinh", [| x |] -> (exp x - exp (-x)) / 2.0
        | None, "Cosh", [| x |] -> (exp x + exp (-x)) / 2.0
        | None, "Max", [| x; y |] -> Tensor.maximum x y
        | None, "Min", [| x; y |] -> Tensor.minimum x y
        | _ ->
            let supported = Primitives.Elementwise.registered () |> Seq.choose (fun p -> if isNull p.Formula.Method then None else Some(p.Formula.Method.DeclaringType.Name + "." + p.Formula.Method.Name))
            unsupported e (sprintf "the core has no primitive for this method (supported: %s, Math.Pow, Log with a base, Log10, Sinh, Cosh, Max, Min)" (String.Join(", ", supported)))

    /// A function of the tensors standing for `lambda`'s parameters. An unsupported node is
    /// reported when the function is first applied, which differentiation does before any work.
    let translate (lambda: LambdaExpression) : Tensor[] -> Tensor =
        let parameters = lambda.Parameters |> Seq.toArray
        for p in parameters do
            if p.Type <> typeof<float> then
                raise (NotSupportedException(sprintf "Symbolic differentiation: parameter '%s' has type %s; only double parameters can be differentiated." p.Name p.Type.Name))
        if lambda.ReturnType <> typeof<float> then
            raise (NotSupportedException(sprintf "Symbolic differentiation: the expression returns %s; it must return double." lambda.ReturnType.Name))
        let dependent = dependents parameters lambda.Body
        let depends (e: Expression) = dependent.Contains e

        // Translation recurses once per level of the tree; on a tree deeper than the stack allows
        // it stops with InsufficientExecutionStackException (see `translate`'s result) instead of
        // overflowing the stack, which would end the process.
        let rec value (env: Tensor[]) (e: Expression) : Tensor =
            RuntimeHelpers.EnsureSufficientExecutionStack()
            if not (depends e) then Tensor.scalar (number e)
            else
                match e with
                | :? ParameterExpression as p -> env[Array.IndexOf(parameters, p)]
                | :? BinaryExpression as b ->
                    let x () = value env b.Left
                    let y () = value env b.Right
                    match b.NodeType with
                    | ExpressionType.Add | ExpressionType.AddChecked -> x () + y ()
                    | ExpressionType.Subtract | ExpressionType.SubtractChecked -> x () - y ()
                    | ExpressionType.Multiply | ExpressionType.MultiplyChecked -> x () * y ()
                    | ExpressionType.Divide -> x () / y ()
                    | ExpressionType.Power -> power env b.Left b.Right
                    | _ -> unsupported e "only + − × ÷ and powers have derivatives here"
                | :? UnaryExpression as u ->
                    match u.NodeType with
                    | ExpressionType.Negate | ExpressionType.NegateChecked -> -(value env u.Operand)
                    | ExpressionType.UnaryPlus -> value env u.Operand
                    // A conversion to double keeps the value; one away from double (a truncation
                    // to int) is reported, however deep inside a conversion back it sits.
                    | ExpressionType.Convert | ExpressionType.ConvertChecked when u.Type = typeof<float> -> value env u.Operand
                    | ExpressionType.Convert | ExpressionType.ConvertChecked -> unsupported e (sprintf "converting a value that depends on a parameter from %s to %s loses its derivative" u.Operand.Type.Name u.Type.Name)
                    | _ -> unsupported e "no derivative rule for this operator"
                | :? ConditionalExpression as c -> Tensor.where (mask env c.Test) (value env c.IfTrue) (value env c.IfFalse)
                | :? MethodCallExpression as m when m.Method.DeclaringType = typeof<Math> || m.Method.DeclaringType = typeof<ScalarFunctions> ->
                    if m.Method.Name = "Pow" && m.Arguments.Count = 2 then power env m.Arguments[0] m.Arguments[1]
                    else call m (m.Arguments |> Seq.map (value env) |> Seq.toArray)
                | _ -> unsupported e "only arithmetic, Math methods, conditionals, constants and captured variables can be differentiated"

        /// x^y, with a constant exponent as the cheaper `powConst`.
        and power (env: Tensor[]) (x: Expression) (y: Expression) =
            if depends y then Tensor.pow (value env x) (value env y) else Tensor.powConst (number y) (value env x)

        /// A condition as a 1/0 mask.
        and mask (env: Tensor[]) (e: Expression) : Tensor =
            RuntimeHelpers.EnsureSufficientExecutionStack()
            if not (depends e) then
                match evaluate e with
                | :? bool as b -> Tensor.scalar (if b then 1.0 else 0.0)
                | _ -> unsupported e "a condition must be a bool"
            else
                let compare f (b: BinaryExpression) = f (value env b.Left) (value env b.Right)
                match e with
                | :? BinaryExpression as b ->
                    match b.NodeType with
                    | ExpressionType.GreaterThan -> compare Tensor.greater b
                    | ExpressionType.GreaterThanOrEqual -> compare Tensor.greaterEqual b
                    | ExpressionType.LessThan -> compare Tensor.less b
                    | ExpressionType.LessThanOrEqual -> compare Tensor.lessEqual b
                    | ExpressionType.Equal -> compare Tensor.equal b
                    | ExpressionType.NotEqual -> compare Tensor.notEqual b
                    | ExpressionType.AndAlso | ExpressionType.And -> mask env b.Left * mask env b.Right
                    | ExpressionType.OrElse | ExpressionType.Or -> Tensor.maximum (mask env b.Left) (mask env b.Right)
                    | _ -> unsupported e "a condition must be a comparison of doubles, possibly combined with &&, || and !"
                | :? UnaryExpression as u when u.NodeType = ExpressionType.Not -> 1.0 - mask env u.Operand
                | _ -> unsupported e "a condition must be a comparison of doubles, possibly combined with &&, || and !"

        fun env ->
            try value env lambda.Body
            with :? InsufficientExecutionStackException as e ->
                raise (NotSupportedException("Symbolic differentiation: the expression is nested too deeply for this thread's stack; split it into smaller expressions or build it with tensors (AD.Grad of a Func).", e))
