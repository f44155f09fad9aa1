namespace FunctionalAD

open System
open System.Collections.Concurrent
open FunctionalAD.Compilation
open FunctionalAD.Primitives

/// One compiled function: a plan per input shapes and element types, traced on the first call with them.
/// With `donated`, every call takes its inputs' buffers (see `Compile.compileDonating`).
type internal CompiledFunction<'T, 'Y>(f: 'T -> 'Y, donated: bool) =
    let plans = ConcurrentDictionary<string, Lazy<int[][] * DType[] * 'Y * Executable>>()
    // The plan used last, checked first so that a steady loop finds it without building a key.
    let mutable last: (int[][] * DType[] * 'Y * Executable) option = None

    let shapesOf (leaves: Tensor[]) = leaves |> Array.map (fun t -> t.Node.Shape)
    let dtypesOf (leaves: Tensor[]) = leaves |> Array.map (fun t -> t.DType)

    /// Traces `f` with abstract inputs of the leaves' shapes and compiles the result. The trace
    /// may make assumptions about values (`Assumptions`) unless the function donates its
    /// inputs: a plan that finds one broken falls back to `f` on the call's inputs, which a
    /// donating call has given up.
    let build (x: 'T) (shapes: int[][]) (dtypes: DType[]) =
        let traced (input: 'T) =
            try f input
            with :? ValueNotKnownException as e ->
                raise (InvalidOperationException(sprintf "compile: while tracing the function with inputs of shapes %s: %s" (shapes |> Array.map Shape.format |> String.concat ", ") e.Message, e))
        let compiledWith (assuming: bool) =
            Assumptions.scope assuming (fun () ->
                Trace.runThen Trace.shapes traced x (fun tag inputs y ->
                    let outputs = Tree.leaves y |> Array.map (fun t -> t.Node)
                    let program = Lowering.lower tag.Level inputs outputs
                    let plan = match ScalarPlan.tryBuild program with Some p -> p | None -> BufferPlan.build program
                    // The output structure is kept without its traced tensors, so the cache holds no graph.
                    shapes, dtypes, Tree.map (fun _ -> Tensor.scalar 0.0) y, plan))
        try compiledWith (not donated)
        // An assumption on a value known while the plan is made (a constant the lowering folds,
        // or eager work on constants inside `f`) is checked then; broken, it would fail every
        // call, so the plan is made without assumptions.
        with :? AssumptionFailedException when not donated -> compiledWith false

    /// True when the leaves have these shapes and element types (a plan computes in its inputs' types).
    let sameInputs (a: int[][]) (dtypes: DType[]) (leaves: Tensor[]) =
        a.Length = leaves.Length
        && (let mutable same = true
            for i in 0 .. a.Length - 1 do
                let s = leaves[i].Node.Shape
                if a[i].Length <> s.Length || dtypes[i] <> leaves[i].DType then same <- false
                else for d in 0 .. s.Length - 1 do if a[i][d] <> s[d] then same <- false
            same)

    member private _.EntryFor(x: 'T, leaves: Tensor[]) =
        match last with
        | Some((shapes, dtypes, _, _) as entry) when sameInputs shapes dtypes leaves -> entry
        | _ ->
            let shapes, dtypes = shapesOf leaves, dtypesOf leaves
            let key = Array.map2 (fun s (d: DType) -> Shape.format s + d.Name) shapes dtypes |> String.concat ";"
            let pending = plans.GetOrAdd(key, fun _ -> lazy (build x shapes dtypes))
            let entry =
                try pending.Value
                with _ ->
                    // A failed trace is not kept (a Lazy would rethrow its exception forever):
                    // the next call with these shapes traces again.
                    plans.TryRemove(Collections.Generic.KeyValuePair(key, pending)) |> ignore
                    reraise ()
            last <- Some entry
            entry

    /// The plan for the shapes of `x` (traced if not yet cached).
    member c.PlanFor(x: 'T) = let _, _, _, plan = c.EntryFor(x, Tree.leaves x) in plan

    /// Runs the plan for `x`'s shapes. Inputs that carry derivative history (an outer `grad`
    /// differentiating through the compiled function) or no value (an outer compile tracing it)
    /// run `f` itself, so compiled functions compose with every transform.
    member c.Invoke(x: 'T) : 'Y =
        let leaves = Tree.leaves x
        if leaves |> Array.exists (fun t -> not t.Node.IsConstant || isNull t.Node.ValueOrNull) then f x
        else
            let _, _, template, plan = c.EntryFor(x, leaves)
            let values = Array.zeroCreate leaves.Length
            for i in 0 .. leaves.Length - 1 do values[i] <- leaves[i].Node.ValueOrNull
            // Donated inputs are given up even when the plan fails part-way: an output may
            // already have been written into one of their buffers. A shared array (a view, a
            // cached scalar constant) is never reused, so it is not given up either: another
            // tensor that sees it must stay readable.
            let results =
                try
                    try ValueSome(plan.Run(values, donated))
                    // Only a plan that does not donate makes assumptions (`build`), so the inputs
                    // are intact: eager evaluation computes this call, exactly as without
                    // compiling, and the plan stays cached for the next.
                    with :? AssumptionFailedException when not donated -> ValueNone
                finally
                    if donated then
                        for v in values do if not v.IsShared then v.Donate()
            match results with
            // Eager evaluation assumes nothing, even inside another function's trace.
            | ValueNone -> Assumptions.scope false (fun () -> f x)
            | ValueSome results ->
                let tensors = Array.zeroCreate results.Length
                for i in 0 .. results.Length - 1 do tensors[i] <- Tensor.ofNdArray results[i]
                Tree.unflatten template tensors

/// Trace once, run fast (JAX's `jit`). `compile f` returns a function equal to `f` that, on its
/// first call with given input shapes, traces `f` once with abstract inputs of those shapes and
/// turns the graph into a reusable plan: shared subexpressions, folded constants, simplified
/// algebra, no dead code, buffers reused by liveness, elementwise chains fused into one loop,
/// and all-scalar programs compiled to IL. Later calls with the same shapes run the plan.
/// `compile (AD.grad f)` and `compile (AD.hessian f)` compile the derivative.
///
/// Inside `f`, values cannot be read (they are not known while tracing): branch with
/// `Tensor.where`, or leave such a function uncompiled. Where eager evaluation takes a shortcut
/// on values (vmap keeps a batch of basis vectors compact through a product with a finite
/// factor), the plan assumes what eager evaluation would test and checks it when it runs; a call
/// whose values break the assumption is evaluated eagerly, so its result is eager's.
module Compile =
    /// The compiled form of `f`, a function of a tensor or of a structure of tensors (tuples,
    /// arrays, lists, records) returning a tensor or a structure. Plans are cached per input
    /// shapes, safely across threads.
    let compile (f: 'T -> 'Y) : 'T -> 'Y =
        let compiled = CompiledFunction(f, false)
        compiled.Invoke

    /// Like `compile`, but each call takes its inputs' buffers (JAX's donated arguments): an
    /// output the size of an input is written into that input's buffer instead of a new array
    /// wherever the plan no longer needs the input, so a training step `p ↦ p − η∇L(p)` updates
    /// the parameters without allocating. The inputs are given up: reading them afterwards
    /// raises InvalidOperationException (use what the function returned). A buffer that another
    /// tensor can see (a reshape shares its buffer, or the same tensor passed twice) is never
    /// reused, so donation cannot change a tensor behind its owner's back. Inputs with
    /// derivative history (an outer transform differentiating through the function) are not
    /// donated: the function then runs uncompiled. A donating call cannot be run again, so its
    /// plan assumes nothing about values (see `compile`).
    let compileDonating (f: 'T -> 'Y) : 'T -> 'Y =
        let compiled = CompiledFunction(f, true)
        compiled.Invoke

    /// `compile f` with its plans made now, ahead of the first calls: one per example, for the
    /// example's shapes (its values are not used, zeros do). A later call with those shapes runs
    /// the plan at once, so a service or a training loop pays tracing and planning at start-up,
    /// not on its first request or batch.
    let prepare (f: 'T -> 'Y) (examples: seq<'T>) : 'T -> 'Y =
        let compiled = CompiledFunction(f, false)
        for example in examples do compiled.PlanFor example |> ignore
        compiled.Invoke

    /// What the plan of `f` for the shapes of `x` looks like (it is traced if need be).
    let summarize (f: 'T -> 'Y) (x: 'T) : PlanSummary = (CompiledFunction(f, false).PlanFor x).Summary
