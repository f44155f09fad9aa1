/// Timing and reporting: every case runs next to its reference in the same process, and the
/// report gives medians and their ratio, never a pass/fail.
module FunctionalAD.Benchmarks.Harness

open System
open System.Diagnostics
open System.Globalization
open System.Text

/// One row of the report: what was measured, the figure, and the target it is compared with.
type Row =
    { Case: string
      Measure: string
      Value: float
      Unit: string
      /// The target as text ("≤ 1.15"), empty when the row is context only.
      Target: string
      /// Whether the value meets the target (None when there is no target).
      Met: bool option }

/// Warm-up before timing: runs `action` until tiered compilation has settled — no method
/// compiled or recompiled by the JIT (`System.Runtime.JitInfo`) during the last quarter second of
/// runs, which is past the runtime's tiering delay — after at least three runs and a second, and
/// for at most ten seconds. A fixed second was not enough: in a process that has compiled
/// thousands of methods before, hot kernels stayed in their first, unoptimised code for longer.
/// A single run (`repetitions` = 1, the quick mode) warms up once.
let warmUp (repetitions: int) (action: unit -> unit) =
    let watch = Stopwatch.StartNew()
    action ()
    if repetitions > 1 then
        let mutable runs = 1
        let mutable compiled = Runtime.JitInfo.GetCompiledMethodCount false
        let mutable lastCompilation = watch.Elapsed.TotalSeconds
        let settled () = runs >= 3 && watch.Elapsed.TotalSeconds >= 1.0 && watch.Elapsed.TotalSeconds - lastCompilation >= 0.25
        while not (settled ()) && watch.Elapsed.TotalSeconds < 10.0 do
            action ()
            runs <- runs + 1
            let now = Runtime.JitInfo.GetCompiledMethodCount false
            if now <> compiled then
                compiled <- now
                lastCompilation <- watch.Elapsed.TotalSeconds

/// Median wall time in milliseconds of `repetitions` runs after the warm-up.
let medianMs (repetitions: int) (action: unit -> unit) =
    warmUp repetitions action
    let times =
        Array.init repetitions (fun _ ->
            let watch = Stopwatch.StartNew()
            action ()
            watch.Elapsed.TotalMilliseconds)
    Array.sortInPlace times
    times[times.Length / 2]

/// A case and its reference timed in alternation, `repetitions` pairs after the warm-up of
/// each: (median of a, median of b, median of the per-pair ratios a/b). Alternating keeps the
/// ratio fair on a shared machine whose load drifts during the run. The order within a pair
/// alternates too, so that neither side always runs just after the other: where both return
/// large fresh arrays, the first of a pair met the collection (and the fresh pages the
/// collector then faults in) that the other's garbage had made due — at n = 1 000 the
/// Hessian's 8 MB results made the second side of every pair about 3× faster.
let pairedMs (repetitions: int) (a: unit -> unit) (b: unit -> unit) =
    let time (action: unit -> unit) =
        let watch = Stopwatch.StartNew()
        action ()
        watch.Elapsed.TotalMilliseconds
    warmUp repetitions a
    warmUp repetitions b
    let pairs =
        Array.init repetitions (fun i ->
            if i % 2 = 0 then let ta = time a in let tb = time b in ta, tb
            else let tb = time b in let ta = time a in ta, tb)
    let median (values: float[]) = let v = Array.sort values in v[v.Length / 2]
    median (Array.map fst pairs), median (Array.map snd pairs), median (pairs |> Array.map (fun (ta, tb) -> ta / tb))

/// Wall time of one run in milliseconds (for work that runs once, such as tracing).
let onceMs (action: unit -> unit) =
    let watch = Stopwatch.StartNew()
    action ()
    watch.Elapsed.TotalMilliseconds

/// Bytes the current thread allocates during one (warm) run.
let allocatedBytes (action: unit -> unit) =
    action ()
    let before = GC.GetAllocatedBytesForCurrentThread()
    action ()
    GC.GetAllocatedBytesForCurrentThread() - before

let private text (v: float) =
    if v = 0.0 then "0"
    elif abs v >= 1000.0 then v.ToString("N0", CultureInfo.InvariantCulture)
    elif abs v >= 10.0 then v.ToString("F1", CultureInfo.InvariantCulture)
    else v.ToString("G3", CultureInfo.InvariantCulture)

/// A row with no target.
let info case measure value unit = { Case = case; Measure = measure; Value = value; Unit = unit; Target = ""; Met = None }

/// A row compared with an upper bound.
let atMost case measure value unit (bound: float) =
    { Case = case; Measure = measure; Value = value; Unit = unit; Target = "≤ " + text bound; Met = Some(value <= bound) }

/// A row compared with a lower bound.
let atLeast case measure value unit (bound: float) =
    { Case = case; Measure = measure; Value = value; Unit = unit; Target = "≥ " + text bound; Met = Some(value >= bound) }

let private verdict (row: Row) =
    match row.Met with
    | Some true -> "met"
    | Some false -> "missed"
    | None -> ""

/// The rows as a fixed-width console table.
let consoleTable (rows: Row list) =
    let cells = rows |> List.map (fun r -> [ r.Case; r.Measure; text r.Value + " " + r.Unit; r.Target; verdict r ])
    let header = [ "case"; "measure"; "value"; "target"; "" ]
    let widths = List.init 5 (fun i -> (header :: cells) |> List.map (fun c -> c[i].Length) |> List.max)
    let line (c: string list) = String.Join("  ", List.map2 (fun (s: string) w -> s.PadRight w) c widths)
    String.Join(Environment.NewLine, line header :: List.map line cells)

/// The rows as a markdown table.
let markdownTable (rows: Row list) =
    let text' (r: Row) = sprintf "| %s | %s | %s %s | %s | %s |" r.Case r.Measure (text r.Value) r.Unit r.Target (verdict r)
    let out = StringBuilder()
    out.AppendLine("| case | measure | value | target | |").AppendLine("|---|---|---|---|---|") |> ignore
    for r in rows do out.AppendLine(text' r) |> ignore
    out.ToString()

/// Writes rows as tab-separated lines: how a case run in a process of its own hands its rows
/// back (values in round-trip form).
let writeRows (path: string) (rows: Row list) =
    let line (r: Row) =
        let met = match r.Met with Some true -> "met" | Some false -> "missed" | None -> ""
        String.Join("\t", [| r.Case; r.Measure; r.Value.ToString("R", CultureInfo.InvariantCulture); r.Unit; r.Target; met |])
    System.IO.File.WriteAllLines(path, rows |> List.map line)

/// Reads rows written by `writeRows`.
let readRows (path: string) =
    System.IO.File.ReadAllLines path
    |> Array.toList
    |> List.map (fun line ->
        let f = line.Split '\t'
        { Case = f[0]; Measure = f[1]; Value = Double.Parse(f[2], CultureInfo.InvariantCulture); Unit = f[3]; Target = f[4]
          Met = match f[5] with "met" -> Some true | "missed" -> Some false | _ -> None })

