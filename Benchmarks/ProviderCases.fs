/// Native linear-algebra providers against MathNet's managed provider, measured in one process:
/// matrix products, the provider against a direct cblas_dgemm call (the practical limit), and
/// whole AD workloads (logistic gradient, MLP step) on each provider.
module FunctionalAD.Benchmarks.ProviderCases

open System.Runtime.InteropServices
open MathNet.Numerics.LinearAlgebra
open MathNet.Numerics.Providers.LinearAlgebra
open FunctionalAD
open FunctionalAD.Native
open FunctionalAD.Benchmarks.Harness
open FunctionalAD.Benchmarks.Cases

[<DllImport("libopenblas.so.0", CallingConvention = CallingConvention.Cdecl)>]
extern void cblas_dgemm(int order, int transA, int transB, int m, int n, int k, double alpha, double[] a, int lda, double[] b, int ldb, double beta, double[] c, int ldc)

let private columnMajor, noTranspose = 102, 111

/// Runs `action` with `provider` active, restoring the one that was active.
let using (provider: ILinearAlgebraProvider) (action: unit -> 'T) =
    let previous = LinearAlgebraControl.Provider
    LinearAlgebraControl.Provider <- provider
    try action () finally LinearAlgebraControl.Provider <- previous

let private force (t: Tensor) = t.ToArray() |> ignore

/// The products the library runs (LinAlgKernels.gemmInto, row-major, as the AD kernels call it)
/// for one shape m × k times k × n: its managed kernels (on the managed provider), OpenBLAS
/// called for the same product, and what the library chooses with the OpenBLAS provider
/// active. The first ratio locates the crossover; the second must not exceed 1 by much.
let private crossoverRows (s: Settings) (managed: ILinearAlgebraProvider) (openBlas: ILinearAlgebraProvider) (transA: bool) (m: int) (k: int) (n: int) =
    let a, b, c = Array.init (m * k) (fun i -> sin (float i)), Array.init (k * n) (fun i -> cos (float i)), Array.zeroCreate (m * n)
    let ra, ca = if transA then k, m else m, k
    // Enough calls per timed sample for about 2 ms of work at 2 GFLOP/s, so that small
    // products are not timed one call at a time.
    let calls = max 1 (int (4e6 / (2.0 * float m * float n * float k)))
    let repeat (product: unit -> unit) () = for _ in 1 .. calls do product ()
    let library () = LinAlgKernels.gemmInto transA false a ra ca b k n c
    let flag t = if t then Transpose.Transpose else Transpose.DontTranspose
    let native () = openBlas.MatrixMultiplyWithUpdate(Transpose.DontTranspose, flag transA, 1.0, b, n, k, a, ca, ra, 0.0, c)
    // Matrix–vector products are single calls of 0.1–5 ms bound by memory, whose pairs scatter
    // widely on this kind of machine: with 9 pairs the transposed 2 048 × 2 048 product read the
    // OpenBLAS provider 1.62–1.78× the managed one in two of three runs, where 31 pairs in a
    // console program read 0.98–1.01 at every size from 2 048² to 4 096² (3 December 2026).
    let reps = s.Repetitions (if m = 1 || n = 1 then 31 else 9)
    let tNative, tManaged, nativeVsManaged = pairedMs reps (repeat native) (repeat (fun () -> using managed library))
    let _, _, chosenVsManaged = pairedMs reps (repeat (fun () -> using openBlas library)) (repeat (fun () -> using managed library))
    let name = sprintf "product %s%d×%d · %d×%d" (if transA then "(transposed) " else "") m k k n
    [ info name "managed kernels" (1000.0 * tManaged / float calls) "µs"
      info name "OpenBLAS call" (1000.0 * tNative / float calls) "µs"
      info name "T(OpenBLAS call) / T(managed kernels)" nativeVsManaged "×"
      info name "T(library on OpenBLAS provider) / T(managed provider)" chosenVsManaged "×" ]

/// The provider comparisons; one explanatory row when OpenBLAS is not installed.
let providers (s: Settings) =
    if not (OpenBlasLinearAlgebraProvider.IsLibraryAvailable) then
        [ info "providers" "OpenBLAS not installed (apt-get install libopenblas0-pthread): skipped" 0.0 "" ]
    else
        let managed = ManagedLinearAlgebraProvider() :> ILinearAlgebraProvider
        let openBlas = OpenBlasLinearAlgebraProvider() :> ILinearAlgebraProvider
        let gemmRows n =
            let name = sprintf "matrix product %d×%d" n n
            let a = Matrix<float>.Build.Random(n, n, 1)
            let b = Matrix<float>.Build.Random(n, n, 2)
            let c = Matrix<float>.Build.Dense(n, n)
            let reps = s.Repetitions(if n >= 2048 then 3 else 7)
            let product (p: ILinearAlgebraProvider) () = using p (fun () -> a.Multiply(b, c))
            let tNative, tManaged, nativeVsManaged = pairedMs reps (product openBlas) (product managed)
            let aData, bData, cData = a.AsColumnMajorArray(), b.AsColumnMajorArray(), Array.zeroCreate (n * n)
            let direct () = cblas_dgemm(columnMajor, noTranspose, noTranspose, n, n, n, 1.0, aData, n, bData, n, 0.0, cData, n)
            let viaProvider () = openBlas.MatrixMultiplyWithUpdate(Transpose.DontTranspose, Transpose.DontTranspose, 1.0, aData, n, n, bData, n, n, 0.0, cData)
            let _, _, providerVsDirect = pairedMs reps viaProvider direct
            // What the library itself runs on the managed provider: its own blocked product
            // (on every core for products this large).
            let tBlocked = medianMs reps (fun () -> BlockedProduct.into false false aData n bData n cData n n n)
            let gflops ms = 2.0 * float n ** 3.0 / (ms * 1e6)
            [ info name "managed provider" tManaged "ms"
              info name "OpenBLAS provider" tNative "ms"
              info name "OpenBLAS provider" (gflops tNative) "GFLOP/s"
              info name "managed provider" (gflops tManaged) "GFLOP/s"
              info name "library's blocked product (managed provider)" (gflops tBlocked) "GFLOP/s"
              (if n = 1024 then atLeast name "T(managed) / T(OpenBLAS)" (1.0 / nativeVsManaged) "× speed-up" 15.0
               else info name "T(managed) / T(OpenBLAS)" (1.0 / nativeVsManaged) "× speed-up")
              atLeast name "speed of the provider / direct cblas_dgemm" (1.0 / providerVsDirect) "×" 0.9 ]
        let sizes = if s.Quick then [ 64; 128 ] else [ 256; 1024; 2048 ]
        let workloads =
            let rows, cols = if s.Quick then 200, 50 else 10_000, 1_000
            let x = Tensor.randomNormal 1 [| rows; cols |]
            let y = Tensor.create [| rows |] (Array.init rows (fun i -> if i % 3 = 0 then 1.0 else -1.0))
            let w = Tensor.randomNormal 2 [| cols |] * 0.01
            let gradient = AD.valueAndGrad (logisticLoss x y)
            let sizesMlp = if s.Quick then [| 32; 16; 16; 4 |] else [| 784; 256; 256; 10 |]
            let batch = if s.Quick then 8 else 256
            let xb = Tensor.randomNormal 4 [| batch; sizesMlp[0] |]
            let classes = sizesMlp[sizesMlp.Length - 1]
            let labels = Tensor.create [| batch; classes |] (Array.init (batch * classes) (fun k -> if k % classes = (k / classes) % classes then 1.0 else 0.0))
            let parameters = Array.init (sizesMlp.Length - 1) (fun l -> [| Tensor.randomNormal (10 + l) [| sizesMlp[l]; sizesMlp[l + 1] |] * 0.05; Tensor.zeros [| sizesMlp[l + 1] |] |]) |> Array.concat
            let step (p: Tensor[]) = let _, g = AD.valueAndGrad (mlpLoss xb labels) p in Array.map2 (fun (p: Tensor) g -> p - 0.1 * g) p g
            let reps = s.Repetitions 5
            let logisticName = sprintf "logistic gradient %d×%d (eager AD)" rows cols
            let mlpName = sprintf "MLP step %s, batch %d (eager AD)" (System.String.Join("-", sizesMlp)) batch
            let tLogNative, tLogManaged, logRatio =
                pairedMs reps (fun () -> using openBlas (fun () -> snd (gradient w) |> force)) (fun () -> using managed (fun () -> snd (gradient w) |> force))
            let tMlpNative, tMlpManaged, mlpRatio =
                pairedMs reps (fun () -> using openBlas (fun () -> step parameters |> Array.iter force)) (fun () -> using managed (fun () -> step parameters |> Array.iter force))
            [ info logisticName "managed provider" tLogManaged "ms"
              info logisticName "OpenBLAS provider" tLogNative "ms"
              info logisticName "T(managed) / T(OpenBLAS)" (1.0 / logRatio) "× speed-up"
              info mlpName "managed provider" tMlpManaged "ms"
              info mlpName "OpenBLAS provider" tMlpNative "ms"
              info mlpName "T(managed) / T(OpenBLAS)" (1.0 / mlpRatio) "× speed-up" ]
        let squares = if s.Quick then [ 8; 64 ] else [ 2; 4; 8; 16; 32; 64; 128; 256 ]
        let vectors = if s.Quick then [ 64 ] else [ 4; 16; 64; 128; 256; 512; 1024; 2048 ]
        let shapes =
            [ for n in squares -> false, n, n, n
              if not s.Quick then
                  // The MLP's and the digits network's shapes (batch × inputs × outputs).
                  yield! [ false, 256, 784, 256; false, 256, 256, 10; false, 32, 64, 64; false, 32, 64, 10 ]
              for n in vectors do
                  yield false, n, n, 1
                  yield true, n, n, 1
                  yield false, 1, n, n
              if not s.Quick then
                  yield! [ false, 10_000, 1_000, 1; true, 1_000, 10_000, 1 ] ]
        let crossovers = shapes |> List.collect (fun (t, m, k, n) -> crossoverRows s managed openBlas t m k n)
        (sizes |> List.collect gemmRows) @ crossovers @ workloads

/// The compiled float32 workloads on the managed provider: the MLP training step (compiled,
/// donating) in float32 against float64 and against the hand-written float32 step, and the
/// compiled float32 logistic value and gradient against the hand-written float32 one.
let private compiledFloat32 (s: Settings) =
    let reps = s.Repetitions 9
    let managed = ManagedLinearAlgebraProvider()
    let sizes, batch, x, labels, parameters = mlpProblem s
    let x32, labels32, parameters32 = Tensor.cast DType.Float32 x, Tensor.cast DType.Float32 labels, Array.map (Tensor.cast DType.Float32) parameters
    let mlpName = sprintf "MLP step %s, batch %d (compiled, donating, managed provider)" (System.String.Join("-", sizes)) batch
    let rate = 0.1
    let train64 = donatingTrainer (mlpUpdate x labels rate) parameters
    let train32 = donatingTrainer (mlpUpdate x32 labels32 rate) parameters32
    let reference = HandWritten.Mlp<float32>(batch, sizes)
    let xData, labelData = x32.ToArray32(), labels32.ToArray32()
    let handParameters = parameters32 |> Array.map (fun p -> p.ToArray32())
    // sanity: one float32 step of each from the same parameters agrees
    let adLoss, adNext = Compile.compile (mlpUpdate x32 labels32 rate) parameters32
    let handLoss = reference.Step(xData, labelData, handParameters, float32 rate)
    let agreement =
        Array.fold2 (fun m (a: Tensor) (b: float32[]) -> max m (maxDifference (a.ToArray()) (Array.map float b))) (abs (adLoss.ToScalar() - float handLoss)) adNext handParameters
    let t64, t32, mlpRatio = using managed (fun () -> pairedMs reps train64 train32)
    let _, tHand, stepVsHand = using managed (fun () -> pairedMs reps train32 (fun () -> reference.Step(xData, labelData, handParameters, 0.0f) |> ignore))
    let rows, cols, xl, yl, wl = logisticData s
    let xl32, yl32, wl32 = Tensor.cast DType.Float32 xl, Tensor.cast DType.Float32 yl, Tensor.cast DType.Float32 wl
    let logisticName = sprintf "logistic value+gradient %d×%d (compiled, managed provider)" rows cols
    let valueAndGrad = Compile.compile (AD.valueAndGrad (logisticLoss xl32 yl32))
    let logistic = HandWritten.Logistic<float32>(xl32.ToArray32(), rows, cols, yl32.ToArray32())
    let wData, gradient = wl32.ToArray32(), Array.zeroCreate<float32> cols
    let value, g = valueAndGrad wl32
    let handValue = logistic.LossAndGradient(wData, gradient)
    let logisticAgreement = max (abs (value.ToScalar() - float handValue)) (maxDifference (g.ToArray()) (Array.map float gradient))
    let runGrad () = let l, g = valueAndGrad wl32 in force l; force g
    let tGrad, tLogisticHand, gradVsHand = using managed (fun () -> pairedMs reps runGrad (fun () -> logistic.LossAndGradient(wData, gradient) |> ignore))
    [ info mlpName "float64" t64 "ms"
      info mlpName "float32" t32 "ms"
      atLeast mlpName "T(float64) / T(float32)" mlpRatio "× speed-up" 1.7
      info mlpName "hand-written float32 step" tHand "ms"
      info mlpName "max |AD − hand-written| after one float32 step" agreement ""
      atMost mlpName "T(AD float32 step) / T(hand-written float32 step)" stepVsHand "×" 1.25
      info logisticName "AD float32 value+gradient" tGrad "ms"
      info logisticName "hand-written float32 value+gradient" tLogisticHand "ms"
      info logisticName "max |AD − hand-written| (float32)" logisticAgreement ""
      atMost logisticName "T(AD float32 grad) / T(hand-written float32 grad)" gradVsHand "×" 1.15 ]

/// float32 against float64 on the same provider and inputs: a matrix product on the managed
/// provider (the library's blocked kernel) and, where it is installed, on OpenBLAS (sgemm
/// against dgemm); the logistic loss's value and gradient on the managed provider, eager; and
/// the compiled float32 workloads (`compiledFloat32`).
let float32 (s: Settings) =
    let n = if s.Quick then 128 else 1024
    let a, b = Tensor.randomNormal 21 [| n; n |], Tensor.randomNormal 22 [| n; n |]
    let a32, b32 = Tensor.cast DType.Float32 a, Tensor.cast DType.Float32 b
    let reps = s.Repetitions 9
    let productRows (providerName: string) (provider: ILinearAlgebraProvider) =
        let name = sprintf "matmul %d×%d, %s provider" n n providerName
        let t64, t32, ratio = using provider (fun () -> pairedMs reps (fun () -> Cases.force (Tensor.matmul a b)) (fun () -> Cases.force (Tensor.matmul a32 b32)))
        [ info name "float64" t64 "ms"
          info name "float32" t32 "ms"
          info name "T(float64) / T(float32)" ratio "× speed-up" ]
    let native =
        if OpenBlasLinearAlgebraProvider.IsLibraryAvailable then productRows "OpenBLAS" (OpenBlasLinearAlgebraProvider())
        else [ info "float32 products" "OpenBLAS not installed: its rows skipped" 0.0 "" ]
    let rows, cols, x, y, w = logisticData s
    let logisticName = sprintf "logistic value+gradient %d×%d (eager, managed provider)" rows cols
    let x32, y32, w32 = Tensor.cast DType.Float32 x, Tensor.cast DType.Float32 y, Tensor.cast DType.Float32 w
    let gradient x y w () = let l, g = AD.valueAndGrad (logisticLoss x y) w in Cases.force l; Cases.force g
    let tLogistic, tLogistic32, logisticRatio = pairedMs reps (gradient x y w) (gradient x32 y32 w32)
    let _, g = AD.valueAndGrad (logisticLoss x y) w
    let _, g32 = AD.valueAndGrad (logisticLoss x32 y32) w32
    let gradientScale = g.ToArray() |> Array.fold (fun m v -> max m (abs v)) 0.0
    productRows "managed" (ManagedLinearAlgebraProvider())
    @ native
    @ [ info logisticName "float64" tLogistic "ms"
        info logisticName "float32" tLogistic32 "ms"
        info logisticName "T(float64) / T(float32)" logisticRatio "× speed-up"
        info logisticName "max |g32 − g64| / max |g64|" (maxDifference (g32.ToArray()) (g.ToArray()) / gradientScale) "" ]
    @ compiledFloat32 s
