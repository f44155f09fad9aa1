namespace FunctionalAD.Cli

open System
open System.Globalization
open System.IO
open System.CommandLine
open System.CommandLine.Help
open System.CommandLine.Invocation
open FunctionalAD

/// A mistake in how the tool was called: exit code 2 with the message.
exception UsageError of string

/// What the command line asks for.
type Request =
    { /// The expression as typed.
      Text: string
      /// The values of `--at`, each `NAME=VALUE[,NAME=VALUE…]`.
      Bindings: string list
      /// The variable of `--wrt`.
      WithRespectTo: string option
      /// `dot` or `svg` (`--format`).
      Format: string
      /// `--grad`: draw the gradient's graph instead of the function's.
      OfGradient: bool }

/// The `fad` subcommands. `run` is the whole tool as a function of its arguments and two
/// writers, returning the exit code: 0 success, 1 a failed computation, 2 a parse or usage error.
module Commands =
    /// What every help screen ends with: the expression language and the exit codes.
    let grammar = """EXPR uses + - * / ^, parentheses, numbers, pi, e, variables, vectors [1, 2, 3] and the functions
exp log log1p expm1 sqrt sin cos tan tanh atan atan2 erf sinh cosh abs sigmoid softplus relu sum mean
max(a, b) min(a, b) pow(a, b) dot(a, b).
VALUE is a number, an expression without variables, or a vector: --at w=[1,2,3],b=0.5
Options take their value after a space or an '=' (--at=w=0.5); --at may be repeated and
accumulates, each variable given once; other options may be given once.

Exit codes: 0 success, 1 the computation failed, 2 a parse or usage error."""

    /// What `fad --help` (and `fad` alone) adds: examples.
    let examples = """Examples:
  fad grad "log(1 + exp(-3.5*w))" --at w=0.5
  fad hessian "x1^3 * x2" --at x1=2,x2=3
  fad diff "x * (x + y)^2" --wrt x
  fad graph "x * x" --at x=3 --format svg --grad"""

    let private number (v: float) = v.ToString("G10", CultureInfo.InvariantCulture)

    let private show (t: Tensor) =
        if t.Rank = 0 then number (t.ToScalar())
        else "[" + String.Join(", ", t.ToArray() |> Array.map number) + "]"

    /// Splits `a=1,b=[1,2]` at the commas outside brackets.
    let private splitBindings (text: string) =
        let parts = ResizeArray<string>()
        let mutable depth, start = 0, 0
        for i in 0 .. text.Length - 1 do
            match text[i] with
            | '[' | '(' -> depth <- depth + 1
            | ']' | ')' -> depth <- depth - 1
            | ',' when depth = 0 ->
                parts.Add(text.Substring(start, i - start))
                start <- i + 1
            | _ -> ()
        parts.Add(text.Substring start)
        parts |> Seq.filter (fun s -> s.Trim() <> "") |> List.ofSeq

    /// The value of one `NAME=VALUE`; VALUE is parsed as an expression without variables.
    let private binding (text: string) =
        match text.IndexOf '=' with
        | i when i > 0 ->
            let name = text.Substring(0, i).Trim()
            let valueText = text.Substring(i + 1)
            let syntax =
                try Syntax.parse valueText
                with ParseError(message, column) -> raise (UsageError(sprintf "in the value of %s: %s (column %d)\n%s" name message (column + 1) (Syntax.pointAt valueText column)))
            if not (List.isEmpty (Syntax.variables syntax)) then
                raise (UsageError(sprintf "the value of %s must be a number or a vector of numbers, not an expression with variables: %s" name valueText))
            name, Evaluate.tensor (Collections.Generic.Dictionary()) syntax
        | _ -> raise (UsageError(sprintf "expected NAME=VALUE after --at, got '%s'" text))

    /// The point of evaluation: one tensor per variable, in order of first appearance.
    let private point (request: Request) (variables: string list) =
        let bound = request.Bindings |> List.collect splitBindings |> List.map binding
        for name, _ in bound do
            if not (List.contains name variables) then
                raise (UsageError(sprintf "'%s' is not a variable of the expression (its variables are: %s)" name (String.Join(", ", variables))))
        match bound |> List.countBy fst |> List.tryFind (fun (_, n) -> n > 1) with
        | Some(name, _) -> raise (UsageError(sprintf "'%s' is given more than once in --at; give each variable one value" name))
        | None -> ()
        variables
        |> List.map (fun v ->
            match bound |> List.tryFind (fun (name, _) -> name = v) with
            | Some(_, value) -> value
            | None -> raise (UsageError(sprintf "no value for the variable '%s': give one with --at %s=VALUE" v v)))
        |> Array.ofList

    let private requireVariables (variables: string list) =
        if List.isEmpty variables then raise (UsageError "the expression has no variables to differentiate with respect to")

    /// The element names of the variables flattened in order: w, or w[0], w[1], … for a vector.
    let private elementNames (variables: string list) (values: Tensor[]) =
        List.zip variables (List.ofArray values)
        |> List.collect (fun (name, t) -> if t.Rank = 0 then [ name ] else List.init t.Size (fun i -> sprintf "%s[%d]" name i))

    /// f of all variables as a function of one vector holding their elements in order, so the
    /// core's `hessian` sees one input.
    let private packed (f: Tensor[] -> Tensor) (values: Tensor[]) (x: Tensor) =
        let offsets = values |> Array.scan (fun o (t: Tensor) -> o + t.Size) 0
        f (values |> Array.mapi (fun i t -> Tensor.reshape t.Shape (Tensor.slice [| offsets[i], offsets[i + 1], 1 |] x)))

    let private table (names: string list) (rows: string list list) =
        let widths = names |> List.mapi (fun c _ -> rows |> List.map (fun r -> (List.item c r).Length) |> List.max)
        rows |> List.map (fun r -> String.Join("  ", r |> List.mapi (fun c s -> s.PadLeft(List.item c widths))).TrimEnd())

    let private evaluateCommand (out: TextWriter) (request: Request) syntax variables =
        let f = Evaluate.asFunction variables syntax
        out.WriteLine(show (f (point request variables)))

    let private gradCommand (out: TextWriter) (request: Request) syntax variables =
        requireVariables variables
        let f = Evaluate.asFunction variables syntax
        let value, gradient = AD.valueAndGrad f (point request variables)
        out.WriteLine(sprintf "f = %s" (show value))
        List.iteri (fun i name -> out.WriteLine(sprintf "∂f/∂%s = %s" name (show gradient[i]))) variables

    let private hessianCommand (out: TextWriter) (request: Request) syntax variables =
        requireVariables variables
        let f = Evaluate.asFunction variables syntax
        let values = point request variables
        let x = Tensor.concat 0 (values |> Array.map (Tensor.reshape [| -1 |]))
        let h = Tensor.toArray2D (AD.hessian (packed f values) x)
        let names = elementNames variables values
        let header = "" :: names
        let rows = names |> List.mapi (fun i name -> name :: List.init names.Length (fun j -> number h[i, j]))
        for line in table header (header :: rows) do out.WriteLine line

    let private diffCommand (out: TextWriter) (request: Request) syntax (variables: string list) =
        requireVariables variables
        let wrt =
            match request.WithRespectTo, variables with
            | Some name, _ when List.contains name variables -> name
            | Some name, _ -> raise (UsageError(sprintf "'%s' is not a variable of the expression (its variables are: %s)" name (String.Join(", ", variables))))
            | None, [ only ] -> only
            | None, _ -> raise (UsageError(sprintf "the expression has several variables (%s): say which with --wrt NAME" (String.Join(", ", variables))))
        let derivative = Expressions.Partial(Evaluate.asFunction variables syntax, Array.ofList variables, wrt)
        let lines = Expressions.FormatMath(derivative).Split('\n')
        for line in lines[.. lines.Length - 2] do out.WriteLine line
        out.WriteLine(sprintf "∂f/∂%s = %s" wrt lines[lines.Length - 1])

    let private explainCommand (out: TextWriter) (request: Request) syntax variables =
        requireVariables variables
        let f = Evaluate.asFunction variables syntax
        out.WriteLine("inputs: " + String.Join(", ", variables |> List.mapi (fun i name -> sprintf "v%d = %s" i name)))
        out.WriteLine(Explain.table f (point request variables))

    let private graphCommand (out: TextWriter) (request: Request) syntax variables =
        requireVariables variables
        let f = Evaluate.asFunction variables syntax
        let x = point request variables
        let program = if request.OfGradient then Inspect.trace (AD.grad f) x else Inspect.trace f x
        match request.Format with
        | "dot" ->
            // The listing calls the inputs v0, v1, …; the picture also says which variable each is.
            variables |> List.indexed |> List.fold (fun (d: string) (i, name) ->
                d.Replace(sprintf "  v%d [shape=box, label=\"v%d\\n" i i, sprintf "  v%d [shape=box, label=\"%s = v%d\\n" i name i)) (Inspect.dotOf program)
            |> out.WriteLine
        | "svg" -> out.WriteLine(Inspect.svgOfNamed (List.toArray variables) program)
        | other -> raise (UsageError(sprintf "unknown --format '%s': use dot or svg" other))

    /// Runs one command on its request: the exit code, with parse, usage and computation
    /// errors reported on `err`.
    let private execute (out: TextWriter) (err: TextWriter) name command (request: Request) =
        try
            let syntax = Syntax.parse request.Text
            command out request syntax (Syntax.variables syntax)
            0
        with
        | ParseError(message, column) ->
            err.WriteLine(sprintf "error: %s (column %d)" message (column + 1))
            err.WriteLine(Syntax.pointAt request.Text column)
            2
        | UsageError message ->
            err.WriteLine("error: " + message)
            err.WriteLine(sprintf "Run 'fad %s --help' for usage." name)
            2
        | :? ArgumentException | :? InvalidOperationException | :? NotSupportedException as e ->
            err.WriteLine("error: " + e.Message)
            1

    /// The help System.CommandLine writes, followed by the expression language (and, for `fad`
    /// itself, examples), so every level's --help is complete.
    type private HelpWithGrammar(standard: SynchronousCommandLineAction) =
        inherit SynchronousCommandLineAction()
        override _.Invoke(result: ParseResult) =
            let code = standard.Invoke result
            let out = result.InvocationConfiguration.Output
            out.WriteLine grammar
            if isNull result.CommandResult.Parent then
                out.WriteLine()
                out.WriteLine examples
            code

    /// `--version`: the tool's own informational version (System.CommandLine's would name the
    /// entry assembly, which is not `fad` when the tool runs inside another process).
    type private PrintVersion() =
        inherit SynchronousCommandLineAction()
        override _.Invoke(result: ParseResult) =
            let attribute = Reflection.CustomAttributeExtensions.GetCustomAttribute<Reflection.AssemblyInformationalVersionAttribute>(typeof<Request>.Assembly)
            result.InvocationConfiguration.Output.WriteLine attribute.InformationalVersion
            0

    /// One subcommand: EXPR and the options it takes (`--at` for those that evaluate at a point).
    let private subcommand name (description: string) (atPoint: bool) (extra: Option list) (read: ParseResult -> Request -> Request) run =
        let command = Command(name, description)
        let expression = Argument<string>("EXPR", Description = "the expression (quote it)")
        command.Add expression
        let at = Option<string[]>("--at", Description = "the point: NAME=VALUE[,NAME=VALUE...]; repeat to add variables", HelpName = "NAME=VALUE")
        if atPoint then command.Add at
        for option in extra do command.Add option
        command.SetAction(fun (result: ParseResult) ->
            let request =
                { Text = result.GetValue expression
                  Bindings = (if atPoint then result.GetValue at else null) |> Option.ofObj |> Option.map List.ofArray |> Option.defaultValue []
                  WithRespectTo = None
                  Format = "dot"
                  OfGradient = false }
            execute result.InvocationConfiguration.Output result.InvocationConfiguration.Error name run (read result request))
        command

    /// The whole command line: the subcommands under a root that prints its help when called
    /// alone. The root is named `fad` whatever process runs it (a RootCommand takes the name of
    /// the executable).
    let private commandLine () =
        let root = Command("fad", "fad — automatic differentiation of ordinary math from the command line (FunctionalAD)")
        let help = HelpWithGrammar(HelpAction())
        root.Add(HelpOption(Action = help))
        root.Add(VersionOption(Action = PrintVersion()))
        let asIs (_: ParseResult) (r: Request) = r
        let wrt = Option<string>("--wrt", Description = "the variable to differentiate by (needed with several)", HelpName = "NAME")
        let format = Option<string>("--format", Description = "dot (Graphviz) or svg; default dot", HelpName = "dot|svg")
        let ofGradient = Option<bool>("--grad", Description = "draw the gradient's graph instead of the function's")
        for command in
            [ subcommand "eval" "the value" true [] asIs evaluateCommand
              subcommand "grad" "the value and the gradient (reverse mode)" true [] asIs gradCommand
              subcommand "hessian" "the Hessian matrix (forward-over-reverse)" true [] asIs hessianCommand
              subcommand "diff" "the derivative as a simplified expression" false [ wrt ] (fun result r -> { r with WithRespectTo = Option.ofObj (result.GetValue wrt) }) diffCommand
              subcommand "explain" "forward values and backward adjoints per node" true [] asIs explainCommand
              subcommand "graph" "the computation graph (or the gradient's)" true [ format; ofGradient ]
                  (fun result r -> { r with Format = result.GetValue format |> Option.ofObj |> Option.defaultValue "dot"; OfGradient = result.GetValue ofGradient })
                  graphCommand ] do
            root.Add command
        root.SetAction(fun (result: ParseResult) -> help.Invoke result)
        root

    /// Runs the tool: writes results to `out`, errors to `err`, and returns the exit code.
    let run (args: string[]) (out: TextWriter) (err: TextWriter) : int =
        let result = (commandLine ()).Parse(args)
        if result.Errors.Count > 0 && not (result.Action :? HelpWithGrammar) then
            for e in result.Errors do err.WriteLine("error: " + e.Message)
            let command = result.CommandResult.Command
            err.WriteLine(if isNull result.CommandResult.Parent then "Run 'fad --help' for usage." else sprintf "Run 'fad %s --help' for usage." command.Name)
            2
        else
            result.Invoke(InvocationConfiguration(Output = out, Error = err, EnableDefaultExceptionHandler = false))
