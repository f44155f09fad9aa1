namespace FunctionalAD

/// Running a function on fresh variables one nesting level deeper: how every transform that
/// records or traces a function starts — grad, vjp, jvp and Inspect on variables that carry the
/// leaves' values (define-by-run), compile, vmap and Symbolic on abstract variables that carry
/// only a shape.
module internal Trace =
    /// Each leaf as a differentiation variable carrying its value.
    let values (tag: VarTag) (_: int) (leaf: Tensor) = Some(Graph.variable tag leaf.Node)

    /// Each leaf as an abstract variable of its shape and type, carrying no value.
    let shapes (tag: VarTag) (_: int) (leaf: Tensor) = Some(Graph.abstractVariable tag leaf.Shape leaf.DType)

    /// `f` run on fresh variables of a new level, then `finish` while the level is still open:
    /// `variableFor tag i leaf` gives the variable standing for leaf i (None keeps the leaf
    /// itself); `finish` gets the level's tag, the variables made (in leaf order) and f's result.
    let runThen (variableFor: VarTag -> int -> Tensor -> Node option) (f: 'T -> 'Y) (x: 'T) (finish: VarTag -> Node[] -> 'Y -> 'R) : 'R =
        Levels.withNewLevel (fun tag ->
            let leaves = Tree.leaves x
            let variables = leaves |> Array.mapi (variableFor tag)
            let y = f (Tree.unflatten x (Array.map2 (fun (leaf: Tensor) v -> match v with Some n -> Tensor.Of n | None -> leaf) leaves variables))
            finish tag (Array.choose id variables) y)

    /// `f` run on fresh variables of a new level: the level's tag, the variables and the result.
    let run variableFor (f: 'T -> 'Y) (x: 'T) : VarTag * Node[] * 'Y = runThen variableFor f x (fun tag variables y -> tag, variables, y)
