/// FunctionalAD against PyTorch 1.13 (Debian's python3-torch) on the workloads of issue 17, in
/// one time window: the same seeded inputs (written here, read by Benchmarks/peers.py), float64,
/// two threads each, rounds alternating between the systems, the results checked against each
/// other. Run only by `--only peers`.
module FunctionalAD.Benchmarks.PeerCases

open System
open System.Diagnostics
open System.IO
open System.Runtime.InteropServices
open System.Text.Json
open MathNet.Numerics.Providers.LinearAlgebra
open FunctionalAD
open FunctionalAD.Learn
open FunctionalAD.Native
open FunctionalAD.Benchmarks.Harness
open FunctionalAD.Benchmarks.Cases

/// The interpreter with Debian's python3-torch (a virtual environment's python would be another
/// PyTorch).
let private python = "/usr/bin/python3"

/// Whether `python3 -c "import torch"` succeeds.
let private torchAvailable () =
    try
        use check = Process.Start(ProcessStartInfo(python, "-c \"import torch\"", UseShellExecute = false, RedirectStandardError = true))
        check.StandardError.ReadToEnd() |> ignore
        check.WaitForExit()
        check.ExitCode = 0
    with :? ComponentModel.Win32Exception -> false

/// The inputs handed to Python: DIR/NAME.bin (float64, row-major) and their shapes in
/// DIR/inputs.json.
type private Inputs(folder: string) =
    let shapes = Collections.Generic.Dictionary<string, int[]>()
    member _.Add(name: string, t: Tensor) =
        File.WriteAllBytes(Path.Combine(folder, name + ".bin"), MemoryMarshal.AsBytes(ReadOnlySpan(t.ToArray())).ToArray())
        shapes[name] <- t.Shape
        t
    member _.Save() = File.WriteAllText(Path.Combine(folder, "inputs.json"), JsonSerializer.Serialize shapes)

/// How peers.py starts on the inputs in `folder`, with further arguments, its output read here.
let private peerStart (folder: string) (arguments: string list) =
    let start = ProcessStartInfo(python, UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true)
    for a in Path.Combine(AppContext.BaseDirectory, "peers.py") :: folder :: arguments do start.ArgumentList.Add a
    // PyTorch's OpenMP threads otherwise spin for a while after each operation, on the same
    // two cores the FunctionalAD run that follows in the round is timed on (the first quiet
    // run measured the managed logistic gradient at 8.1 ms there and 4.3 ms on its own).
    start.Environment["OMP_WAIT_POLICY"] <- "PASSIVE"
    // PyTorch's products run in the same OpenBLAS: it gets the kernels ours were given (a
    // DYNAMIC_ARCH OpenBLAS that does not know the CPU would run its SSE3 ones for it alone).
    match OpenBlasLinearAlgebraProvider.RequestedKernels with
    | null -> ()
    | kernels -> start.Environment["OPENBLAS_CORETYPE"] <- kernels
    start

/// The times of one answer line of peers.py (`{"workload": …, "ms": […]}`).
let private answerTimes (workload: string) (line: string) =
    match line with
    | null -> failwithf "peers.py ended while running %s (its error output is above)" workload
    | line -> JsonDocument.Parse(line).RootElement.GetProperty("ms").EnumerateArray() |> Seq.map (fun e -> e.GetDouble()) |> Seq.toArray

/// The Python side: one process for the whole case, answering "WORKLOAD REPETITIONS" with the
/// times of that many warm runs.
type private Peer(folder: string) =
    let child = Process.Start(peerStart folder [])
    member _.Times(workload: string, repetitions: int) =
        child.StandardInput.WriteLine(sprintf "%s %d" workload repetitions)
        child.StandardInput.Flush()
        answerTimes workload (child.StandardOutput.ReadLine())
    /// What the first run of a workload returned, flattened.
    member _.Result(workload: string) =
        MemoryMarshal.Cast<byte, float>(ReadOnlySpan(File.ReadAllBytes(Path.Combine(folder, workload + ".torch.bin")))).ToArray()
    interface IDisposable with
        member _.Dispose() =
            child.StandardInput.Close()
            child.WaitForExit()
            child.Dispose()

/// One workload on the FunctionalAD side: its first result (flattened, in the order peers.py
/// writes it) and the action that is timed.
type private Side = { Result: unit -> float[]; Timed: unit -> unit }

