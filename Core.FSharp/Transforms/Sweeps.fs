namespace FunctionalAD.Transforms

open System.Collections.Generic
open FunctionalAD
open FunctionalAD.Primitives

/// The two generic walks over a graph. They know nothing about individual primitives: each
/// node's rules come from its `Op`. A variable of another transform is the identity of its
/// argument, which is how an inner derivative stays differentiable by an outer one. Rules run
/// under `Levels.sweeping`: at the outermost level they compute on plain values, building no
/// graph, while inside an enclosing transform the derivative stays a differentiable graph.
module internal Sweeps =
    /// Reverse mode (the lectures' `node_to_grad` algorithm): seeds each output with its
    /// cotangent and pulls cotangents back to the arguments, summing the adjoints of a node used
    /// more than once. A node is always built after its arguments, so taking nodes largest id
    /// first reaches every node after all of its users: the queue is a reverse topological
    /// order discovered on the way, over the nodes that receive a cotangent and nothing else.
    /// `wrt` are variables: their adjoints are the results and are not pulled back further.
    /// `retain` says whose adjoints the result keeps (absent means zero); the others are let go
    /// of as soon as they have been pulled back.
    /// A tangent or cotangent in its primal's element type: derivatives keep their primal's
    /// type (a float32 gradient of a float32 function) whatever constants a rule combined them
    /// with, and a seed given in another type is converted.
    let private ofPrimalType (primal: Node) (derivative: Node) =
        if derivative.DType = primal.DType then derivative else Arithmetic.cast primal.DType derivative

    let private pullBack (level: int) (seeds: (Node * Node) seq) (wrt: Node seq) (retain: Node -> bool) =
        let bit = 1UL <<< level
        let wrt = HashSet<Node>(wrt, NodeIdentity.Comparer)
        let adjoint = Dictionary<Node, Node>(NodeIdentity.Comparer)
        let pending = PriorityQueue<Node, int64>()
        let accumulate (node: Node) (g: Node) =
            if node.Deps &&& bit <> 0UL then
                let g = ofPrimalType node g
                match adjoint.TryGetValue node with
                // Users arrive newest first: putting each contribution in front keeps sums in
                // the order of the source (listings and derivative expressions read naturally).
                | true, existing -> adjoint[node] <- Arithmetic.add g existing
                | _ ->
                    adjoint[node] <- g
                    pending.Enqueue(node, -node.Id)
        Levels.sweeping (fun () -> for node, seed in seeds do accumulate node seed)
        // The seeds are not needed after this: when the caller keeps no reference to the outputs
        // either (a one-shot gradient), each part of the graph can be collected as soon as the
        // sweep has passed it, rather than all of it being promoted through the GC's generations.
        Levels.sweeping (fun () ->
            while pending.Count > 0 do
                let node = pending.Dequeue()
                match node.Kind with
                | Variable _ when wrt.Contains node -> ()
                | kind ->
                    let mutable g = null
                    if retain node then g <- adjoint[node] else adjoint.Remove(node, &g) |> ignore
                    match kind with
                    | Variable _ when node.Arity = 1 -> accumulate (node.Arg 0) g
                    | Apply op ->
                        let args = node.Args
                        let cotangents = op.Vjp args node g
                        for j in 0 .. args.Length - 1 do
                            match cotangents[j] with
                            | ValueSome c -> accumulate args[j] c
                            | ValueNone -> ()
                    | _ -> ())
        adjoint

    /// Reverse mode for the adjoints of `wrt` (absent means zero).
    let backward (level: int) (seeds: (Node * Node) seq) (wrt: Node seq) = pullBack level seeds wrt (fun _ -> false)

    /// Reverse mode keeping the adjoint of every node reached (absent means zero): the λ column
    /// of the lectures' tables.
    let adjoints (level: int) (seeds: (Node * Node) seq) (wrt: Node seq) = pullBack level seeds wrt (fun _ -> true)

    /// Forward mode: pushes the tangents of `inputs` through the graph in topological order.
    /// Returns every node's tangent; absent means zero.
    let forward (level: int) (inputs: (Node * Node) seq) (outputs: Node seq) =
        let order = Graph.topologicalOrder level outputs
        let tangent = Dictionary<Node, Node>(order.Count, NodeIdentity.Comparer)
        for node, t in inputs do tangent[node] <- ofPrimalType node t
        let known (n: Node) = match tangent.TryGetValue n with | true, t -> ValueSome t | _ -> ValueNone
        Levels.sweeping (fun () ->
            for node in order do
                if not (tangent.ContainsKey node) then
                    match node.Kind with
                    | Variable _ when node.Arity = 1 -> known (node.Arg 0) |> ValueOption.iter (fun t -> tangent[node] <- t)
                    | Apply op ->
                        let args = node.Args
                        let ts = args |> Array.map known
                        if ts |> Array.exists ValueOption.isSome then
                            op.Jvp args node ts |> ValueOption.iter (fun t -> tangent[node] <- ofPrimalType node t)
                    | _ -> ())
        tangent
