/// The benchmark cases. Each measures the library next to its reference in the same process
/// and reports ratios; `quick` shrinks sizes and repetitions to a smoke test.
module FunctionalAD.Benchmarks.Cases

open System
open System.IO
open FunctionalAD
open FunctionalAD.Learn
open FunctionalAD.Benchmarks.Harness

/// Sizes and repetitions of one run.
type Settings =
    { Quick: bool
      /// Where figures (SVG) are written.
      Figures: string }
    member s.Repetitions(full: int) = if s.Quick then 1 else full

/// Makes sure a result exists. Values are computed eagerly, so reading one element is enough;
/// copying the whole tensor out would add a copy (and its fresh memory) to the measured side.
/// (A float32 value is read in its own buffer: its float64 one would be a widened copy.)
let force (t: Tensor) =
    if t.Size > 0 then
        let value = t.Node.Value
        if value.DType = DType.Float32 then value.Single[0] |> ignore else value.Data[0] |> ignore
let private forceAll (ts: Tensor[]) = for t in ts do force t
let maxDifference (a: double[]) (b: double[]) = Array.fold2 (fun m x y -> max m (abs (x - y))) 0.0 a b

/// Mean logistic loss log(1 + exp(−y·Xw)).
let logisticLoss (x: Tensor) (y: Tensor) (w: Tensor) = Tensor.mean (Tensor.softplus (-(y * Tensor.matmul x w)))

let logisticData (s: Settings) =
    let rows, cols = if s.Quick then 200, 50 else 10_000, 1_000
    let x = Tensor.randomNormal 1 [| rows; cols |]
    let y = Tensor.create [| rows |] (Array.init rows (fun i -> if (i * 7919) % 3 = 0 then 1.0 else -1.0))
    let w = Tensor.randomNormal 2 [| cols |] * 0.01
    rows, cols, x, y, w

/// Logistic regression: compiled AD loss + gradient vs the analytic gradient; T(value and
/// gradient)/T(value); Hessian-vector product vs the loss.
let logistic (s: Settings) =
    let rows, cols, x, y, w = logisticData s
    let name = sprintf "logistic %d×%d" rows cols
    let loss = logisticLoss x y
    let lossCompiled = Compile.compile loss
    let valueAndGrad = Compile.compile (AD.valueAndGrad loss)
    let hvp = Compile.compile (fun (w: Tensor, v: Tensor) -> AD.hvp loss w v)
    let reference = HandWritten.Logistic(x.ToArray(), rows, cols, y.ToArray())
    let wData, gradient = w.ToArray(), Array.zeroCreate cols
    let v = Tensor.randomNormal 3 [| cols |]
    // sanity: the same numbers
    let value, g = valueAndGrad w
    let handValue = reference.LossAndGradient(wData, gradient)
    let agreement = max (abs (value.ToScalar() - handValue)) (maxDifference (g.ToArray()) gradient)
    let reps = s.Repetitions 11
    let runGrad () = let l, g = valueAndGrad w in force l; force g
    let runValue () = force (lossCompiled w)
    let tGrad, tHand, gradVsHand = pairedMs reps runGrad (fun () -> reference.LossAndGradient(wData, gradient) |> ignore)
    let _, tValue, gradVsValue = pairedMs reps runGrad runValue
    let tHvp, _, hvpVsValue = pairedMs reps (fun () -> force (hvp (w, v))) runValue
    let eagerValueAndGrad = AD.valueAndGrad loss
    let _, tEager, compiledVsEager = pairedMs reps runGrad (fun () -> let l, g = eagerValueAndGrad w in force l; force g)
    [ info name "AD value+gradient (compiled)" tGrad "ms"
      info name "AD value+gradient (eager)" tEager "ms"
      atMost name "T(compiled value+gradient) / T(eager)" compiledVsEager "×" 1.0
      info name "hand-written value+gradient" tHand "ms"
      info name "AD value (compiled)" tValue "ms"
      info name "AD Hessian-vector product (compiled)" tHvp "ms"
      info name "max |AD − hand-written|" agreement ""
      atMost name "T(AD grad) / T(hand-written grad)" gradVsHand "×" 1.15
      atMost name "T(value and gradient) / T(value)" gradVsValue "×" 2.5
      atMost name "T(Hessian-vector product) / T(loss)" hvpVsValue "×" 5.0 ]