/// A workload of the comparison: its title, its name in peers.py, the number of alternating
/// rounds, the target for T(FunctionalAD) / T(PyTorch) on the default provider, and its
/// FunctionalAD side.
type private Workload = { Title: string; Key: string; Rounds: int; Target: float option; Side: Side }

let private flat (ts: Tensor seq) = ts |> Seq.collect (fun t -> t.ToArray()) |> Seq.toArray
let private median (values: float seq) = let v = Seq.toArray values |> Array.sort in v[v.Length / 2]

/// max |a − b| / max |b|: relative to the size of the reference, so that elements near zero do
/// not make rounding look like disagreement.
let private relativeDifference (a: float[]) (b: float[]) =
    if a.Length <> b.Length then infinity
    else Array.fold2 (fun m x y -> max m (abs (x - y))) 0.0 a b / max Double.Epsilon (Array.fold (fun m y -> max m (abs y)) 0.0 b)

let private eager (result: unit -> Tensor seq) = { Result = result >> flat; Timed = fun () -> result () |> Seq.iter force }

/// tanh(W x), its Jacobian, the logistic loss and its HVP, and the MLP of the other cases.
let private tensorWorkloads (inputs: Inputs) =
    let w = inputs.Add("tanh.W", Tensor.randomNormal 7 [| 300; 300 |] * (1.0 / sqrt 300.0))
    let x = inputs.Add("tanh.x", Tensor.randomNormal 8 [| 300 |])
    let layer (x: Tensor) = tanh (Tensor.matmul w x)
    let xs = inputs.Add("logistic.X", Tensor.randomNormal 1 [| 10_000; 1_000 |])
    let ys = inputs.Add("logistic.y", Tensor.create [| 10_000 |] (Array.init 10_000 (fun i -> if (i * 7919) % 3 = 0 then 1.0 else -1.0)))
    let weights = inputs.Add("logistic.w", Tensor.randomNormal 2 [| 1_000 |] * 0.01)
    let v = inputs.Add("logistic.v", Tensor.randomNormal 3 [| 1_000 |])
    let loss = logisticLoss xs ys
    let sizes = [| 784; 256; 256; 10 |]
    let batch = inputs.Add("mlp.x", Tensor.randomNormal 4 [| 256; 784 |])
    let labels = inputs.Add("mlp.labels", Tensor.create [| 256; 10 |] (Array.init 2560 (fun k -> if (k / 10 * 31) % 10 = k % 10 then 1.0 else 0.0)))
    let parameters =
        Array.init 3 (fun l -> [| Tensor.randomNormal (10 + l) [| sizes[l]; sizes[l + 1] |] * Math.Sqrt(2.0 / float sizes[l]); Tensor.zeros [| sizes[l + 1] |] |])
        |> Array.concat
        |> Array.mapi (fun i p -> inputs.Add(sprintf "mlp.p%d" i, p))
    let mlp = mlpLoss batch labels
    let valueAndGrad (l: Tensor, g: Tensor[]) = Seq.append [ l ] g
    let compiledGradient = Compile.compile (AD.valueAndGrad mlp)
    let update (p: Tensor[]) = let l, g = AD.valueAndGrad mlp p in l, Array.map2 (fun (p: Tensor) g -> p - 0.1 * g) p g
    let step = Compile.compileDonating update
    let copy (p: Tensor[]) = p |> Array.map (fun t -> Tensor.create t.Shape (t.ToArray()))
    let mutable current = copy parameters
    let sgd =
        { Result = fun () -> let l, p = step (copy parameters) in flat (Seq.append [ l ] p)
          Timed = fun () -> let l, p = step current in force l; current <- p }
    [ { Title = "x ↦ tanh(W x), W 300×300, forward"; Key = "forward"; Rounds = 12; Target = Some 1.0; Side = eager (fun () -> [ layer x ]) }
      { Title = "logistic 10 000×1 000, loss+grad (eager)"; Key = "logistic"; Rounds = 12; Target = Some 1.0
        Side = eager (fun () -> let l, g = AD.valueAndGrad loss weights in [ l; g ]) }
      { Title = "MLP 784-256-256-10 b256, loss+grad (eager)"; Key = "mlp"; Rounds = 12; Target = Some 0.6
        Side = eager (fun () -> valueAndGrad (AD.valueAndGrad mlp parameters)) }
      { Title = "MLP 784-256-256-10 b256, loss+grad (compiled)"; Key = "mlp"; Rounds = 12; Target = Some 0.6
        Side = eager (fun () -> valueAndGrad (compiledGradient parameters)) }
      { Title = "MLP SGD step (compiled, donating; PyTorch in place)"; Key = "sgd"; Rounds = 12; Target = None; Side = sgd }
      { Title = "HVP of the logistic loss (eager)"; Key = "hvp"; Rounds = 12; Target = Some 1.0
        Side = eager (fun () -> [ AD.hvp loss weights v ]) }
      { Title = "Jacobian of tanh(W x), 300×300 (eager; PyTorch vectorised)"; Key = "jacobian"; Rounds = 12; Target = Some 1.0
        Side = eager (fun () -> [ AD.jacobian layer x ]) } ]

