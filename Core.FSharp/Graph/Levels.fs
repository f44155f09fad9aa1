namespace FunctionalAD

open System
open System.Threading

/// The nesting levels of transforms. The invariant every transform relies on: **bit L of a
/// node's `Deps` is set exactly when the node depends on a variable of nesting level L** (1 for
/// the outermost `grad`). A transform opens level depth + 1, makes its variables there, runs the
/// function and walks the nodes with its bit; nested transforms use higher bits, so an inner
/// derivative stays a function of the outer variables (no perturbation confusion). While a
/// sweep runs rules, dependence on levels whose transforms have closed is dropped (`sweeping`),
/// and what a transform returns lets go of levels no longer open (`Graph.release`).
module Levels =
    /// The transforms open in the current logical flow of control. It is an AsyncLocal, which
    /// flows with the ExecutionContext: a derivative taken inside `grad` on another thread
    /// (Task.Run, code after an await) sees the transforms open where that work was started, so
    /// its result keeps its dependence on their variables. Per-thread state alone would leave
    /// that thread at depth 0 and silently drop the dependence (an outer derivative of 0).
    /// Every node reads it, so reads go to a thread-static copy that the AsyncLocal's change
    /// handler keeps equal to it (the runtime calls the handler whenever the value changes on
    /// a thread, by a set or by a switch of context, as CultureInfo.CurrentCulture does).
    type private LevelState() =
        [<ThreadStatic; DefaultValue>]
        static val mutable private depth: int
        [<ThreadStatic; DefaultValue>]
        static val mutable private dropped: uint64
        /// How many transforms are open, and the levels whose history nodes built now let go
        /// of (set while a sweep runs rules). Unset, it is (0, 0): no transform open.
        static member val private Current =
            AsyncLocal<struct (int * uint64)>(fun change ->
                let struct (depth, dropped) = change.CurrentValue
                LevelState.depth <- depth
                LevelState.dropped <- dropped)
        static member Depth = LevelState.depth
        static member Dropped = LevelState.dropped
        /// Sets both at once (each change of an AsyncLocal copies the context's map).
        static member Set(depth: int, dropped: uint64) = LevelState.Current.Value <- struct (depth, dropped)

    /// The levels whose history the nodes built now let go of.
    let internal dropped () = LevelState.Dropped

    /// The bits of the nesting levels open here (levels 1 … depth).
    let internal openLevels () = (1UL <<< (LevelState.Depth + 1)) - 2UL

    /// Runs a sweep's `body`: nodes its rules build drop dependence on every level not open
    /// here. Only this flow of control is affected, and transforms opened inside (a custom rule
    /// that differentiates) record their own level as usual.
    let internal sweeping (body: unit -> 'T) : 'T =
        let depth, saved = LevelState.Depth, LevelState.Dropped
        LevelState.Set(depth, ~~~(openLevels ()))
        try body ()
        finally LevelState.Set(depth, saved)

    /// Runs `body` with a fresh variable tag one level deeper than the current transform, then
    /// returns to the outer level. Levels flow with the logical call (see LevelState).
    let withNewLevel (body: VarTag -> 'T) : 'T =
        let level = LevelState.Depth + 1
        if level > 62 then raise (InvalidOperationException "Derivatives are nested more than 62 levels deep.")
        let dropped = LevelState.Dropped
        LevelState.Set(level, dropped &&& ~~~(1UL <<< level))
        try body (VarTag level)
        finally LevelState.Set(level - 1, dropped)
