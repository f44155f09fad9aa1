/// How the adversarial suite judges what a public entry point did with a hostile input. An
/// outcome is good when it is a right value, or a refusal by an exception of a documented type
/// whose message names the operation (and, for argument errors, which argument); it is bad when
/// it is a wrong value, a NaN where the value is finite, an undocumented exception (index out of
/// range, null reference, key not found, invalid cast, overflow, out of memory, stack), an
/// exception whose message does not name the operation, or a hang.
module FunctionalAD.Adversarial.Outcomes

open System
open System.Threading
open FunctionalAD

/// The outcome classes the suite counts.
type Outcome =
    /// A value that passed its check (equal to a reference, or a closed form).
    | Right
    /// A documented exception whose message names the operation.
    | Refused
    /// A value that failed its check.
    | Wrong of why: string
    /// An exception of an undocumented type, or one whose message does not name the operation.
    | BadError of why: string
    /// No answer within the time limit.
    | Hang

/// What a case expects: a value (checked by the case itself), a refusal, or either (when the
/// right answer is machine-dependent, such as a request near the memory limit).
type Expectation =
    | ExpectValue
    | ExpectRefusal
    | ExpectEither

/// One hostile input for one entry point. `Run` returns None when the value is right, or why not;
/// an exception it raises is judged against `Operation`, the name its message must contain.
type Case =
    { Entry: string
      Input: string
      Operation: string
      Expect: Expectation
      Run: unit -> string option }

/// The exception types the library documents for refusals.
let private documented (e: exn) =
    match e with
    | :? ArgumentOutOfRangeException as a -> not (isNull a.ParamName)
    | :? ArgumentException -> true
    | :? InvalidOperationException -> true
    | :? NotSupportedException -> true
    | :? FormatException -> true
    | :? LinearAlgebraException -> true
    | _ -> false

/// Judges one exception raised for `operation`.
let judge (operation: string) (e: exn) =
    let e = match e with :? AggregateException as a when a.InnerExceptions.Count = 1 -> a.InnerException | _ -> e
    if not (documented e) then BadError(sprintf "%s: %s" (e.GetType().Name) e.Message)
    elif not (e.Message.Contains(operation, StringComparison.OrdinalIgnoreCase)) then
        BadError(sprintf "the message does not name '%s': %s" operation e.Message)
    else
        match e with
        | :? ArgumentException as a when isNull a.ParamName && not (e :? FormatException) ->
            BadError(sprintf "the argument is not named: %s" e.Message)
        | _ -> Refused

/// Runs a case on a thread of its own (with a generous stack, as a user's main thread would
/// have), so that a hang is reported rather than waited for.
let run (limit: TimeSpan) (case: Case) : Outcome =
    let mutable outcome = Hang
    let worker =
        Thread((fun () ->
                   outcome <-
                       try
                           match case.Run() with
                           | None -> Right
                           | Some why -> Wrong why
                       with e -> judge case.Operation e),
               16 * 1024 * 1024)
    worker.IsBackground <- true
    worker.Start()
    if worker.Join limit then outcome else Hang

/// Whether an outcome is what the case allows.
let acceptable (case: Case) (outcome: Outcome) =
    match case.Expect, outcome with
    | ExpectValue, Right | ExpectRefusal, Refused -> true
    | ExpectEither, (Right | Refused) -> true
    | _ -> false

/// The name of an outcome's class, for the counts.
let className (outcome: Outcome) =
    match outcome with
    | Right -> "right value"
    | Refused -> "documented refusal"
    | Wrong _ -> "wrong value"
    | BadError _ -> "unclear or undocumented error"
    | Hang -> "hang"
