/// Every primitive's first and second derivatives against central finite differences at random
/// points inside its domain (away from kinks, where finite differences are meaningless).
module FunctionalAD.Tests.PrimitiveTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Tests.TestSupport

/// Central differences with step h have error ≈ h²|f'''|/6 + ε|f|/h ≈ 1e-10 for the smooth,
/// O(1)-scaled functions below, so 1e-6 leaves a wide margin without hiding real errors
/// (a wrong rule is off by O(1)).
let private tolerance = 1e-6

let private weights n seed = Tensor.randomUniform seed 0.5 1.5 [| n |]

/// Reduces a tensor-valued function to a scalar with fixed random weights, so that every
/// output element's derivative is tested.
let private scalarise (f: Tensor -> Tensor) (x: Tensor) =
    let y = f x
    Tensor.sum (Tensor.flatten y * weights y.Size 99)

let private checkFirstAndSecond (f: Tensor -> Tensor) (x: Tensor) =
    let g = scalarise f
    assertTensorClose tolerance (Numerical.gradient g x) (AD.grad g x)
    assertTensorClose tolerance (Numerical.jacobian (AD.grad g) x) (AD.hessian g x)

let private positive seed shape = Tensor.randomUniform seed 0.3 2.0 shape
let private anywhere seed shape = Tensor.randomUniform seed -1.5 1.5 shape
/// Values bounded away from 0, for functions with a kink at 0.
let private awayFromZero seed shape =
    let u = Tensor.randomUniform seed 0.2 1.5 shape
    let signs = Tensor.where (Tensor.greater (Tensor.randomUniform (seed + 1) -1.0 1.0 shape) (s 0.0)) (s 1.0) (s -1.0)
    u * signs

let unaryCases : obj[] seq =
    [ "neg", (fun (x: Tensor) -> -x), anywhere
      "exp", exp, anywhere
      "log", log, positive
      "log1p", Tensor.log1p, positive
      "expm1", Tensor.expm1, anywhere
      "sqrt", sqrt, positive
      "sin", sin, anywhere
      "cos", cos, anywhere
      "tan", tan, anywhere
      "tanh", tanh, anywhere
      "atan", atan, anywhere
      "erf", Tensor.erf, anywhere
      "sigmoid", Tensor.sigmoid, anywhere
      "softplus", Tensor.softplus, anywhere
      "relu", Tensor.relu, awayFromZero
      "abs", abs, awayFromZero
      "powConst 3", (fun x -> x ** 3.0), anywhere
      "powConst -1.5", (fun x -> x ** -1.5), positive
      "clamp", Tensor.clamp -0.5 0.5, awayFromZero
      "reciprocal", (fun x -> 1.0 / x), positive
      "square", Tensor.square, anywhere ]
    |> Seq.map (fun (name, f, domain) -> [| box name; box (f: Tensor -> Tensor); box (domain: int -> int[] -> Tensor) |])

[<Theory; MemberData(nameof unaryCases)>]
let ``unary primitive derivatives match finite differences`` (_name: string, f: Tensor -> Tensor, domain: int -> int[] -> Tensor) =
    checkFirstAndSecond f (domain 1 [| 5 |])

let binaryCases : obj[] seq =
    [ "add", (fun (a: Tensor) (b: Tensor) -> a + b), anywhere
      "sub", (fun a b -> a - b), anywhere
      "mul", (fun a b -> a * b), anywhere
      "div", (fun a b -> a / b), positive
      "pow", Tensor.pow, positive
      "atan2", Tensor.atan2, positive
      "dot", Tensor.dot, anywhere
      "maximum", Tensor.maximum, anywhere
      "minimum", Tensor.minimum, anywhere
      "where", (fun a b -> Tensor.where (Tensor.greater a b) (a * b) (a - b)), anywhere ]
    |> Seq.map (fun (name, f, domain) -> [| box name; box (f: Tensor -> Tensor -> Tensor); box (domain: int -> int[] -> Tensor) |])

[<Theory; MemberData(nameof binaryCases)>]
let ``binary primitive derivatives match finite differences, with broadcasting`` (_name: string, f: Tensor -> Tensor -> Tensor, domain: int -> int[] -> Tensor) =
    // equal shapes
    checkFirstAndSecond (fun x -> f (Tensor.slice [| (0, 4, 1) |] x) (Tensor.slice [| (4, 8, 1) |] x)) (domain 2 [| 8 |])
    // (3,4) against (4): the second argument is broadcast along the rows
    checkFirstAndSecond (fun x -> f (Tensor.reshape [| 3; 4 |] (Tensor.slice [| (0, 12, 1) |] x)) (Tensor.slice [| (12, 16, 1) |] x)) (domain 3 [| 16 |])
    // (3,1) against (1,4): both broadcast
    checkFirstAndSecond (fun x -> f (Tensor.reshape [| 3; 1 |] (Tensor.slice [| (0, 3, 1) |] x)) (Tensor.reshape [| 1; 4 |] (Tensor.slice [| (3, 7, 1) |] x))) (domain 4 [| 7 |])

