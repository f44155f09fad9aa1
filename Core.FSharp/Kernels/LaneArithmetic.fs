namespace FunctionalAD

open System
open System.Numerics
open System.Runtime.Intrinsics
open System.Runtime.InteropServices
open Microsoft.FSharp.NativeInterop

#nowarn "9" // NativePtr.stackalloc: the tail's lanes on the stack (see `lanesInto`)

/// An operation on vector lanes of the machine's widest kind (`Vector512` where it is
/// accelerated, else `Vector`), as a struct: a kernel generic in it is compiled for it alone,
/// with the operation inlined (no call per vector).
type internal ILanes<'T when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType> =
    abstract Apply: Vector<'T> * Vector<'T> -> Vector<'T>
    abstract Apply512: Vector512<'T> * Vector512<'T> -> Vector512<'T>

[<Struct>]
type internal AddLanes<'T when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType> =
    interface ILanes<'T> with
        member _.Apply(x: Vector<'T>, y: Vector<'T>) = Vector.Add(x, y)
        member _.Apply512(x: Vector512<'T>, y: Vector512<'T>) = Vector512.Add(x, y)

[<Struct>]
type internal SubtractLanes<'T when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType> =
    interface ILanes<'T> with
        member _.Apply(x: Vector<'T>, y: Vector<'T>) = Vector.Subtract(x, y)
        member _.Apply512(x: Vector512<'T>, y: Vector512<'T>) = Vector512.Subtract(x, y)

[<Struct>]
type internal MultiplyLanes<'T when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType> =
    interface ILanes<'T> with
        member _.Apply(x: Vector<'T>, y: Vector<'T>) = Vector.Multiply(x, y)
        member _.Apply512(x: Vector512<'T>, y: Vector512<'T>) = Vector512.Multiply(x, y)

[<Struct>]
type internal DivideLanes<'T when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType> =
    interface ILanes<'T> with
        member _.Apply(x: Vector<'T>, y: Vector<'T>) = Vector.Divide(x, y)
        member _.Apply512(x: Vector512<'T>, y: Vector512<'T>) = Vector512.Divide(x, y)

/// Addition, subtraction, multiplication and division of float64 and float32 spans in the
/// library's own vector lanes, for the eager kernels. TensorPrimitives' Add, Subtract, Multiply
/// and Divide are generic methods whose Vector512 code, until the runtime recompiles them at
/// their top tier, runs as calls into software fallbacks: with the bias additions of the
/// per-epoch evaluation they were 13 % of the main thread's time in epochs 2–20 of a first
/// training run (perf, 4 December 2026). Elementwise IEEE arithmetic rounds alike in any lane
/// width, so results are bit for bit those of TensorPrimitives.
module internal LaneArithmetic =
    /// The whole vectors of d = op(a, b) in lanes of type 'V, an argument of one element in
    /// every lane; returns how many elements they covered.
    let inline private wholeVectors< 'T, 'V when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'V: struct and 'V: (new: unit -> 'V) and 'V :> ValueType>
        ([<InlineIfLambda>] apply: 'V -> 'V -> 'V) ([<InlineIfLambda>] splat: 'T -> 'V) (a: ReadOnlySpan<'T>) (b: ReadOnlySpan<'T>) (d: Span<'T>) =
        let dv = MemoryMarshal.Cast<'T, 'V> d
        if a.Length = 1 then
            let va = splat a[0]
            let bv = MemoryMarshal.Cast<'T, 'V> b
            for v in 0 .. dv.Length - 1 do dv[v] <- apply va bv[v]
        elif b.Length = 1 then
            let av = MemoryMarshal.Cast<'T, 'V> a
            let vb = splat b[0]
            for v in 0 .. dv.Length - 1 do dv[v] <- apply av[v] vb
        else
            let av = MemoryMarshal.Cast<'T, 'V> a
            let bv = MemoryMarshal.Cast<'T, 'V> b
            for v in 0 .. dv.Length - 1 do dv[v] <- apply av[v] bv[v]
        MemoryMarshal.AsBytes(dv).Length / sizeof<'T>

    /// d[i] = op(a[i], b[i]), where an argument of one element gives that element to every i
    /// (the broadcasting kernels' value runs), in the widest lanes the machine accelerates (with
    /// 256-bit lanes a division by a value took 1.3× TensorPrimitives' 512-bit ones). The elements
    /// after the last whole vector go through the same lanes in buffers on the stack; the stack
    /// buffers also make the JIT compile each instantiation fully optimised on its first call,
    /// as in `VectorTanh.tanhInto` (a method with a loop and `stackalloc` skips the lowest tier).
    let private lanesInto<'T, 'Op when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'Op: struct and 'Op :> ILanes<'T>>
        (op: 'Op) (a: ReadOnlySpan<'T>) (b: ReadOnlySpan<'T>) (d: Span<'T>) =
        let wide = Vector512.IsHardwareAccelerated
        let width = if wide then Vector512<'T>.Count else Vector<'T>.Count
        let whole =
            if wide then wholeVectors (fun x y -> op.Apply512(x, y)) (fun (v: 'T) -> Vector512.Create<'T> v) a b d
            else wholeVectors (fun x y -> op.Apply(x, y)) (fun (v: 'T) -> Vector<'T>(value = v)) a b d
        if whole < d.Length then
            let lanes = Span<'T>(NativePtr.toVoidPtr (NativePtr.stackalloc<'T> (2 * width)), 2 * width)
            lanes.Clear()
            let left = lanes.Slice(0, width)
            let right = lanes.Slice(width, width)
            if a.Length = 1 then left.Fill a[0] else a.Slice(whole).CopyTo left
            if b.Length = 1 then right.Fill b[0] else b.Slice(whole).CopyTo right
            if wide then op.Apply512(Vector512.Create<'T>(values = Span<'T>.op_Implicit left), Vector512.Create<'T>(values = Span<'T>.op_Implicit right)).CopyTo right
            else op.Apply(Vector<'T>(Span<'T>.op_Implicit left), Vector<'T>(Span<'T>.op_Implicit right)).CopyTo right
            right.Slice(0, d.Length - whole).CopyTo(d.Slice whole)

    /// d = op(a, b) with `a` one element.
    let valueSpan<'T, 'Op when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'Op: struct and 'Op :> ILanes<'T>>
        (op: 'Op) (a: 'T) (b: ReadOnlySpan<'T>) (d: Span<'T>) =
        let mutable value = a
        lanesInto op (MemoryMarshal.CreateReadOnlySpan(&value, 1)) b d

    /// The kernels of an operation: on two spans, and with either argument a value.
    let kernels<'T, 'Op when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'Op: struct and 'Op :> ILanes<'T>> (op: 'Op) : BinaryKernels<'T> =
        { Spans = SpanBinaryOf<'T>(fun a b d -> lanesInto op a b d)
          ValueSpan = ValueSome(ValueSpanOf<'T>(fun a b d -> valueSpan op a b d))
          SpanValue = ValueSome(SpanValueOf<'T>(fun a b d -> let mutable value = b in lanesInto op a (MemoryMarshal.CreateReadOnlySpan(&value, 1)) d)) }

    /// d = a + b (`lanesInto`: an argument of one element is added to every element).
    let add<'T when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType> (a: ReadOnlySpan<'T>) (b: ReadOnlySpan<'T>) (d: Span<'T>) =
        lanesInto (AddLanes<'T>()) a b d
