namespace FunctionalAD

open System
open System.Runtime.ExceptionServices
open System.Threading

/// Recursive code over user input (a parser, the translation of an expression tree) recurses
/// once per level of nesting; on the 1–8 MB stack of an ordinary thread a deeply nested input
/// would overflow it, which ends the process. Such code checks the stack as it goes
/// (RuntimeHelpers.EnsureSufficientExecutionStack, which raises a catchable
/// InsufficientExecutionStackException instead) and runs here, on a thread with a large stack,
/// so that the depth it accepts is in the hundreds of thousands, and deeper input is refused
/// clearly.
module DeepRecursion =
    /// The stack of `run`'s threads: reserved address space, committed only as it is used.
    [<Literal>]
    let StackBytes = 1024 * 1024 * 1024

    /// `f ()` on a thread with a `StackBytes` stack; its result, or its exception rethrown here
    /// with its original stack trace. The thread starts with the caller's ExecutionContext, so
    /// transforms open in the caller (AD levels) are open in `f` too.
    let run (f: unit -> 'T) : 'T =
        let mutable result = Unchecked.defaultof<'T>
        let mutable error: ExceptionDispatchInfo = null
        let worker =
            Thread((fun () ->
                       try result <- f ()
                       with e -> error <- ExceptionDispatchInfo.Capture e),
                   StackBytes)
        worker.Start()
        worker.Join()
        if not (isNull error) then error.Throw()
        result
