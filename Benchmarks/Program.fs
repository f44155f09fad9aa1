/// dotnet run -c Release --project Benchmarks -- [--quick] [--only CASE] [--markdown PATH] [--figures DIR]
module FunctionalAD.Benchmarks.Program

open System
open System.IO
open MathNet.Numerics.Providers.LinearAlgebra
open FunctionalAD.Benchmarks.Harness
open FunctionalAD.Benchmarks.Cases

[<EntryPoint>]
let main argv =
    let quick = Array.contains "--quick" argv
    let option name fallback =
        match Array.tryFindIndex ((=) name) argv with
        | Some i when i + 1 < argv.Length -> argv[i + 1]
        | _ -> fallback
    let settings =
        { Quick = quick
          Figures = option "--figures" (if quick then Path.Combine(Path.GetTempPath(), "functionalad-figures") else Path.Combine("docs", "figures")) }
    let markdown = option "--markdown" "benchmark-results.md"
    let provider = LinearAlgebraControl.Provider.ToString()
    let gc =
        sprintf "%s GC, %s, large-object threshold %s bytes"
            (if Runtime.GCSettings.IsServerGC then "server" else "workstation")
            (if Runtime.GCSettings.LatencyMode = Runtime.GCLatencyMode.Batch then "non-concurrent" else "concurrent")
            (match AppContext.GetData "System.GC.LOHThreshold" with null -> "85000 (default)" | v -> string v)
    printfn "FunctionalAD benchmarks (%s), provider: %s, %d cores, %s" (if quick then "quick" else "full") provider Environment.ProcessorCount gc
    let cases = [ "providers", FunctionalAD.Benchmarks.ProviderCases.providers; "logistic regression", logistic; "MLP", mlp; "scalar chain", chain; "fusion", fusion; "Hessian", hessian; "finite differences", finiteDifferences ]
    // `--only "scalar chain"` runs the cases whose title contains the text (case-insensitive).
    let only = option "--only" ""
    let selected = cases |> List.filter (fun (title, _) -> title.Contains(only, StringComparison.OrdinalIgnoreCase))
    let rows =
        selected |> List.collect (fun (title, case) ->
            printfn "running %s…" title
            // Each case starts from a collected heap, so that what one case leaves behind is not
            // walked by the collections of the next.
            GC.Collect()
            GC.WaitForPendingFinalizers()
            GC.Collect()
            let rows = case settings
            printfn "%s\n" (consoleTable rows)
            rows)
    let header = sprintf "FunctionalAD benchmarks, %s UTC, provider %s, %d cores, %s, %s run\n\n" (DateTime.UtcNow.ToString "yyyy-MM-dd HH:mm") provider Environment.ProcessorCount gc (if quick then "quick" else "full")
    File.WriteAllText(markdown, header + markdownTable rows)
    printfn "results written to %s; figures to %s" markdown settings.Figures
    0