/// Softmax cross-entropy of a ReLU MLP over parameters [W1; b1; W2; b2; …].
let mlpLoss (x: Tensor) (labels: Tensor) (p: Tensor[]) =
    let layers = p.Length / 2
    let mutable h = x
    for l in 0 .. layers - 1 do
        let z = Tensor.matmul h p[2 * l] + p[2 * l + 1]
        h <- if l < layers - 1 then Tensor.relu z else z
    -(Tensor.sum (labels * Tensor.logSoftmax 1 h)) / float x.Shape[0]

/// The MLP benchmark's problem: layer sizes, batch, inputs, one-hot labels and He-initialised
/// parameters (float64).
let mlpProblem (s: Settings) =
    let sizes = if s.Quick then [| 32; 16; 16; 4 |] else [| 784; 256; 256; 10 |]
    let batch = if s.Quick then 8 else 256
    let x = Tensor.randomNormal 4 [| batch; sizes[0] |]
    let classes = sizes[sizes.Length - 1]
    let labels = Tensor.create [| batch; classes |] (Array.init (batch * classes) (fun k -> if (k / classes * 31) % classes = k % classes then 1.0 else 0.0))
    let parameters =
        Array.init (sizes.Length - 1) (fun l ->
            [| Tensor.randomNormal (10 + l) [| sizes[l]; sizes[l + 1] |] * Math.Sqrt(2.0 / float sizes[l]); Tensor.zeros [| sizes[l + 1] |] |])
        |> Array.concat
    sizes, batch, x, labels, parameters

/// The SGD training step on the MLP's loss: the loss and the updated parameters.
let mlpUpdate (x: Tensor) (labels: Tensor) (rate: float) (p: Tensor[]) =
    let l, g = AD.valueAndGrad (mlpLoss x labels) p
    l, Array.map2 (fun (p: Tensor) g -> p - rate * g) p g

/// A copy of a tensor's elements in its own type (a donated step consumes its inputs).
let copyOf (t: Tensor) = if t.DType = DType.Float32 then Tensor.create32 t.Shape (t.ToArray32()) else Tensor.create t.Shape (t.ToArray())

/// A training loop of the compiled donating step from (a copy of) `parameters`: each run is one
/// step, carrying the new parameters to the next.
let donatingTrainer (step: Tensor[] -> Tensor * Tensor[]) (parameters: Tensor[]) =
    let donating = Compile.compileDonating step
    let current = ref (Array.map copyOf parameters)
    fun () -> let l, p = donating current.Value in force l; current.Value <- p

