module FunctionalAD.Learn.Tests.ChainTests

open Xunit
open FunctionalAD
open FunctionalAD.Learn
open FunctionalAD.Tests.TestSupport

let private t, k = 4, 3
let private unary = Tensor.randomNormal 11 [| t; k |]
let private pairwise = Tensor.randomNormal 12 [| k; k |]
let private paths = Chain.allPaths t k |> Seq.toArray
let private scores = paths |> Array.map (fun p -> scalarOf (Chain.pathScore unary pairwise p))

[<Fact>]
let ``Viterbi's max score and best path match brute-force enumeration`` () =
    Assert.Equal(81, paths.Length)
    assertClose 1e-14 (Array.max scores) (scalarOf (Chain.maxScore unary pairwise))
    Assert.Equal<int[]>(paths[Array.findIndex ((=) (Array.max scores)) scores], Chain.bestPath unary pairwise)

[<Fact>]
let ``the gradient of the max score is the one-hot best path`` () =
    let best = Chain.bestPath unary pairwise
    let gUnary, gPairwise = AD.grad (fun (u: Tensor, p: Tensor) -> Chain.maxScore u p) (unary, pairwise)
    assertTensorClose 0.0 (Chain.oneHot k best) gUnary
    // with respect to the pairwise scores: how often each transition occurs on the best path
    let counts = Array2D.zeroCreate k k
    for (a, b) in Array.pairwise best do counts[a, b] <- counts[a, b] + 1.0
    assertTensorClose 0.0 (Tensor.ofArray2D counts) gPairwise

[<Fact>]
let ``tied best paths share the gradient evenly`` () =
    // two labels with identical scores everywhere and no pairwise preference: every one of the
    // 2³ paths is best, and each position's gradient splits ½ / ½
    let u = Tensor.zeros [| 3; 2 |]
    let g = AD.grad (fun u -> Chain.maxScore u (Tensor.zeros [| 2; 2 |])) u
    assertTensorClose 1e-15 (Tensor.full [| 3; 2 |] 0.5) g

[<Fact>]
let ``the log-partition function and its gradient, the marginals, match brute force`` () =
    let m = Array.max scores
    let logZ = m + log (scores |> Array.sumBy (fun v -> exp (v - m)))
    assertClose 1e-13 logZ (scalarOf (Chain.logPartition unary pairwise))
    let marginals = Array2D.zeroCreate t k
    Array.iter2 (fun (path: int[]) score -> path |> Array.iteri (fun i y -> marginals[i, y] <- marginals[i, y] + exp (score - logZ))) paths scores
    let g = AD.grad (fun u -> Chain.logPartition u pairwise) unary
    assertTensorClose 1e-12 (Tensor.ofArray2D marginals) g
    // each position's marginals sum to one
    assertTensorClose 1e-12 (Tensor.ones [| t |]) (Tensor.sumAxes [| 1 |] false g)

[<Fact>]
let ``the smoothed max tends to the max and its gradient to the best path`` () =
    let best = Chain.oneHot k (Chain.bestPath unary pairwise)
    let exact = scalarOf (Chain.maxScore unary pairwise)
    let smooth = scalarOf (Chain.smoothedMax 0.01 unary pairwise)
    Assert.True(smooth >= exact && smooth - exact <= 0.01 * log 81.0)
    assertTensorClose 1e-6 best (AD.grad (fun u -> Chain.smoothedMax 0.01 u pairwise) unary)

[<Fact>]
let ``the structured hinge's subgradient is the augmented best path minus the truth`` () =
    let truth = [| 0; 1; 2; 1 |]
    let augmented = unary + (1.0 - Chain.oneHot k truth)
    let expected = Chain.oneHot k (Chain.bestPath augmented pairwise) - Chain.oneHot k truth
    let loss = Chain.structuredHinge unary pairwise truth
    let bruteForce = paths |> Array.map (fun p -> scalarOf (Chain.pathScore unary pairwise p) + float (Array.fold2 (fun n a b -> if a <> b then n + 1 else n) 0 p truth)) |> Array.max
    assertClose 1e-13 (bruteForce - scalarOf (Chain.pathScore unary pairwise truth)) (scalarOf loss)
    assertTensorClose 0.0 expected (AD.grad (fun u -> Chain.structuredHinge u pairwise truth) unary)

[<Fact>]
let ``chain functions reject mismatched score shapes`` () =
    Assert.Throws<System.ArgumentException>(fun () -> Chain.maxScore unary (Tensor.zeros [| 2; 2 |]) |> ignore) |> ignore
    Assert.Throws<System.ArgumentException>(fun () -> Chain.pathScore unary pairwise [| 0; 1 |] |> ignore) |> ignore