let tensorCases : obj[] seq =
    let m (x: Tensor) = Tensor.reshape [| 3; 4 |] x
    [ "sum", (fun x -> Tensor.sum x)
      "sumAxes 0", (fun x -> Tensor.sumAxes [| 0 |] false (m x))
      "sumAxes -1 keep", (fun x -> Tensor.sumAxes [| -1 |] true (m x))
      "mean", (fun x -> Tensor.meanAxes [| 1 |] false (m x))
      "prod", (fun x -> Tensor.prodAxes [| 1 |] false (m x))
      "prod all", (fun x -> Tensor.prod (Tensor.slice [| (0, 5, 1) |] x))
      "max", (fun x -> Tensor.maxAxes [| 0 |] false (m x))
      "min", (fun x -> Tensor.minAxes [| 1 |] true (m x))
      "logsumexp", (fun x -> Tensor.logsumexpAxes [| 1 |] false (m x))
      "softmax", (fun x -> Tensor.softmax 1 (m x))
      "logSoftmax", (fun x -> Tensor.logSoftmax 0 (m x))
      "reshape", (fun x -> Tensor.reshape [| 2; 6 |] x * Tensor.reshape [| 2; 6 |] (Tensor.arange 12))
      "transpose", (fun x -> Tensor.transpose (m x) * Tensor.reshape [| 4; 3 |] (Tensor.arange 12))
      "permute", (fun x -> Tensor.permute [| 2; 0; 1 |] (Tensor.reshape [| 2; 3; 2 |] x) * (Tensor.arange 12 |> Tensor.reshape [| 2; 2; 3 |]))
      "broadcastTo", (fun x -> Tensor.broadcastTo [| 2; 12 |] x * Tensor.reshape [| 2; 12 |] (Tensor.arange 24))
      "slice stepped", (fun x -> Tensor.slice [| (0, 3, 2); (1, 4, 1) |] (m x))
      "index", (fun x -> Tensor.index 1 2 (m x))
      "gather repeats", (fun x -> Tensor.gather 0 [| 2; 0; 2 |] (m x))
      "concat", (fun x -> Tensor.concat 1 [ m x; sin (m x) ])
      "stack", (fun x -> Tensor.stack 0 [ x; x * x ])
      "matmul", (fun x -> Tensor.matmul (m x) (Tensor.transpose (m x)))
      "matmul batched", (fun x -> Tensor.matmul (Tensor.reshape [| 2; 2; 3 |] x) (Tensor.reshape [| 3; 2 |] (Tensor.slice [| (0, 6, 1) |] x)))
      "matmul vector", (fun x -> Tensor.matmul (m x) (Tensor.slice [| (0, 4, 1) |] x))
      "dot", (fun x -> Tensor.dot (Tensor.slice [| (0, 6, 1) |] x) (Tensor.slice [| (6, 12, 1) |] x))
      "outer", (fun x -> Tensor.outer (Tensor.slice [| (0, 3, 1) |] x) (Tensor.slice [| (3, 7, 1) |] x))
      "einsum ij,jk->ik", (fun x -> Tensor.einsum "ij,jk->ik" [ m x; Tensor.transpose (m x) ])
      "einsum ii->i", (fun x -> Tensor.einsum "ii->i" [ Tensor.reshape [| 3; 3 |] (Tensor.slice [| (0, 9, 1) |] x) ])
      "einsum ij->", (fun x -> Tensor.einsum "ij->" [ m x * m x ])
      "diag", (fun x -> Tensor.diag (Tensor.slice [| (0, 4, 1) |] x) * Tensor.reshape [| 4; 4 |] (Tensor.arange 16))
      "trace", (fun x -> Tensor.trace (Tensor.reshape [| 3; 3 |] (Tensor.slice [| (0, 9, 1) |] x)))
      "takeAlongAxis 1", (fun x -> let t = Tensor.takeAlongAxis 1 (mat [ [ 3.0; 3.0 ]; [ 0.0; 2.0 ]; [ 1.0; 0.0 ] ]) (m x) in t * t)
      "takeAlongAxis 0", (fun x -> Tensor.takeAlongAxis 0 (mat [ [ 2.0; 0.0; 1.0; 2.0 ] ]) (m x) * Tensor.sum (m x * m x))
      "scatterAdd", (fun x -> Tensor.scatterAdd 1 (mat [ [ 3.0; 3.0 ]; [ 0.0; 2.0 ]; [ 1.0; 1.0 ] ]) (Tensor.slice [| (0, 3, 1); (0, 2, 1) |] (m x * m x)) (sin (m x)))
      "indexAdd", (fun x -> Tensor.indexAdd 0 [| 2; 0; 2 |] (m x * m x) (sin (m x)))
      "embedding", (fun x -> let e = Tensor.embedding (mat [ [ 2.0; 0.0 ]; [ 2.0; 1.0 ] ]) (m x) in e * e)
      "cumsum", (fun x -> Tensor.cumsum 1 (m x) * m x)
      "cumprod 1", (fun x -> Tensor.cumprod 1 (m x))
      "cumprod 0", (fun x -> Tensor.cumprod 0 (Tensor.reshape [| 6; 2 |] x))
      "flip", (fun x -> Tensor.flip [| 0; 1 |] (m x) * m x)
      "pad constant", (fun x -> let p = Tensor.pad (PadMode.Constant 0.5) [| (1, 2); (0, 1) |] (m x) in p * p)
      "pad reflect", (fun x -> let p = Tensor.pad PadMode.Reflect [| (2, 1); (3, 3) |] (m x) in p * p)
      "norm 1", (fun x -> Tensor.normAxes 1.0 [| 1 |] false (m x))
      "norm 2", (fun x -> Tensor.normAxes 2.0 [| 1 |] true (m x))
      "norm 3", (fun x -> Tensor.normAxes 3.0 [| 0 |] false (m x))
      "norm ∞", (fun x -> Tensor.normAxes infinity [| 1 |] false (m x))
      "Frobenius", (fun x -> Tensor.norm 2.0 (m x))
      "var", (fun x -> Tensor.varAxes 0 [| 1 |] false (m x))
      "var ddof 1", (fun x -> Tensor.var 1 x)
      "std ddof 1", (fun x -> Tensor.stdAxes 1 [| 0 |] true (m x)) ]
    |> Seq.map (fun (name, f) -> [| box name; box (f: Tensor -> Tensor) |])