/// MLP training step: compiled AD (value, gradient and SGD update in one plan) vs hand-written
/// backprop; T(grad)/T(loss); memory.
let mlp (s: Settings) =
    let sizes, batch, x, labels, parameters = mlpProblem s
    let name = sprintf "MLP %s, batch %d" (String.Join("-", sizes)) batch
    let rate = 0.1
    let loss = mlpLoss x labels
    let lossCompiled = Compile.compile loss
    let gradCompiled = Compile.compile (AD.valueAndGrad loss)
    let update = mlpUpdate x labels rate
    let step = Compile.compile update
    // The timed step donates its parameters (JAX's donate_argnums): the new ones are written into
    // the old buffers, as the hand-written step updates in place. Each call consumes its input,
    // so the loop carries the parameters from one step to the next.
    let train = donatingTrainer update parameters
    let reference = HandWritten.Mlp<float>(batch, sizes)
    let xData, labelData = x.ToArray(), labels.ToArray()
    let handParameters = parameters |> Array.map (fun p -> p.ToArray())
    // sanity: one step of each from the same parameters agrees
    let adLoss, adNext = step parameters
    let handLoss = reference.Step(xData, labelData, handParameters, rate)
    let agreement = Array.fold2 (fun m (a: Tensor) b -> max m (maxDifference (a.ToArray()) b)) (abs (adLoss.ToScalar() - handLoss)) adNext handParameters
    let reps = s.Repetitions 9
    let tStep, tHand, stepVsHand = pairedMs reps train (fun () -> reference.Step(xData, labelData, handParameters, 0.0) |> ignore)
    let runCompiledGrad () = let l, g = gradCompiled parameters in force l; forceAll g
    let tGrad, tLoss, gradVsLoss = pairedMs reps runCompiledGrad (fun () -> force (lossCompiled parameters))
    let eagerGrad = AD.valueAndGrad loss
    let _, tEagerGrad, compiledVsEager = pairedMs reps runCompiledGrad (fun () -> let l, g = eagerGrad parameters in force l; forceAll g)
    let planBytes = (Compile.summarize update parameters).BufferElements * 8L
    let adAllocated = allocatedBytes train
    let handAllocated = allocatedBytes (fun () -> reference.Step(xData, labelData, handParameters, 0.0) |> ignore)
    let parameterBytes = parameters |> Array.sumBy (fun p -> int64 p.Size * 8L)
    // Memory a step needs beyond the data: working buffers plus what it allocates.
    let adMemory, handMemory = planBytes + adAllocated, reference.Bytes + handAllocated
    [ info name "AD training step (compiled)" tStep "ms"
      info name "hand-written training step" tHand "ms"
      info name "max |AD − hand-written| after one step" agreement ""
      info name "AD loss and gradient (compiled)" tGrad "ms"
      info name "AD loss (compiled)" tLoss "ms"
      info name "AD loss and gradient (eager)" tEagerGrad "ms"
      atMost name "T(compiled loss and gradient) / T(eager)" compiledVsEager "×" 1.0
      atMost name "T(AD step) / T(hand-written step)" stepVsHand "×" 1.25
      atMost name "T(loss and gradient) / T(loss)" gradVsLoss "×" 3.0
      info name "AD plan buffers" (float planBytes / 1e6) "MB"
      info name "AD allocated per step (donating)" (float adAllocated / 1e6) "MB"
      info name "hand-written buffers + allocated per step" (float handMemory / 1e6) "MB"
      info name "parameters" (float parameterBytes / 1e6) "MB"
      atMost name "AD memory / hand-written memory" (float adMemory / float handMemory) "×" 1.5 ]

/// The lectures' scalar chain f_k(…f_1(x)): cycles of sin, square, negate, exp, ·a, +b.
let scalarChain (k: int) (x: Tensor) =
    let mutable v = x
    for i in 0 .. k - 1 do
        v <-
            match i % 6 with
            | 0 -> sin v
            | 1 -> v * v
            | 2 -> -v
            | 3 -> exp v
            | 4 -> v * 0.9
            | _ -> v + 0.3
    v

