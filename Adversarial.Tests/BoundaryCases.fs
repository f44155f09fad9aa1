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

/// Learn's data-set functions with mismatched, out-of-range and degenerate arguments.
let datasets =
    let features = Tensor.create [| 4; 2 |] (Array.init 8 float)
    let data = Dataset.create features [| 0; 1; 1; 0 |] [| "a"; "b" |]
    let case input operation valid (run: unit -> string option) =
        { Entry = "Dataset"; Input = input; Operation = operation; Expect = (if valid then ExpectValue else ExpectRefusal); Run = run }
    let ok (_: obj) = None
    [ case "create: 3 labels for 4 rows" "Dataset.create" false (fun () -> ok (Dataset.create features [| 0; 1; 1 |] [| "a"; "b" |]))
      case "create: label 2 of 2 classes" "Dataset.create" false (fun () -> ok (Dataset.create features [| 0; 1; 2; 0 |] [| "a"; "b" |]))
      case "create: label −1" "Dataset.create" false (fun () -> ok (Dataset.create features [| 0; 1; -1; 0 |] [| "a"; "b" |]))
      case "create: a vector of features" "Dataset.create" false (fun () -> ok (Dataset.create (Tensor.arange 4) [| 0; 1; 1; 0 |] [| "a"; "b" |]))
      case "create: no samples" "Dataset.create" true (fun () -> if Dataset.size (Dataset.create (Tensor.zeros [| 0; 2 |]) [||] [| "a" |]) = 0 then None else Some "not empty")
      for fraction in [ nan; 0.0; 1.0; -0.5; 2.0; infinity ] do
          case (sprintf "split: test fraction %g" fraction) "Dataset.split" false (fun () -> ok (Dataset.split 1 fraction data))
      case "split: test fraction 0.25" "Dataset.split" true (fun () ->
          let train, test = Dataset.split 1 0.25 data
          if Dataset.size train = 3 && Dataset.size test = 1 then None else Some "not 3 and 1")
      for size in [ 0; -1; Int32.MinValue ] do
          case (sprintf "batches of %d" size) "Dataset.batches" false (fun () -> ok (Dataset.batches 1 size data))
      case "batches of int.MaxValue" "Dataset.batches" true (fun () -> if (Dataset.batches 1 Int32.MaxValue data).Length = 1 then None else Some "not one batch")
      for index in [ 4; -1; Int32.MaxValue ] do
          case (sprintf "subset with row %d of 4" index) "gather" false (fun () -> ok (Dataset.subset [| 0; index |] data))
      case "plusMinusLabels of three classes" "plusMinusLabels" false (fun () ->
          ok (Dataset.plusMinusLabels (Dataset.create features [| 0; 1; 2; 0 |] [| "a"; "b"; "c" |]))) ]

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

let all = csv @ datasets @ cli
