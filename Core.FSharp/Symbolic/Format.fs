namespace FunctionalAD.Symbolic

open System
open System.Globalization
open System.Linq.Expressions
open FunctionalAD

/// How `Format` writes an expression: as C# (`Math.Exp(x)`, `Math.Pow(x, y)`), or as ordinary
/// math (`exp(x)`, `x^y`), the syntax of the `fad` command-line tool.
type internal ExpressionStyle =
    | CSharp
    | MathText

/// Prints the expressions that symbolic differentiation produces (arithmetic, Math calls,
/// conditionals, blocks of shared subexpressions, arrays) as readable text with no redundant
/// parentheses. `LambdaExpression.ToString()` prints conditionals as IIF(…) and blocks barely.
module internal Format =
    // Precedence levels: higher binds tighter.
    let private conditional, equality, relational, additive, multiplicative, unary, power, primary = 1, 2, 3, 4, 5, 6, 7, 8

    let number (style: ExpressionStyle) (v: float) =
        if Double.IsNaN v then (match style with CSharp -> "double.NaN" | MathText -> "nan")
        elif Double.IsPositiveInfinity v then (match style with CSharp -> "double.PositiveInfinity" | MathText -> "inf")
        elif Double.IsNegativeInfinity v then (match style with CSharp -> "double.NegativeInfinity" | MathText -> "-inf")
        else v.ToString("R", CultureInfo.InvariantCulture)

    let private binaryOperators =
        dict [ ExpressionType.Add, ("+", additive); ExpressionType.Subtract, ("-", additive)
               ExpressionType.Multiply, ("*", multiplicative); ExpressionType.Divide, ("/", multiplicative)
               ExpressionType.Equal, ("==", equality); ExpressionType.NotEqual, ("!=", equality)
               ExpressionType.GreaterThan, (">", relational); ExpressionType.GreaterThanOrEqual, (">=", relational)
               ExpressionType.LessThan, ("<", relational); ExpressionType.LessThanOrEqual, ("<=", relational)
               ExpressionType.AndAlso, ("&&", equality); ExpressionType.OrElse, ("||", equality) ]

    /// The text of `e` and its precedence level.
    let rec private write (style: ExpressionStyle) (e: Expression) : string * int =
        // One level of recursion per level of the tree: a tree deeper than the stack allows
        // stops with InsufficientExecutionStackException (see `body`) instead of ending the process.
        Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack()
        let atLeast level (child: Expression) =
            let text, p = write style child
            if p >= level then text else "(" + text + ")"
        match e with
        | :? ConstantExpression as c ->
            match c.Value with
            | :? float as v -> number style v, (if v < 0.0 || Double.IsNegativeInfinity v then unary else primary)
            | v -> string v, primary
        | :? ParameterExpression as p -> p.Name, primary
        | :? UnaryExpression as u when u.NodeType = ExpressionType.Negate ->
            let operand = u.Operand
            let negative = match operand with :? ConstantExpression as c -> (match c.Value with :? float as v -> v < 0.0 | _ -> false) | _ -> false
            let text = if operand.NodeType = ExpressionType.Negate || negative then "(" + fst (write style operand) + ")" else atLeast (if style = MathText then power else unary) operand
            "-" + text, unary
        | :? UnaryExpression as u when u.NodeType = ExpressionType.Convert -> sprintf "(%s)%s" u.Type.Name (atLeast unary u.Operand), unary
        | :? BinaryExpression as b when b.NodeType = ExpressionType.ArrayIndex -> sprintf "%s[%s]" (atLeast primary b.Left) (fst (write style b.Right)), primary
        | :? BinaryExpression as b when binaryOperators.ContainsKey b.NodeType ->
            let symbol, level = binaryOperators[b.NodeType]
            sprintf "%s %s %s" (atLeast level b.Left) symbol (atLeast (level + 1) b.Right), level
        | :? ConditionalExpression as c ->
            sprintf "%s ? %s : %s" (atLeast (conditional + 1) c.Test) (atLeast conditional c.IfTrue) (atLeast conditional c.IfFalse), conditional
        | :? MethodCallExpression as m when m.Method.DeclaringType = typeof<Math> || m.Method.DeclaringType = typeof<ScalarFunctions> ->
            let args = m.Arguments |> Seq.map (fun a -> fst (write style a)) |> Seq.toArray
            match style with
            | MathText when m.Method.Name = "Pow" -> sprintf "%s^%s" (atLeast primary m.Arguments[0]) (atLeast unary m.Arguments[1]), power
            | MathText -> sprintf "%s(%s)" (m.Method.Name.ToLowerInvariant()) (String.Join(", ", args)), primary
            | CSharp -> sprintf "%s.%s(%s)" m.Method.DeclaringType.Name m.Method.Name (String.Join(", ", args)), primary
        | :? NewArrayExpression as a when a.NodeType = ExpressionType.NewArrayInit ->
            let items = String.Join(", ", a.Expressions |> Seq.map (fun x -> fst (write style x)))
            (match style with CSharp -> sprintf "new[] { %s }" items | MathText -> sprintf "[%s]" items), primary
        | :? NewArrayExpression as a ->
            sprintf "new %s[%s]" (a.Type.GetElementType().Name.ToLowerInvariant()) (String.Join(", ", a.Expressions |> Seq.map (fun x -> fst (write style x)))), primary
        | :? IndexExpression as i ->
            sprintf "%s[%s]" (atLeast primary i.Object) (String.Join(", ", i.Arguments |> Seq.map (fun x -> fst (write style x)))), primary
        | _ -> "(" + e.ToString() + ")", primary

    /// One statement of a block: `var t0 = …` on a block variable's first assignment.
    let private statement (style: ExpressionStyle) (declared: Collections.Generic.HashSet<ParameterExpression>) (e: Expression) =
        match e with
        | :? BinaryExpression as b when b.NodeType = ExpressionType.Assign ->
            let target =
                match b.Left with
                | :? ParameterExpression as p when style = CSharp && declared.Add p -> "var " + p.Name
                | left -> fst (write style left)
            sprintf "%s = %s" target (fst (write style b.Right))
        | _ -> fst (write style e)

    /// The statements before the result (a block's assignments) and the result's text.
    let body (style: ExpressionStyle) (e: Expression) : string list * string =
        try
            match e with
            | :? BlockExpression as b ->
                let declared = Collections.Generic.HashSet<ParameterExpression>()
                let steps = b.Expressions |> Seq.take (b.Expressions.Count - 1) |> Seq.map (statement style declared) |> List.ofSeq
                steps, fst (write style b.Result)
            | _ -> [], fst (write style e)
        with :? InsufficientExecutionStackException as x ->
            raise (NotSupportedException("Format: the expression is nested too deeply for this thread's stack to print.", x))

    /// A lambda as text: `x => x + x` on one line, or a block body with one statement a line.
    let lambda (style: ExpressionStyle) (l: LambdaExpression) =
        let parameters =
            match l.Parameters |> Seq.map (fun p -> p.Name) |> List.ofSeq with
            | [ one ] -> one
            | many -> "(" + String.Join(", ", many) + ")"
        match body style l.Body with
        | [], result -> sprintf "%s => %s" parameters result
        | steps, result ->
            let lines = (steps |> List.map (fun s -> sprintf "    %s;" s)) @ [ sprintf "    return %s;" result ]
            sprintf "%s =>\n{\n%s\n}" parameters (String.Join("\n", lines))
