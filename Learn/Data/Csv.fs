namespace FunctionalAD.Learn

open System
open System.Globalization
open System.IO
open FunctionalAD

/// Loading the scikit-learn CSV data sets: numbers separated by commas, the class label in the
/// last column. A first line that is not all numbers is scikit-learn's metadata line
/// `n_samples,n_features,class name 0,class name 1,…` (empty fields are skipped); without it the
/// classes are named by their numbers.
[<RequireQualifiedAccess>]
module Csv =
    let private tryNumber (field: string) =
        match Double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture) with
        | true, v -> Some v
        | _ -> None

    let private fields (line: string) = line.Split(',') |> Array.map (fun f -> f.Trim()) |> Array.filter (fun f -> f <> "")

    let private parseRow (source: string) (lineNumber: int) (expected: int) (line: string) =
        let values =
            fields line |> Array.map (fun f ->
                match tryNumber f with
                | Some v -> v
                | None -> raise (FormatException(sprintf "%s, line %d: '%s' is not a number" source lineNumber f)))
        if values.Length <> expected then
            raise (FormatException(sprintf "%s, line %d: %d fields where %d were expected" source lineNumber values.Length expected))
        values

    /// Parses the text of a data set; `source` names it in error messages.
    let parse (source: string) (text: string) : Dataset =
        let lines = text.Split('\n') |> Array.map (fun l -> l.TrimEnd('\r')) |> Array.filter (fun l -> l.Trim() <> "")
        if lines.Length = 0 then raise (FormatException(sprintf "%s: the file holds no data" source))
        let first = fields lines[0]
        let hasHeader = first |> Array.exists (fun f -> (tryNumber f).IsNone)
        let declaredNames, declaredCount, dataLines, firstLineNumber =
            if hasHeader then
                if first.Length < 2 then raise (FormatException(sprintf "%s, line 1: the header needs n_samples and n_features" source))
                let count = match Int32.TryParse first[0] with | true, n -> n | _ -> raise (FormatException(sprintf "%s, line 1: n_samples '%s' is not an integer" source first[0]))
                Some first[2..], Some count, lines[1..], 2
            else None, None, lines, 1
        let width = (fields dataLines[0]).Length
        if width < 2 then raise (FormatException(sprintf "%s: a row needs at least one feature and a label" source))
        let rows = dataLines |> Array.mapi (fun i l -> parseRow source (i + firstLineNumber) width l)
        declaredCount |> Option.iter (fun n ->
            if n <> rows.Length then raise (FormatException(sprintf "%s: the header announces %d samples but %d rows follow" source n rows.Length)))
        let labels =
            rows |> Array.mapi (fun i r ->
                let v = r[width - 1]
                if v < 0.0 || v <> Math.Floor v then raise (FormatException(sprintf "%s, line %d: the label %g is not a class number" source (i + firstLineNumber) v))
                int v)
        let classCount = (Array.max labels) + 1
        let names =
            match declaredNames with
            | Some names when names.Length >= classCount -> names
            | Some names -> raise (FormatException(sprintf "%s: the header names %d classes but labels go up to %d" source names.Length (classCount - 1)))
            | None -> Array.init classCount string
        let features = Array2D.init rows.Length (width - 1) (fun i j -> rows[i][j])
        Dataset.create (Tensor.ofArray2D features) labels names

    /// Loads a data set from a CSV file.
    let load (path: string) : Dataset = parse (Path.GetFileName path) (File.ReadAllText path)
