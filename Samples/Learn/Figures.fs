/// The measurements behind docs/tutorial.md's figures: each function measures, writes its SVG
/// into the folder it is given and returns the numbers so the console can print them as tables.
module FunctionalAD.Samples.Learn.Figures

open System
open System.Diagnostics
open System.IO
open FunctionalAD
open FunctionalAD.Learn

let private save (folder: string) (name: string) (plot: LinePlot) =
    Directory.CreateDirectory folder |> ignore
    Plot.save (Path.Combine(folder, name)) plot

/// The lecture's logistic loss of one sample, f(w) = log(1 + exp(−3.5w)), at w = 0.5.
let private lectureLoss (w: Tensor) = log (1.0 + exp (-3.5 * w))

/// Forward- and central-difference errors against AD's exact f'(0.5) for steps 10⁰ … 10⁻¹⁵:
/// truncation error falls as h (forward) or h² (central) until rounding error, ε/h, takes over.
let finiteDifferenceErrors (folder: string) =
    let w = Tensor.scalar 0.5
    let exact = Tensor.toScalar (AD.grad lectureLoss w)
    let steps = [| for k in 0 .. 30 -> Math.Pow(10.0, -0.5 * float k) |]
    let error scheme h = abs (Tensor.toScalar (Numerical.directionalWith scheme h lectureLoss w (Tensor.scalar 1.0)) - exact)
    let rows = steps |> Array.map (fun h -> h, error ForwardDifference h, error CentralDifference h)
    save folder "fd-error.svg"
        { Title = "Finite differences vs AD: |error| of f'(0.5), f(w) = log(1 + exp(-3.5w))"
          XLabel = "step h"; YLabel = "absolute error"; XScale = Log10; YScale = Log10
          Series =
            [ { Name = "forward (f(w+h) - f(w))/h"; Points = rows |> Array.map (fun (h, e, _) -> h, e) }
              { Name = "central (f(w+h) - f(w-h))/2h"; Points = rows |> Array.map (fun (h, _, e) -> h, e) } ] } |> ignore
    exact, rows

/// Median seconds of `repeats` runs of an action (after one warm-up run).
let private time (repeats: int) (action: unit -> unit) =
    action ()
    let samples = Array.init repeats (fun _ -> let c = Stopwatch.StartNew() in action (); c.Elapsed.TotalSeconds)
    Array.sortInPlace samples
    samples[repeats / 2]

/// Cost of derivatives by mode against the dimension n: the gradient of f: ℝⁿ → ℝ costs one
/// reverse sweep but n forward sweeps; the Jacobian of g: ℝ → ℝⁿ costs one forward sweep but n
/// reverse sweeps.
let modeCosts (folder: string) =
    let f (x: Tensor) = Tensor.sum (Tensor.softplus (Tensor.sin x * x)) + Tensor.square (Tensor.sum x)
    let g (t: Tensor) (n: int) = Tensor.sin (t * Tensor.arange n) * exp (-t)
    let sizes = [| 10; 30; 100; 300; 1000 |]
    let t = Tensor.ofArray [| 0.7 |]
    let all (n: int) (x: Tensor) =
        [| fun () -> AD.grad f x |> ignore
           fun () -> AD.jacfwd f x |> ignore
           fun () -> AD.jacfwd (fun t -> g t n) t |> ignore
           fun () -> AD.jacrev (fun t -> g t n) t |> ignore |]
    // Warm up first, so that the just-in-time compiler's optimised code is what gets timed.
    for _ in 1 .. 20 do all 100 (Tensor.randomNormal 0 [| 100 |]) |> Array.iter (fun run -> run ())
    let rows =
        sizes |> Array.map (fun n ->
            let timings = all n (Tensor.randomNormal n [| n |]) |> Array.map (time (if n >= 300 then 5 else 15))
            n, timings[0], timings[1], timings[2], timings[3])
    let series name pick = { Name = name; Points = rows |> Array.map (fun r -> (let (n, _, _, _, _) = r in float n), pick r) }
    save folder "modes-cost.svg"
        { Title = "Forward vs reverse mode: seconds against dimension n"
          XLabel = "n"; YLabel = "seconds (median)"; XScale = Log10; YScale = Log10
          Series =
            [ series "grad f: R^n -> R, reverse" (fun (_, a, _, _, _) -> a)
              series "grad f: R^n -> R, forward" (fun (_, _, b, _, _) -> b)
              series "Jacobian g: R -> R^n, forward" (fun (_, _, _, c, _) -> c)
              series "Jacobian g: R -> R^n, reverse" (fun (_, _, _, _, d) -> d) ] } |> ignore
    rows

/// ‖∇f‖ against the iteration for the four minimisers of the logistic-regression demo.
let logisticConvergence (folder: string) (runs: SolverRun list) =
    save folder "logistic-convergence.svg"
        { Title = "Logistic regression on breast cancer: gradient norm per iteration"
          XLabel = "iteration"; YLabel = "gradient norm"; XScale = Linear; YScale = Log10
          Series = runs |> List.map (fun r -> { Name = r.Method; Points = r.GradientNorms |> Array.mapi (fun i v -> float i, v) }) }

/// Loss and accuracy curves of a minibatch training run.
let trainingCurves (folder: string) (fileStem: string) (run: TrainingRun) =
    let curve name pick = { Name = name; Points = run.Epochs |> List.map (fun m -> float m.Epoch, pick m) |> List.toArray }
    let loss =
        save folder (fileStem + "-loss.svg")
            { Title = run.Name + ": loss"; XLabel = "epoch"; YLabel = "cross-entropy"; XScale = Linear; YScale = Log10
              Series = [ curve "train (mean over batches)" (fun m -> m.TrainLoss); curve "test" (fun m -> m.TestLoss) ] }
    let accuracy =
        save folder (fileStem + "-accuracy.svg")
            { Title = run.Name + ": accuracy"; XLabel = "epoch"; YLabel = "accuracy"; XScale = Linear; YScale = Linear
              Series = [ curve "train" (fun m -> m.TrainAccuracy); curve "test" (fun m -> m.TestAccuracy) ] }
    [ loss; accuracy ]

/// The lecture's one-hidden-layer loss f(w₀, w₁) = (1 − w₁·tanh(3.5·w₀))² at (0.3, 0.8): its
/// listing, its graph (written as hidden-layer.dot for Graphviz) and its
/// forward/backward table.
let hiddenLayerGraph (folder: string) =
    let f (w0: Tensor, w1: Tensor) = Tensor.square (1.0 - w1 * tanh (3.5 * w0))
    let point = Tensor.scalar 0.3, Tensor.scalar 0.8
    let dot = Inspect.dot f point
    Directory.CreateDirectory folder |> ignore
    let path = Path.Combine(folder, "hidden-layer.dot")
    File.WriteAllText(path, dot + "\n")
    Inspect.listing f point, dot, Explain.table f point, path