[<Fact>]
let ``cumprod derivatives at zeros match finite differences`` () =
    // A polynomial, so central differences are exact up to rounding even across the zeros.
    checkFirstAndSecond (Tensor.cumprod 0) (vec [ 0.7; 0.0; -1.2; 0.0; 0.9; 1.1 ])
    checkFirstAndSecond (Tensor.cumprod 0) (vec [ 0.0; 0.0; 0.0 ])

[<Theory; MemberData(nameof tensorCases)>]
let ``reduction, layout and product derivatives match finite differences`` (_name: string, f: Tensor -> Tensor) =
    // distinct values, so max/min have no ties
    checkFirstAndSecond f (Tensor.randomUniform 5 -1.0 1.0 [| 12 |] + 0.01 * Tensor.arange 12)

/// A well-conditioned matrix built from x: A = I·3 + 0.3·reshape(x).
let private wellConditioned (x: Tensor) = 3.0 * Tensor.eye 3 + 0.3 * Tensor.reshape [| 3; 3 |] x

let linearAlgebraCases : obj[] seq =
    let b = Tensor.ofArray [| 0.5; -1.0; 2.0 |]
    [ "solve vector", (fun x -> Tensor.solve (wellConditioned x) b)
      "solve matrix", (fun x -> Tensor.solve (wellConditioned x) (Tensor.transpose (wellConditioned x)))
      "inverse", (fun x -> Tensor.inverse (wellConditioned x))
      "det", (fun x -> Tensor.det (wellConditioned x))
      "logDet", (fun x -> Tensor.logDet (wellConditioned x))
      "cholesky", (fun x -> let a = wellConditioned x in Tensor.cholesky (Tensor.matmul a (Tensor.transpose a))) ]
    |> Seq.map (fun (name, f) -> [| box name; box (f: Tensor -> Tensor) |])

[<Theory; MemberData(nameof linearAlgebraCases)>]
let ``linear algebra derivatives match finite differences`` (_name: string, f: Tensor -> Tensor) =
    checkFirstAndSecond f (Tensor.randomUniform 6 -1.0 1.0 [| 9 |])

/// Two well-conditioned 3 × 3 matrices from 18 entries: Aᵢ = I·3 + 0.3·reshape(x).
let private wellConditionedBatch (x: Tensor) = 3.0 * Tensor.eye 3 + 0.3 * Tensor.reshape [| 2; 3; 3 |] x

let private transposes (a: Tensor) = Tensor.permute [| 0; 2; 1 |] a

