/// The machine-learning demos and the tutorial's measurements, with a live terminal view.
/// Run: dotnet run --project Samples/Learn -c Release [-- logistic|digits|cnn|wine|advanced|figures|all] [--output DIR]
/// Figures go to DIR, by default artifacts/figures under the current directory (ignored by git).
module FunctionalAD.Samples.Learn.Program

open System
open Spectre.Console
open FunctionalAD
open FunctionalAD.Learn

let private f4 (v: float) = v.ToString("0.0000", Globalization.CultureInfo.InvariantCulture)
let private g3 (v: float) = v.ToString("G3", Globalization.CultureInfo.InvariantCulture)

let private heading (title: string) = AnsiConsole.Write(Rule($"[bold]{Markup.Escape title}[/]").LeftJustified())

let private table (columns: string list) (rows: string list list) =
    let t = Table().Border(TableBorder.Rounded)
    for c in columns do t.AddColumn(Markup.Escape c) |> ignore
    for r in rows do t.AddRow(r |> List.map Markup.Escape |> List.toArray) |> ignore
    AnsiConsole.Write t

let private saved (paths: string list) = for p in paths do AnsiConsole.MarkupLine($"[grey]wrote {Markup.Escape p}[/]")

/// Runs a training demo under a live progress bar fed by the library's epoch callback.
let private withProgress (label: string) (epochs: int) (train: (int -> EpochMetrics -> unit) -> TrainingRun) =
    AnsiConsole.Progress()
        .Columns(TaskDescriptionColumn(), ProgressBarColumn(), PercentageColumn(), ElapsedTimeColumn())
        .Start(fun ctx ->
            let task = ctx.AddTask(label, true, float epochs)
            train (fun epoch m ->
                task.Description <- $"{label}: epoch {epoch}/{epochs}, loss {f4 m.TrainLoss}, test accuracy {f4 m.TestAccuracy}"
                task.Increment 1.0))

let private epochTable (run: TrainingRun) =
    table [ "epoch"; "train loss"; "train acc"; "test loss"; "test acc"; "seconds" ]
        (run.Epochs |> List.map (fun m -> [ string m.Epoch; f4 m.TrainLoss; f4 m.TrainAccuracy; f4 m.TestLoss; f4 m.TestAccuracy; g3 m.Elapsed ]))

let logistic (folder: string) =
    heading "Logistic regression on breast cancer (455 train / 114 test, L2 = 1e-3): gradient descent vs Newton"
    let runs = Demos.logisticBreastCancer 1e-8
    table [ "method"; "iterations"; "converged"; "final loss"; "‖∇f‖"; "train acc"; "test acc"; "seconds" ]
        (runs |> List.map (fun r -> [ r.Method; string r.Iterations; string r.Converged; r.FinalLoss.ToString("G10"); g3 r.GradientNorm; f4 r.TrainAccuracy; f4 r.TestAccuracy; g3 r.Seconds ]))
    let newton = runs |> List.last
    AnsiConsole.MarkupLine("Newton's gradient norms: " + String.Join(", ", newton.GradientNorms |> Array.map g3))
    saved [ Figures.logisticConvergence folder runs ]

let digits (folder: string) =
    let config = Demos.mlpDigitsDefaults
    heading (sprintf "MLP on digits: hidden %A, tanh, Adam η = %g, batch %d, %d epochs" config.Hidden config.LearningRate config.BatchSize config.Epochs)
    let run = withProgress "digits" config.Epochs (Demos.mlpDigits config)
    epochTable run
    AnsiConsole.MarkupLine($"[bold]test accuracy {f4 run.TestAccuracy}[/] in {g3 run.Seconds} s")
    saved (Figures.trainingCurves folder "digits" run)

let cnn (folder: string) =
    let config = Demos.cnnDigitsDefaults
    heading (sprintf "CNN on the digits images: conv 3×3 → relu → pool, channels 1-%s, dense; Adam η = %g, batch %d, %d epochs over the images and their one-pixel shifts"
                 (String.Join("-", config.Channels)) config.LearningRate config.BatchSize config.Epochs)
    let run = withProgress "cnn" config.Epochs (Demos.cnnDigits config)
    epochTable run
    AnsiConsole.MarkupLine($"[bold]test accuracy {f4 run.TestAccuracy}[/] in {g3 run.Seconds} s")
    saved (Figures.trainingCurves folder "cnn" run)

let wine (folder: string) =
    heading "Softmax regression on wine (142 train / 36 test), Adam η = 0.05, batch 16"
    let epochs = 30
    let run = withProgress "wine" epochs (Demos.softmaxWine epochs)
    epochTable run
    AnsiConsole.MarkupLine($"[bold]test accuracy {f4 run.TestAccuracy}[/] in {g3 run.Seconds} s")
    saved (Figures.trainingCurves folder "wine" run)

