/// vmap: a batched program equals the function applied to each example, for every kind of
/// primitive, composed with every transform, and bad axes are clear errors.
module FunctionalAD.Tests.VmapTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Tests.TestSupport

/// A batch of `n` examples of `shape`, with distinct values.
let private batch (n: int) (shape: int list) (seed: int) =
    let rng = Random seed
    let dims = Array.ofList (n :: shape)
    Tensor.create dims (Array.init (Array.fold (*) 1 dims) (fun _ -> rng.NextDouble() * 2.0 - 1.0))

/// The function applied to each example along axis 0, stacked along axis 0.
let private perExample (f: Tensor -> Tensor) (xs: Tensor) = Tensor.stack 0 (Array.init xs.Shape[0] (fun b -> f (Tensor.index 0 b xs)))

let private agreesWithLoop (f: Tensor -> Tensor) (xs: Tensor) = assertTensorClose 1e-13 (perExample f xs) (AD.vmap f xs)

let private w = batch 4 [ 3 ] 7
let private b3 = vec [ 0.1; -0.2; 0.3 ]

[<Fact>]
let ``elementwise, reductions and broadcasting against unbatched tensors batch like a loop`` () =
    let xs = batch 5 [ 3 ] 1
    agreesWithLoop (fun x -> Tensor.sum (sin x * x + b3)) xs
    agreesWithLoop (fun x -> Tensor.where (Tensor.greater x b3) (exp x) (x * x)) xs
    agreesWithLoop (fun x -> Tensor.maximum x b3 + Tensor.powConst 3.0 x + Tensor.pow (abs x + 1.0) b3) xs
    agreesWithLoop (fun x -> Tensor.softmax 0 (x * 2.0) + Tensor.logsumexp x) xs
    agreesWithLoop (fun x -> Tensor.erf x + Tensor.atan x + Tensor.atan2 x b3 + Tensor.clamp -0.5 0.5 x) xs
    let matrices = batch 3 [ 2; 4 ] 2
    agreesWithLoop (fun m -> Tensor.sumAxes [| 1 |] false m * Tensor.sum (Tensor.maxAxes [| 0 |] true m)) matrices
    agreesWithLoop (fun m -> Tensor.broadcastTo [| 3; 2; 4 |] m * Tensor.ones [| 3; 1; 1 |]) matrices

[<Fact>]
let ``layout primitives batch like a loop`` () =
    let matrices = batch 3 [ 2; 4 ] 3
    agreesWithLoop (fun m -> Tensor.transpose m) matrices
    agreesWithLoop (fun m -> Tensor.reshape [| 8 |] m) matrices
    agreesWithLoop (fun m -> Tensor.slice [| (0, 2, 1); (1, 4, 2) |] m) matrices
    agreesWithLoop (fun m -> Tensor.gather 1 [| 3; 0; 0 |] m) matrices
    agreesWithLoop (fun m -> Tensor.concat 0 [ m; Tensor.ones [| 1; 4 |]; m * 2.0 ]) matrices
    agreesWithLoop (fun m -> Tensor.stack 1 [ Tensor.index 0 0 m; Tensor.index 0 1 m ]) matrices

[<Fact>]
let ``products, einsum and linear algebra batch like a loop`` () =
    let xs = batch 6 [ 3 ] 4
    agreesWithLoop (fun x -> tanh (Tensor.matmul w x)) xs
    agreesWithLoop (fun x -> Tensor.matmul (Tensor.reshape [| 1; 3 |] x) (Tensor.transpose w)) xs
    agreesWithLoop (fun x -> Tensor.matmul (Tensor.outer x x) (Tensor.transpose w)) xs
    agreesWithLoop (fun x -> Tensor.einsum "ij,j->i" [ w; x ]) xs
    agreesWithLoop (fun x -> Tensor.dot x b3 + Tensor.dot b3 x * Tensor.dot x x) xs
    let squares = batch 4 [ 3; 3 ] 5 + Tensor.eye 3 * 3.0
    agreesWithLoop (fun a -> Tensor.solve a b3) squares
    agreesWithLoop (fun a -> Tensor.det a + Tensor.trace (Tensor.inverse a)) squares
    agreesWithLoop (fun a -> Tensor.matmul a a) squares

