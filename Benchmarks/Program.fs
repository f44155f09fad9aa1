/// dotnet run -c Release --project Benchmarks -- [--quick] [--only CASE] [--markdown PATH] [--figures DIR]
/// Run as a program, each case runs in a process of its own (as BenchmarkDotNet does), so that
/// what one case leaves in the heap, and the collector's tuning after it, do not weigh on the next.
module FunctionalAD.Benchmarks.Program

open System
open System.Diagnostics
open System.IO
open System.Reflection
open MathNet.Numerics.Providers.LinearAlgebra
open FunctionalAD.Benchmarks.Harness
open FunctionalAD.Benchmarks.Cases

let private cases =
    [ "providers", FunctionalAD.Benchmarks.ProviderCases.providers
      "logistic regression", logistic
      "MLP", mlp
      "scalar chain", chain
      "fusion", fusion
      "Hessian", hessian
      "vmap", batching
      "finite differences", finiteDifferences
      "convolution", convolution
      "batched solve", batchedSolve
      "float32", FunctionalAD.Benchmarks.ProviderCases.float32
      "cold start", coldStart ]

/// Cases that run only when `--only` names them and never in quick mode (CI's smoke test): the
/// peer comparison needs PyTorch and takes minutes.
let private onRequest =
    [ "peers", FunctionalAD.Benchmarks.PeerCases.peers
      "cold start against PyTorch", FunctionalAD.Benchmarks.PeerCases.coldStartPeers ]

/// Runs one case in this process and prints its table.
let private runHere (settings: Settings) (title: string) =
    let _, case = cases @ onRequest |> List.find (fun (t, _) -> t = title)
    let rows = case settings
    printfn "%s\n" (consoleTable rows)
    rows

/// Runs one case in a child process of this program (`--case TITLE --rows PATH`), which writes
/// its rows to a file for this one.
let private runInChild (settings: Settings) (title: string) =
    let rowsFile = Path.GetTempFileName()
    try
        let start = ProcessStartInfo(Environment.ProcessPath, UseShellExecute = false)
        // Under `dotnet FunctionalAD.Benchmarks.dll` the process is the host: name the assembly.
        if Path.GetFileNameWithoutExtension(Environment.ProcessPath) = "dotnet" then start.ArgumentList.Add(typeof<Row>.Assembly.Location)
        for a in [ "--case"; title; "--rows"; rowsFile; "--figures"; settings.Figures ] @ (if settings.Quick then [ "--quick" ] else []) do
            start.ArgumentList.Add a
        use child = Process.Start start
        child.WaitForExit()
        if child.ExitCode <> 0 then failwithf "benchmark case %s: its process exited with code %d" title child.ExitCode
        readRows rowsFile
    finally
        File.Delete rowsFile

[<EntryPoint>]
let main argv =
    // The default provider (the best available: OpenBLAS where installed) is chosen now, before
    // any case switches providers for its rows, so a switch is never taken for "nothing chosen".
    let choice = FunctionalAD.Providers.EnsureChosen()
    let quick = Array.contains "--quick" argv
    let option name fallback =
        match Array.tryFindIndex ((=) name) argv with
        | Some i when i + 1 < argv.Length -> argv[i + 1]
        | _ -> fallback
    let settings =
        { Quick = quick
          Figures = option "--figures" (if quick then Path.Combine(Path.GetTempPath(), "functionalad-figures") else Path.Combine("docs", "figures")) }
    match option "--case" "", option "--rows" "" with
    | title, rowsFile when title <> "" && rowsFile <> "" ->
        writeRows rowsFile (runHere settings title)
        0
    | _ ->
        let markdown = option "--markdown" "benchmark-results.md"
        let provider = sprintf "%O — %O" choice choice.Provider
        let gc =
            sprintf "%s GC, %s, large-object threshold %s bytes"
                (if Runtime.GCSettings.IsServerGC then "server" else "workstation")
                (if Runtime.GCSettings.LatencyMode = Runtime.GCLatencyMode.Batch then "non-concurrent" else "concurrent")
                (match AppContext.GetData "System.GC.LOHThreshold" with null -> "85000 (default)" | v -> string v)
        // Started as the program, cases run in processes of their own; called from a test host
        // (the CI smoke test), they run in its process.
        let isolated = obj.ReferenceEquals(Assembly.GetEntryAssembly(), typeof<Row>.Assembly)
        printfn "FunctionalAD benchmarks (%s), provider: %s, %d cores, %s, %s" (if quick then "quick" else "full") provider Environment.ProcessorCount gc
            (if isolated then "one process per case" else "in one process")
        // `--only "scalar chain"` runs the cases whose title contains the text (case-insensitive).
        let only = option "--only" ""
        let requested = if quick || only = "" then [] else onRequest
        let rows =
            cases @ requested
            |> List.filter (fun (title, _) -> title.Contains(only, StringComparison.OrdinalIgnoreCase))
            |> List.collect (fun (title, _) ->
                printfn "running %s…" title
                if isolated then runInChild settings title else runHere settings title)
        let header =
            sprintf "FunctionalAD benchmarks, %s UTC, provider %s, %d cores, %s, %s, %s run\n\n" (DateTime.UtcNow.ToString "yyyy-MM-dd HH:mm") provider
                Environment.ProcessorCount gc (if isolated then "one process per case" else "in one process") (if quick then "quick" else "full")
        File.WriteAllText(markdown, header + markdownTable rows)
        printfn "results written to %s; figures to %s" markdown settings.Figures
        0
