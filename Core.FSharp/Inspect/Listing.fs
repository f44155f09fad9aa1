namespace FunctionalAD

open System
open System.Collections.Generic
open System.Globalization
open System.Text

/// A traced function: its inputs, outputs and the operations between them in evaluation order.
type TracedProgram internal (inputs: Node[], outputs: Node[], operations: Node[]) =
    member internal _.Inputs = inputs
    member internal _.Outputs = outputs
    /// The operation nodes in evaluation order (arguments before users).
    member internal _.Operations = operations
    /// The number of operations (primitive applications) in the program.
    member _.OperationCount = operations.Length

/// Printing graphs: numbered listings (`v1 = -3.5 * v0`), Graphviz DOT and SVG drawings.
module Inspect =
    let private number (v: double) = v.ToString("G6", CultureInfo.InvariantCulture)

    /// Records `f` at `x` as a program over fresh inputs (one nesting level deeper).
    let trace (f: 'T -> 'Y) (x: 'T) : TracedProgram =
        Trace.runThen Trace.values f x (fun tag inputs y ->
            let outputs = Tree.leaves y |> Array.map (fun t -> t.Node)
            let order = Graph.topologicalOrder tag.Level outputs
            let operations = order |> Seq.filter (fun n -> match n.Kind with Apply _ -> true | _ -> false) |> Seq.toArray
            TracedProgram(inputs, outputs, operations))

    /// The names a listing gives to nodes: inputs and operations are v0, v1, …; a variable of an
    /// inner transform is shown as the value it stands for; small constants are written inline.
    type internal Names(program: TracedProgram) =
        let names = Dictionary<Node, string>(NodeIdentity.Comparer)
        do
            program.Inputs |> Array.iteri (fun i n -> names[n] <- sprintf "v%d" i)
            program.Operations |> Array.iteri (fun i n -> names[n] <- sprintf "v%d" (program.Inputs.Length + i))
        member this.Of(n: Node) : string =
            match names.TryGetValue n with
            | true, name -> name
            | _ ->
                match n.Kind with
                | Variable _ when n.Args.Length = 1 -> this.Of n.Args[0]
                | _ when not (isNull n.ValueOrNull) && n.ValueOrNull.Size = 1 -> number n.ValueOrNull.Data[0]
                | _ when n.IsConstant -> sprintf "const%s" (Shape.format n.Shape)
                | _ -> sprintf "outer#%d" n.Id

    /// The operator a listing writes between the arguments of an arithmetic primitive.
    let private infix (op: Op) =
        match op.Capabilities.Algebra with
        | Algebra.Sum -> ValueSome "+"
        | Algebra.Difference -> ValueSome "-"
        | Algebra.Product -> ValueSome "*"
        | Algebra.Quotient -> ValueSome "/"
        | _ -> ValueNone

    /// The right-hand side of a node's definition, e.g. `-3.5 * v0` or `exp v1`.
    let internal expression (names: Names) (n: Node) =
        match n.Kind with
        | Apply op ->
            let args = n.Args |> Array.map names.Of
            match infix op with
            | ValueSome symbol when args.Length = 2 -> sprintf "%s %s %s" args[0] symbol args[1]
            | _ when args.Length = 1 -> sprintf "%s %s" op.Label args[0]
            | _ -> sprintf "%s(%s)" op.Label (String.Join(", ", args))
        | Variable _ -> "input"
        | Constant -> "constant"

    /// The numbered listing of a traced program, one operation a line, outputs last.
    let listingOf (program: TracedProgram) =
        let names = Names program
        let text = StringBuilder()
        for i in 0 .. program.Inputs.Length - 1 do
            text.AppendLine(sprintf "v%d = input %s" i (Shape.format program.Inputs[i].Shape)) |> ignore
        for n in program.Operations do
            text.AppendLine(sprintf "%s = %s" (names.Of n) (expression names n)) |> ignore
        text.Append("return " + String.Join(", ", program.Outputs |> Array.map names.Of)).ToString()

    /// The numbered listing of `f` at `x`, e.g. for log(1 + exp(−3.5w)):
    /// `v1 = -3.5 * v0`, `v2 = exp v1`, `v3 = 1 + v2`, `v4 = log v3`.
    let listing (f: 'T -> 'Y) (x: 'T) = listingOf (trace f x)

    /// The number of operations `f` performs at `x` (for derivative graphs: `count (grad f) x`).
    let count (f: 'T -> 'Y) (x: 'T) = (trace f x).OperationCount

    /// The program as a Graphviz digraph (inputs as boxes, outputs double-circled).
    let dotOf (program: TracedProgram) =
        let names = Names program
        let text = StringBuilder("digraph program {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n")
        let outputs = HashSet<Node>(program.Outputs, NodeIdentity.Comparer)
        let escape (s: string) = s.Replace("\"", "\\\"")
        for n in program.Inputs do
            text.AppendLine(sprintf "  %s [shape=box, label=\"%s\\n%s\"];" (names.Of n) (names.Of n) (Shape.format n.Shape)) |> ignore
        for n in program.Operations do
            let shape = if outputs.Contains n then "doublecircle" else "ellipse"
            text.AppendLine(sprintf "  %s [shape=%s, label=\"%s = %s\"];" (names.Of n) shape (names.Of n) (escape (expression names n))) |> ignore
            for a in n.Args do
                let source = names.Of a
                if source.StartsWith "v" then text.AppendLine(sprintf "  %s -> %s;" source (names.Of n)) |> ignore
        text.Append("}").ToString()

    /// `f` at `x` as a Graphviz digraph.
    let dot (f: 'T -> 'Y) (x: 'T) = dotOf (trace f x)

    /// The program as a self-contained SVG drawing (no Graphviz needed): inputs on the left, each
    /// operation one column right of its latest argument, edges from arguments to users, outputs
    /// double-bordered. Input i is labelled `name = vi [shape]` when `inputNames` has an entry i.
    let svgOfNamed (inputNames: string[]) (program: TracedProgram) =
        let names = Names program
        let outputs = HashSet<Node>(program.Outputs, NodeIdentity.Comparer)
        let inputLabel i (n: Node) =
            let label = sprintf "%s %s" (names.Of n) (Shape.format n.Shape)
            if i < inputNames.Length then inputNames[i] + " = " + label else label
        GraphSvg.render
            [| for i, n in Array.indexed program.Inputs ->
                   { Id = names.Of n; Label = inputLabel i n; IsInput = true; IsOutput = outputs.Contains n; Arguments = [||] }
               for n in program.Operations ->
                   { Id = names.Of n; Label = sprintf "%s = %s" (names.Of n) (expression names n); IsInput = false
                     IsOutput = outputs.Contains n; Arguments = n.Args |> Array.map names.Of } |]

    /// The program as an SVG drawing, inputs labelled `v0 [shape]` (see `svgOfNamed`).
    let svgOf (program: TracedProgram) = svgOfNamed [||] program

    /// `f` at `x` as an SVG drawing.
    let svg (f: 'T -> 'Y) (x: 'T) = svgOf (trace f x)