/// The Hessians of Σ exp(x_i x_{i+1}).
let private hessianWorkloads (inputs: Inputs) =
    [ for n in [ 100; 300 ] ->
        let x = inputs.Add(sprintf "hessian%d.x" n, Tensor.randomUniform 5 -0.5 0.5 [| n |])
        { Title = sprintf "Hessian Σexp(x_i x_i+1), n = %d (eager; PyTorch vectorised)" n; Key = sprintf "hessian%d" n; Rounds = 12
          Target = Some 1.0; Side = eager (fun () -> [ AD.hessian coupled x ]) } ]

/// The digits MLP of the Learn demos, 64-64-64-10 with tanh, trained by `Training.fit` with Adam
/// (η = 0.01) in batches of 32 for 20 epochs, with its default compiled steps and with eager ones
/// (the issue's "warm eager" target); the shuffles (seed 0 + epoch) are handed to Python so that
/// both sides see the same batches.
let private digitsWorkloads (inputs: Inputs) =
    let train, test = Demos.loadSplit "digits.csv" 0 0.2
    let epochs, batchSize = 20, 32
    inputs.Add("digits.trainX", train.Features) |> ignore
    inputs.Add("digits.testX", test.Features) |> ignore
    inputs.Add("digits.trainY", Dataset.labelTensor train) |> ignore
    inputs.Add("digits.testY", Dataset.labelTensor test) |> ignore
    let orders = Array.init epochs (fun e -> Dataset.permutation (e + 1) (Dataset.size train) |> Array.map float) |> Array.concat
    inputs.Add("digits.orders", Tensor.create [| epochs; Dataset.size train |] orders) |> ignore
    let initial = Mlp.init Init.glorotUniform 0 [ 64; 64; 64; 10 ]
    initial |> Array.iteri (fun i layer -> inputs.Add(sprintf "digits.p%d" (2 * i), layer.W) |> ignore; inputs.Add(sprintf "digits.p%d" (2 * i + 1), layer.B) |> ignore)
    let fit (mode: StepMode) () =
        let trained, _ =
            Training.fit (Optimizer.adam (Optimizer.adamDefaults 0.01)) Demos.mlpModel { TrainConfig.Default with Epochs = epochs; BatchSize = batchSize; StepMode = mode } (fun _ _ -> ())
                train test initial
        trained |> Seq.collect (fun layer -> [ layer.W; layer.B ])
    [ for mode, steps in [ StepMode.Compiled, "compiled"; StepMode.Eager, "eager" ] ->
        { Title = sprintf "digits MLP 64-64-64-10, Adam, batch 32, 20 epochs (Training.fit, %s steps, warm)" steps; Key = "digits"; Rounds = 5; Target = Some 1.0
          Side = eager (fit mode) } ]

/// The quartiles of a sample (values at the 25th and 75th percentile, nearest rank).
let private quartiles (values: float seq) =
    let v = Seq.toArray values |> Array.sort
    v[v.Length / 4], v[(3 * v.Length) / 4]

