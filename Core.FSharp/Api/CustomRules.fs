namespace FunctionalAD

open System

/// User-defined derivative rules for a user function (JAX's custom_jvp / custom_vjp). The
/// function runs on plain values; the rules are written with tensor operations, so they are
/// differentiable in turn. A function given only one rule still works in both modes:
/// - only a VJP: its JVP is J·t = ∇ᵤ Σᵢ⟨vjp(u)ᵢ, tᵢ⟩, the gradient of a function linear in u,
///   so forward mode, `hessian` (forward-over-reverse) and `jvp` all work — where JAX refuses;
/// - only a JVP: its VJP is assembled from one JVP per input element (exact, costs n JVPs).
module Custom =
    /// A function of several tensors with user rules. `jvpRule inputs output tangents` returns
    /// the output tangent (absent tangents are zeros); `vjpRule inputs output cotangent` returns
    /// one cotangent per input.
    type Rules =
        { Jvp: (Tensor[] -> Tensor -> Tensor[] -> Tensor) option
          Vjp: (Tensor[] -> Tensor -> Tensor -> Tensor[]) option }

    let private jvpFromVjp (vjpRule: Tensor[] -> Tensor -> Tensor -> Tensor[]) (xs: Tensor[]) (y: Tensor) (ts: Tensor[]) =
        let pairing (u: Tensor) =
            Array.fold2 (fun (acc: Tensor) (c: Tensor) (t: Tensor) -> acc + Tensor.sum (c * t)) (Tensor.scalar 0.0) (vjpRule xs y u) ts
        AD.grad pairing (Tensor.zerosLike y)

    let private vjpFromJvp (jvpRule: Tensor[] -> Tensor -> Tensor[] -> Tensor) (xs: Tensor[]) (y: Tensor) (g: Tensor) =
        xs |> Array.mapi (fun i x ->
            let entries =
                Array.init x.Size (fun k ->
                    let unit = Array.zeroCreate x.Size
                    unit[k] <- 1.0
                    let ts = xs |> Array.mapi (fun j xj -> if j = i then Tensor.create x.Shape unit else Tensor.zerosLike xj)
                    Tensor.sum (jvpRule xs y ts * g))
            if entries.Length = 0 then Tensor.zerosLike x else Tensor.reshape x.Shape (Tensor.stack 0 entries))

    // A rule's result is checked where it comes back: a wrong shape would otherwise broadcast
    // into a silently wrong derivative (a scalar tangent for a vector output, say).
    let private checkResult name rule (what: string) (expected: int[]) (r: Tensor) =
        if r.IsUninitialised then
            raise (InvalidOperationException(sprintf "%s: the %s rule returned an uninitialised tensor as the %s" name rule what))
        if not (Shape.same r.Node.Shape expected) then
            Shape.fail name [| expected; r.Node.Shape |] what (sprintf "the %s rule returned a %s of shape %s where %s is needed" rule what (Shape.format r.Node.Shape) (Shape.format expected))

    let private checkCotangents name (xs: Tensor[]) (cs: Tensor[]) =
        if isNull cs || cs.Length <> xs.Length then
            raise (InvalidOperationException(sprintf "%s: the VJP rule returned %d cotangents for %d inputs" name (if isNull cs then 0 else cs.Length) xs.Length))
        Array.iteri2 (fun i (x: Tensor) (c: Tensor) -> checkResult name "VJP" (sprintf "cotangent %d" i) x.Node.Shape c) xs cs

    /// `f` with the given rules, as a function of several tensors.
    let define (name: string) (f: Tensor[] -> Tensor) (rules: Rules) : Tensor[] -> Tensor =
        // The user's rules, checked on every result, so that a rule derived from the other
        // (jvpFromVjp, vjpFromJvp) is built on checked results too.
        let checkedJvp = rules.Jvp |> Option.map (fun j xs (y: Tensor) ts ->
            let tangent = j xs y ts
            checkResult name "JVP" "tangent" y.Node.Shape tangent
            tangent)
        let checkedVjp = rules.Vjp |> Option.map (fun v xs y g ->
            let cs = v xs y g
            checkCotangents name xs cs
            cs)
        let jvpRule =
            match checkedJvp, checkedVjp with
            | Some j, _ -> j
            | None, Some v -> jvpFromVjp v
            | None, None -> raise (ArgumentException(sprintf "%s: give at least one derivative rule" name, "rules"))
        let vjpRule =
            match checkedVjp, checkedJvp with
            | Some v, _ -> v
            | None, Some j -> vjpFromJvp j
            | None, None -> raise (ArgumentException(sprintf "%s: give at least one derivative rule" name, "rules"))
        // A user rule may itself differentiate (jvpFromVjp does, and so do implicit rules), which
        // opens a transform that can reuse the number of the level being swept: what the rule
        // sees must already have let go of that level's history, or it would be mistaken for
        // the new level's variables (perturbation confusion).
        let wrap (node: Node) = Tensor.Of(Graph.release node)
        let wrapAll (nodes: Node[]) = nodes |> Array.map wrap
        let evaluate (values: NdArray[]) =
            let y = f (values |> Array.map Tensor.ofNdArray)
            if y.IsUninitialised then raise (InvalidOperationException(sprintf "%s: the function returned an uninitialised tensor" name))
            y.Value
        let op: Op =
            { Name = name
              // Compared by reference: two user functions are never the same primitive.
              Params = [ "", Parameter.Identity(obj ()) ]
              Capabilities = Param.none
              Eval = evaluate
              Jvp =
                fun args out t ->
                    if t |> Array.forall ValueOption.isNone then ValueNone
                    else
                        let ts = Array.init args.Length (fun i -> match t[i] with ValueSome n -> wrap n | ValueNone -> Tensor.zeros args[i].Shape)
                        ValueSome (jvpRule (wrapAll args) (wrap out) ts).Node
              Vjp =
                fun args out g ->
                    let xs = wrapAll args
                    vjpRule xs (wrap out) (wrap g) |> Array.map (fun c -> ValueSome c.Node) }
        fun (inputs: Tensor[]) ->
            let nodes = inputs |> Array.map (fun t -> t.Node)
            if nodes |> Array.forall (fun n -> not (isNull n.ValueOrNull)) then
                let value = evaluate (nodes |> Array.map (fun n -> n.Value))
                Tensor.Of(Graph.applyWithValue op value.Shape nodes value)
            else
                // Tracing with abstract inputs: the shape comes from tracing the function itself.
                Tensor.Of(Graph.applyWithValue op (f inputs).Shape nodes null)

    /// A function of one tensor with a custom VJP: `vjpRule x y g` returns the cotangent of x.
    let withVjp (name: string) (f: Tensor -> Tensor) (vjpRule: Tensor -> Tensor -> Tensor -> Tensor) : Tensor -> Tensor =
        let g = define name (fun xs -> f xs[0]) { Jvp = None; Vjp = Some(fun xs y c -> [| vjpRule xs[0] y c |]) }
        fun x -> g [| x |]

    /// A function of one tensor with a custom JVP: `jvpRule x y t` returns the tangent of y.
    let withJvp (name: string) (f: Tensor -> Tensor) (jvpRule: Tensor -> Tensor -> Tensor -> Tensor) : Tensor -> Tensor =
        let g = define name (fun xs -> f xs[0]) { Jvp = Some(fun xs y ts -> jvpRule xs[0] y ts[0]); Vjp = None }
        fun x -> g [| x |]
