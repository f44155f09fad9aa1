namespace FunctionalAD.Symbolic

open System
open System.Collections.Generic
open System.Globalization
open FunctionalAD

/// Reads a graph of scalar nodes (a function or a derivative the core's AD built over abstract
/// scalar inputs) back as simplified terms. Layout operations on scalars are identities; any
/// other operation must be one a LINQ expression can state.
module internal FromGraph =
    let private unsupported (n: Node) (name: string) (why: string) =
        raise (NotSupportedException(sprintf "Symbolic differentiation: the graph operation '%s' (shape %s) cannot be written as a scalar expression: %s." name (Shape.format n.Shape) why))

    let private functions =
        dict [ "exp", Exp; "log", Log; "log1p", Log1p; "expm1", Expm1; "sqrt", Sqrt; "sin", Sin; "cos", Cos; "tan", Tan
               "tanh", Tanh; "sigmoid", Sigmoid; "softplus", Softplus; "relu", Relu; "abs", Abs; "sign", Sign ]

    let private comparisons =
        dict [ "greater", Greater; "greaterEqual", GreaterEqual; "less", Less; "lessEqual", LessEqual; "equal", Equal; "notEqual", NotEqual ]

    /// The term of one operation node from its arguments' terms.
    let private applyOp (table: TermTable) (n: Node) (op: Op) (args: Term[]) =
        match op.Name with
        | "add" -> Simplify.add table args[0] args[1]
        | "sub" -> Simplify.sub table args[0] args[1]
        | "mul" -> Simplify.mul table args[0] args[1]
        | "div" -> Simplify.div table args[0] args[1]
        | "neg" -> Simplify.neg table args[0]
        | "mulNoNan" -> Simplify.mulNoNan table args[0] args[1]
        | "pow" -> Simplify.power table args[0] args[1]
        | "powConst" -> Simplify.power table args[0] (Simplify.constant table (Double.Parse(op.Params, CultureInfo.InvariantCulture)))
        | "maximum" -> Simplify.maximum table args[0] args[1]
        | "minimum" -> Simplify.minimum table args[0] args[1]
        | "where" -> Simplify.select table args[0] args[1] args[2]
        // On one element these only change the shape, and stopGradient only changes derivatives.
        | "broadcastTo" | "sumTo" | "reshape" | "stopGradient" -> args[0]
        | name ->
            match functions.TryGetValue name with
            | true, f -> Simplify.apply table f args[0]
            | _ ->
                match comparisons.TryGetValue name with
                | true, c -> Simplify.compare table c args[0] args[1]
                | _ -> unsupported n name "there is no scalar form for it"

    /// The terms of `outputs`, where `inputs[i]` is parameter i. Every node must hold one element.
    let terms (table: TermTable) (level: int) (inputs: Node[]) (outputs: Node[]) : Term[] =
        let termOf = Dictionary<Node, Term>(NodeIdentity.Comparer)
        inputs |> Array.iteri (fun i n -> termOf[n] <- Simplify.parameter table i)
        let lookup (n: Node) =
            match termOf.TryGetValue n with
            | true, t -> t
            | _ when n.IsConstant && Shape.size n.Shape = 1 -> Simplify.constant table n.Value.Data[0]
            | _ when n.IsConstant -> unsupported n "constant" "only single numbers can be written inline"
            | _ -> raise (InvalidOperationException(sprintf "Symbolic differentiation: node %d depends on a variable that is not a parameter of the expression." n.Id))
        for n in Graph.topologicalOrder level outputs do
            if not (termOf.ContainsKey n) then
                match n.Kind with
                | Apply op ->
                    if Shape.size n.Shape <> 1 then unsupported n op.Name "only scalar operations have a scalar form"
                    termOf[n] <- applyOp table n op (n.Args |> Array.map lookup)
                // A variable of an inner transform stands for its argument.
                | Variable _ when n.Args.Length = 1 -> termOf[n] <- lookup n.Args[0]
                | _ -> ()
        outputs |> Array.map lookup