let advanced (_: string) =
    heading "Differentiating through a dynamic program: Viterbi on a chain (T = 5, K = 3)"
    let unary = Tensor.randomNormal 1 [| 5; 3 |]
    let pairwise = Tensor.randomNormal 2 [| 3; 3 |]
    let best = sprintf "%A" (Chain.bestPath unary pairwise)
    AnsiConsole.MarkupLine($"best path (back-pointers): {Markup.Escape best}")
    AnsiConsole.MarkupLine("∂ maxScore / ∂ unary (one-hot best path):")
    AnsiConsole.WriteLine(string (AD.grad (fun u -> Chain.maxScore u pairwise) unary).Value)
    AnsiConsole.MarkupLine("∂ logPartition / ∂ unary (marginals):")
    AnsiConsole.WriteLine(string (AD.grad (fun u -> Chain.logPartition u pairwise) unary).Value)

    heading "Hyper-gradient of the learning rate through 20 unrolled gradient-descent steps"
    let train, test = Demos.loadSplit "breast_cancer.csv" 0 0.2
    let lossOn (data: Dataset) (w: Tensor) = Loss.logisticPlusMinus (Tensor.matmul data.Features w) (Dataset.plusMinusLabels data)
    let w0 = Tensor.zeros [| Dataset.featureCount train |]
    let value, hyper = Unrolled.learningRateGradient (lossOn train) (lossOn test) 20 w0 0.5
    let at eta = Tensor.toScalar (lossOn test (Unrolled.descend (lossOn train) 20 w0 (Tensor.scalar eta)))
    let fd = (at (0.5 + 1e-5) - at (0.5 - 1e-5)) / 2e-5
    table [ "validation loss"; "d/dη by AD"; "d/dη by central difference" ] [ [ value.ToString("G10"); hyper.ToString("G10"); fd.ToString("G10") ] ]

    heading "Implicit differentiation of a fixed point x = ½ tanh(Wx + θ)"
    let w = 0.4 * Tensor.randomNormal 3 [| 4; 4 |]
    let step (x: Tensor) (theta: Tensor) = 0.5 * Tensor.tanh (Tensor.matmul w x + theta)
    let theta = Tensor.randomNormal 4 [| 4 |]
    let objective (x: Tensor) = Tensor.sum (Tensor.square x)
    let implicitGrad = AD.grad (fun th -> objective (FixedPoint.solve step 1e-14 1000 (Tensor.zeros [| 4 |]) th)) theta
    let rows =
        [ for k in [ 2; 5; 10; 20; 40 ] ->
            let unrolled = AD.grad (fun th -> objective (FixedPoint.unrolled step k (Tensor.zeros [| 4 |]) th)) theta
            [ string k; g3 (Tensor.toScalar (Tensor.max (Tensor.abs (unrolled - implicitGrad)))) ] ]
    let shown = (string implicitGrad.Value).Replace('\n', ' ')
    AnsiConsole.MarkupLine($"implicit gradient: {Markup.Escape shown}")
    table [ "unrolled iterations"; "max |unrolled − implicit|" ] rows

let figures (folder: string) =
    heading "Finite differences vs AD (fd-error.svg)"
    let exact, rows = Figures.finiteDifferenceErrors folder
    AnsiConsole.MarkupLine($"AD: f'(0.5) = {exact:R}")
    table [ "h"; "forward error"; "central error" ] (rows |> Array.filter (fun (h, _, _) -> abs (Math.Log10 h - Math.Round(Math.Log10 h)) < 1e-9) |> Array.map (fun (h, a, b) -> [ g3 h; g3 a; g3 b ]) |> Array.toList)
    heading "Forward vs reverse mode cost (modes-cost.svg)"
    let costs = Figures.modeCosts folder
    table [ "n"; "∇f reverse (s)"; "∇f forward (s)"; "Jg forward (s)"; "Jg reverse (s)" ]
        (costs |> Array.map (fun (n, a, b, c, d) -> [ string n; g3 a; g3 b; g3 c; g3 d ]) |> Array.toList)
    heading "The lecture's one-hidden-layer example: graph (DOT) and backward table"
    let listing, dot, explain, path = Figures.hiddenLayerGraph folder
    // Plain console output: these are texts to copy (DOT for Graphviz), not to be wrapped.
    printfn "%s\n\n%s\n\n%O" listing dot explain
    saved [ path ]

[<EntryPoint>]
let main argv =
    // Redirected output (a log, the tutorial's pastes) gets wide tables instead of 80 columns.
    if Console.IsOutputRedirected then AnsiConsole.Profile.Width <- 160
    let commands = [ "logistic", logistic; "digits", digits; "cnn", cnn; "wine", wine; "advanced", advanced; "figures", figures ]
    let usage () =
        eprintfn "usage: FunctionalAD.Samples.Learn [logistic|digits|cnn|wine|advanced|figures|all] [--output DIR]"
        2
    let run (names: string list) (folder: string) =
        match names with
        | [] | [ "all" ] -> commands |> List.iter (fun (_, run) -> run folder); 0
        | [ name ] when commands |> List.exists (fun (n, _) -> n = name) -> (commands |> List.find (fun (n, _) -> n = name) |> snd) folder; 0
        | _ -> usage ()
    let rec parse (names: string list) (folder: string) (args: string list) =
        match args with
        | [ "--output" ] -> None
        | "--output" :: dir :: rest -> parse names dir rest
        | name :: rest -> parse (names @ [ name ]) folder rest
        | [] -> Some(names, folder)
    match parse [] (IO.Path.Combine("artifacts", "figures")) (List.ofArray argv) with
    | Some(names, folder) -> run names folder
    | None -> usage ()
