namespace FunctionalAD.Symbolic

open System
open System.Collections.Generic
open FunctionalAD

/// Reads a graph of scalar nodes (a function or a derivative the core's AD built over abstract
/// scalar inputs) back as simplified terms. Layout operations on scalars are identities; any
/// other operation must be one a LINQ expression can state.
module internal FromGraph =
    let private unsupported (n: Node) (name: string) (why: string) =
        raise (NotSupportedException(sprintf "Symbolic differentiation: the graph operation '%s' (shape %s) cannot be written as a scalar expression: %s." name (Shape.format n.Shape) why))

    /// The term of one operation node from its arguments' terms, by the primitive's algebraic
    /// role, or through its scalar formula.
    let private applyOp (table: TermTable) (n: Node) (op: Op) (args: Term[]) =
        match op.Capabilities.Algebra with
        | Algebra.Sum -> Simplify.add table args[0] args[1]
        | Algebra.Difference -> Simplify.sub table args[0] args[1]
        | Algebra.Product | Algebra.MatrixProduct -> Simplify.mul table args[0] args[1]
        | Algebra.Quotient -> Simplify.div table args[0] args[1]
        | Algebra.Negation -> Simplify.neg table args[0]
        | Algebra.GuardedProduct -> Simplify.mulNoNan table args[0] args[1]
        | Algebra.Power -> Simplify.power table args[0] args[1]
        | Algebra.PowerOf c -> Simplify.power table args[0] (Simplify.constant table c)
        | Algebra.Maximum -> Simplify.maximum table args[0] args[1]
        | Algebra.Minimum -> Simplify.minimum table args[0] args[1]
        | Algebra.Selection -> Simplify.select table args[0] args[1] args[2]
        | Algebra.Comparison relation -> Simplify.compare table relation args[0] args[1]
        // On one element these only change the shape, and a pass-through only changes derivatives.
        | Algebra.Stretch | Algebra.SameElements | Algebra.Rearrangement | Algebra.MatrixTranspose | Algebra.PassThrough -> args[0]
        | Algebra.Mask | Algebra.Opaque ->
            match op.Capabilities.Formula with
            | ValueSome formula when formula.Arity = 1 ->
                Simplify.apply table (Function(op, formula, op.Capabilities.Algebra = Algebra.Mask)) args[0]
            | _ -> unsupported n (Op.nameOf op) "there is no scalar form for it"

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
                    if Shape.size n.Shape <> 1 then unsupported n (Op.nameOf op) "only scalar operations have a scalar form"
                    termOf[n] <- applyOp table n op (n.Args |> Array.map lookup)
                // A variable of an inner transform stands for its argument.
                | Variable _ when n.Args.Length = 1 -> termOf[n] <- lookup n.Args[0]
                | _ -> ()
        outputs |> Array.map lookup
