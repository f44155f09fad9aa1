namespace FunctionalAD.Symbolic

open System
open System.Collections.Generic
open System.Linq.Expressions

/// Writes terms as a LINQ expression body. A term used more than once becomes a block variable
/// computed once (common-subexpression sharing); a term used once, a constant, a parameter or a
/// comparison is written inline; so the compiled delegate does the work a hand-written
/// derivative would.
module internal ToExpression =
    let private mathMethod name arity = typeof<Math>.GetMethod(name, Array.create arity typeof<float>)
    let private math name (args: Expression[]) = Expression.Call(mathMethod name args.Length, args) :> Expression
    let private number (v: float) = Expression.Constant(v) :> Expression

    /// How many times the written form of `t` mentions each argument: the guard of `mulNoNan`
    /// and the square x·x repeat their argument, which must then be computed once.
    let private mentions (t: Term) =
        match t.Operation with
        | MultiplyNoNan -> [| 2; 1 |]
        | Power when t.Args[1].ConstantValue = ValueSome 2.0 -> [| 2; 1 |]
        | _ -> Array.create t.Args.Length 1

    let private comparison (c: Comparison) (a: Expression) (b: Expression) : Expression =
        match c with
        | FunctionalAD.Relation.Greater -> Expression.GreaterThan(a, b)
        | FunctionalAD.Relation.GreaterEqual -> Expression.GreaterThanOrEqual(a, b)
        | FunctionalAD.Relation.Less -> Expression.LessThan(a, b)
        | FunctionalAD.Relation.LessEqual -> Expression.LessThanOrEqual(a, b)
        | FunctionalAD.Relation.Equal -> Expression.Equal(a, b)
        | FunctionalAD.Relation.NotEqual -> Expression.NotEqual(a, b)

    let private ifElse (test: Expression) (a: Expression) (b: Expression) = Expression.Condition(test, a, b) :> Expression

    /// Terms written as expressions: block variables, their assignments in evaluation order, and
    /// one expression per output.
    type Emitted =
        { Variables: ParameterExpression list
          Assignments: Expression list
          Outputs: Expression[] }

    /// Writes `outputs` over `parameters` (parameter i is `Parameter i`).
    let emit (parameters: ParameterExpression[]) (outputs: Term[]) : Emitted =
        let uses = Dictionary<Term, int>(HashIdentity.Reference)
        let count (t: Term) k = uses[t] <- (match uses.TryGetValue t with | true, n -> n | _ -> 0) + k
        let visited = HashSet<Term>(HashIdentity.Reference)
        let pending = Stack<Term>()
        for o in outputs do
            count o 1
            pending.Push o
        while pending.Count > 0 do
            let t = pending.Pop()
            if visited.Add t then
                Array.iter2 (fun a k -> count a k; pending.Push a) t.Args (mentions t)
        let written = Dictionary<Term, Expression>(HashIdentity.Reference)
        let variables = List<ParameterExpression>()
        // Block variables are t0, t1, …, skipping names the parameters already use.
        let taken = HashSet<string>(parameters |> Seq.map (fun p -> p.Name))
        // A running counter: taking the n-th name of a filtered sequence afresh for each
        // variable made a derivative with thousands of shared terms quadratic in their number.
        let mutable counter = 0
        let rec nextName () =
            let name = sprintf "t%d" counter
            counter <- counter + 1
            if taken.Contains name then nextName () else name
        let assignments = List<Expression>()
        for t in visited |> Seq.sortBy (fun t -> t.Id) do
            let args = t.Args |> Array.map (fun a -> written[a])
            let expression =
                match t.Operation with
                | Constant v -> number v
                | Parameter i -> parameters[i] :> Expression
                | Negate -> Expression.Negate args[0]
                | Add -> Expression.Add(args[0], args[1])
                | Subtract -> Expression.Subtract(args[0], args[1])
                | Multiply -> Expression.Multiply(args[0], args[1])
                | Divide -> Expression.Divide(args[0], args[1])
                | MultiplyNoNan -> ifElse (Expression.Equal(args[0], number 0.0)) (number 0.0) (Expression.Multiply(args[0], args[1]))
                | Power ->
                    match t.Args[1].ConstantValue with
                    | ValueSome 2.0 -> Expression.Multiply(args[0], args[0])
                    | ValueSome 0.5 -> math "Sqrt" [| args[0] |]
                    | ValueSome -1.0 -> Expression.Divide(number 1.0, args[0])
                    | _ -> math "Pow" args
                | Maximum -> math "Max" args
                | Minimum -> math "Min" args
                | Apply f -> f.Formula.Emit [| args[0] |]
                | Compare c -> ifElse (comparison c args[0] args[1]) (number 1.0) (number 0.0)
                | Select ->
                    let cond = t.Args[0]
                    let test =
                        match cond.Operation with
                        | Compare c -> comparison c written[cond.Args[0]] written[cond.Args[1]]
                        | _ -> Expression.NotEqual(args[0], number 0.0)
                    ifElse test args[1] args[2]
            match t.Operation with
            // A comparison is as cheap as reading a variable, and inline it reads as a test.
            | Constant _ | Parameter _ | Compare _ -> written[t] <- expression
            | _ when uses[t] > 1 ->
                let v = Expression.Variable(typeof<float>, nextName ())
                variables.Add v
                assignments.Add(Expression.Assign(v, expression))
                written[t] <- v
            | _ -> written[t] <- expression
        { Variables = List.ofSeq variables
          Assignments = List.ofSeq assignments
          Outputs = outputs |> Array.map (fun o -> written[o]) }

    /// A body computing `result` after the block's assignments (just `result` when none).
    let block (emitted: Emitted) (extraVariables: ParameterExpression list) (statements: Expression list) (result: Expression) : Expression =
        match emitted.Variables @ extraVariables, emitted.Assignments @ statements with
        | [], [] -> result
        | variables, steps -> Expression.Block(result.Type, variables, steps @ [ result ]) :> Expression
