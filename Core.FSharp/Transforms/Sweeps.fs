namespace FunctionalAD.Transforms

open System.Collections.Generic
open FunctionalAD
open FunctionalAD.Primitives

/// The two generic walks over a graph. They know nothing about individual primitives: each
/// node's rules come from its `Op`. A variable of another transform is the identity of its
/// argument, which is how an inner derivative stays differentiable by an outer one.
module internal Sweeps =
    /// A rule sees its node and arguments as constants wherever they depend on no open level:
    /// at the outermost level every rule then computes on plain values, building no graph,
    /// while inside an enclosing transform the derivative stays a differentiable graph.
    let private liveArgs (node: Node) = node.Args |> Array.map Graph.release

    /// Nodes of `order` that depend on one of `sources`.
    let private dependents (order: List<Node>) (sources: HashSet<Node>) =
        let relevant = HashSet<Node>(order.Count, HashIdentity.Reference)
        for n in order do
            let mutable depends = sources.Contains n
            let mutable i = 0
            while not depends && i < n.Args.Length do
                depends <- relevant.Contains n.Args[i]
                i <- i + 1
            if depends then relevant.Add n |> ignore
        relevant

    /// Reverse mode (the lectures' `node_to_grad` algorithm): seeds each output with its
    /// cotangent, walks the graph in reverse topological order, and sums the adjoints of a node
    /// used more than once. Returns every node's adjoint; absent means zero.
    let backward (level: int) (seeds: (Node * Node) seq) (wrt: Node seq) =
        let seeds = Seq.toArray seeds
        let wrt = HashSet<Node>(wrt, HashIdentity.Reference)
        let order = Graph.topologicalOrder level (seeds |> Array.map fst)
        let relevant = dependents order wrt
        let adjoint = Dictionary<Node, Node>(order.Count, HashIdentity.Reference)
        let accumulate (node: Node) (g: Node) =
            match adjoint.TryGetValue node with
            | true, existing -> adjoint[node] <- Arithmetic.add existing g
            | _ -> adjoint[node] <- g
        for node, seed in seeds do
            if relevant.Contains node then accumulate node seed
        for i in order.Count - 1 .. -1 .. 0 do
            let node = order[i]
            match adjoint.TryGetValue node with
            | true, g when not (wrt.Contains node) ->
                match node.Kind with
                | Variable _ when node.Args.Length = 1 -> accumulate node.Args[0] g
                | Apply op ->
                    let cotangents = op.Vjp (liveArgs node) (Graph.release node) g
                    for j in 0 .. node.Args.Length - 1 do
                        match cotangents[j] with
                        | ValueSome c when relevant.Contains node.Args[j] -> accumulate node.Args[j] c
                        | _ -> ()
                | _ -> ()
            | _ -> ()
        adjoint

    /// Forward mode: pushes the tangents of `inputs` through the graph in topological order.
    /// Returns every node's tangent; absent means zero.
    let forward (level: int) (inputs: (Node * Node) seq) (outputs: Node seq) =
        let order = Graph.topologicalOrder level outputs
        let tangent = Dictionary<Node, Node>(order.Count, HashIdentity.Reference)
        for node, t in inputs do tangent[node] <- t
        let known (n: Node) = match tangent.TryGetValue n with | true, t -> ValueSome t | _ -> ValueNone
        for node in order do
            if not (tangent.ContainsKey node) then
                match node.Kind with
                | Variable _ when node.Args.Length = 1 -> known node.Args[0] |> ValueOption.iter (fun t -> tangent[node] <- t)
                | Apply op ->
                    let ts = node.Args |> Array.map known
                    if ts |> Array.exists ValueOption.isSome then
                        op.Jvp (liveArgs node) (Graph.release node) ts |> ValueOption.iter (fun t -> tangent[node] <- t)
                | _ -> ()
        tangent