[<Fact>]
let ``axes, unbatched inputs and output axes follow jax.vmap`` () =
    let xs = batch 4 [ 3 ] 6
    let ys = Tensor.transpose xs
    // Mapping over axis 1 of the transposed batch is mapping over axis 0 of the batch.
    let f (pair: Tensor * Tensor) = let x, y = pair in Tensor.sum (x * y)
    let byAxis1 = AD.vmapWith [| Some 1; None |] [| Some 0 |] f (ys, b3 * 0.0 + 1.0)
    assertTensorClose 1e-14 (Tensor.sumAxes [| 1 |] false xs) byAxis1
    // The batch axis of an output can be placed anywhere.
    let moved = AD.vmapWith [| Some 0 |] [| Some 1 |] (fun x -> x * 2.0) xs
    assertTensorClose 1e-15 (Tensor.transpose xs * 2.0) moved
    // An output that does not depend on the mapped inputs is broadcast along the batch.
    let constant = AD.vmap (fun (_: Tensor) -> b3) xs
    assertTensorClose 0.0 (Tensor.broadcastTo [| 4; 3 |] b3) constant

[<Fact>]
let ``vmap of grad gives per-example gradients of the logistic loss`` () =
    let xs = batch 16 [ 5 ] 8
    let labels = Tensor.ofArray (Array.init 16 (fun i -> float (i % 2)))
    let weights = vec [ 0.3; -0.1; 0.2; 0.5; -0.4 ]
    let loss (wt: Tensor) (x: Tensor, y: Tensor) = Tensor.softplus (Tensor.dot x wt) - y * Tensor.dot x wt
    let perExampleGrads = AD.vmap (fun (x: Tensor, y: Tensor) -> AD.grad (fun wt -> loss wt (x, y)) weights) (xs, labels)
    let loop = Tensor.stack 0 (Array.init 16 (fun i -> AD.grad (fun wt -> loss wt (Tensor.index 0 i xs, Tensor.index 0 i labels)) weights))
    assertTensorClose 1e-14 loop perExampleGrads
    // Closed form: (σ(x·w) − y) x.
    let p = Tensor.sigmoid (Tensor.matmul xs weights)
    assertTensorClose 1e-14 (Tensor.reshape [| 16; 1 |] (p - labels) * xs) perExampleGrads

[<Fact>]
let ``grad through vmap, vmap nested and compile of vmap`` () =
    let xs = batch 4 [ 3 ] 9
    let total (v: Tensor) = Tensor.sum (AD.vmap (fun x -> Tensor.dot x v * Tensor.dot x v) xs)
    // d/dv Σ_b (x_b·v)² = 2 Σ_b (x_b·v) x_b.
    let expected = Tensor.matmul (Tensor.transpose xs) (Tensor.matmul xs b3 * 2.0)
    assertTensorClose 1e-14 expected (AD.grad total b3)
    let cube = batch 2 [ 3; 4 ] 10
    let inner (v: Tensor) = Tensor.sum (exp v) * v
    assertTensorClose 1e-14 (perExample (perExample inner) cube) (AD.vmap (AD.vmap inner) cube)
    let compiled = Compile.compile (AD.vmap (fun x -> tanh (Tensor.matmul w x)))
    assertTensorClose 1e-14 (perExample (fun x -> tanh (Tensor.matmul w x)) xs) (compiled xs)

[<Fact>]
let ``a function that reads values is mapped one example at a time`` () =
    let xs = batch 5 [ 3 ] 11
    let branching (x: Tensor) = if (Tensor.sum x).ToScalar() > 0.0 then x * 2.0 else -x
    agreesWithLoop branching xs

[<Fact>]
let ``a custom rule is batched one example at a time and keeps its derivative`` () =
    let square = Custom.withVjp "square" (fun x -> x * x) (fun x _ g -> 2.0 * x * g)
    let xs = batch 3 [ 2 ] 12
    agreesWithLoop square xs
    assertTensorClose 1e-14 (xs * 2.0) (AD.grad (fun t -> Tensor.sum (AD.vmap square t)) xs)

[<Fact>]
let ``bad axes and batch sizes are clear errors naming vmap`` () =
    let xs = batch 4 [ 3 ] 13
    let sizes = Assert.Throws<ArgumentException>(fun () -> AD.vmap (fun (a: Tensor, b: Tensor) -> a + b) (xs, batch 5 [ 3 ] 1) |> ignore)
    Assert.Contains("vmap", sizes.Message)
    Assert.Contains("4, 5", sizes.Message)
    let axis = Assert.Throws<ArgumentOutOfRangeException>(fun () -> AD.vmapWith [| Some 2 |] [| Some 0 |] (fun (x: Tensor) -> x) xs |> ignore)
    Assert.Contains("inAxes[0] = 2", axis.Message)
    Assert.Contains("[4,3]", axis.Message)
    let none = Assert.Throws<ArgumentException>(fun () -> AD.vmapWith [| None |] [| Some 0 |] (fun (x: Tensor) -> x) xs |> ignore)
    Assert.Contains("no input is mapped", none.Message)
    let unmappedOutput = Assert.Throws<ArgumentException>(fun () -> AD.vmapWith [| Some 0 |] [| None |] (fun (x: Tensor) -> x * 2.0) xs |> ignore)
    Assert.Contains("outAxes[0] cannot be None", unmappedOutput.Message)

