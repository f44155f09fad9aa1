/// Every primitive on its own, with arguments drawn from inside its domain: the unit cases of
/// the derivative laws (the random programs combine them).
module FunctionalAD.PropertyTests.Catalogue

open FsCheck
open FsCheck.FSharp
open FunctionalAD
open FunctionalAD.PropertyTests.Generators

/// A primitive applied to sampled arguments.
[<StructuredFormatDisplay("{Display}")>]
type Case =
    { Name: string
      Args: Sample list
      F: Tensor[] -> Tensor
      /// Seeds the directions and cotangents the laws use.
      Seed: int }
    member c.Display = sprintf "%s applied to %A (seed %d)" c.Name c.Args c.Seed
    member c.Inputs = c.Args |> List.map (fun s -> s.Tensor) |> List.toArray
    /// The arguments as one vector (all elements, in order).
    member c.Packed = Tensor.ofArray (c.Args |> List.toArray |> Array.collect (fun s -> s.Values))
    /// The primitive as a function of the packed vector: slices and reshapes (differentiable)
    /// cut it back into the arguments, so every single-input law applies.
    member c.OfPacked(x: Tensor) =
        let shapes = c.Args |> List.map (fun s -> s.Shape) |> List.toArray
        let offsets = shapes |> Array.scan (fun o s -> o + Shape.size s) 0
        c.F (shapes |> Array.mapi (fun i s -> Tensor.reshape s (Tensor.slice [| (offsets[i], offsets[i + 1], 1) |] x)))
    /// A deterministic direction (or cotangent) shaped like `t`, one per `k`.
    member c.DirectionLike (k: int) (t: Tensor) = Tensor.randomNormal (c.Seed * 31 + k) t.Shape

type private Entry =
    { Name: string
      Arguments: Gen<Sample list>
      F: Tensor[] -> Tensor }

let private one domain = gen { let! s = shape in let! a = sampleOf domain s in return [ a ] }
let private nonScalar domain = gen { let! s = shape |> Gen.filter (fun s -> s.Length > 0) in let! a = sampleOf domain s in return [ a ] }
let private ofShape domain (s: int[]) = sampleOf domain s |> Gen.map List.singleton

/// Two arguments whose shapes broadcast against each other (either may be the smaller).
let private broadcasting domainA domainB =
    gen {
        let! s = shape
        let! t = broadcastableTo s
        let! swap = Gen.elements [ false; true ]
        let sa, sb = if swap then t, s else s, t
        let! a = sampleOf domainA sa
        let! b = sampleOf domainB sb
        return [ a; b ]
    }

let private matrices =
    gen {
        let! m = Gen.choose (1, 3)
        let! k = Gen.choose (1, 3)
        let! n = Gen.choose (1, 3)
        let! a = sampleOf anywhere [| m; k |]
        let! b = sampleOf anywhere [| k; n |]
        return [ a; b ]
    }

let private square = gen { let! n = Gen.choose (1, 3) in return! ofShape anywhere [| n; n |] }

/// 8I + X: by Gershgorin every eigenvalue has real part ≥ 8 − 2·(n − 1)·2 − 2 ≥ 2 for n ≤ 3 and
/// entries of magnitude ≤ 2, so the matrix is well conditioned and has a positive determinant.
let private wellConditioned (x: Tensor) = x + 8.0 * Tensor.eye x.Shape[0]
let private symmetric (x: Tensor) = wellConditioned (0.5 * (x + Tensor.transpose x))

/// A batch of one to three square matrices and a second batch of as many n × k matrices.
let private batchedSquares =
    gen {
        let! b = Gen.choose (1, 3)
        let! n = Gen.choose (1, 3)
        let! k = Gen.choose (1, 2)
        return! Gen.sequenceToList [ sampleOf anywhere [| b; n; n |]; sampleOf anywhere [| b; n; k |] ]
    }

/// 8I + X for each matrix of a batch (well conditioned, positive determinant, as above).
let private wellConditionedBatch (x: Tensor) = x + 8.0 * Tensor.eye x.Shape[x.Rank - 1]

let private unaryEntry name domain f = { Name = name; Arguments = one domain; F = fun a -> f a[0] }
let private axisEntry name f = { Name = name; Arguments = nonScalar anywhere; F = fun a -> f a[0] }
let private binaryEntry name domainA domainB f = { Name = name; Arguments = broadcasting domainA domainB; F = fun a -> f a[0] a[1] }