/// Scalar chain of k elementary operations: compiled and eager gradient cost per operation and
/// the size of the derivative graph.
let chain (s: Settings) =
    let k = if s.Quick then 1_200 else 100_000
    let name = sprintf "scalar chain, k = %d" k
    let f = scalarChain k
    let x = Tensor.scalar 0.4
    let operations = Inspect.count f x
    let derivativeNodes = Inspect.count (AD.grad f) x
    // Eager first: the compiled plan of 300 000 instructions would otherwise be live data that
    // every collection during the eager runs has to walk.
    let eager = AD.grad f x
    let tEager = medianMs (s.Repetitions 9) (fun () -> force (AD.grad f x))
    let eagerBytes = allocatedBytes (fun () -> force (AD.grad f x))
    let plans = CompiledFunction(AD.grad f, false)
    let compiled = plans.Invoke
    let tCompile = onceMs (fun () -> force (compiled x))
    // A long scalar program runs interpreted until its IL, compiled on the thread pool, is ready.
    let tInterpreted = onceMs (fun () -> force (compiled x))
    let interpreting () = (plans.PlanFor x).Summary.StepNames |> Array.exists (fun step -> step.StartsWith "interpreted")
    let tReady = onceMs (fun () -> while interpreting () do Threading.Thread.Sleep 10)
    let agreement = abs (eager.ToScalar() - (compiled x).ToScalar())
    let tCompiled = medianMs (s.Repetitions 101) (fun () -> force (compiled x))
    let perOp t = t * 1e6 / float operations
    [ info name "operations traced" (float operations) ""
      info name "trace + plan + first (interpreted) run" tCompile "ms"
      atMost name "trace + plan + first run per operation" (tCompile * 1000.0 / float operations) "µs" 10.0
      info name "interpreted gradient per operation (before the IL is ready)" (perOp tInterpreted) "ns"
      info name "IL ready after the first call" (tCompile + tInterpreted + tReady) "ms"
      info name "|compiled − eager| gradient" agreement ""
      atMost name "compiled gradient per operation" (perOp tCompiled) "ns" 30.0
      atMost name "eager gradient per operation" (perOp tEager) "ns" 1000.0
      info name "eager gradient, allocated per operation" (float eagerBytes / float operations) "B"
      atMost name "derivative graph nodes / k" (float derivativeNodes / float operations) "" 3.0 ]

/// A fused elementwise chain against the same chain evaluated eagerly, one vectorised
/// TensorPrimitives pass per operation.
let fusion (s: Settings) =
    let n = if s.Quick then 10_000 else 1_000_000
    let name = sprintf "elementwise chain, n = %d" n
    let f (x: Tensor) = exp (-(x * x)) * sin x * 0.5 + x / (1.0 + x * x)
    let x = Tensor.randomNormal 7 [| n |]
    let compiled = Compile.compile f
    let summary = Compile.summarize f x
    let tCompiled, tEager, ratio = pairedMs (s.Repetitions 21) (fun () -> force (compiled x)) (fun () -> force (f x))
    [ info name "plan instructions (input and constants included)" (float summary.Instructions) (sprintf "in %d fused loop(s)" summary.FusedLoops)
      info name "compiled (fused loops, exp and sin as vectorised steps)" tCompiled "ms"
      info name "eager (one pass per operation)" tEager "ms"
      info name "T(compiled) / T(eager)" ratio "×" ]

/// Σ exp(x_i·x_{i+1}).
let coupled (x: Tensor) =
    Tensor.sum (exp (Tensor.slice [| (0, -1, 1) |] x * Tensor.slice [| (1, Int32.MaxValue, 1) |] x))

/// Full Hessian of Σ exp(x_i·x_{i+1}): compiled and eager cost as n grows.
let hessian (s: Settings) =
    let sizes = if s.Quick then [ 10; 30 ] else [ 100; 300; 1000 ]
    let rows =
        sizes |> List.collect (fun n ->
            let x = Tensor.randomUniform 5 -0.5 0.5 [| n |]
            let compiled = Compile.compile (AD.hessian coupled)
            let tCompile = onceMs (fun () -> force (compiled x))
            // Eager and compiled in alternation (the ratio is the median of per-pair ratios), so
            // that the machine's drift weighs on both: a sub-millisecond eager Hessian timed
            // three times on its own moved by 1.6× between runs. At n = 1 000 both sides return
            // an 8 MB result, so a pair's time depends on which side meets the collections: 21
            // pairs there too (5 gave eager ÷ compiled 0.24–2.9 in consecutive runs).
            let reps = s.Repetitions 21
            let tCompiled, tEager, compiledVsEager = pairedMs reps (fun () -> force (compiled x)) (fun () -> force (AD.hessian coupled x))
            let eagerVsCompiled = 1.0 / compiledVsEager
            let name = sprintf "Hessian Σexp(x_i x_i+1), n = %d" n
            [ info name "compiled (after trace)" tCompiled "ms"
              info name "trace + compile (once)" tCompile "ms"
              info name "eager (batched sweeps)" tEager "ms"
              info name "compiled / n² " (tCompiled * 1e6 / float (n * n)) "ns"
              // No compiled plan slower than eager evaluation, at every size.
              atLeast name "T(eager) / T(compiled): compiled not slower" eagerVsCompiled "×" 1.0
              if n <= 300 then atMost name "T(eager) / T(compiled)" eagerVsCompiled "×" 2.0 ])
    rows

