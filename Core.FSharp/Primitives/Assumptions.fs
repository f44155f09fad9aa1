namespace FunctionalAD.Primitives

open System
open System.Numerics.Tensors
open System.Threading
open FunctionalAD

/// Raised by a compiled plan's step that checks an assumption the plan was traced under, when
/// the values of this call break it: the plan would then compute something other than eager
/// evaluation, so the compiled function evaluates this call eagerly instead
/// (`CompiledFunction.Invoke`).
type internal AssumptionFailedException(assumption: string, shape: int[]) =
    inherit Exception(sprintf "compile: a plan's assumption does not hold: %s (a value of shape %s)" assumption (Shape.format shape))
    /// What the plan assumed.
    member _.Assumption = assumption
    /// The shape of the value that broke it.
    member _.Shape = shape

/// Assumptions a trace may make about values it cannot see, so that the plan it gives keeps the
/// form eager evaluation takes on typical values; the plan checks each one when it runs, and
/// where one fails the call is evaluated eagerly. vmap keeps a batch of basis vectors compact
/// through a product with an unbatched factor only when 0 times the factor is 0, which eager
/// evaluation reads off the factor's value; a traced factor has none, and without the
/// assumption that it is finite the compiled Hessian of Σ exp(x_i·x_{i+1}) filled its batch in
/// to n × (n − 1) twice and ran slower than eager evaluation.
module internal Assumptions =
    /// Whether a trace running here may assume. An AsyncLocal, as the transforms' levels are
    /// (`Levels`): a trace that continues on another thread keeps the permission it began with.
    let private permitted = AsyncLocal<bool>()

    /// True while tracing a function whose plan can fall back to eager evaluation.
    let allowed () = permitted.Value

    /// Runs `body` with assumptions allowed or not, restoring the enclosing setting afterwards
    /// (a compiled function traced inside another's trace sets its own).
    let scope (allow: bool) (body: unit -> 'T) : 'T =
        let enclosing = permitted.Value
        permitted.Value <- allow
        try body ()
        finally permitted.Value <- enclosing

    /// Refuses a buffer (double[] or float32[]) holding an infinity or a NaN.
    let private requireFinite (shape: int[]) (buffer: Array) =
        let finite =
            match buffer with
            | :? (float32[]) as single -> TensorPrimitives.IsFiniteAll(ReadOnlySpan<float32>(single))
            | _ -> TensorPrimitives.IsFiniteAll(ReadOnlySpan<double>(buffer :?> double[]))
        if not finite then raise (AssumptionFailedException("every element is finite", shape))

    /// The checked value as a new array of either element type. A plan's step copies a result
    /// into its own buffer anyway, but a constant the lowering folds keeps the array it is
    /// given, and no value may share another's buffer (donating one would overwrite both).
    let private checkedCopy (values: NdArray[]) =
        let x = values[0]
        requireFinite x.Shape x.Buffer
        NdArray.ofBuffer (Array.copy x.Shape) (x.Buffer.Clone() :?> Array)

    /// The check and copy into a plan's buffer, allocating nothing.
    let private checkedInto (shape: int[]) (source: Array) (destination: Array) =
        requireFinite shape source
        Array.Copy(source, destination, destination.Length)

    // A recursive module: the batching rule applies the record it belongs to.
    module private rec Finite =
        let apply (x: Node) = Graph.applyUnary record x.Shape x
        /// The batching rule: the check applies to the batched argument as it is.
        let batched (_: int) (args: Node[]) (_: bool[]) = apply args[0]
        // No formula and no algebraic role: the check runs as a step of its own, which neither
        // a fused loop nor a simplification can drop.
        let record : Op =
            { Name = "assumeFinite"; Params = Param.empty
              Eval = checkedCopy
              Jvp = fun _ _ t -> t[0]
              Vjp = fun _ _ g -> [| ValueSome g |]
              Capabilities =
                { Param.none with
                    Batch = ValueSome batched
                    Float32 = ValueSome checkedCopy
                    Into = ValueSome(fun _ shape -> ValueSome(DestinationKernel(fun args destination -> checkedInto shape args[0] destination)))
                    Into32 = ValueSome(fun _ shape -> ValueSome(DestinationKernel32(fun args destination -> checkedInto shape args[0] destination))) } }

    /// `x` itself, assumed finite: the identity on values and derivatives, whose evaluation
    /// raises `AssumptionFailedException` where an element is infinite or NaN. What follows
    /// may rely on 0 times it being 0.
    let assumeFinite (x: Node) : Node = Finite.apply x