let private entries: Entry list =
    [ unaryEntry "exp" anywhere exp
      unaryEntry "expm1" anywhere Tensor.expm1
      unaryEntry "log" positive log
      unaryEntry "log1p" positive Tensor.log1p
      unaryEntry "sqrt" positive sqrt
      unaryEntry "sin" anywhere sin
      unaryEntry "cos" anywhere cos
      unaryEntry "tan" small tan
      unaryEntry "tanh" anywhere tanh
      unaryEntry "atan" anywhere atan
      unaryEntry "erf" anywhere Tensor.erf
      unaryEntry "sigmoid" anywhere Tensor.sigmoid
      unaryEntry "softplus" anywhere Tensor.softplus
      unaryEntry "relu" anywhere Tensor.relu
      unaryEntry "abs" anywhere abs
      unaryEntry "neg" anywhere (fun x -> -x)
      unaryEntry "square" anywhere Tensor.square
      unaryEntry "x ** 3" anywhere (fun x -> x ** 3.0)
      unaryEntry "x ** 2.5" positive (fun x -> x ** 2.5)
      unaryEntry "x ** -1.5" positive (fun x -> x ** -1.5)
      unaryEntry "2 ** x" anywhere (fun x -> Tensor.pow (Tensor.scalar 2.0) x)
      unaryEntry "clamp -1.5 1.5" anywhere (Tensor.clamp -1.5 1.5)
      binaryEntry "add" anywhere anywhere (+)
      binaryEntry "sub" anywhere anywhere (-)
      binaryEntry "mul" anywhere anywhere (*)
      binaryEntry "div" anywhere anywhere (/)
      binaryEntry "pow" positive anywhere Tensor.pow
      binaryEntry "atan2" anywhere positive Tensor.atan2
      binaryEntry "maximum" anywhere anywhere Tensor.maximum
      binaryEntry "minimum" anywhere anywhere Tensor.minimum
      binaryEntry "where (a > b, a * b, a - b)" anywhere anywhere (fun a b -> Tensor.where (Tensor.greater a b) (a * b) (a - b))
      unaryEntry "sum" anywhere Tensor.sum
      unaryEntry "mean" anywhere Tensor.mean
      unaryEntry "prod" anywhere Tensor.prod
      unaryEntry "max" anywhere Tensor.max
      unaryEntry "min" anywhere Tensor.min
      unaryEntry "logsumexp" anywhere Tensor.logsumexp
      axisEntry "sumAxes [0] keep" (Tensor.sumAxes [| 0 |] true)
      axisEntry "meanAxes [-1]" (Tensor.meanAxes [| -1 |] false)
      axisEntry "prodAxes [0]" (Tensor.prodAxes [| 0 |] false)
      axisEntry "maxAxes [-1] keep" (Tensor.maxAxes [| -1 |] true)
      axisEntry "minAxes [0]" (Tensor.minAxes [| 0 |] false)
      axisEntry "logsumexpAxes [0]" (Tensor.logsumexpAxes [| 0 |] false)
      axisEntry "softmax -1" (Tensor.softmax -1)
      axisEntry "logSoftmax 0" (Tensor.logSoftmax 0)
      unaryEntry "flatten" anywhere Tensor.flatten
      unaryEntry "reshape [-1, 1]" anywhere (Tensor.reshape [| -1; 1 |])
      unaryEntry "transpose" anywhere Tensor.transpose
      unaryEntry "expandDims 0" anywhere (Tensor.expandDims 0)
      axisEntry "permute (rotate)" (fun x -> Tensor.permute (Array.init x.Rank (fun k -> (k + 1) % x.Rank)) x)
      axisEntry "broadcastTo [2, ...]" (fun x -> Tensor.broadcastTo (Array.append [| 2 |] x.Shape) x)
      axisEntry "slice (1.., step 2)" (fun x -> Tensor.slice (x.Shape |> Array.mapi (fun k d -> if k = 0 then (1, d, 2) else (0, d, 1))) x)
      axisEntry "index 0 -1" (Tensor.index 0 -1)
      axisEntry "gather 0 [last, 0, last]" (fun x -> Tensor.gather 0 [| x.Shape[0] - 1; 0; x.Shape[0] - 1 |] x)
      axisEntry "concat 0 [x; 2x]" (fun x -> Tensor.concat 0 [ x; 2.0 * x ])
      axisEntry "stack 1 [x; sin x]" (fun x -> Tensor.stack 1 [ x; sin x ])
      { Name = "matmul"; Arguments = matrices; F = fun a -> Tensor.matmul a[0] a[1] }
      { Name = "einsum ij,jk->ik"; Arguments = matrices; F = fun a -> Tensor.einsum "ij,jk->ik" [ a[0]; a[1] ] }
      { Name = "dot"; Arguments = gen { let! n = Gen.choose (1, 4) in return! Gen.sequenceToList [ sampleOf anywhere [| n |]; sampleOf anywhere [| n |] ] }
        F = fun a -> Tensor.dot a[0] a[1] }
      { Name = "outer"; Arguments = gen { let! m = Gen.choose (1, 3) in let! n = Gen.choose (1, 3) in return! Gen.sequenceToList [ sampleOf anywhere [| m |]; sampleOf anywhere [| n |] ] }
        F = fun a -> Tensor.outer a[0] a[1] }
      { Name = "diag (vector)"; Arguments = gen { let! n = Gen.choose (1, 3) in return! ofShape anywhere [| n |] }; F = fun a -> Tensor.diag a[0] }
      { Name = "diag (matrix)"; Arguments = square; F = fun a -> Tensor.diag a[0] }
      { Name = "trace"; Arguments = square; F = fun a -> Tensor.trace a[0] }
      { Name = "solve (8I + A) B"
        Arguments = gen { let! n = Gen.choose (1, 3) in let! k = Gen.choose (1, 2) in return! Gen.sequenceToList [ sampleOf anywhere [| n; n |]; sampleOf anywhere [| n; k |] ] }
        F = fun a -> Tensor.solve (wellConditioned a[0]) a[1] }
      { Name = "inverse (8I + A)"; Arguments = square; F = fun a -> Tensor.inverse (wellConditioned a[0]) }
      { Name = "det (8I + A)"; Arguments = square; F = fun a -> Tensor.det (wellConditioned a[0]) }
      { Name = "logDet (8I + A)"; Arguments = square; F = fun a -> Tensor.logDet (wellConditioned a[0]) }
      { Name = "cholesky (8I + (A + At)/2)"; Arguments = square; F = fun a -> Tensor.cholesky (symmetric a[0]) }
      { Name = "solve batched (8I + A) B"; Arguments = batchedSquares; F = fun a -> Tensor.solve (wellConditionedBatch a[0]) a[1] }
      { Name = "det batched (8I + A)"; Arguments = batchedSquares; F = fun a -> Tensor.det (wellConditionedBatch a[0]) }
      { Name = "slogdet batched (8I + A)"; Arguments = batchedSquares; F = fun a -> let sign, logAbs = Tensor.slogdet (wellConditionedBatch a[0]) in sign * logAbs }
      { Name = "cholesky batched (8I + (A + At)/2)"; Arguments = batchedSquares
        F = fun a -> Tensor.cholesky (wellConditionedBatch (0.5 * (a[0] + Tensor.permute [| 0; 2; 1 |] a[0]))) }
      { Name = "triangularSolve batched (8I + A) B"; Arguments = batchedSquares; F = fun a -> Tensor.triangularSolveWith true true false (wellConditionedBatch a[0]) a[1] }
      { Name = "einsum ...ij,...jk->...ik"; Arguments = batchedSquares; F = fun a -> Tensor.einsum "...ij,...jk->...ik" [ a[0]; a[1] ] }
      { Name = "layerNorm 0.5"; Arguments = nonScalar anywhere; F = fun a -> Tensor.layerNorm 0.5 a[0] } ]

let private caseOf (entry: Entry) =
    gen {
        let! args = entry.Arguments
        let! seed = Gen.choose (0, 1_000_000)
        return { Name = entry.Name; Args = args; F = entry.F; Seed = seed }
    }

/// A primitive with arguments inside its domain.
let cases: Arbitrary<Case> =
    gen {
        let! entry = Gen.elements entries
        return! caseOf entry
    }
    |> Arb.fromGen

/// One case of every primitive, in catalogue order.
let everyPrimitive: Gen<Case list> =
    entries |> List.map caseOf |> Gen.sequenceToList