/// vmap: Jacobians by batched sweeps vs one sweep per row, per-example gradients by
/// vmap (grad f) vs a loop of grad.
let batching (s: Settings) =
    let n = if s.Quick then 30 else 300
    let w = Tensor.randomNormal 7 [| n; n |] * (1.0 / sqrt (float n))
    let x = Tensor.randomNormal 8 [| n |]
    let layer (x: Tensor) = tanh (Tensor.matmul w x)
    let perRow () =
        let y, pullback = AD.vjp layer x
        Tensor.stack 0 (Array.init y.Size (fun i -> pullback (Tensor.create y.Shape (Array.init y.Size (fun k -> if k = i then 1.0 else 0.0)))))
    let batched () = AD.jacrev layer x
    let jacobianAgreement = maxDifference ((perRow ()).ToArray()) ((batched ()).ToArray())
    // 21 alternated pairs, as in the Hessian case: a vmapped call's time varies with the gen-0
    // collections its 2 MB results trigger.
    let reps = s.Repetitions 21
    let tPerRow, tBatched, perRowVsBatched = pairedMs reps (fun () -> force (perRow ())) (fun () -> force (batched ()))
    let jacobianName = sprintf "Jacobian of tanh(W x), W %d×%d, eager" n n
    let examples, features = if s.Quick then 16, 50 else 256, 1_000
    let xs = Tensor.randomNormal 9 [| examples; features |]
    let labels = Tensor.create [| examples |] (Array.init examples (fun i -> if i % 3 = 0 then 1.0 else -1.0))
    let weights = Tensor.randomNormal 10 [| features |] * 0.01
    let exampleLoss (x: Tensor, y: Tensor) (wt: Tensor) = Tensor.softplus (-(y * Tensor.dot x wt))
    let vmapped () = AD.vmap (fun (x: Tensor, y: Tensor) -> AD.grad (exampleLoss (x, y)) weights) (xs, labels)
    let loop () = Tensor.stack 0 (Array.init examples (fun i -> AD.grad (exampleLoss (Tensor.index 0 i xs, Tensor.index 0 i labels)) weights))
    let gradientAgreement = maxDifference ((vmapped ()).ToArray()) ((loop ()).ToArray())
    let tLoop, tVmap, loopVsVmap = pairedMs reps (fun () -> force (loop ())) (fun () -> force (vmapped ()))
    let gradientName = sprintf "per-example logistic gradients, %d × %d" examples features
    [ info jacobianName "batched sweeps (jacrev)" tBatched "ms"
      info jacobianName "one reverse sweep per row" tPerRow "ms"
      info jacobianName "max |batched − per row|" jacobianAgreement ""
      atLeast jacobianName "T(per row) / T(batched)" perRowVsBatched "×" 5.0
      info gradientName "vmap (grad f)" tVmap "ms"
      info gradientName "loop of grad" tLoop "ms"
      info gradientName "max |vmap − loop|" gradientAgreement ""
      atLeast gradientName "T(loop) / T(vmap)" loopVsVmap "×" 10.0 ]