[<Fact>]
let ``erf, atan and atan2 match closed forms to second order`` () =
    let x = 0.7
    assertClose 1e-15 0.6778011938374184 (scalarOf (Tensor.erf (s x)))
    assertClose 1e-15 (2.0 / sqrt Math.PI * exp (-x * x)) (scalarOf (AD.grad Tensor.erf (s x)))
    assertClose 1e-15 (-4.0 * x / sqrt Math.PI * exp (-x * x)) (scalarOf (AD.grad (AD.grad Tensor.erf) (s x)))
    assertClose 1e-15 (atan x) (scalarOf (atan (s x)))
    assertClose 1e-15 (1.0 / (1.0 + x * x)) (scalarOf (AD.derivative Tensor.atan (s x)))
    assertClose 1e-15 (-2.0 * x / ((1.0 + x * x) ** 2.0)) (scalarOf (AD.derivative (AD.derivative Tensor.atan) (s x)))
    let y0, x0 = -0.4, 1.3
    assertClose 1e-15 (atan2 y0 x0) (scalarOf (atan2 (s y0) (s x0)))
    let r = x0 * x0 + y0 * y0
    let gy, gx = AD.grad (fun (y: Tensor, x: Tensor) -> atan2 y x) (s y0, s x0)
    assertClose 1e-15 (x0 / r) (scalarOf gy)
    assertClose 1e-15 (-y0 / r) (scalarOf gx)
    // ∂²/∂y² atan2(y, x) = −2xy / r², by forward-over-reverse.
    assertClose 1e-15 (-2.0 * x0 * y0 / (r * r)) (scalarOf (AD.derivative (fun y -> AD.grad (fun y -> atan2 y (s x0)) y) (s y0)))

[<Fact>]
let ``Jacobians and Hessians through batched sweeps equal one sweep per basis vector`` () =
    let x = vec [ 0.3; -0.8; 1.1; 0.5 ]
    let f (v: Tensor) = Tensor.stack 0 [ v[0] * v[1]; exp v[2]; sin (v[0] + v[3]); Tensor.sum (v * v); v[1] / (1.0 + v[2] * v[2]) ]
    let columns = Array.init 4 (fun i -> let t = Array.zeroCreate 4 in t[i] <- 1.0; snd (AD.jvp f x (Tensor.ofArray t)))
    let expected = Tensor.stack 1 columns
    assertTensorClose 1e-15 expected (AD.jacfwd f x)
    assertTensorClose 1e-15 expected (AD.jacrev f x)
    for chunk in [ 1; 2; 3; 7 ] do
        assertTensorClose 1e-15 expected (AD.jacfwdChunked chunk f x)
        assertTensorClose 1e-15 expected (AD.jacrevChunked chunk f x)
    let blocks = AD.jacobianChunks JacobianMode.Reverse 2 f x |> Seq.toArray
    Assert.Equal<int list>([ 0; 2; 4 ], blocks |> Array.map fst |> List.ofArray)
    assertTensorClose 1e-15 expected (Tensor.concat 0 (blocks |> Array.map snd))
    // Σ exp(x_i x_{i+1}): its Hessian is tridiagonal, in closed form.
    let chain (v: Tensor) = Tensor.sum (exp (Tensor.slice [| (0, 3, 1) |] v * Tensor.slice [| (1, 4, 1) |] v))
    let xs = x.ToArray()
    let h = Array2D.zeroCreate 4 4
    for i in 0 .. 2 do
        let e = exp (xs[i] * xs[i + 1])
        h[i, i] <- h[i, i] + xs[i + 1] * xs[i + 1] * e
        h[i + 1, i + 1] <- h[i + 1, i + 1] + xs[i] * xs[i] * e
        h[i, i + 1] <- h[i, i + 1] + e * (1.0 + xs[i] * xs[i + 1])
        h[i + 1, i] <- h[i, i + 1]
    assertTensorClose 1e-14 (Tensor.ofArray2D h) (AD.hessian chain x)
    assertTensorClose 1e-14 (Tensor.ofArray2D h) (AD.hessianChunked 3 chain x)
    Assert.Throws<ArgumentOutOfRangeException>(fun () -> AD.jacfwdChunked 0 f x |> ignore) |> ignore

