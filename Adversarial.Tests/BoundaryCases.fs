/// Hostile input at the library's boundaries with text: CSV data sets for Learn, and command
/// lines for `fad`. A CSV file is loaded or refused with a FormatException naming the source and
/// the line; `fad` exits 0 with a result, or 1/2 with an "error:" line — never an exception.
module FunctionalAD.Adversarial.BoundaryCases

open System
open System.IO
open FunctionalAD
open FunctionalAD.Learn
open FunctionalAD.Adversarial.Outcomes

/// Every CSV variation of `Hostile.csvFiles`; only the well-formed ones load.
let csv =
    [ for name, text in Hostile.csvFiles do
          let loads = name = "well-formed" || name = "CRLF"
          { Entry = "Csv.parse"; Input = name; Operation = "f.csv"; Expect = (if loads then ExpectValue else ExpectRefusal)
            Run =
              fun () ->
                  let data = Csv.parse "f.csv" text
                  let rows = text.Split('\n') |> Array.filter (fun l -> l.Trim() <> "") |> Array.filter (fun l -> not (Char.IsLetter(l.Split(',') |> Array.last |> fun f -> if f = "" then 'x' else f.Trim()[0])))
                  if data.Features.Shape[0] = data.Labels.Length && data.Labels.Length > 0 && data.Features.ToArray() |> Array.forall Double.IsFinite && rows.Length > 0 then None
                  else Some "rows, labels and features disagree" } ]

/// Runs `fad` in process and turns its result into an outcome: a refusal is an "error:" line.
let private fad (args: string[]) =
    let out, err = new StringWriter(), new StringWriter()
    let code = FunctionalAD.Cli.Commands.run args out err
    let errors = err.ToString()
    match code with
    | 0 -> None
    | 1 | 2 when errors.StartsWith "error:" -> raise (InvalidOperationException errors)
    | _ -> Some(sprintf "exit code %d with %s" code errors)

/// Random token strings and hostile bindings for every subcommand.
let cli =
    let bindings = [ "x=1,y=2"; "x=0,y=0"; "x=-1,y=1e400"; "x=[1,2],y=3"; "x=nan,y=inf"; "x="; "=3"; "x=abc"; "x=[1,"; "y=2" ]
    [ for text in Array.append (Hostile.expressions 42 150) (Hostile.wellFormed 7 100) do
          for command in [ "eval"; "grad"; "diff" ] do
              // Bind exactly the variables the text uses (fad refuses others), when it parses.
              let used = try FunctionalAD.Cli.Syntax.variables (FunctionalAD.Cli.Syntax.parse text) with _ -> [ "x"; "y" ]
              let at = used |> List.map (fun v -> if v = "x" then "x=0.5" else v + "=2")
              let args = if command = "diff" || at.IsEmpty then [| command; text |] else [| command; text; "--at"; String.Join(",", at) |]
              yield { Entry = "fad " + command; Input = text; Operation = "error:"; Expect = ExpectEither; Run = fun () -> fad args }
      for binding in bindings do
          for command in [ "eval"; "grad"; "hessian"; "explain" ] do
              yield { Entry = "fad " + command; Input = "x*y --at " + binding; Operation = "error:"; Expect = ExpectEither; Run = fun () -> fad [| command; "x*y"; "--at"; binding |] }
      // Right values where the answer is known.
      let prints (expected: string) (args: string[]) () =
          let out, err = new StringWriter(), new StringWriter()
          let code = FunctionalAD.Cli.Commands.run args out err
          if code = 0 && out.ToString().Contains expected then None else Some(sprintf "exit %d, printed %s%s" code (out.ToString()) (err.ToString()))
      yield { Entry = "fad eval"; Input = "x^0 at 0"; Operation = "error:"; Expect = ExpectValue; Run = prints "1" [| "eval"; "x^0"; "--at"; "x=0" |] }
      yield { Entry = "fad grad"; Input = "x^y at (0, 0)"; Operation = "error:"; Expect = ExpectValue; Run = prints "0" [| "grad"; "x^y"; "--at"; "x=0,y=0" |] } ]

let all = csv @ cli