/// Batched linear algebra: one `solve` of a batch of 8 × 8 systems vs a loop of one solve per
/// system (what a user writes without batching), eager.
let batchedSolve (s: Settings) =
    let count, n = (if s.Quick then 10 else 1_000), 8
    let a = Tensor.randomNormal 11 [| count; n; n |] + float n * Tensor.eye n
    let b = Tensor.randomNormal 12 [| count; n |]
    let batched () = Tensor.solve a b
    let loop () = Tensor.stack 0 (Array.init count (fun i -> Tensor.solve (Tensor.index 0 i a) (Tensor.index 0 i b)))
    let agreement = maxDifference ((batched ()).ToArray()) ((loop ()).ToArray())
    let tLoop, tBatched, loopVsBatched = pairedMs (s.Repetitions 11) (fun () -> force (loop ())) (fun () -> force (batched ()))
    let name = sprintf "solve of %d systems of %d × %d" count n n
    [ info name "batched solve" tBatched "ms"
      info name "loop of solves" tLoop "ms"
      info name "max |batched − loop|" agreement ""
      atLeast name "T(loop) / T(batched)" loopVsBatched "×" 10.0 ]

/// Finite differences vs reverse mode for gradients of n inputs, with an SVG of the growth.
let finiteDifferences (s: Settings) =
    let sizes = if s.Quick then [ 10; 100 ] else [ 10; 100; 1_000; 10_000; 100_000 ]
    // FD costs 2n evaluations; it is measured while the estimate stays under this budget.
    let budgetMs = if s.Quick then 2_000.0 else 20_000.0
    let results =
        sizes |> List.map (fun n ->
            let x = Tensor.randomUniform 6 -0.5 0.5 [| n |]
            let tEval = medianMs 3 (fun () -> force (coupled x))
            let tFd = if 2.0 * float n * tEval < budgetMs then Some(medianMs 1 (fun () -> force (Numerical.gradient coupled x))) else None
            let tReverse = medianMs (s.Repetitions 5) (fun () -> force (AD.grad coupled x))
            let compiled = Compile.compile (AD.grad coupled)
            let tCompiled = medianMs (s.Repetitions 21) (fun () -> force (compiled x))
            n, tFd, tReverse, tCompiled)
    let svg =
        SvgPlot.logLog "Gradient of Σexp(x_i x_i+1): cost vs n" "inputs n" "milliseconds"
            [ "finite differences", results |> List.choose (fun (n, fd, _, _) -> fd |> Option.map (fun t -> float n, t)) |> List.toArray
              "reverse mode (eager)", results |> List.map (fun (n, _, r, _) -> float n, r) |> List.toArray
              "reverse mode (compiled)", results |> List.map (fun (n, _, _, c) -> float n, c) |> List.toArray ]
    Directory.CreateDirectory s.Figures |> ignore
    File.WriteAllText(Path.Combine(s.Figures, "fd-vs-reverse.svg"), svg)
    results |> List.collect (fun (n, fd, r, c) ->
        let name = sprintf "gradient, n = %d" n
        [ match fd with
          | Some t ->
              yield info name "finite differences (central)" t "ms"
              yield info name "FD / reverse (eager)" (t / r) "×"
          | None -> yield info name "finite differences" nan "(skipped: over budget)"
          yield info name "reverse mode (eager)" r "ms"
          yield info name "reverse mode (compiled)" c "ms" ])

