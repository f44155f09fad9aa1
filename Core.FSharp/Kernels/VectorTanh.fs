namespace FunctionalAD

open System
open System.Numerics
open System.Runtime.InteropServices
open Microsoft.FSharp.NativeInterop

#nowarn "9" // NativePtr.stackalloc: the tail's lanes on the stack (see tanhInto)

/// tanh on float64 spans in the library's own vector lanes. TensorPrimitives' tanh is a generic
/// method whose Vector512 operations, until the runtime recompiles it at its top tier, are calls
/// into software fallbacks: in the first training run of a process that made up three quarters of
/// the main thread's time in epochs 2 and 3 (each 10× a warm epoch; perf, 3 December 2026). These
/// lanes are optimised from their first call (see `tanhInto`): the digits MLP's first training
/// run went from 1.0–1.2 s to 0.64–0.88 s, its epochs 2–20 from 20–120 ms to 11–37 ms, and warm
/// they take 5.3–7.3 µs per 2 048 elements where TensorPrimitives takes 14.6–16.0 µs.
///
/// The formula is Cephes' (S. L. Moshier): for |x| < 0.625, tanh x = x + x·x²·P(x²)/Q(x²);
/// above, tanh x = 1 − 2/(e^2|x| + 1) with the sign of x; from |x| = 22 on, ±1 (1 − tanh 22 is
/// below half an ulp of 1). e^t comes from t = k·ln 2 + r, |r| ≤ ln 2 / 2, as 2^k times the
/// Taylor series of e^r to degree 13 (truncation below 5·10⁻¹⁸ relative). Results are within
/// 2 ulps of `Math.Tanh` (tested), and NaN, ±0 and ±∞ keep their IEEE meaning.
module internal VectorTanh =
    /// |x| below this takes the rational form.
    [<Literal>]
    let private rationalBelow = 0.625
    /// |x| from this on gives ±1.
    [<Literal>]
    let private saturatedFrom = 22.0
    [<Literal>]
    let private log2e = 1.4426950408889634
    /// ln 2 split so that k · ln2High is exact for |k| < 2²⁰ (fdlibm's split).
    [<Literal>]
    let private ln2High = 6.93147180369123816490e-01
    [<Literal>]
    let private ln2Low = 1.90821492927058770002e-10

    let inline private fma (a: Vector<double>) (b: Vector<double>) (c: Vector<double>) = Vector.FusedMultiplyAdd(a, b, c)
    let inline private splat (v: double) = Vector<double>(v)
    /// 1/n! in every lane.
    let inline private inverse (factorial: double) = splat (1.0 / factorial)

    /// e^t for lanes with 0 ≤ t ≤ 44 (the others are selected away by the caller).
    let inline private expLanes (t: Vector<double>) =
        let k = Vector.Round(t * splat log2e)
        let r = fma -k (splat ln2Low) (fma -k (splat ln2High) t)
        // Σ rⁿ/n! for n ≤ 13 by Horner's rule, written out (the coefficients are constants);
        // fromN is the sum's tail Σ_{m ≥ n} r^(m−n)/m!.
        let from12 = fma (inverse 6227020800.0) r (inverse 479001600.0)
        let from10 = fma (fma from12 r (inverse 39916800.0)) r (inverse 3628800.0)
        let from8 = fma (fma from10 r (inverse 362880.0)) r (inverse 40320.0)
        let from6 = fma (fma from8 r (inverse 5040.0)) r (inverse 720.0)
        let from4 = fma (fma from6 r (inverse 120.0)) r (inverse 24.0)
        let from2 = fma (fma from4 r (inverse 6.0)) r (inverse 2.0)
        let series = fma (fma from2 r (inverse 1.0)) r (inverse 1.0)
        let twoToK = Vector.AsVectorDouble(Vector.ShiftLeft(Vector.ConvertToInt64 k + Vector<int64>(1023L), 52))
        series * twoToK

    /// tanh of each lane.
    let inline private tanhLanes (x: Vector<double>) =
        let a = Vector.Abs x
        let a2 = a * a
        let p = fma (fma (splat -9.64399179425052238628e-1) a2 (splat -9.92877231001918586564e1)) a2 (splat -1.61468768441708447952e3)
        let q = fma (fma (a2 + splat 1.12811678491632931402e2) a2 (splat 2.23548839060100448583e3)) a2 (splat 4.84406305325125486048e3)
        let rational = Vector.LessThan(a, splat rationalBelow)
        // One division serves both forms: a·a²·P/Q, or 2/(e^2a + 1).
        let numerator = Vector.ConditionalSelect(rational, a * a2 * p, splat 2.0)
        let denominator = Vector.ConditionalSelect(rational, q, expLanes (a + a) + splat 1.0)
        let ratio = numerator / denominator
        let magnitude = Vector.ConditionalSelect(rational, a + ratio, splat 1.0 - ratio)
        let clamped = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(a, splat saturatedFrom), splat 1.0, magnitude)
        // The magnitude is ≥ 0 (or NaN): x's sign bit goes onto it.
        let sign = Vector.BitwiseAnd(Vector.AsVectorInt64 x, Vector<int64>(Int64.MinValue))
        Vector.AsVectorDouble(Vector.BitwiseOr(Vector.AsVectorInt64 clamped, sign))

    /// d[i] = tanh x[i]. The elements after the last whole vector go through the same lanes
    /// (padded with zeros) in a buffer on the stack, so every element gets the same bits wherever
    /// it lies in the span. The stack buffer also makes the JIT compile this method fully
    /// optimised on its first call: a method with a loop and `stackalloc` cannot be patched for
    /// on-stack replacement, so the runtime skips its lowest tier ("Tier-0 switched to
    /// FullOpts"). `MethodImplOptions.AggressiveOptimization`, the usual way to ask for that, is
    /// dropped from the IL by the F# compiler.
    let tanhInto (x: ReadOnlySpan<double>) (d: Span<double>) =
        let xv = MemoryMarshal.Cast<double, Vector<double>> x
        let dv = MemoryMarshal.Cast<double, Vector<double>> d
        for v in 0 .. xv.Length - 1 do
            dv[v] <- tanhLanes xv[v]
        let whole = xv.Length * Vector<double>.Count
        if whole < x.Length then
            let lanes = Span<double>(NativePtr.toVoidPtr (NativePtr.stackalloc<double> Vector<double>.Count), Vector<double>.Count)
            lanes.Clear()
            x.Slice(whole).CopyTo(lanes)
            (tanhLanes (Vector<double>(Span<double>.op_Implicit lanes))).CopyTo(lanes)
            lanes.Slice(0, x.Length - whole).CopyTo(d.Slice whole)
