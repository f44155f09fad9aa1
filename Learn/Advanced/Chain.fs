namespace FunctionalAD.Learn

open System
open FunctionalAD

/// Differentiating through a dynamic program: a chain of T positions, each taking one of K labels,
/// scored by unary scores U (T × K) and pairwise scores P (K × K):
/// score(y) = Σₜ U[t, yₜ] + Σₜ₌₁ P[yₜ₋₁, yₜ]. The best score is found by the Viterbi (max-sum)
/// recursion and the log-partition function by the forward (log-sum-exp) recursion; reverse mode
/// through either recursion gives, respectively, the one-hot best path and the marginals, as the
/// lectures' structured-prediction example describes.
[<RequireQualifiedAccess>]
module Chain =
    let private check operation (unary: Tensor) (pairwise: Tensor) =
        if unary.Rank <> 2 || unary.Shape[0] = 0 || unary.Shape[1] = 0 then
            raise (ArgumentException(sprintf "%s: unary scores must be a non-empty T × K matrix, not shape %A" operation unary.Shape, "unary"))
        let k = unary.Shape[1]
        if pairwise.Shape <> [| k; k |] then
            raise (ArgumentException(sprintf "%s: pairwise scores must be %d × %d for unary scores of shape %A, not %A" operation k k unary.Shape pairwise.Shape, "pairwise"))

    /// The recursion αₜ = Uₜ + reduce_j(αₜ₋₁[j] + P[j, ·]) with α₀ = U₀, reduced at the end:
    /// `reduce` is max for Viterbi and log-sum-exp for the forward algorithm.
    let private recursion operation (reduce: int[] -> bool -> Tensor -> Tensor) (unary: Tensor) (pairwise: Tensor) =
        check operation unary pairwise
        let k = unary.Shape[1]
        let alpha =
            Seq.fold (fun (alpha: Tensor) t -> Tensor.index 0 t unary + reduce [| 0 |] false (Tensor.reshape [| k; 1 |] alpha + pairwise))
                (Tensor.index 0 0 unary) (seq { 1 .. unary.Shape[0] - 1 })
        reduce [| 0 |] false alpha

    /// max over all Kᵀ label sequences of score(y), by Viterbi. Its gradient with respect to the
    /// unary scores is the one-hot matrix of the best path (ties split evenly, the library's
    /// convention for max).
    let maxScore (unary: Tensor) (pairwise: Tensor) = recursion "Chain.maxScore" Tensor.maxAxes unary pairwise

    /// log Σ_y exp(score(y)), by the forward algorithm. Its gradient with respect to the unary
    /// scores is the matrix of marginals P(yₜ = k).
    let logPartition (unary: Tensor) (pairwise: Tensor) = recursion "Chain.logPartition" Tensor.logsumexpAxes unary pairwise

    /// The smoothed maximum γ·log Σ_y exp(score(y)/γ): it tends to `maxScore` as γ → 0 and its
    /// gradient is the marginals of the Gibbs distribution at temperature γ.
    let smoothedMax (gamma: float) (unary: Tensor) (pairwise: Tensor) =
        if not (gamma > 0.0) then raise (ArgumentOutOfRangeException("gamma", gamma, "Chain.smoothedMax: the temperature must be positive"))
        gamma * logPartition (unary / gamma) (pairwise / gamma)

    /// score(y) of one label sequence (differentiable in both score tensors).
    let pathScore (unary: Tensor) (pairwise: Tensor) (path: int[]) =
        check "Chain.pathScore" unary pairwise
        let t, k = unary.Shape[0], unary.Shape[1]
        if path.Length <> t || path |> Array.exists (fun y -> y < 0 || y >= k) then
            raise (ArgumentException(sprintf "Chain.pathScore: a path needs %d labels in 0..%d, got %A" t (k - 1) path, "path"))
        let unaryPart = unary |> Tensor.flatten |> Tensor.gather 0 (path |> Array.mapi (fun i y -> i * k + y)) |> Tensor.sum
        if t = 1 then unaryPart
        else unaryPart + (pairwise |> Tensor.flatten |> Tensor.gather 0 (Array.pairwise path |> Array.map (fun (a, b) -> a * k + b)) |> Tensor.sum)

    /// The best label sequence, by Viterbi with back-pointers on the values.
    let bestPath (unary: Tensor) (pairwise: Tensor) =
        check "Chain.bestPath" unary pairwise
        let u, p = Tensor.toArray2D unary, Tensor.toArray2D pairwise
        let t, k = Array2D.length1 u, Array2D.length2 u
        let back = Array2D.zeroCreate t k
        let mutable alpha = Array.init k (fun j -> u[0, j])
        for s in 1 .. t - 1 do
            alpha <- Array.init k (fun j ->
                let best = Seq.maxBy (fun i -> alpha[i] + p[i, j]) (seq { 0 .. k - 1 })
                back[s, j] <- best
                u[s, j] + alpha[best] + p[best, j])
        let last = Seq.maxBy (fun j -> alpha[j]) (seq { 0 .. k - 1 })
        let path = Array.zeroCreate t
        path[t - 1] <- last
        for s in t - 1 .. -1 .. 1 do path[s - 1] <- back[s, path[s]]
        path

    /// All Kᵀ label sequences (for brute-force checks on small chains).
    let allPaths (length: int) (labels: int) : int[] seq =
        if length <= 0 || labels <= 0 then raise (ArgumentOutOfRangeException("length", "Chain.allPaths: the chain needs at least one position and one label"))
        Seq.init (pown labels length) (fun code -> Array.init length (fun i -> (code / pown labels (length - 1 - i)) % labels))

    /// The T × K indicator matrix of a path.
    let oneHot (labels: int) (path: int[]) =
        Tensor.create [| path.Length; labels |] (Array.init (path.Length * labels) (fun i -> if path[i / labels] = i % labels then 1.0 else 0.0))

    /// The structured hinge loss of the lectures (Pillutla et al., 2018) with the Hamming loss:
    /// max_y {score(y) + Hamming(y, truth)} − score(truth). The Hamming term adds 1 to every unary
    /// score off the true path, so the loss-augmented maximum is again a Viterbi recursion; its
    /// subgradient is oneHot(augmented best path) − oneHot(truth).
    let structuredHinge (unary: Tensor) (pairwise: Tensor) (truth: int[]) =
        check "Chain.structuredHinge" unary pairwise
        let augmented = unary + (1.0 - oneHot unary.Shape[1] truth)
        maxScore augmented pairwise - pathScore unary pairwise truth