/// A ResNet-like convolution layer (batch 32, 64 → 64 channels, 32 × 32, 3 × 3, 'same'),
/// forward and backward, against the hand-written im2col + product reference on the same
/// provider; the rate counts the three products' multiply-adds as two operations each.
let convolution (s: Settings) =
    let n, c, size, o = if s.Quick then 2, 4, 8, 4 else 32, 64, 32, 64
    let name = sprintf "conv2d %d×%d×%d×%d, %d kernels 3×3" n c size size o
    let x = Tensor.randomNormal 11 [| n; c; size; size |]
    let w = Tensor.randomNormal 12 [| o; c; 3; 3 |] * 0.05
    let r = Tensor.randomNormal 13 [| n; o; size; size |]
    let loss (x: Tensor, w: Tensor) = Tensor.sum (Tensor.conv2d 1 1 x w * r)
    let eager () = let l, (gx, gw) = AD.valueAndGrad loss (x, w) in force l; force gx; force gw
    let compiled = Compile.compile (AD.valueAndGrad loss)
    let runCompiled () = let l, (gx, gw) = compiled (x, w) in force l; force gx; force gw
    let reference = HandWritten.Conv3x3(n, c, size, size, o)
    let xData, wData, rData = x.ToArray(), w.ToArray(), r.ToArray()
    let gx, gw = Array.zeroCreate xData.Length, Array.zeroCreate wData.Length
    let hand () = reference.LossAndGradient(xData, wData, rData, gx, gw) |> ignore
    let adLoss, (adGx, adGw) = AD.valueAndGrad loss (x, w)
    let handLoss = reference.LossAndGradient(xData, wData, rData, gx, gw)
    let scale = max 1.0 (abs handLoss)
    let agreement = max (abs (adLoss.ToScalar() - handLoss) / scale) (max (maxDifference (adGx.ToArray()) gx) (maxDifference (adGw.ToArray()) gw))
    let reps = s.Repetitions 5
    let tEager, tHand, eagerVsHand = pairedMs reps eager hand
    let tCompiled, _, compiledVsHand = pairedMs reps runCompiled hand
    let operations = 3.0 * 2.0 * float n * float (size * size) * float o * float (c * 9)
    [ info name "AD forward + backward (eager)" tEager "ms"
      info name "AD forward + backward (compiled)" tCompiled "ms"
      info name "hand-written im2col + products" tHand "ms"
      info name "max difference AD vs hand-written (loss relative, gradients absolute)" agreement ""
      info name "AD eager rate" (operations / tEager / 1e6) "GFLOP/s"
      info name "hand-written rate" (operations / tHand / 1e6) "GFLOP/s"
      atMost name "T(AD eager) / T(hand-written)" eagerVsHand "×" 1.25
      atMost name "T(AD compiled) / T(hand-written)" compiledVsHand "×" 1.25 ]

/// What a program pays on its first training run: the digits MLP of the peers case (64-64-64-10,
/// tanh, Adam at 0.01, batches of 32, `Training.fit` with its default compiled steps) trained
/// first as the first work of a fresh process — tracing, planning, the JIT's first tiers, the
/// provider's loading — and then again, warm. Meaningful only as the first thing its process
/// does: run by the program, every case has a process of its own (the quick mode, run inside
/// a test host, is a smoke test only). The data set is read before the clock starts.
let coldStart (s: Settings) =
    let epochs = if s.Quick then 1 else 20
    let name = sprintf "cold start: digits MLP 64-64-64-10, Adam, batch 32, %d epochs" epochs
    let train, test = Demos.loadSplit "digits.csv" 0 0.2
    let config = { TrainConfig.Default with Epochs = epochs; BatchSize = 32 }
    let fit () =
        let initial = Mlp.init Init.glorotUniform 0 [ 64; 64; 64; 10 ]
        Training.fit (Optimizer.adam (Optimizer.adamDefaults 0.01)) Demos.mlpModel config (fun _ _ -> ()) train test initial |> ignore
    // What the JIT does during a run: methods compiled (any tier) and the time it spent.
    let jitted (action: unit -> unit) =
        let methods, time = Runtime.JitInfo.GetCompiledMethodCount false, Runtime.JitInfo.GetCompilationTime false
        let ms = onceMs action
        ms, Runtime.JitInfo.GetCompiledMethodCount false - methods, (Runtime.JitInfo.GetCompilationTime false - time).TotalMilliseconds
    let first, firstMethods, firstJit = jitted fit
    let second, secondMethods, secondJit = jitted fit
    let warm = Array.init (s.Repetitions 5) (fun _ -> onceMs fit) |> Array.sort
    let steady = warm[warm.Length / 2]
    [ info name "first run in the process" first "ms"
      info name "methods the JIT compiled during the first run" (float firstMethods) ""
      info name "JIT time during the first run" firstJit "ms"
      info name "second run" second "ms"
      info name "methods the JIT compiled during the second run" (float secondMethods) ""
      info name "JIT time during the second run" secondJit "ms"
      info name (sprintf "warm run (median of %d after those)" warm.Length) steady "ms"
      atMost name "T(first run) / T(warm run)" (first / steady) "×" 1.2 ]