let batchedLinearAlgebraCases : obj[] seq =
    let vectors = Tensor.create [| 2; 3 |] [| 0.5; -1.0; 2.0; 1.5; 0.25; -0.75 |]
    let first (x: Tensor) = wellConditioned (Tensor.slice [| (0, 9, 1) |] x)
    [ "solve batched vectors", (fun x -> Tensor.solve (wellConditionedBatch x) vectors)
      "solve broadcast matrix", (fun x -> Tensor.solve (wellConditionedBatch x) (first x))
      "inverse batched", (fun x -> Tensor.inverse (wellConditionedBatch x))
      "det batched", (fun x -> Tensor.det (wellConditionedBatch x))
      "logDet batched", (fun x -> Tensor.logDet (wellConditionedBatch x))
      "slogdet batched", (fun x -> let sign, logAbs = Tensor.slogdet (wellConditionedBatch x - 3.5 * Tensor.eye 3) in sign * logAbs)
      "cholesky batched", (fun x -> let a = wellConditionedBatch x in Tensor.cholesky (Tensor.matmul a (transposes a)))
      "triangularSolve lower", (fun x -> Tensor.triangularSolve true (wellConditionedBatch x) (first x))
      "triangularSolve upper", (fun x -> Tensor.triangularSolve false (wellConditionedBatch x) vectors)
      "triangularSolve lower transposed", (fun x -> Tensor.triangularSolveWith true true false (wellConditionedBatch x) (first x))
      "triangularSolve upper transposed unit", (fun x -> Tensor.triangularSolveWith false true true (wellConditionedBatch x) (first x))
      "triangularSolve lower unit", (fun x -> Tensor.triangularSolveWith true false true (wellConditionedBatch x) vectors) ]
    |> Seq.map (fun (name, f) -> [| box name; box (f: Tensor -> Tensor) |])

[<Theory; MemberData(nameof batchedLinearAlgebraCases)>]
let ``batched linear algebra derivatives match finite differences`` (_name: string, f: Tensor -> Tensor) =
    checkFirstAndSecond f (Tensor.randomUniform 7 -1.0 1.0 [| 18 |])

let einsumAndLayerNormCases : obj[] seq =
    [ "einsum ...ij->...ji", (fun (x: Tensor) -> Tensor.einsum "...ij->...ji" [ Tensor.reshape [| 2; 3; 2 |] x * Tensor.reshape [| 2; 3; 2 |] x ])
      "einsum ...ij,...jk->...ik broadcast", (fun x -> Tensor.einsum "...ij,...jk->...ik" [ Tensor.reshape [| 2; 1; 2; 3 |] x; Tensor.reshape [| 2; 3; 2 |] (sin x) ])
      "einsum b...i,i->b...", (fun x -> Tensor.einsum "b...i,i->b..." [ Tensor.reshape [| 2; 2; 3 |] x; Tensor.slice [| (0, 3, 1) |] x ])
      "einsum ...ii->...i implicit", (fun x -> Tensor.einsum "...ii" [ Tensor.reshape [| 3; 2; 2 |] x * Tensor.reshape [| 3; 2; 2 |] x ])
      "layerNorm", (fun x -> Tensor.layerNorm 1e-5 (Tensor.reshape [| 3; 4 |] x) * Tensor.reshape [| 3; 4 |] (Tensor.arange 12))
      "layerNorm affine", (fun x -> Tensor.layerNormAffine 0.1 (Tensor.slice [| (0, 4, 1) |] x) (sin (Tensor.slice [| (4, 8, 1) |] x)) (Tensor.reshape [| 3; 4 |] x) |> Tensor.square) ]
    |> Seq.map (fun (name, f) -> [| box name; box (f: Tensor -> Tensor) |])

[<Theory; MemberData(nameof einsumAndLayerNormCases)>]
let ``einsum with an ellipsis and layerNorm have derivatives matching finite differences`` (_name: string, f: Tensor -> Tensor) =
    checkFirstAndSecond f (Tensor.randomUniform 8 -1.0 1.0 [| 12 |])

[<Fact>]
let ``the formulas' scalar functions are found by name and arity, and a missing one is named`` () =
    let clamp = FunctionalAD.Primitives.Formula.scalarFunction (nameof ScalarFunctions.Clamp) 3
    Assert.Equal(0.25, clamp.Invoke(null, [| box 0.0; box 0.25; box 0.75 |]) :?> double)
    let e = Assert.Throws<ArgumentException>(fun () -> FunctionalAD.Primitives.Formula.scalarFunction (nameof ScalarFunctions.Clamp) 1 |> ignore)
    Assert.Contains("Clamp of 1 float64 arguments", e.Message)