/// One workload on one provider in rounds alternating with PyTorch, so that a change of load
/// reaches both systems: its result (flattened) and each round's (FunctionalAD, PyTorch) times.
let private measure (peer: Peer) (provider: ILinearAlgebraProvider) (w: Workload) =
    ProviderCases.using provider (fun () ->
        let result = w.Side.Result()
        warmUp 2 w.Side.Timed
        // A round's sample is the median of three runs in a row: the first run after the other
        // system's meets its OpenBLAS threads still spinning (for about 0.1 s after each call, on
        // the two cores this run is timed on), and a pause to let them sleep would time threads
        // woken up. PyTorch's first request also writes its result and warms it up.
        let sample () = median (Array.init 3 (fun _ -> onceMs w.Side.Timed))
        result, List.init w.Rounds (fun _ -> let ours = sample () in ours, median (peer.Times(w.Key, 3))))

/// The floating-point operations of a workload bound by its matrix products (a multiply-add
/// counts two), where its key names one: the MLP's loss and gradient — the three layers'
/// products forward, their weights' gradients, and the cotangents of the two hidden layers (the
/// batch is a constant: no cotangent).
let private productOperations (key: string) =
    let batch, layers = 256.0, [ 784.0, 256.0; 256.0, 256.0; 256.0, 10.0 ]
    let forward = layers |> List.sumBy (fun (input, output) -> 2.0 * batch * input * output)
    match key with
    | "mlp" -> Some(2.0 * forward + (layers |> List.tail |> List.sumBy (fun (input, output) -> 2.0 * batch * input * output)))
    | _ -> None

/// The machine's rate for a large matrix product on the default provider (GFLOP/s, 1024 × 1024
/// float64, median of 5): what bounds any implementation of a product-bound workload here.
let private productRate () =
    let a, b = Tensor.randomNormal 21 [| 1024; 1024 |], Tensor.randomNormal 22 [| 1024; 1024 |]
    2.0 * 1024.0 ** 3.0 / medianMs 5 (fun () -> force (Tensor.matmul a b)) / 1e6

/// A workload's rows from its measurements on each provider. The ratio is the median of the
/// rounds' ratios (as the harness's `pairedMs`), with their quartiles beside it. A workload
/// bound by its products also gets its floor: its operations at the machine's product rate
/// (`rate`, GFLOP/s), and that floor ÷ PyTorch's time, the lowest ratio to PyTorch any
/// implementation could reach on this machine.
let private rowsOf (peer: Peer) (providers: (string * ILinearAlgebraProvider) list) (rate: float) (w: Workload) (measured: (float[] * (float * float) list) list) =
    let agreement = measured |> List.map (fun (r, _) -> relativeDifference r (peer.Result w.Key)) |> List.max
    // The issue's targets are for the default provider: the one the harness chose at start (the
    // best available), whichever of the compared ones that is.
    let isDefault (p: ILinearAlgebraProvider) =
        match Providers.Chosen with
        | null -> p :? ManagedLinearAlgebraProvider
        | chosen -> p.GetType() = chosen.Provider.GetType()
    let providerRows (name: string, provider: ILinearAlgebraProvider) (_, rounds: (float * float) list) =
        let ratios = rounds |> List.map (fun (ours, torch) -> ours / torch)
        let low, high = quartiles ratios
        let ratioName = sprintf "T(FunctionalAD, %s%s) / T(PyTorch)" name (if isDefault provider then ", the default" else "")
        let unit = sprintf "× (quartiles %.2f–%.2f)" low high
        [ info w.Title (sprintf "FunctionalAD, %s provider" name) (median (rounds |> Seq.map fst)) "ms"
          match w.Target with
          | Some bound when isDefault provider -> atMost w.Title ratioName (median ratios) unit bound
          | _ -> info w.Title ratioName (median ratios) unit ]
    let torch = median (measured |> Seq.collect snd |> Seq.map snd)
    [ yield! List.map2 providerRows providers measured |> List.concat
      yield info w.Title "PyTorch 1.13" torch "ms"
      match productOperations w.Key with
      | Some operations ->
          let floor = operations / rate / 1e6
          yield info w.Title (sprintf "floor: its %.0f MFLOP at the machine's product rate (%.1f GFLOP/s)" (operations / 1e6) rate) floor "ms"
          yield info w.Title "floor / T(PyTorch): the lowest ratio any implementation could reach here" (floor / torch) "×"
      | None -> ()
      yield atMost w.Title "‖FunctionalAD − PyTorch‖∞ / ‖PyTorch‖∞" agreement "" 1e-10 ]

