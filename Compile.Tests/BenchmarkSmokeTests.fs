/// The benchmark harness in its quick mode, as CI's smoke test: every case runs and reports,
/// with no thresholds (performance is measured by full runs, recorded in BENCHMARKS.md).
module FunctionalAD.Compile.Tests.BenchmarkSmokeTests

open System.IO
open Xunit

[<Fact>]
let ``the benchmark harness runs every case in quick mode`` () =
    let folder = Directory.CreateTempSubdirectory("functionalad-bench")
    try
        let markdown = Path.Combine(folder.FullName, "results.md")
        let exitCode = FunctionalAD.Benchmarks.Program.main [| "--quick"; "--markdown"; markdown; "--figures"; folder.FullName |]
        Assert.Equal(0, exitCode)
        let report = File.ReadAllText markdown
        for case in [ "matrix product 64×64"; "logistic 200×50"; "MLP 32-16-16-4, batch 8"; "scalar chain"; "Hessian"; "gradient, n = 10"; "conv2d 2×4×8×8, 4 kernels 3×3" ] do
            Assert.Contains(case, report)
        Assert.Contains("provider", report)
    finally
        folder.Delete true

[<Fact>]
let ``run as a program, the harness runs each case in a process of its own`` () =
    let folder = Directory.CreateTempSubdirectory("functionalad-bench")
    try
        let markdown = Path.Combine(folder.FullName, "results.md")
        let host = match System.Environment.GetEnvironmentVariable "DOTNET_HOST_PATH" with null | "" -> "dotnet" | path -> path
        let start = System.Diagnostics.ProcessStartInfo(host, UseShellExecute = false, RedirectStandardOutput = true)
        for a in [ typeof<FunctionalAD.Benchmarks.Harness.Row>.Assembly.Location; "--quick"; "--only"; "scalar chain"; "--markdown"; markdown; "--figures"; folder.FullName ] do
            start.ArgumentList.Add a
        use harness = System.Diagnostics.Process.Start start
        let output = harness.StandardOutput.ReadToEnd()
        harness.WaitForExit()
        Assert.True(0 = harness.ExitCode, output)
        let report = File.ReadAllText markdown
        Assert.Contains("one process per case", report)
        // The child's rows came back through the file: every measure of the case, with verdicts.
        Assert.Contains("| scalar chain, k = 1200 | operations traced | 1,200  |", report)
        Assert.Contains("| scalar chain, k = 1200 | derivative graph nodes / k | 2.33  | ≤ 3 | met |", report)
    finally
        folder.Delete true

[<Fact>]
let ``quick mode never runs the peer comparison, even when --only names it`` () =
    let folder = Directory.CreateTempSubdirectory("functionalad-bench")
    try
        let markdown = Path.Combine(folder.FullName, "results.md")
        let exitCode = FunctionalAD.Benchmarks.Program.main [| "--quick"; "--only"; "peers"; "--markdown"; markdown; "--figures"; folder.FullName |]
        Assert.Equal(0, exitCode)
        // The header and the table's head, and no row: no case ran.
        let lines = File.ReadAllLines markdown |> Array.filter (fun l -> l.StartsWith "|")
        Assert.Equal<string[]>([| "| case | measure | value | target | |"; "|---|---|---|---|---|" |], lines)
    finally
        folder.Delete true
