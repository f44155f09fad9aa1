/// Running FsCheck properties from xunit facts (FsCheck.Xunit is not available): every property
/// runs with a fixed seed and a fixed number of cases, and a failure reports the property's
/// name, the seed to replay it and the shrunk counterexample (programs print as listings).
module FunctionalAD.PropertyTests.Property

open System
open FsCheck

/// A property that found a counterexample (or gave up on too many discarded cases).
type PropertyFailedException(message: string) =
    inherit Exception(message)

/// Cases per property: 200 (what CI runs), or the value of FAD_PROPERTY_RUNS when it is set
/// (e.g. FAD_PROPERTY_RUNS=10000 for a long local run).
let runs =
    match Environment.GetEnvironmentVariable "FAD_PROPERTY_RUNS" with
    | null | "" -> 200
    | text ->
        match Int32.TryParse text with
        | true, n when n > 0 -> n
        | _ -> raise (ArgumentException(sprintf "FAD_PROPERTY_RUNS must be a positive integer, not '%s'" text))

/// The seed of a property: FAD_PROPERTY_SEED when set (to replay a reported failure), otherwise
/// a fixed number derived from the property's name (FNV-1a), so each property sees its own
/// cases and every run sees the same ones.
let seedOf (name: string) =
    match Environment.GetEnvironmentVariable "FAD_PROPERTY_SEED" with
    | null | "" -> name |> Seq.fold (fun (h: uint64) c -> (h ^^^ uint64 c) * 1099511628211UL) 14695981039346656037UL
    | text ->
        match UInt64.TryParse text with
        | true, s -> s
        | _ -> raise (ArgumentException(sprintf "FAD_PROPERTY_SEED must be an unsigned integer, not '%s'" text))

/// Records the outcome instead of printing it.
type private CapturingRunner() =
    member val Result: TestResult option = None with get, set
    interface IRunner with
        member _.OnStartFixture _ = ()
        member _.OnArguments(_, _, _) = ()
        member _.OnShrink(_, _) = ()
        member this.OnFinished(_, result) = this.Result <- Some result

/// Counterexamples print with `%A`, which uses StructuredFormatDisplay (programs show as listings).
let private format (value: obj) = sprintf "%A" value

/// Runs `property` with the fixed seed and case count; throws PropertyFailedException with the
/// seed and the shrunk counterexample when it fails.
let check (name: string) (property: Property) =
    let seed = seedOf name
    let runner = CapturingRunner()
    let config =
        Config.Quick
            .WithName(name)
            .WithMaxTest(runs)
            .WithMaxRejected(runs * 5)
            .WithReplay(Some { Rnd = Rnd(seed); Size = None })
            .WithRunner(runner)
    Check.One(config, property)
    match runner.Result with
    | Some (TestResult.Passed _) -> ()
    | Some result ->
        let header = sprintf "Property '%s' failed with seed %d (%d cases); replay with FAD_PROPERTY_SEED=%d.\n" name seed runs seed
        raise (PropertyFailedException(header + Runner.onFinishedToStringWithFormatter format name result))
    | None -> raise (PropertyFailedException(sprintf "Property '%s' produced no result" name))
