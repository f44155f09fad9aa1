namespace FunctionalAD.Cli

open System
open System.Collections.Generic
open FunctionalAD

/// Parsed expressions as functions on tensors, so every command runs on the core's AD.
module Evaluate =
    /// A function call: the core's elementwise primitives by their own names, and the
    /// compositions the syntax adds (Syntax.compositions).
    let private call (name: string) (args: Tensor list) : Tensor =
        match name, args with
        | "sinh", [ x ] -> (exp x - exp (-x)) / 2.0
        | "cosh", [ x ] -> (exp x + exp (-x)) / 2.0
        | "sum", [ x ] -> Tensor.sum x
        | "mean", [ x ] -> Tensor.mean x
        | "max", [ x; y ] -> Tensor.maximum x y
        | "min", [ x; y ] -> Tensor.minimum x y
        | "dot", [ x; y ] -> Tensor.dot x y
        | _ ->
            match Tensor.primitives.TryGetValue name with
            | true, (arity, apply) when arity = args.Length -> apply (Array.ofList args)
            | _ -> invalidArg "name" (sprintf "%s with %d arguments is not a function" name args.Length)

    /// The value of `e` with the variables bound in `env` (tensors, possibly differentiation
    /// variables). A constant exponent uses `powConst`, whose derivative needs no logarithm.
    /// Recursion is one level per level of the expression (on DeepRecursion's large stack, see
    /// `asFunction`); past what the stack allows it stops with InsufficientExecutionStackException
    /// instead of overflowing the stack.
    let rec tensor (env: IReadOnlyDictionary<string, Tensor>) (e: Syntax) : Tensor =
        Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack()
        match e with
        | Number v -> Tensor.scalar v
        | Var(name, _) -> env[name]
        | Negate x -> -(tensor env x)
        | Binary('+', x, y) -> tensor env x + tensor env y
        | Binary('-', x, y) -> tensor env x - tensor env y
        | Binary('*', x, y) -> tensor env x * tensor env y
        | Binary('/', x, y) -> tensor env x / tensor env y
        | Binary('^', x, y) when List.isEmpty (Syntax.variables y) -> Tensor.powConst ((tensor env y).ToScalar()) (tensor env x)
        | Binary('^', x, y) -> Tensor.pow (tensor env x) (tensor env y)
        | Binary(op, _, _) -> invalidArg "e" (sprintf "'%c' is not an operator" op)
        | Call("pow", [ x; y ], _) -> tensor env (Binary('^', x, y))
        | Call(name, args, _) -> call name (args |> List.map (tensor env))
        | Vector items ->
            let parts = items |> List.map (tensor env)
            if parts |> List.exists (fun p -> p.Rank <> 0) then
                raise (ArgumentException("A vector [a, b, …] must be made of numbers (scalars), not of vectors.", "e"))
            Tensor.stack 0 parts

    /// `e` as a function of its variables, given in the order of `names`.
    let asFunction (names: string list) (e: Syntax) : Tensor[] -> Tensor =
        fun values ->
            let env = Dictionary<string, Tensor>()
            List.iteri (fun i name -> env[name] <- values[i]) names
            try DeepRecursion.run (fun () -> tensor env e)
            with :? InsufficientExecutionStackException ->
                raise (ArgumentException("the expression is nested too deeply to evaluate on this thread's stack; split it into smaller expressions", "e"))
