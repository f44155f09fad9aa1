/// How the properties run under FsCheck.Xunit: every law is a `[<Law "name">]` method returning
/// an FsCheck property, run with a fixed seed and a fixed number of cases; a failure reports
/// FsCheck's original and shrunk counterexample (programs print as listings) and the seed.
module FunctionalAD.PropertyTests.Property

open System
open FsCheck
open FsCheck.Xunit

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

/// An FsCheck.Xunit property named by the law it checks: the name fixes its seed (FsCheck's
/// replay "seed,gamma" with the generator's standard gamma), `runs` its cases, and it fails when
/// more than 5 cases per case asked for are discarded.
type LawAttribute(name: string) as this =
    inherit PropertyAttribute()
    do
        let seed = seedOf name
        this.Replay <- sprintf "%d,%d" seed (Rnd(seed).Gamma)
        this.MaxTest <- runs
        this.MaxRejected <- runs * 5
        this.QuietOnSuccess <- true

    /// The law's name.
    member _.Name = name
