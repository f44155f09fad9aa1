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
        for case in [ "matrix product 64×64"; "logistic 200×50"; "MLP 32-16-16-4, batch 8"; "scalar chain"; "Hessian"; "gradient, n = 10" ] do
            Assert.Contains(case, report)
        Assert.Contains("provider", report)
    finally
        folder.Delete true
