namespace FunctionalAD

open System
open System.Collections.Generic
open MathNet.Numerics.LinearAlgebra
open FunctionalAD.Primitives

/// How `Tensor.pad` fills the border.
[<RequireQualifiedAccess>]
type PadMode =
    /// Every new entry is this value.
    | Constant of value: float
    /// The tensor mirrored at its edges, the edge itself not repeated (NumPy's "reflect").
    | Reflect

/// How a convolution pads one spatial axis of its input with zeros.
[<RequireQualifiedAccess>]
type ConvPadding =
    /// No padding: windows lie wholly inside the input.
    | Valid
    /// The output as long as the input (stride 1 only): dilation · (size − 1) zeros in all, the
    /// odd one after, as PyTorch and TensorFlow do.
    | Same
    /// `before` zeros before the axis and `after` after it.
    | Pad of before: int * after: int
    /// `count` zeros on both sides.
    static member Symmetric(count: int) = ConvPadding.Pad(count, count)

/// The settings of a 2-D convolution: (rows, columns) pairs for stride, padding and dilation.
type Conv2dOptions =
    { Stride: int * int
      Padding: ConvPadding * ConvPadding
      Dilation: int * int
      /// Input and output channels split into this many groups, each convolved on its own.
      Groups: int }
    /// Stride 1, no padding, no dilation, one group.
    static member Default = { Stride = (1, 1); Padding = (ConvPadding.Valid, ConvPadding.Valid); Dilation = (1, 1); Groups = 1 }

/// The settings of a 1-D convolution.
type Conv1dOptions =
    { Stride: int
      Padding: ConvPadding
      Dilation: int
      /// Input and output channels split into this many groups, each convolved on its own.
      Groups: int }
    /// Stride 1, no padding, no dilation, one group.
    static member Default = { Stride = 1; Padding = ConvPadding.Valid; Dilation = 1; Groups = 1 }

/// The settings of a 2-D transposed convolution (PyTorch's ConvTranspose2d): the convolution
/// whose transpose it is has this stride, symmetric padding and dilation; `OutputPadding` adds
/// rows and columns at the bottom and right of the output (each below the stride or the
/// dilation), which picks one of the output sizes that convolution maps to the same input size.
type ConvTranspose2dOptions =
    { Stride: int * int
      Padding: int * int
      OutputPadding: int * int
      Dilation: int * int
      /// Input and output channels split into this many groups.
      Groups: int }
    /// Stride 1, no padding, no output padding, no dilation, one group.
    static member Default = { Stride = (1, 1); Padding = (0, 0); OutputPadding = (0, 0); Dilation = (1, 1); Groups = 1 }