/// The one-minute load average (Linux), so that each run records how busy the machine was.
let private loadRow (moment: string) =
    let load = if File.Exists "/proc/loadavg" then Double.Parse((File.ReadAllText "/proc/loadavg").Split(' ')[0], Globalization.CultureInfo.InvariantCulture) else nan
    info "peers" (sprintf "machine's 1-minute load average %s" moment) load (sprintf "on %d cores" Environment.ProcessorCount)

/// The case: one explanatory row where PyTorch cannot be imported.
let peers (_: Settings) =
    if not (torchAvailable ()) then
        [ info "peers" (sprintf "PyTorch not importable by %s (apt-get install -y python3-torch): skipped" python) 0.0 "" ]
    else
        let folder = Directory.CreateTempSubdirectory("functionalad-peers-")
        try
            let inputs = Inputs(folder.FullName)
            let workloads = tensorWorkloads inputs @ hessianWorkloads inputs @ digitsWorkloads inputs
            inputs.Save()
            // The default provider's rounds come first, before the managed provider's parallel
            // loops have run.
            let providers =
                [ if OpenBlasLinearAlgebraProvider.IsLibraryAvailable then yield "OpenBLAS", OpenBlasLinearAlgebraProvider() :> ILinearAlgebraProvider
                  yield "managed", ManagedLinearAlgebraProvider() :> ILinearAlgebraProvider ]
            use peer = new Peer(folder.FullName)
            let before = loadRow "at the start"
            let rate = productRate ()
            // Every workload on one provider, then every workload on the next, as a program uses
            // one provider: a run of the managed provider's parallel loops slowed the OpenBLAS
            // provider's runs after it by 20–35 % (the compiled MLP gradient: 4.5 ms alone,
            // 5.4–6.1 ms after one), and the previous workload's rounds are what comes before.
            let measured = providers |> List.map (fun (_, p) -> workloads |> List.map (measure peer p))
            let rows = workloads |> List.mapi (fun i w -> rowsOf peer providers rate w (measured |> List.map (fun m -> m[i]))) |> List.concat
            before :: rows @ [ loadRow "at the end" ]
        finally
            folder.Delete true

/// The time of the first run of a workload in a fresh Python process (`peers.py DIR --first
/// WORKLOAD`): after `import torch` and loading the inputs, as FunctionalAD's first run below
/// comes after the runtime's start and loading the data.
let private firstRunInPython (folder: string) (workload: string) =
    use child = Process.Start(peerStart folder [ "--first"; workload ])
    child.StandardInput.Close()
    let times = answerTimes workload (child.StandardOutput.ReadLine())
    child.WaitForExit()
    times[0]

/// The case `cold start against PyTorch`: the digits training as the first work of a fresh
/// process on both sides — here this case's own process (the harness runs each case in one),
/// there fresh interpreters (the median of three) — and both systems' warm runs for scale.
let coldStartPeers (_: Settings) =
    let title = "digits MLP 64-64-64-10, Adam, batch 32, 20 epochs, first run in a fresh process"
    if not (torchAvailable ()) then
        [ info title (sprintf "PyTorch not importable by %s (apt-get install -y python3-torch): skipped" python) 0.0 "" ]
    else
        let folder = Directory.CreateTempSubdirectory("functionalad-peers-")
        try
            let inputs = Inputs(folder.FullName)
            // The default: compiled steps.
            let digits = List.head (digitsWorkloads inputs)
            inputs.Save()
            let ours = onceMs digits.Side.Timed
            let theirs = median (Array.init 3 (fun _ -> firstRunInPython folder.FullName digits.Key))
            let oursWarm = median (Array.init 3 (fun _ -> onceMs digits.Side.Timed))
            use peer = new Peer(folder.FullName)
            let theirsWarm = median (peer.Times(digits.Key, 3))
            [ info title "FunctionalAD, first run (the default provider)" ours "ms"
              info title "PyTorch 1.13, first run (median of 3 fresh interpreters)" theirs "ms"
              atMost title "T(FunctionalAD first run) / T(PyTorch first run)" (ours / theirs) "×" 1.0
              info title "FunctionalAD, warm (median of 3)" oursWarm "ms"
              info title "PyTorch 1.13, warm (median of 3)" theirsWarm "ms"
              loadRow "at the end" ]
        finally
            folder.Delete true
