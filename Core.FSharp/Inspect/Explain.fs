namespace FunctionalAD

open System
open System.Globalization
open FunctionalAD.Transforms

/// One row of the lectures' forward/backward table: a node, its value, the local derivatives of
/// the node with respect to each argument that depends on the input, and its adjoint
/// λ = ∂f/∂v from the backward pass.
type ExplainRow =
    { Name: string
      Expression: string
      Value: NdArray
      /// (argument name, ∂node/∂argument as the directional derivative along ones).
      LocalDerivatives: (string * NdArray) list
      Adjoint: NdArray }

/// The forward/backward table of a scalar function at a point.
type ExplainTable =
    { Rows: ExplainRow list }
    override t.ToString() =
        let show (a: NdArray) =
            if isNull a then "0"
            elif a.Size = 1 then a.Data[0].ToString("G6", CultureInfo.InvariantCulture)
            else sprintf "%s‖%s‖" (Shape.format a.Shape) ((sqrt (Array.sumBy (fun v -> v * v) a.Data)).ToString("G4", CultureInfo.InvariantCulture))
        let header = [| "v"; "definition"; "value"; "local derivatives"; "adjoint λ = ∂f/∂v" |]
        let cells =
            t.Rows |> List.map (fun r ->
                [| r.Name; r.Expression; show r.Value
                   String.Join("; ", r.LocalDerivatives |> List.map (fun (a, d) -> sprintf "∂/∂%s = %s" a (show d)))
                   show r.Adjoint |])
        let all = header :: cells
        let widths = Array.init header.Length (fun c -> all |> List.map (fun row -> row[c].Length) |> List.max)
        let line (row: string[]) = String.Join(" | ", row |> Array.mapi (fun c s -> s.PadRight widths[c])).TrimEnd()
        String.Join("\n", line header :: String.Join("-+-", widths |> Array.map (fun w -> String('-', w))) :: (cells |> List.map line))

/// The explain view.
module Explain =
    /// The forward values, local derivatives and backward adjoints of every node of a scalar
    /// function at `x` — the λ tables of the lectures.
    let table (f: 'T -> Tensor) (x: 'T) : ExplainTable =
        let program = Inspect.trace f x
        let output = program.Outputs[0]
        if program.Outputs.Length <> 1 || Shape.size output.Shape <> 1 then
            raise (ArgumentException("explain: the function must return one scalar", "f"))
        let level = (program.Inputs |> Array.map (fun n -> match n.Kind with Variable tag -> tag.Level | _ -> 0) |> Array.max)
        let adjoints = Sweeps.adjoints level [ output, Graph.constant (NdArray.ones output.Shape) ] program.Inputs
        let names = Inspect.Names program
        let adjointOf (n: Node) = match adjoints.TryGetValue n with | true, a -> a.Value | _ -> null
        let inputRow (n: Node) =
            { Name = names.Of n; Expression = "input"; Value = n.Value; LocalDerivatives = []; Adjoint = adjointOf n }
        let operationRow (n: Node) =
            let locals =
                match n.Kind with
                | Apply op ->
                    [ for j in 0 .. n.Args.Length - 1 do
                          let a = n.Args[j]
                          if not a.IsConstant then
                              let tangents = n.Args |> Array.mapi (fun k arg -> if k = j then ValueSome(Graph.constant (NdArray.ones arg.Shape)) else ValueNone)
                              let d = match op.Jvp n.Args n tangents with ValueSome t -> t.Value | ValueNone -> NdArray.zeros n.Shape
                              yield names.Of a, d ]
                | _ -> []
            { Name = names.Of n; Expression = Inspect.expression names n; Value = n.Value; LocalDerivatives = locals; Adjoint = adjointOf n }
        { Rows = [ yield! program.Inputs |> Array.map inputRow; yield! program.Operations |> Array.map operationRow ] }
