/// The adversarial suite: runs every generated case, counts the outcomes by class, and fails
/// with the cases whose outcome their expectation does not allow.
module FunctionalAD.Adversarial.Suite

open System
open Xunit
open Xunit.Abstractions
open FunctionalAD.Adversarial.Outcomes

/// Runs the cases, reports the counts, and asserts that every outcome is acceptable.
let private runAll (output: ITestOutputHelper) (title: string) (cases: Case list) =
    let results = cases |> List.map (fun c -> c, run (TimeSpan.FromSeconds 20.0) c)
    let counts = results |> List.countBy (snd >> className)
    output.WriteLine(sprintf "%s: %d inputs; %s" title results.Length (String.Join("; ", counts |> List.map (fun (k, n) -> sprintf "%s %d" k n))))
    // Where either a value or a refusal is right (a limit that depends on the stack, say),
    // which one it was is worth seeing.
    for c, o in results do
        if c.Expect = ExpectEither && title = "edges" then output.WriteLine(sprintf "  %s (%s): %s" c.Entry c.Input (className o))
    let bad = results |> List.filter (fun (c, o) -> not (acceptable c o))
    let describe (c: Case, o: Outcome) =
        let detail = match o with Wrong why | BadError why -> why | other -> className other
        sprintf "%s (%s), expected %A: %s" c.Entry c.Input c.Expect detail
    if not bad.IsEmpty then
        Assert.Fail(sprintf "%d of %d inputs had a bad outcome:\n%s" bad.Length results.Length (String.Join("\n", bad |> List.truncate 40 |> List.map describe)))

type Adversarial(output: ITestOutputHelper) =
    [<Fact>]
    member _.``the core and the façade: construction, reshape, broadcasting, elementwise, reductions, slices, layout, products, einsum`` () =
        runAll output "core and façade" CoreCases.all

    [<Fact>]
    member _.``edge values, sizes, custom rules, shared state, threads and deep nesting`` () =
        runAll output "edges" EdgeCases.all

    [<Fact>]
    member _.``Learn's CSV loader and the fad command line`` () =
        runAll output "Learn and fad" BoundaryCases.all
