namespace FunctionalAD.Learn

open System
open System.Globalization
open System.IO
open FunctionalAD

/// Loading the scikit-learn CSV data sets: numbers separated by commas, the class label in the
/// last column. A first line that is not all numbers is scikit-learn's metadata line
/// `n_samples,n_features,class name 0,class name 1,…` (empty fields there are skipped); without
/// it the classes are named by their numbers. Every refusal is a FormatException that names the
/// source, the line and, for a bad cell, the column (both counted from 1).
[<RequireQualifiedAccess>]
module Csv =
    /// The most classes a file may use: a label is an index into the class names, so an absurd
    /// label (2·10⁹) would otherwise allocate that many names.
    [<Literal>]
    let MaxClasses = 65536

    let private tryNumber (field: string) =
        match Double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture) with
        | true, v -> Some v
        | _ -> None

    let private cells (line: string) = line.Split(',') |> Array.map (fun f -> f.Trim())

    /// What to add to a refusal when the text looks separated by something other than commas.
    let private separatorHint (text: string) = if text.Contains ';' || text.Contains '\t' then " (fields are separated by commas)" else ""

    /// A data row's numbers. Empty cells are errors, not skipped: skipping one would shift every
    /// later column into the wrong feature.
    let private parseRow (source: string) (lineNumber: int) (expected: int) (line: string) =
        let fields = cells line
        if fields.Length <> expected then
            raise (FormatException(sprintf "%s, line %d: %d fields where %d were expected%s" source lineNumber fields.Length expected (if fields.Length = 1 then separatorHint line else "")))
        fields |> Array.mapi (fun column f ->
            let where = sprintf "%s, line %d, column %d" source lineNumber (column + 1)
            if f = "" then raise (FormatException(sprintf "%s: the cell is empty" where))
            match tryNumber f with
            | Some v when Double.IsFinite v -> v
            | Some _ -> raise (FormatException(sprintf "%s: '%s' is not a finite number" where f))
            | None -> raise (FormatException(sprintf "%s: '%s' is not a number%s" where f (separatorHint f))))

    /// The class number in a row's last cell.
    let private label (source: string) (lineNumber: int) (column: int) (v: double) =
        if v < 0.0 || v <> Math.Floor v || v >= float MaxClasses then
            raise (FormatException(sprintf "%s, line %d, column %d: the label %g is not a class number (an integer from 0 to %d)" source lineNumber column v (MaxClasses - 1)))
        int v

    /// Parses the text of a data set; `source` names it in error messages.
    let parse (source: string) (text: string) : Dataset =
        let lines =
            text.Split('\n') |> Array.mapi (fun i l -> i + 1, l.TrimEnd('\r')) |> Array.filter (fun (_, l) -> l.Trim() <> "")
        if lines.Length = 0 then raise (FormatException(sprintf "%s: the file holds no data" source))
        let firstNumber, firstLine = lines[0]
        let first = cells firstLine |> Array.filter (fun f -> f <> "")
        let hasHeader = first |> Array.exists (fun f -> (tryNumber f).IsNone)
        let declaredNames, declaredCount, dataLines =
            if hasHeader then
                if first.Length < 2 then raise (FormatException(sprintf "%s, line %d: the header needs n_samples and n_features%s" source firstNumber (separatorHint firstLine)))
                let count =
                    match Int32.TryParse(first[0], NumberStyles.None, CultureInfo.InvariantCulture) with
                    | true, n -> n
                    | _ -> raise (FormatException(sprintf "%s, line %d, column 1: n_samples '%s' is not a non-negative integer" source firstNumber first[0]))
                Some first[2..], Some count, lines[1..]
            else None, None, lines
        if dataLines.Length = 0 then raise (FormatException(sprintf "%s: the header is followed by no data rows" source))
        let width = (cells (snd dataLines[0])).Length
        if width < 2 then
            raise (FormatException(sprintf "%s, line %d: a row needs at least one feature and a label, separated by commas" source (fst dataLines[0])))
        let rows = dataLines |> Array.map (fun (n, l) -> parseRow source n width l)
        declaredCount |> Option.iter (fun n ->
            if n <> rows.Length then raise (FormatException(sprintf "%s: the header announces %d samples but %d rows follow" source n rows.Length)))
        let labels = Array.map2 (fun (n, _) (r: double[]) -> label source n width r[width - 1]) dataLines rows
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
