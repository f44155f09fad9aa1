namespace FunctionalAD.Transforms

open System
open System.Collections.Generic
open FunctionalAD
open FunctionalAD.Primitives

/// Batching (vmap): a function traced once on one example is rewritten into the same program on
/// a whole batch, primitive by primitive, by each primitive's batching rule
/// (`Capabilities.Batch`). Batched values carry the batch as their leading axis. The rewritten
/// program is built from ordinary graph operations, so every other transform composes with it.
module internal Batching =
    /// Example `b` of a batched value (the batch leading).
    let private example (b: int) (x: Node) =
        let rank = x.Shape.Length
        let starts = Array.init rank (fun i -> if i = 0 then b else 0)
        let counts = Array.init rank (fun i -> if i = 0 then 1 else x.Shape[i])
        Arithmetic.reshape x.Shape[1..] (Layout.slice starts counts (Array.create rank 1) x)

    /// The examples stacked along a new leading axis.
    let private stack (examples: Node[]) =
        Layout.concat 0 (examples |> Array.map (fun e -> Arithmetic.reshape (Array.append [| 1 |] e.Shape) e))

    /// The rule of a primitive that declares none: the primitive applied to one example at a time.
    let private oneAtATime (op: Op) (shape: int[]) (size: int) (args: Node[]) (batched: bool[]) =
        if size = 0 then Graph.constant (NdArray.zeros (Array.append [| 0 |] shape))
        else stack (Array.init size (fun b -> Graph.apply op shape (args |> Array.mapi (fun i a -> if batched[i] then example b a else a))))

    /// The rule of an elementwise primitive: batched arguments get unit axes after the batch so
    /// that broadcasting lines them up with the unbatched ones, then the same primitive applies.
    let private elementwise (op: Op) (shape: int[]) (size: int) (args: Node[]) (batched: bool[]) =
        let aligned = args |> Array.mapi (fun i a -> if batched[i] then Arithmetic.batchedToRank shape.Length a else a)
        Graph.apply op (Array.append [| size |] shape) aligned

    /// The batched form of one traced operation node.
    let private batchApply (node: Node) (op: Op) (size: int) (args: Node[]) (batched: bool[]) =
        let result =
            match op.Capabilities.Batch, op.Capabilities.Formula with
            | ValueSome rule, _ -> rule size args batched
            | ValueNone, ValueSome _ -> elementwise op node.Shape size args batched
            | ValueNone, ValueNone -> oneAtATime op node.Shape size args batched
        let expected = Array.append [| size |] node.Shape
        if result.Shape <> expected then
            raise (InvalidOperationException(sprintf "vmap: the batching rule of '%s' gave shape %s where %s was expected" op.Name (Shape.format result.Shape) (Shape.format expected)))
        result

    /// The batched values of `outputs`, which were traced at `level` from the abstract examples
    /// `inputs`, given the batched inputs (batch leading, `size` examples). Each result says
    /// whether it is batched: an output that does not depend on the inputs is not.
    let run (level: int) (inputs: Node[]) (batchedInputs: Node[]) (size: int) (outputs: Node[]) : struct (Node * bool)[] =
        let mapped = Dictionary<Node, struct (Node * bool)>(NodeIdentity.Comparer)
        Array.iter2 (fun (input: Node) batched -> mapped[input] <- struct (batched, true)) inputs batchedInputs
        // A node outside the trace (a constant, a value of an enclosing transform, or a node left
        // by a closed transform that happened to use the same level number) is the same for
        // every example.
        let lookup (n: Node) = match mapped.TryGetValue n with | true, m -> m | _ -> struct (n, false)
        for node in Graph.topologicalOrder level outputs do
            if not (mapped.ContainsKey node) then
                match node.Kind with
                // A variable of a transform inside the function stands for its argument.
                | Variable _ when node.Arity = 1 -> mapped[node] <- lookup (node.Arg 0)
                | Apply op ->
                    let looked = Array.init node.Arity (fun i -> lookup (node.Arg i))
                    let batched = looked |> Array.map (fun struct (_, b) -> b)
                    if Array.contains true batched then
                        let args = looked |> Array.map (fun struct (a, _) -> a)
                        mapped[node] <- struct (batchApply node op size args batched, true)
                | _ -> ()
        outputs |> Array.map lookup