/// Rows of the identity (one nonzero per example, some rows zero, a scale on each) and the same
/// batch with two nonzeros in one row, which vmap must treat as dense.
let private oneHotRows = Tensor.create [| 5; 6 |] (Array.init 30 (fun e -> let b, k = e / 6, e % 6 in if b < 4 && k = (b * 5 + 1) % 6 then float (b + 1) * -1.5 else 0.0))
let private withTwoInARow = oneHotRows + Tensor.create [| 5; 6 |] (Array.init 30 (fun e -> if e = 13 then 0.25 else 0.0))
let private d6 = vec [ 0.5; -2.0; 3.0; 0.0; 1.25; -0.75 ]

/// The steps vmap keeps compact on examples with one nonzero (slices, products with an
/// unbatched factor on either side, sums, differences, negation, reshapes), and ones that fill
/// them in (exp, concat).
let private sparseSteps (x: Tensor) =
    let left = Tensor.slice [| (0, -1, 1) |] x
    let right = Tensor.slice [| (1, Int32.MaxValue, 1) |] x
    let products = left * Tensor.slice [| (1, Int32.MaxValue, 1) |] d6 + Tensor.slice [| (0, -1, 1) |] d6 * right - (-right)
    let folded = Tensor.reshape [| 5 |] (Tensor.reshape [| 1; 5 |] products)
    Tensor.concat 0 [ folded * 2.0; exp (Tensor.slice [| (0, 3, 2) |] folded) ]

/// A function whose pullback and pushforward guard their products (`mulNoNan`) and put slices
/// back into zeros (`unslice`): the steps of a batched Jacobian or Hessian.
let private coupledSteps (x: Tensor) = Tensor.sum (exp (Tensor.slice [| (0, -1, 1) |] x * Tensor.slice [| (1, Int32.MaxValue, 1) |] x) * d6[.. 4])

[<Fact>]
let ``examples with one nonzero each go through slices, products, sums and reshapes compactly, equal to the loop`` () =
    for xs in [ oneHotRows; withTwoInARow ] do
        Assert.Equal<double[]>((perExample sparseSteps xs).ToArray(), (AD.vmap sparseSteps xs).ToArray())
        let _, pullback = AD.vjp (AD.grad coupledSteps) d6
        Assert.Equal<double[]>((perExample pullback xs).ToArray(), (AD.vmap pullback xs).ToArray())
        let _, pushforward = AD.linearize (AD.grad coupledSteps) d6
        Assert.Equal<double[]>((perExample pushforward xs).ToArray(), (AD.vmap pushforward xs).ToArray())
    // Examples sliced down to nothing, or to one element, are left to the ordinary steps.
    let toFew (x: Tensor) = Tensor.concat 0 [ Tensor.slice [| (2, 2, 1) |] x * 2.0; Tensor.slice [| (1, 2, 1) |] x * 3.0 ]
    Assert.Equal<double[]>((perExample toFew oneHotRows).ToArray(), (AD.vmap toFew oneHotRows).ToArray())
    // A product with a factor that is not finite fills the batch in: 0·∞ is NaN, as in the loop.
    let infinite (x: Tensor) = x * vec [ 1.0; infinity; 2.0; 3.0; 4.0; 5.0 ]
    Assert.Equal<double[]>((perExample infinite oneHotRows).ToArray(), (AD.vmap infinite oneHotRows).ToArray())
    Assert.Contains(nan, (AD.vmap infinite oneHotRows).ToArray())
[<Fact>]
let ``Jacobians through compact basis batches equal one pushforward per basis vector`` () =
    // Basis vectors stay banded (row b holds position b + c) through moves along a vector,
    // products and sums, whose merges then need no search; sums of batches of other layouts
    // (the reshape into two rows below) search each row. Both equal one jvp per column.
    let twoRows (x: Tensor) =
        let rows = Tensor.reshape [| 2; 3 |] x
        Tensor.reshape [| 4 |] (Tensor.slice [| (0, 2, 1); (0, 2, 1) |] rows + Tensor.slice [| (0, 2, 1); (1, 3, 1) |] rows * Tensor.slice [| (0, 2, 1); (0, 2, 1) |] (Tensor.reshape [| 2; 3 |] d6))
    for f in [ sparseSteps; AD.grad coupledSteps; twoRows ] do
        let columns = Array.init 6 (fun i -> let t = Array.zeroCreate 6 in t[i] <- 1.0; snd (AD.jvp f d6 (Tensor.ofArray t)))
        let expected = Tensor.stack 1 columns
        assertTensorClose 1e-15 expected (AD.jacfwd f d6)
        assertTensorClose 1e-15 expected (AD.jacfwdChunked 4 f d6)