/// Functions on tensors: construction, conversion, elementwise math, reductions, layout and
/// linear algebra. Every function is differentiable to any order unless it says otherwise.
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Tensor =
    let private node (t: Tensor) = t.Node
    let private wrap (n: Node) = Tensor.Of n
    let private unary f (x: Tensor) = wrap (f x.Node)
    let private binary f (x: Tensor) (y: Tensor) = wrap (f x.Node y.Node)

    // ---- construction and conversion -------------------------------------------------------

    /// A rank-0 tensor, weakly typed (docs/conventions.md, "Element types"): combined with a
    /// float32 tensor it gives float32, as a .NET `double` constant does.
    let scalar (v: float) = Tensor.Const(NdArray.weakScalar v)
    /// A tensor of the given shape from row-major data (copied).
    let create (shape: int[]) (data: float[]) = Tensor.Const(NdArray.create shape data)
    /// A float32 tensor of the given shape from row-major data (copied).
    let create32 (shape: int[]) (data: float32[]) = Tensor.Const(NdArray.create32 shape data)
    /// A vector holding a copy of the array.
    let ofArray (values: float[]) = Tensor.Const(NdArray.ofArray values)
    /// A float32 vector holding a copy of the array.
    let ofArray32 (values: float32[]) = Tensor.Const(NdArray.ofArray32 values)
    /// `x` with elements of `dtype` (rounded to nearest when narrowing; `x` itself when it has
    /// them). Differentiable: the cotangent is cast back to `x`'s type.
    let cast (dtype: DType) (x: Tensor) = wrap (Arithmetic.cast dtype x.Node)
    /// A vector from a sequence.
    let ofSeq (values: seq<float>) = Tensor.Const(NdArray.ofSeq values)
    /// A matrix from a 2-D array.
    let ofArray2D (values: float[,]) = Tensor.Const(NdArray.ofArray2D values)
    /// A vector from a MathNet vector.
    let ofVector (v: Vector<float>) = Tensor.Const(NdArray.ofVector v)
    /// A matrix from a MathNet matrix.
    let ofMatrix (m: Matrix<float>) = Tensor.Const(NdArray.ofMatrix m)
    /// A float32 matrix from a MathNet float32 matrix.
    let ofMatrix32 (m: Matrix<float32>) = Tensor.Const(NdArray.ofMatrix32 m)
    /// A tensor from an NdArray value.
    let ofNdArray (v: NdArray) = Tensor.Const v
    /// A tensor of the type and shape filled with one value; `operation` names the caller in
    /// refusals.
    let private filled operation (dtype: DType) (shape: int[]) (v: float) =
        Shape.validate operation "shape" shape
        Tensor.Const(NdArray.fullOf dtype shape v)
    /// A float64 tensor filled with one value.
    let full (shape: int[]) (v: float) = filled "full" DType.Float64 shape v
    /// A tensor of the given type filled with one value (rounded to float32 for float32).
    let fullOf (dtype: DType) (shape: int[]) (v: float) = filled "full" dtype shape v
    /// Zeros (float64).
    let zeros (shape: int[]) = filled "zeros" DType.Float64 shape 0.0
    /// Ones (float64).
    let ones (shape: int[]) = filled "ones" DType.Float64 shape 1.0
    /// Zeros of the given type.
    let zerosOf (dtype: DType) (shape: int[]) = filled "zeros" dtype shape 0.0
    /// Ones of the given type.
    let onesOf (dtype: DType) (shape: int[]) = filled "ones" dtype shape 1.0
    /// Zeros shaped and typed like `t`.
    let zerosLike (t: Tensor) = zerosOf t.DType t.Shape
    /// Ones shaped and typed like `t`.
    let onesLike (t: Tensor) = onesOf t.DType t.Shape
    /// The n×n identity matrix.
    let eye (n: int) =
        Shape.validate "eye" "n" [| n; n |]
        let data = Array.zeroCreate (n * n)
        for i in 0 .. n - 1 do data[i * n + i] <- 1.0
        Tensor.Const(NdArray([| n; n |], data))
    /// 0, 1, …, n−1.
    let arange (n: int) =
        Shape.validate "arange" "n" [| n |]
        Tensor.Const(NdArray([| n |], Array.init n float))
    /// n evenly spaced values from `start` to `stop` inclusive.
    let linspace (start: float) (stop: float) (n: int) =
        Shape.validate "linspace" "n" [| n |]
        Tensor.Const(NdArray([| n |], Array.init n (fun i -> if n = 1 then start else start + (stop - start) * float i / float (n - 1))))
    /// Standard normal samples from a seeded generator (Box–Muller), reproducible across runs.
    let randomNormal (seed: int) (shape: int[]) =
        Shape.validate "randomNormal" "shape" shape
        let rng = Random(seed)
        let sample _ =
            let u1 = 1.0 - rng.NextDouble()
            let u2 = rng.NextDouble()
            Math.Sqrt(-2.0 * Math.Log u1) * Math.Cos(2.0 * Math.PI * u2)
        Tensor.Const(NdArray(Array.copy shape, Array.init (Shape.size shape) sample))
    /// Uniform samples in [lo, hi) from a seeded generator.
    let randomUniform (seed: int) (lo: float) (hi: float) (shape: int[]) =
        Shape.validate "randomUniform" "shape" shape
        let rng = Random(seed)
        Tensor.Const(NdArray(Array.copy shape, Array.init (Shape.size shape) (fun _ -> lo + (hi - lo) * rng.NextDouble())))

    /// The elements in row-major order.
    let toArray (t: Tensor) = t.ToArray()
    /// The single element of a one-element tensor.
    let toScalar (t: Tensor) = t.ToScalar()
    /// A 2-D array of a matrix's elements.
    let toArray2D (t: Tensor) = NdArray.toArray2D t.Value
    /// A MathNet matrix (a copy).
    let toMatrix (t: Tensor) = NdArray.toMatrix t.Value
    /// A MathNet float32 matrix (a copy; float64 elements rounded).
    let toMatrix32 (t: Tensor) = NdArray.toMatrix32 t.Value
    /// A MathNet vector of the elements (a copy).
    let toVector (t: Tensor) = NdArray.toVector t.Value
    /// The value as an NdArray.
    let value (t: Tensor) = t.Value
    /// The shape.
    let shape (t: Tensor) = t.Shape

    // ---- elementwise -------------------------------------------------------------------------

    /// Elementwise sum (broadcasting).
    let add x y = binary Arithmetic.add x y
    /// Elementwise difference (broadcasting).
    let sub x y = binary Arithmetic.sub x y
    /// Elementwise product (broadcasting).
    let mul x y = binary Arithmetic.mul x y
    /// Elementwise quotient (broadcasting).
    let div x y = binary Arithmetic.div x y
    /// −x.
    let neg x = unary Arithmetic.neg x
    /// eˣ.
    let exp x = unary Elementwise.exp x
    /// Natural logarithm.
    let log x = unary Elementwise.log x
    /// log(1 + x), accurate near 0.
    let log1p x = unary Elementwise.log1p x
    /// eˣ − 1, accurate near 0.
    let expm1 x = unary Elementwise.expm1 x
    /// Square root.
    let sqrt x = unary Elementwise.sqrt x
    /// x².
    let square (x: Tensor) = x * x
    /// Sine.
    let sin x = unary Elementwise.sin x
    /// Cosine.
    let cos x = unary Elementwise.cos x
    /// Tangent.
    let tan x = unary Elementwise.tan x
    /// Hyperbolic tangent.
    let tanh x = unary Elementwise.tanh x
    /// The elementwise primitives that take tensors alone, by name (`exp`, `log1p`, `atan2` …),
    /// with their number of arguments: the list their declarations register, for parsers of
    /// formulas such as `fad`.
    let primitives : Collections.Generic.IReadOnlyDictionary<string, int * (Tensor[] -> Tensor)> =
        Elementwise.registered ()
        |> Seq.map (fun p -> KeyValuePair(p.Name, (p.Arity, fun (args: Tensor[]) -> wrap (p.Apply(args |> Array.map node)))))
        |> Collections.Generic.Dictionary
        :> Collections.Generic.IReadOnlyDictionary<_, _>

    /// Arctangent.
    let atan x = unary Elementwise.atan x
    /// atan2(y, x): the angle of the point (x, y), in (−π, π], with broadcasting.
    let atan2 y x = binary Elementwise.atan2 y x
    /// The error function erf x = 2/√π ∫₀ˣ e^−t² dt.
    let erf x = unary Elementwise.erf x
    /// The logistic function.
    let sigmoid x = unary Elementwise.sigmoid x
    /// log(1 + eˣ).
    let softplus x = unary Elementwise.softplus x
    /// max(x, 0), with relu'(0) = 0.
    let relu x = unary Elementwise.relu x
    /// |x|, with abs'(0) = 0.
    let abs x = unary Elementwise.abs x
    /// −1, 0 or 1 (derivative 0).
    let sign x = unary Elementwise.sign x
    /// xʸ elementwise.
    let pow x y = binary Elementwise.pow x y
    /// xᶜ for a real constant c.
    let powConst (c: float) (x: Tensor) = wrap (Elementwise.powConst c x.Node)
    /// Elementwise maximum; ties split the gradient evenly between non-constant arguments.
    let maximum x y = binary Elementwise.maximum x y
    /// Elementwise minimum; ties split the gradient evenly between non-constant arguments.
    let minimum x y = binary Elementwise.minimum x y
    /// Clamps into [lo, hi]; derivative 1 strictly inside, 0 at and beyond the bounds.
    let clamp (lo: float) (hi: float) (x: Tensor) = wrap (Elementwise.clamp lo hi x.Node)
    /// a where cond ≠ 0, else b (broadcasting). No NaN leaks from the branch not taken.
    let where (cond: Tensor) (a: Tensor) (b: Tensor) = wrap (Elementwise.where cond.Node a.Node b.Node)
    /// Mask of x > y.
    let greater x y = binary Elementwise.greater x y
    /// Mask of x ≥ y.
    let greaterEqual x y = binary Elementwise.greaterEqual x y
    /// Mask of x < y.
    let less x y = binary Elementwise.less x y
    /// Mask of x ≤ y.
    let lessEqual x y = binary Elementwise.lessEqual x y
    /// Mask of x = y.
    let equal x y = binary Elementwise.equal x y
    /// Mask of x ≠ y.
    let notEqual x y = binary Elementwise.notEqual x y
    /// The same value, with derivatives blocked.
    let stopGradient x = unary Elementwise.stopGradient x

    // ---- reductions --------------------------------------------------------------------------

    let private axesOf operation (x: Tensor) (axes: int[]) = Shape.normalizeAxes operation x.Node.Shape axes
    let private allAxes (x: Tensor) = Array.init x.Rank id
    let private axisOf operation (x: Tensor) (axis: int) = (axesOf operation x [| axis |])[0]

    /// Σ over the given axes (negative axes count from the end).
    let sumAxes (axes: int[]) (keepDims: bool) (x: Tensor) = wrap (Reductions.sum (axesOf "sum" x axes) keepDims x.Node)
    /// Σ of all elements.
    let sum (x: Tensor) = sumAxes (allAxes x) false x
    /// Mean over the given axes.
    let meanAxes (axes: int[]) (keepDims: bool) (x: Tensor) =
        let axes = axesOf "mean" x axes
        let count = axes |> Array.fold (fun acc a -> acc * x.Node.Shape[a]) 1
        if count = 0 then Shape.fail "mean" [| x.Node.Shape |] "x" "cannot average over an empty dimension"
        sumAxes axes keepDims x / float count
    /// Mean of all elements.
    let mean (x: Tensor) = meanAxes (allAxes x) false x
    /// Product over the given axes.
    let prodAxes (axes: int[]) (keepDims: bool) (x: Tensor) = wrap (Reductions.prod (axesOf "prod" x axes) keepDims x.Node)
    /// Product of all elements.
    let prod (x: Tensor) = prodAxes (allAxes x) false x
    /// Maximum over the given axes; tied elements share the gradient evenly.
    let maxAxes (axes: int[]) (keepDims: bool) (x: Tensor) = wrap (Reductions.max (axesOf "max" x axes) keepDims x.Node)
    /// Maximum of all elements.
    let max (x: Tensor) = maxAxes (allAxes x) false x
    /// Minimum over the given axes; tied elements share the gradient evenly.
    let minAxes (axes: int[]) (keepDims: bool) (x: Tensor) = wrap (Reductions.min (axesOf "min" x axes) keepDims x.Node)
    /// Minimum of all elements.
    let min (x: Tensor) = minAxes (allAxes x) false x
    /// log Σ exp over axes, computed stably; `operation` names the caller in refusals. The shift
    /// by the maximum carries no gradient. It is 0 where the maximum is infinite, as in SciPy:
    /// logsumexp of [−∞, −∞] is then log 0 = −∞ and of [∞, 1] is ∞, where ∞ − ∞ would give NaN.
    /// Over an empty axis the sum is 0 and the result −∞ (JAX), so there is no maximum to take.
    let private logsumexpOf operation (axes: int[]) (keepDims: bool) (x: Tensor) =
        let axes = axesOf operation x axes
        let shift =
            if axes |> Array.exists (fun a -> x.Node.Shape[a] = 0) then zeros (Shape.reduced x.Node.Shape axes true)
            else
                let m = stopGradient (maxAxes axes true x)
                where (equal (abs m) (scalar Double.PositiveInfinity)) (zerosLike m) m
        let kept = log (sumAxes axes true (exp (x - shift))) + shift
        if keepDims then kept else wrap (Arithmetic.reshape (Shape.reduced x.Node.Shape axes false) kept.Node)
    /// log Σ exp over axes, computed stably (see docs/conventions.md for ±∞ and empty axes).
    let logsumexpAxes (axes: int[]) (keepDims: bool) (x: Tensor) = logsumexpOf "logsumexp" axes keepDims x
    /// log Σ exp of all elements.
    let logsumexp (x: Tensor) = logsumexpAxes (allAxes x) false x
    /// log softmax along an axis: x − logsumexp(x).
    let logSoftmax (axis: int) (x: Tensor) = x - logsumexpOf "logSoftmax" [| axis |] true x
    /// Softmax along an axis (an empty axis gives an empty result).
    let softmax (axis: int) (x: Tensor) = exp (x - logsumexpOf "softmax" [| axis |] true x)

    /// The vector p-norm (Σ|x|ᵖ)^(1/p) over the given axes, for p ≥ 1 or p = ∞ (max |x|);
    /// p = 2 over a matrix's two axes is the Frobenius norm. Its derivative is 0 where x is 0
    /// on all the reduced axes (the minimum-norm subgradient); over an empty axis it is 0.
    let normAxes (p: float) (axes: int[]) (keepDims: bool) (x: Tensor) = wrap (Norms.norm p (axesOf "norm" x axes) keepDims x.Node)
    /// The p-norm of all elements (the Frobenius norm of a matrix for p = 2).
    let norm (p: float) (x: Tensor) = normAxes p (allAxes x) false x
    /// The variance Σ(x − mean)² / (N − ddof) over the given axes (ddof = 1: unbiased).
    let varAxes (ddof: int) (axes: int[]) (keepDims: bool) (x: Tensor) = wrap (Norms.variance (axesOf "var" x axes) ddof keepDims x.Node)
    /// The variance of all elements.
    let var (ddof: int) (x: Tensor) = varAxes ddof (allAxes x) false x
    /// The standard deviation √var over the given axes, with derivative 0 where the variance is 0.
    let stdAxes (ddof: int) (axes: int[]) (keepDims: bool) (x: Tensor) = wrap (Norms.std (axesOf "std" x axes) ddof keepDims x.Node)
    /// The standard deviation of all elements.
    let std (ddof: int) (x: Tensor) = stdAxes ddof (allAxes x) false x

    // ---- scans -------------------------------------------------------------------------------

    /// Running sums along an axis: entry k is x₀ + … + x_k.
    let cumsum (axis: int) (x: Tensor) = wrap (Scans.cumsum (axisOf "cumsum" x axis) false x.Node)
    /// Running products along an axis: entry k is x₀ · … · x_k, differentiable to every order
    /// also where entries are zero (it never divides).
    let cumprod (axis: int) (x: Tensor) = wrap (Scans.cumprod (axisOf "cumprod" x axis) x.Node)

    // ---- layout ------------------------------------------------------------------------------

    /// The same elements under a new shape; one dimension may be −1 (inferred).
    let reshape (shape: int[]) (x: Tensor) =
        let shapes = [| x.Node.Shape; shape |]
        shape |> Array.iteri (fun i d ->
            if d < -1 then Shape.fail "reshape" shapes "shape" (sprintf "dimension %d is %d; only −1 (inferred) may be negative" i d))
        let rest = shape |> Array.filter (fun d -> d <> -1)
        // In 64 bits: the known dimensions may multiply past 32 bits ([-1, 2³¹−1] of an empty
        // tensor is [0, 2³¹−1]); Arithmetic.reshape then checks the resolved shape.
        let known = Shape.count rest
        let resolved =
            match shape.Length - rest.Length with
            | 0 -> shape
            | 1 when known > 0L && int64 x.Size % known = 0L -> shape |> Array.map (fun d -> if d = -1 then int (int64 x.Size / known) else d)
            | _ -> Shape.fail "reshape" shapes "shape" "at most one −1 is allowed, and it must divide the size"
        wrap (Arithmetic.reshape resolved x.Node)
    /// A vector of all elements.
    let flatten (x: Tensor) = reshape [| x.Size |] x
    /// Permutes dimensions: output dimension i is input dimension perm[i].
    let permute (perm: int[]) (x: Tensor) = wrap (Layout.permute perm x.Node)
    /// Reverses the dimensions (the matrix transpose for rank 2).
    let transpose (x: Tensor) = permute (Array.init x.Rank (fun i -> x.Rank - 1 - i)) x
    /// Broadcasts to a larger shape (NumPy rules).
    let broadcastTo (shape: int[]) (x: Tensor) = wrap (Arithmetic.broadcastTo shape x.Node)
    /// Inserts a dimension of size 1 at `axis`.
    let expandDims (axis: int) (x: Tensor) =
        let a = if axis < 0 then axis + x.Rank + 1 else axis
        if a < 0 || a > x.Rank then Shape.fail "expandDims" [| x.Node.Shape |] "axis" (sprintf "axis %d is out of range for a new axis of a rank-%d tensor" axis x.Rank)
        reshape (Array.insertAt a 1 x.Shape) x
    /// Elements along each axis from start (inclusive) to stop (exclusive) with a step;
    /// one (start, stop, step) triple per axis, in the manner of Python slices (negative start
    /// and stop count from the end).
    let slice (ranges: (int * int * int)[]) (x: Tensor) =
        let shape = x.Node.Shape
        if ranges.Length <> shape.Length then Shape.fail "slice" [| shape |] "ranges" (sprintf "%d ranges for %d axes" ranges.Length shape.Length)
        let starts, counts, steps = Array.zeroCreate shape.Length, Array.zeroCreate shape.Length, Array.zeroCreate shape.Length
        for i in 0 .. shape.Length - 1 do
            let start, stop, step = ranges[i]
            let n = shape[i]
            let clampIndex v = Math.Clamp((if v < 0 then v + n else v), 0, n)
            let s, e = clampIndex start, clampIndex stop
            if step <= 0 then Shape.fail "slice" [| shape |] "ranges" (sprintf "axis %d: the step must be positive" i)
            starts[i] <- s
            // (e − s − 1) / step + 1, not (e − s + step − 1) / step, which overflows for a huge step.
            counts[i] <- if e > s then (e - s - 1) / step + 1 else 0
            steps[i] <- step
        wrap (Layout.slice starts counts steps x.Node)
    /// The sub-tensor at index i of an axis (the axis is removed).
    let index (axis: int) (i: int) (x: Tensor) =
        let a = (Shape.normalizeAxes "index" x.Node.Shape [| axis |])[0]
        let n = x.Node.Shape[a]
        let i' = if i < 0 then i + n else i
        if i' < 0 || i' >= n then Shape.fail "index" [| x.Node.Shape |] "i" (sprintf "index %d is outside axis %d of length %d" i axis n)
        let ranges = x.Node.Shape |> Array.mapi (fun k d -> if k = a then (i', i' + 1, 1) else (0, d, 1))
        reshape (x.Shape |> Array.removeAt a) (slice ranges x)
    /// Entries at integer indices along an axis (repeats allowed); `take` in NumPy.
    let gather (axis: int) (indices: int[]) (x: Tensor) =
        let a = (Shape.normalizeAxes "gather" x.Node.Shape [| axis |])[0]
        wrap (Layout.gather a indices x.Node)
    /// Indices read from a tensor of whole numbers for an axis of `length`.
    let private indicesFor operation (shapes: int[][]) argument length (indices: Tensor) =
        Indexing.indicesOf operation shapes argument length indices.Node.Value
    /// Entry (…, j, …) is x's entry (…, indices[…, j, …], …) along the axis: NumPy's
    /// take_along_axis, PyTorch's gather. `indices` holds whole numbers and has x's rank and
    /// x's dimensions except along the axis; the result has its shape. Its derivative is a
    /// scatter-add; the indices carry none.
    let takeAlongAxis (axis: int) (indices: Tensor) (x: Tensor) =
        let a = axisOf "takeAlongAxis" x axis
        Indexing.checkAlong "takeAlongAxis" x.Node.Shape a indices.Node.Shape
        let idx = indicesFor "takeAlongAxis" [| x.Node.Shape; indices.Node.Shape |] "indices" x.Node.Shape[a] indices
        wrap (Indexing.takeAlong a indices.Node.Shape idx x.Node)
    /// `target` with each entry of `source` added at its index along the axis (PyTorch's
    /// scatter_add, the transpose of takeAlongAxis); repeated indices add up. `indices` has
    /// `source`'s shape, which is `target`'s except along the axis.
    let scatterAdd (axis: int) (indices: Tensor) (source: Tensor) (target: Tensor) =
        let a = axisOf "scatterAdd" target axis
        let shapes = [| target.Node.Shape; indices.Node.Shape; source.Node.Shape |]
        if not (Shape.same indices.Node.Shape source.Node.Shape) then
            Shape.fail "scatterAdd" shapes "source" "the source must have the shape of the indices"
        Indexing.checkAlong "scatterAdd" target.Node.Shape a indices.Node.Shape
        let idx = indicesFor "scatterAdd" shapes "indices" target.Node.Shape[a] indices
        target + wrap (Indexing.scatterAlong target.Node.Shape a idx source.Node)
    /// `target` with slice k of `source` along the axis added at position indices[k] (PyTorch's
    /// index_add, the transpose of `gather`); repeated indices add up. `source` has `target`'s
    /// dimensions except along the axis, where it has one entry per index.
    let indexAdd (axis: int) (indices: int[]) (source: Tensor) (target: Tensor) =
        let a = axisOf "indexAdd" target axis
        let shape, shapes = target.Node.Shape, [| target.Node.Shape; source.Node.Shape |]
        if not (Shape.same source.Node.Shape (Array.updateAt a indices.Length shape)) then
            Shape.fail "indexAdd" shapes "source" (sprintf "the source needs the target's shape with %d entries (one per index) along axis %d" indices.Length axis)
        indices |> Array.iter (fun i ->
            if i < 0 || i >= shape[a] then Shape.fail "indexAdd" shapes "indices" (sprintf "index %d is outside axis %d of length %d" i axis shape[a]))
        target + wrap (Layout.scatterAdd shape a indices source.Node)
    /// Labels (whole numbers in 0 … classes − 1, any shape) as one-hot vectors along a new
    /// last axis of length `classes`; a constant.
    let oneHot (classes: int) (labels: Tensor) =
        let shape = Array.append labels.Node.Shape [| classes |]
        Shape.validate "oneHot" "classes" shape
        let idx = indicesFor "oneHot" [| labels.Node.Shape |] "labels" classes labels
        let data = Array.zeroCreate (Shape.size shape)
        idx |> Array.iteri (fun k c -> data[k * classes + c] <- 1.0)
        Tensor.Const(NdArray.create shape data)
    /// The rows of `table` (axis 0) at `indices` (whole numbers, any shape): the result has the
    /// indices' shape followed by a row's. Its derivative adds the cotangents of repeated rows.
    let embedding (indices: Tensor) (table: Tensor) =
        if table.Rank = 0 then Shape.fail "embedding" [| indices.Node.Shape; table.Node.Shape |] "table" "a table of rows (rank 1 or more) is needed"
        let idx = indicesFor "embedding" [| indices.Node.Shape; table.Node.Shape |] "indices" table.Node.Shape[0] indices
        wrap (Arithmetic.reshape (Array.append indices.Node.Shape table.Node.Shape[1..]) (Layout.gather 0 idx table.Node))
    /// The entries along each of the axes in reverse order.
    let flip (axes: int[]) (x: Tensor) = wrap (Indexing.flip (axesOf "flip" x axes) x.Node)
    /// `x` padded by widths.[a] = (before, after) entries along each axis a, with a constant or
    /// by reflection (each reflected width below its axis's length).
    let pad (mode: PadMode) (widths: (int * int)[]) (x: Tensor) =
        match mode with
        | PadMode.Constant value -> wrap (Indexing.padConstant widths value x.Node)
        | PadMode.Reflect -> wrap (Indexing.padReflect widths x.Node)
    /// Joins tensors along an existing axis.
    let concat (axis: int) (parts: Tensor seq) =
        let parts = Seq.toArray parts
        if parts.Length = 0 then raise (ArgumentException("concat: at least one tensor is needed", "parts"))
        let a = (Shape.normalizeAxes "concat" parts[0].Node.Shape [| axis |])[0]
        wrap (Layout.concat a (parts |> Array.map node))
    /// Stacks tensors of one shape along a new axis.
    let stack (axis: int) (parts: Tensor seq) =
        let parts = Seq.toArray parts
        if parts.Length = 0 then raise (ArgumentException("stack: at least one tensor is needed", "parts"))
        let first = parts[0].Node.Shape
        // Checked here, so that a refusal names `stack` and the axis as given, not the
        // `expandDims` and `concat` it is made of.
        let a = if axis < 0 then axis + first.Length + 1 else axis
        if a < 0 || a > first.Length then
            Shape.fail "stack" [| first |] "axis" (sprintf "axis %d is out of range for stacking rank-%d tensors" axis first.Length)
        parts |> Array.iteri (fun k p ->
            if not (Shape.same p.Node.Shape first) then
                Shape.fail "stack" [| first; p.Node.Shape |] "parts" (sprintf "tensor %d has another shape than tensor 0" k))
        concat a (parts |> Array.map (expandDims a))

    // ---- convolution and pooling -------------------------------------------------------------

    /// The (before, after) zeros of one axis for a kernel of `size` taps.
    let private paddingOf (stride: int) (dilation: int) (size: int) (argument: string) (shapes: int[][]) (padding: ConvPadding) =
        match padding with
        | ConvPadding.Valid -> struct (0, 0)
        | ConvPadding.Pad(before, after) -> struct (before, after)
        | ConvPadding.Same ->
            if stride <> 1 then Shape.fail "conv2d" shapes argument (sprintf "padding 'same' needs stride 1 (the stride is %d)" stride)
            let total = dilation * (size - 1)
            struct (total / 2, total - total / 2)

    /// The window of a convolution of `kernel` ([O, C / groups, KH, KW]) under `options`.
    let private convWindow (options: Conv2dOptions) (input: Tensor) (kernel: Tensor) =
        let shapes = [| input.Node.Shape; kernel.Node.Shape |]
        if kernel.Rank <> 4 then
            Shape.fail "conv2d" shapes "kernel" (sprintf "the kernel must have rank 4 ([out channels, in channels / groups, KH, KW]); it has rank %d" kernel.Rank)
        let kh, kw = kernel.Node.Shape[2], kernel.Node.Shape[3]
        let (sh, sw), (dh, dw) = options.Stride, options.Dilation
        let struct (top, bottom) = paddingOf sh dh kh "padding" shapes (fst options.Padding)
        let struct (left, right) = paddingOf sw dw kw "padding" shapes (snd options.Padding)
        { KernelH = kh; KernelW = kw; StrideH = sh; StrideW = sw; PadTop = top; PadBottom = bottom; PadLeft = left; PadRight = right; DilationH = dh; DilationW = dw }

    /// The 2-D convolution (cross-correlation, as in PyTorch) of `input` ([N, C, H, W]) with
    /// `kernel` ([O, C / groups, KH, KW]) under `options`: [N, O, OH, OW]. Runs as one matrix
    /// product of the kernel with the input's patches (im2col) on the active provider.
    let conv2dWith (options: Conv2dOptions) (input: Tensor) (kernel: Tensor) =
        wrap (Convolution.conv2d (convWindow options input kernel) options.Groups input.Node kernel.Node)
    /// The 2-D convolution with the same stride and zero padding on both axes.
    let conv2d (stride: int) (padding: int) (input: Tensor) (kernel: Tensor) =
        conv2dWith { Conv2dOptions.Default with Stride = (stride, stride); Padding = (ConvPadding.Symmetric padding, ConvPadding.Symmetric padding) } input kernel

    /// The 1-D convolution of `input` ([N, C, L]) with `kernel` ([O, C / groups, K]): [N, O, OL],
    /// the 2-D convolution over a unit height.
    let conv1dWith (options: Conv1dOptions) (input: Tensor) (kernel: Tensor) =
        let rank3 argument (t: Tensor) =
            if t.Rank <> 3 then
                Shape.fail "conv1d" [| input.Node.Shape; kernel.Node.Shape |] argument (sprintf "the %s must have rank 3; it has rank %d" argument t.Rank)
            Arithmetic.reshape [| t.Node.Shape[0]; t.Node.Shape[1]; 1; t.Node.Shape[2] |] t.Node
        let x, k = rank3 "input" input, rank3 "kernel" kernel
        let planar: Conv2dOptions = { Stride = (1, options.Stride); Padding = (ConvPadding.Valid, options.Padding); Dilation = (1, options.Dilation); Groups = options.Groups }
        let y = Convolution.conv2d (convWindow planar (wrap x) (wrap k)) options.Groups x k
        wrap (Arithmetic.reshape [| y.Shape[0]; y.Shape[1]; y.Shape[3] |] y)
    /// The 1-D convolution with a stride and symmetric zero padding.
    let conv1d (stride: int) (padding: int) (input: Tensor) (kernel: Tensor) =
        conv1dWith { Conv1dOptions.Default with Stride = stride; Padding = ConvPadding.Symmetric padding } input kernel

    /// The 2-D transposed convolution of `input` ([N, C, H, W]) with `kernel` ([C, O / groups,
    /// KH, KW], PyTorch's layout): [N, O, (H − 1)·stride − 2·padding + dilation·(KH − 1) +
    /// outputPadding + 1, …], the transpose of the convolution with those settings.
    let convTranspose2dWith (options: ConvTranspose2dOptions) (input: Tensor) (kernel: Tensor) =
        let shapes = [| input.Node.Shape; kernel.Node.Shape |]
        if input.Rank <> 4 then
            Shape.fail "convTranspose2d" shapes "input" (sprintf "the input must have rank 4 ([N, C, H, W]); it has rank %d" input.Rank)
        if kernel.Rank <> 4 then
            Shape.fail "convTranspose2d" shapes "kernel" (sprintf "the kernel must have rank 4 ([in channels, out channels / groups, KH, KW]); it has rank %d" kernel.Rank)
        let (sh, sw), (ph, pw), (oph, opw), (dh, dw) = options.Stride, options.Padding, options.OutputPadding, options.Dilation
        if oph < 0 || opw < 0 || (oph >= sh && oph >= dh) || (opw >= sw && opw >= dw) then
            Shape.fail "convTranspose2d" shapes "outputPadding" (sprintf "the output padding (%d, %d) must be non-negative and below the stride (%d, %d) or the dilation (%d, %d)" oph opw sh sw dh dw)
        let kh, kw = kernel.Node.Shape[2], kernel.Node.Shape[3]
        let window = { KernelH = kh; KernelW = kw; StrideH = sh; StrideW = sw; PadTop = ph; PadBottom = ph; PadLeft = pw; PadRight = pw; DilationH = dh; DilationW = dw }
        let height = (input.Node.Shape[2] - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
        let width = (input.Node.Shape[3] - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
        if height < 1 || width < 1 then
            Shape.fail "convTranspose2d" shapes "padding" (sprintf "the padding (%d, %d) leaves an empty output (%d×%d)" ph pw height width)
        wrap (Convolution.convTranspose2d window options.Groups height width input.Node kernel.Node)
    /// The 2-D transposed convolution with the same stride and padding on both axes.
    let convTranspose2d (stride: int) (padding: int) (input: Tensor) (kernel: Tensor) =
        convTranspose2dWith { ConvTranspose2dOptions.Default with Stride = (stride, stride); Padding = (padding, padding) } input kernel

    /// A pooling window of (rows, columns) size and stride, with symmetric padding.
    let private poolWindow ((kh, kw): int * int) ((sh, sw): int * int) ((ph, pw): int * int) =
        { KernelH = kh; KernelW = kw; StrideH = sh; StrideW = sw; PadTop = ph; PadBottom = ph; PadLeft = pw; PadRight = pw; DilationH = 1; DilationW = 1 }
    /// The maximum of each window of each channel of `x` ([N, C, H, W]): (rows, columns) size,
    /// stride and padding (at most half the window; the padding never wins). Tied maxima share
    /// the derivative evenly, as `max` does.
    let maxPool2dWith (size: int * int) (stride: int * int) (padding: int * int) (x: Tensor) =
        wrap (Convolution.maxPool2d (poolWindow size stride padding) x.Node)
    /// Max pooling over square windows of `size` taken `stride` apart, without padding.
    let maxPool2d (size: int) (stride: int) (x: Tensor) = maxPool2dWith (size, size) (stride, stride) (0, 0) x
    /// The mean of each window of each channel of `x` ([N, C, H, W]), the zero padding counted
    /// (PyTorch's default).
    let avgPool2dWith (size: int * int) (stride: int * int) (padding: int * int) (x: Tensor) =
        wrap (Convolution.avgPool2d (poolWindow size stride padding) x.Node)
    /// Average pooling over square windows of `size` taken `stride` apart, without padding.
    let avgPool2d (size: int) (stride: int) (x: Tensor) = avgPool2dWith (size, size) (stride, stride) (0, 0) x
    /// The mean of each channel of `x` ([N, C, H, W]) over its whole plane: [N, C].
    let globalAvgPool2d (x: Tensor) =
        if x.Rank <> 4 then Shape.fail "globalAvgPool2d" [| x.Node.Shape |] "x" (sprintf "the input must have rank 4 ([N, C, H, W]); it has rank %d" x.Rank)
        meanAxes [| 2; 3 |] false x

    // ---- linear algebra ----------------------------------------------------------------------

    /// NumPy's matmul: matrix products over the last two axes with broadcast batch axes; a
    /// vector argument is a row (first) or a column (second) and its axis is dropped afterwards.
    let matmul (a: Tensor) (b: Tensor) =
        if a.Rank = 0 || b.Rank = 0 then Shape.fail "matmul" [| a.Node.Shape; b.Node.Shape |] "a" "scalars cannot be matrix-multiplied; use *"
        let a2 = if a.Rank = 1 then reshape [| 1; a.Size |] a else a
        let b2 = if b.Rank = 1 then reshape [| b.Size; 1 |] b else b
        let product = wrap (LinearAlgebra.matmul a2.Node b2.Node)
        let s = product.Shape
        let dropped =
            [| for i in 0 .. s.Length - 1 do
                   let isRowAxis = a.Rank = 1 && i = s.Length - 2
                   let isColAxis = b.Rank = 1 && i = s.Length - 1
                   if not (isRowAxis || isColAxis) then yield s[i] |]
        if dropped.Length = s.Length then product else reshape dropped product
    /// The inner product of two vectors, or matmul for higher ranks.
    let dot (a: Tensor) (b: Tensor) =
        if a.Rank = 1 && b.Rank = 1 then
            if a.Size <> b.Size then Shape.fail "dot" [| a.Node.Shape; b.Node.Shape |] "b" "vectors differ in length"
            wrap (LinearAlgebra.dot a.Node b.Node)
        else matmul a b
    /// The outer product of two vectors.
    let outer (a: Tensor) (b: Tensor) =
        if a.Rank <> 1 || b.Rank <> 1 then Shape.fail "outer" [| a.Node.Shape; b.Node.Shape |] "a" "two vectors are needed"
        reshape [| a.Size; 1 |] a * reshape [| 1; b.Size |] b
    /// Einstein summation, e.g. einsum "ij,jk->ik" [a; b].
    let einsum (spec: string) (operands: Tensor seq) = wrap (Einsum.einsum spec (operands |> Seq.map node |> Seq.toArray))
    /// A vector's diagonal matrix, or a square matrix's diagonal.
    let diag (x: Tensor) =
        match x.Rank with
        | 1 -> wrap (LinearAlgebra.diagEmbed x.Node)
        | 2 -> wrap (LinearAlgebra.diagPart x.Node)
        | _ -> Shape.fail "diag" [| x.Node.Shape |] "x" "a vector or a square matrix is needed"
    /// The trace of a square matrix.
    let trace (x: Tensor) =
        if x.Rank <> 2 || x.Node.Shape[0] <> x.Node.Shape[1] then Shape.fail "trace" [| x.Node.Shape |] "x" "a square matrix is needed"
        sum (wrap (LinearAlgebra.diagPart x.Node))
    /// X with A X = B. A is a square matrix or a batch of them `[..., n, n]`; B a vector `[n]`,
    /// a batch of vectors (A's shape without its last dimension, PyTorch's rule) or a batch of
    /// matrices `[..., n, k]`; batch dimensions broadcast as in matmul.
    let solve (a: Tensor) (b: Tensor) = binary LinearAlgebra.solve a b
    /// A⁻¹ of a square matrix or of each of a batch `[..., n, n]`.
    let inverse (a: Tensor) = unary LinearAlgebra.inverse a
    /// det A of a square matrix, or of each of a batch `[..., n, n]` (shape `[...]`); its
    /// gradient is the transposed adjugate, defined at singular matrices too.
    let det (a: Tensor) = unary LinearAlgebra.det a
    /// log |det A| of a non-singular matrix, or of each of a batch `[..., n, n]`.
    let logDet (a: Tensor) = unary LinearAlgebra.logDet a
    /// The lower Cholesky factor of a symmetric positive-definite matrix, or of each of a batch.
    let cholesky (a: Tensor) = unary LinearAlgebra.cholesky a
    /// (sign det A, log |det A|) of a square matrix or of each of a batch `[..., n, n]` (NumPy's
    /// slogdet): det A = sign · exp logAbsDet without over- or underflow; (0, −∞) at a singular
    /// matrix. The sign has derivative 0, log |det A| has d = tr(A⁻¹ dA).
    let slogdet (a: Tensor) =
        let sign, logAbsDet = LinearAlgebra.slogdet a.Node
        wrap sign, wrap logAbsDet
    /// X with op(T) X = B, T the lower (or upper) triangle of A — the other entries are not read
    /// — with ones on its diagonal when `unitDiagonal`, and op(T) = Tᵀ when `transpose` (JAX's
    /// solve_triangular). A and B are batched and broadcast as in `solve`.
    let triangularSolveWith (lower: bool) (transpose: bool) (unitDiagonal: bool) (a: Tensor) (b: Tensor) =
        wrap (LinearAlgebra.triangularSolve lower transpose unitDiagonal a.Node b.Node)
    /// X with T X = B, T the lower (or upper) triangle of A; see `triangularSolveWith`.
    let triangularSolve (lower: bool) (a: Tensor) (b: Tensor) = triangularSolveWith lower false false a b
    /// Layer normalisation over the last axis: (x − mean) / √(var + eps), the variance biased
    /// (PyTorch's layer_norm without weights), any leading axes kept.
    let layerNorm (eps: float) (x: Tensor) = wrap (Norms.layerNorm eps x.Node)
    /// `layerNorm eps x * gamma + beta`, gamma and beta of the last axis' length (the affine form
    /// of PyTorch's layer_norm).
    let layerNormAffine (eps: float) (gamma: Tensor) (beta: Tensor) (x: Tensor) =
        let normalised = layerNorm eps x
        let features = x.Shape[x.Rank - 1 ..]
        for name, p in [ "gamma", gamma; "beta", beta ] do
            if not (Shape.same p.Shape features) then
                Shape.fail "layerNorm" [| x.Node.Shape; p.Node.Shape |] name (sprintf "%s needs the shape %s of x's last axis" name (Shape.format features))
        normalised * gamma + beta
