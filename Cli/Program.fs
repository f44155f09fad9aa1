module FunctionalAD.Cli.Program

open System

/// The `fad` entry point: the whole tool is `Commands.run`.
[<EntryPoint>]
let main args = Commands.run args Console.Out Console.Error
