namespace FunctionalAD

open Microsoft.FSharp.NativeInterop

#nowarn "9" // NativePtr.stackalloc: the point of `optimisedAtOnce`

/// Asking the runtime to compile a kernel fully optimised on its first call. Under tiered
/// compilation a method with loops starts in unoptimised code (patched to optimised code only
/// after thousands of iterations of one call, or after 30 calls and a pause in new
/// compilations), which in a program's first seconds makes vector kernels 3–40× slower; a
/// program's first training run on the managed provider spent most of its products there (perf,
/// 4 December 2026). `MethodImplOptions.AggressiveOptimization`, the usual request, is dropped
/// from the IL by the F# compiler.
module internal Tiering =
    /// Inlined into a method, makes the JIT compile it fully optimised at once: a method with a
    /// `stackalloc` cannot be patched for on-stack replacement, so the runtime skips its lowest
    /// tier ("Tier-0 switched to FullOpts" in the JIT's log). Costs one byte of stack per call.
    let inline optimisedAtOnce () = NativePtr.stackalloc<byte> 1 |> ignore