[<Fact>]
let ``compact batches of both layouts merge, and a band moved by a window of a matrix stays a band`` () =
    // A band (a window of x) meets a scattered batch (every second entry of x) in a sum; a band
    // two slots wide goes through a window of a matrix view — a move that is no shift, after
    // which the band is found again — and then a product and a sum. Both equal one jvp per
    // column.
    let x = Tensor.ofArray (Array.init 12 (fun i -> 0.3 * float i - 1.4))
    let c = Tensor.ofArray (Array.init 7 (fun i -> 1.0 + 0.5 * float i))
    let mixed (x: Tensor) = Tensor.slice [| (0, 6, 1) |] x * c[.. 5] + Tensor.slice [| (0, 12, 2) |] x
    let window (x: Tensor) =
        let band = Tensor.slice [| (0, 11, 1) |] x * 2.0 + Tensor.slice [| (1, 12, 1) |] x
        let moved = Tensor.reshape [| 7 |] (Tensor.slice [| (0, 1, 1); (2, 9, 1) |] (Tensor.reshape [| 1; 11 |] band))
        moved * c - Tensor.slice [| (3, 10, 1) |] x
    for f in [ mixed; window ] do
        let columns = Array.init 12 (fun i -> let t = Array.zeroCreate 12 in t[i] <- 1.0; snd (AD.jvp f x (Tensor.ofArray t)))
        let expected = Tensor.stack 1 columns
        assertTensorClose 1e-15 expected (AD.jacfwd f x)
        assertTensorClose 1e-15 expected (AD.jacfwdChunked 5 f x)

[<Fact>]
let ``derivatives through a compact batch equal those through the loop`` () =
    let weighted (v: Tensor) (x: Tensor) = Tensor.slice [| (1, Int32.MaxValue, 1) |] x * Tensor.slice [| (0, -1, 1) |] (v * v) + Tensor.slice [| (0, -1, 1) |] x
    let total (map: (Tensor -> Tensor) -> Tensor -> Tensor) (v: Tensor) = Tensor.sum (sin (map (weighted v) oneHotRows))
    let v = vec [ 0.3; -1.1; 0.7; 2.0; -0.4; 0.9 ]
    assertTensorClose 1e-15 (AD.grad (total perExample) v) (AD.grad (total AD.vmap) v)
    assertTensorClose 1e-14 (AD.hessian (total perExample) v) (AD.hessian (total AD.vmap) v)
    // With respect to the batch itself the derivative reaches its zeros too: such a batch is not
    // kept compact.
    let ofBatch (map: (Tensor -> Tensor) -> Tensor -> Tensor) (xs: Tensor) = Tensor.sum (sin (map (weighted v) xs))
    assertTensorClose 1e-15 (AD.grad (ofBatch perExample) oneHotRows) (AD.grad (ofBatch AD.vmap) oneHotRows)

[<Fact>]
let ``a Hessian inside a gradient keeps its dependence on the outer variable through the compact batch`` () =
    // The compact steps of jacfwd compute on plain arrays only where no enclosing transform
    // differentiates; here the outer grad does: d/dx_k Σ_ij ∂²(Σ x³ + x_i x_{i+1}³)/∂x_i∂x_j.
    let f (y: Tensor) = Tensor.sum (y * y * y) + Tensor.sum (Tensor.slice [| (0, -1, 1) |] y * Tensor.powConst 3.0 (Tensor.slice [| (1, Int32.MaxValue, 1) |] y))
    let x = Tensor.ofArray [| 0.5; -1.0; 2.0; 0.25 |]
    let total (x: Tensor) = Tensor.sum (AD.hessian f x)
    // Σ of the Hessian of Σ x³ is 6 Σ x; of x_i x_{i+1}³ it is 6 x_i x_{i+1} + 2 · 3 x_{i+1}²:
    // its gradient is 6 + [6 x_{i+1} for x_i] + [6 x_i + 12 x_{i+1} for x_{i+1}].
    let expected = Array.init 4 (fun k ->
        let xs = x.ToArray()
        6.0 + (if k < 3 then 6.0 * xs[k + 1] else 0.0) + (if k > 0 then 6.0 * xs[k - 1] + 12.0 * xs[k] else 0.0))
    assertTensorClose 1e-13 (Tensor.ofArray expected) (AD.grad total x)
    assertTensorClose 1e-6 (Numerical.gradient total x) (AD.grad total x)
