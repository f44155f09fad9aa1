/// Indexing along an axis, scans, flips, padding, norms and variance: closed-form values (as
/// NumPy and PyTorch give them), the derivative conventions at zero, batching like a loop,
/// compilation, and clear refusals of bad input. Finite-difference checks to second order are
/// among PrimitiveTests' tensor cases.
module FunctionalAD.Tests.IndexingTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Tests.TestSupport

let private x34 = Tensor.reshape [| 3; 4 |] (Tensor.arange 12)
let private labels = mat [ [ 3.0; 3.0 ]; [ 0.0; 2.0 ]; [ 1.0; 0.0 ] ]

[<Fact>]
let ``takeAlongAxis, scatterAdd, oneHot and embedding give NumPy's and PyTorch's values`` () =
    // np.take_along_axis(arange(12).reshape(3, 4), [[3, 3], [0, 2], [1, 0]], axis=1)
    assertTensorClose 0.0 (mat [ [ 3.0; 3.0 ]; [ 4.0; 6.0 ]; [ 9.0; 8.0 ] ]) (Tensor.takeAlongAxis 1 labels x34)
    assertTensorClose 0.0 (mat [ [ 8.0; 1.0; 6.0; 3.0 ] ]) (Tensor.takeAlongAxis -2 (mat [ [ 2.0; 0.0; 1.0; 0.0 ] ]) x34)
    // torch.zeros(3, 4).scatter_add(1, index, ones): repeated indices add up.
    assertTensorClose 0.0 (mat [ [ 0.0; 0.0; 0.0; 2.0 ]; [ 1.0; 0.0; 1.0; 0.0 ]; [ 1.0; 1.0; 0.0; 0.0 ] ]) (Tensor.scatterAdd 1 labels (Tensor.ones [| 3; 2 |]) (Tensor.zeros [| 3; 4 |]))
    // torch.zeros(3, 4).index_add(0, [2, 0, 2], x34): rows 0 and 2 of x34 both land in row 2.
    assertTensorClose 0.0 (mat [ [ 4.0; 5.0; 6.0; 7.0 ]; [ 0.0; 0.0; 0.0; 0.0 ]; [ 8.0; 10.0; 12.0; 14.0 ] ]) (Tensor.indexAdd 0 [| 2; 0; 2 |] x34 (Tensor.zeros [| 3; 4 |]))
    assertTensorClose 0.0 (mat [ [ 0.0; 1.0; 0.0 ]; [ 0.0; 0.0; 1.0 ] ]) (Tensor.oneHot 3 (vec [ 1.0; 2.0 ]))
    Assert.Equal<int[]>([| 3; 2; 5 |], (Tensor.oneHot 5 labels).Shape)
    let rows = Tensor.embedding (mat [ [ 2.0; 0.0 ]; [ 2.0; 2.0 ] ]) x34
    Assert.Equal<int[]>([| 2; 2; 4 |], rows.Shape)
    assertTensorClose 0.0 (Tensor.index 0 2 x34) (Tensor.index 0 0 (Tensor.index 0 1 rows))

[<Fact>]
let ``the gradients of takeAlongAxis and embedding are scatter-adds`` () =
    let counts = mat [ [ 0.0; 0.0; 0.0; 2.0 ]; [ 1.0; 0.0; 1.0; 0.0 ]; [ 1.0; 1.0; 0.0; 0.0 ] ]
    assertTensorClose 0.0 counts (AD.grad (fun x -> Tensor.sum (Tensor.takeAlongAxis 1 labels x)) x34)
    let embedded = AD.grad (fun t -> Tensor.sum (Tensor.embedding (vec [ 1.0; 1.0; 0.0 ]) t)) x34
    assertTensorClose 0.0 (mat [ [ 1.0; 1.0; 1.0; 1.0 ]; [ 2.0; 2.0; 2.0; 2.0 ]; [ 0.0; 0.0; 0.0; 0.0 ] ]) embedded
    // x34[:, [3, 0, 3]] and its transpose, entries of one element each (the kernels' direct path).
    assertTensorClose 0.0 (mat [ [ 3.0; 0.0; 3.0 ]; [ 7.0; 4.0; 7.0 ]; [ 11.0; 8.0; 11.0 ] ]) (Tensor.gather 1 [| 3; 0; 3 |] x34)
    let weights = mat [ [ 1.0; 2.0; 3.0 ]; [ 4.0; 5.0; 6.0 ]; [ 7.0; 8.0; 9.0 ] ]
    assertTensorClose 0.0 (mat [ [ 2.0; 0.0; 0.0; 4.0 ]; [ 5.0; 0.0; 0.0; 10.0 ]; [ 8.0; 0.0; 0.0; 16.0 ] ]) (AD.grad (fun x -> Tensor.sum (Tensor.gather 1 [| 3; 0; 3 |] x * weights)) x34)
    // Forward and reverse mode agree (the JVP is the primitive itself, the VJP its transpose).
    let f x = Tensor.scatterAdd 0 (mat [ [ 1.0; 1.0; 0.0; 2.0 ] ]) (Tensor.takeAlongAxis 1 labels x |> Tensor.sumAxes [| 1 |] false |> Tensor.reshape [| 1; 3 |] |> Tensor.pad (PadMode.Constant 0.0) [| (0, 0); (0, 1) |]) (x * x)
    assertTensorClose 1e-14 (AD.jacrev f x34) (AD.jacfwd f x34)

[<Fact>]
let ``cumsum, cumprod, flip and pad give NumPy's values`` () =
    assertTensorClose 0.0 (mat [ [ 0.0; 1.0; 3.0; 6.0 ]; [ 4.0; 9.0; 15.0; 22.0 ]; [ 8.0; 17.0; 27.0; 38.0 ] ]) (Tensor.cumsum -1 x34)
    assertTensorClose 0.0 (vec [ 2.0; 6.0; 24.0; 0.0; 0.0; 0.0; 0.0 ]) (Tensor.cumprod 0 (vec [ 2.0; 3.0; 4.0; 0.0; 5.0; 6.0; 7.0 ]))
    assertTensorClose 0.0 (mat [ [ 11.0; 10.0; 9.0; 8.0 ]; [ 7.0; 6.0; 5.0; 4.0 ]; [ 3.0; 2.0; 1.0; 0.0 ] ]) (Tensor.flip [| 0; -1 |] x34)
    // np.pad([1, 2, 3, 4], (2, 3), 'reflect') and np.pad(…, (1, 2), constant_values=-1)
    assertTensorClose 0.0 (vec [ 3.0; 2.0; 1.0; 2.0; 3.0; 4.0; 3.0; 2.0; 1.0 ]) (Tensor.pad PadMode.Reflect [| (2, 3) |] (vec [ 1.0; 2.0; 3.0; 4.0 ]))
    assertTensorClose 0.0 (vec [ -1.0; 1.0; 2.0; -1.0; -1.0 ]) (Tensor.pad (PadMode.Constant -1.0) [| (1, 2) |] (vec [ 1.0; 2.0 ]))
    Assert.Equal<int[]>([| 4; 7 |], (Tensor.pad PadMode.Reflect [| (0, 1); (3, 0) |] x34).Shape)

[<Fact>]
let ``cumprod has exact derivatives at zeros, with no NaN`` () =
    // Σ cumprod [a; b; c] = a + ab + abc: gradient (1 + b + bc, a + ac, ab).
    let x = vec [ 2.0; 0.0; 3.0 ]
    assertTensorClose 0.0 (vec [ 1.0; 8.0; 0.0 ]) (AD.grad (fun x -> Tensor.sum (Tensor.cumprod 0 x)) x)
    // Hessian: ∂²/∂a∂b = 1 + c = 4, ∂²/∂a∂c = b = 0, ∂²/∂b∂c = a = 2.
    assertTensorClose 0.0 (mat [ [ 0.0; 4.0; 0.0 ]; [ 4.0; 0.0; 2.0 ]; [ 0.0; 2.0; 0.0 ] ]) (AD.hessian (fun x -> Tensor.sum (Tensor.cumprod 0 x)) x)

[<Fact>]
let ``norms, variance and standard deviation give NumPy's values`` () =
    let v = vec [ 3.0; -4.0; 0.0; 12.0 ]
    assertClose 1e-15 19.0 (scalarOf (Tensor.norm 1.0 v))
    assertClose 1e-15 13.0 (scalarOf (Tensor.norm 2.0 v))
    assertClose 1e-15 12.0 (scalarOf (Tensor.norm infinity v))
    assertClose 1e-14 (Math.Pow(27.0 + 64.0 + 1728.0, 1.0 / 3.0)) (scalarOf (Tensor.norm 3.0 v))
    // np.linalg.norm(arange(12).reshape(3, 4)) = √506; per row with keepdims.
    assertClose 1e-15 (sqrt 506.0) (scalarOf (Tensor.norm 2.0 x34))
    assertTensorClose 1e-15 (mat [ [ sqrt 14.0 ]; [ sqrt 126.0 ]; [ sqrt 366.0 ] ]) (Tensor.normAxes 2.0 [| 1 |] true x34)
    // np.var(arange(12)) = 143/12, ddof=1: 13; np.std(x34, axis=0) = √(32/3).
    assertClose 1e-15 (143.0 / 12.0) (scalarOf (Tensor.var 0 (Tensor.arange 12)))
    assertClose 1e-15 13.0 (scalarOf (Tensor.var 1 (Tensor.arange 12)))
    assertTensorClose 1e-15 (Tensor.full [| 4 |] (sqrt (32.0 / 3.0))) (Tensor.stdAxes 0 [| 0 |] false x34)
    assertClose 0.0 0.0 (scalarOf (Tensor.normAxes infinity [| 0 |] false (Tensor.zeros [| 0; 2 |]) |> Tensor.sum))

[<Fact>]
let ``norms and std have derivative 0 at zero, to second order and in both modes`` () =
    let zero = Tensor.zeros [| 4 |]
    for p in [ 1.0; 1.5; 2.0; 3.0; infinity ] do
        let f = Tensor.norm p
        assertTensorClose 0.0 zero (AD.grad f zero)
        assertTensorClose 0.0 (Tensor.zeros [| 4; 4 |]) (AD.hessian f zero)
        assertTensorClose 0.0 zero (AD.jacfwd f zero)
    // A constant sample has variance 0: std's derivative there is 0, var's is 2(x − mean)/n = 0.
    let constant = Tensor.full [| 5 |] 2.5
    assertTensorClose 0.0 (Tensor.zeros [| 5 |]) (AD.grad (Tensor.std 1) constant)
    assertTensorClose 0.0 (Tensor.zeros [| 5; 5 |]) (AD.hessian (Tensor.std 0) constant)
    assertTensorClose 0.0 (Tensor.zeros [| 5 |]) (AD.grad (Tensor.var 0) constant)
    // Away from zero the 2-norm's gradient is x/‖x‖.
    let v = vec [ 3.0; -4.0 ]
    assertTensorClose 1e-15 (vec [ 0.6; -0.8 ]) (AD.grad (Tensor.norm 2.0) v)

/// The function applied to each example along axis 0, stacked along axis 0.
let private perExample (f: Tensor -> Tensor) (xs: Tensor) = Tensor.stack 0 (Array.init xs.Shape[0] (fun b -> f (Tensor.index 0 b xs)))

let private agreesWithLoop (f: Tensor -> Tensor) (xs: Tensor) = assertTensorClose 1e-13 (perExample f xs) (AD.vmap f xs)

[<Fact>]
let ``the new functions batch like a loop, and so do their gradients`` () =
    let xs = Tensor.randomUniform 3 -1.0 1.0 [| 5; 3; 4 |]
    agreesWithLoop (Tensor.takeAlongAxis 1 labels) xs
    agreesWithLoop (Tensor.takeAlongAxis 0 (mat [ [ 2.0; 0.0; 1.0; 0.0 ] ])) xs
    agreesWithLoop (fun x -> Tensor.scatterAdd 1 labels (Tensor.slice [| (0, 3, 1); (1, 3, 1) |] x) x) xs
    agreesWithLoop (fun x -> Tensor.scatterAdd 1 labels (Tensor.slice [| (0, 3, 1); (1, 3, 1) |] x) (Tensor.ones [| 3; 4 |])) xs
    agreesWithLoop (Tensor.embedding (vec [ 2.0; 2.0; 0.0 ])) xs
    agreesWithLoop (fun x -> Tensor.indexAdd 1 [| 3; 3 |] (Tensor.slice [| (0, 3, 1); (0, 2, 1) |] x) x) xs
    agreesWithLoop (fun x -> Tensor.cumsum 1 x + Tensor.cumprod 0 x) xs
    agreesWithLoop (Tensor.flip [| 0; 1 |]) xs
    agreesWithLoop (Tensor.pad PadMode.Reflect [| (2, 1); (1, 3) |]) xs
    agreesWithLoop (Tensor.pad (PadMode.Constant 0.5) [| (1, 0); (0, 2) |]) xs
    agreesWithLoop (fun x -> Tensor.normAxes 2.0 [| 1 |] false x + Tensor.normAxes infinity [| 1 |] false x + Tensor.norm 3.0 x) xs
    agreesWithLoop (fun x -> Tensor.varAxes 1 [| 0 |] false x * Tensor.std 0 x) xs
    agreesWithLoop (AD.grad (fun x -> Tensor.sum (Tensor.square (Tensor.takeAlongAxis 1 labels x)) + Tensor.sum (Tensor.cumsum 0 x * x))) xs
    agreesWithLoop (Tensor.oneHot 4) (mat [ [ 0.0; 3.0 ]; [ 1.0; 1.0 ] ])

[<Fact>]
let ``the new functions compile`` () =
    let f (x: Tensor) = Tensor.cumsum 0 (Tensor.takeAlongAxis 1 labels x) * Tensor.norm 2.0 (Tensor.flip [| 1 |] x) + Tensor.std 1 (Tensor.pad PadMode.Reflect [| (1, 1); (2, 2) |] x)
    let x = Tensor.randomUniform 4 -1.0 1.0 [| 3; 4 |]
    assertTensorClose 1e-14 (f x) (Compile.compile f x)
    let g = AD.grad (fun x -> Tensor.sum (f x))
    assertTensorClose 1e-13 (g x) (Compile.compile g x)

let private refusal (action: unit -> Tensor) =
    Assert.Throws<ShapeMismatchException>(fun () -> action () |> ignore)

[<Fact>]
let ``bad indices, ranks, widths and parameters are refused naming the operation, the shapes and the argument`` () =
    let e = refusal (fun () -> Tensor.takeAlongAxis 1 (mat [ [ 4.0 ]; [ 0.0 ]; [ 0.0 ] ]) x34)
    Assert.Equal("takeAlongAxis", e.Operation)
    Assert.Equal("indices", e.ParamName)
    Assert.Contains("index 4 is refused: indices are whole numbers in 0 … 3", e.Message)
    Assert.Contains("an empty axis has no indices", (refusal (fun () -> Tensor.takeAlongAxis 0 (Tensor.zeros [| 1 |]) (Tensor.zeros [| 0 |]))).Message)
    Assert.Contains("[3,4]", e.Message)
    Assert.Contains("index 0.5", (refusal (fun () -> Tensor.takeAlongAxis 1 (mat [ [ 0.5 ]; [ 0.0 ]; [ 0.0 ] ]) x34)).Message)
    Assert.Contains("index -1", (refusal (fun () -> Tensor.takeAlongAxis 1 (mat [ [ -1.0 ]; [ 0.0 ]; [ 0.0 ] ]) x34)).Message)
    let rank = refusal (fun () -> Tensor.takeAlongAxis 1 (vec [ 0.0 ]) x34)
    Assert.Contains("the indices have rank 1 where the tensor has rank 2", rank.Message)
    Assert.Contains("[3,4] and [1]", rank.Message)
    Assert.Contains("dimension 0 is 2 in the indices and 3 in the tensor", (refusal (fun () -> Tensor.takeAlongAxis 1 (Tensor.zeros [| 2; 1 |]) x34)).Message)
    Assert.Equal("axes", (refusal (fun () -> Tensor.takeAlongAxis 2 labels x34)).ParamName)
    Assert.Equal("source", (refusal (fun () -> Tensor.scatterAdd 1 labels (Tensor.ones [| 3; 1 |]) x34)).ParamName)
    Assert.Equal("scatterAdd", (refusal (fun () -> Tensor.scatterAdd 1 (Tensor.full [| 3; 1 |] 7.0) (Tensor.ones [| 3; 1 |]) x34)).Operation)
    Assert.Equal("labels", (refusal (fun () -> Tensor.oneHot 3 (vec [ 3.0 ]))).ParamName)
    Assert.Contains("index 3 is outside axis 0 of length 3", (refusal (fun () -> Tensor.indexAdd 0 [| 3 |] (Tensor.zeros [| 1; 4 |]) x34)).Message)
    Assert.Equal("source", (refusal (fun () -> Tensor.indexAdd 0 [| 0; 1 |] (Tensor.zeros [| 1; 4 |]) x34)).ParamName)
    Assert.Equal("embedding", (refusal (fun () -> Tensor.embedding (vec [ 3.0 ]) x34)).Operation)
    Assert.Equal("table", (refusal (fun () -> Tensor.embedding (vec [ 0.0 ]) (s 1.0))).ParamName)
    let negative = refusal (fun () -> Tensor.pad (PadMode.Constant 0.0) [| (1, -1); (0, 0) |] x34)
    Assert.Equal("pad", negative.Operation)
    Assert.Equal("widths", negative.ParamName)
    Assert.Contains("axis 0: the widths (1, -1) must not be negative", negative.Message)
    Assert.Contains("axis 1 of length 4 cannot be reflected by (0, 4)", (refusal (fun () -> Tensor.pad PadMode.Reflect [| (0, 0); (0, 4) |] x34)).Message)
    Assert.Contains("2 (before, after) pairs for 1 axes", (refusal (fun () -> Tensor.pad PadMode.Reflect [| (0, 0); (0, 0) |] (vec [ 1.0 ]))).Message)
    Assert.Equal("axes", (refusal (fun () -> Tensor.cumsum 2 x34)).ParamName)
    Assert.Equal("axes", (refusal (fun () -> Tensor.flip [| 0; 0 |] x34)).ParamName)
    Assert.Equal("p", (refusal (fun () -> Tensor.norm 0.5 x34)).ParamName)
    Assert.Equal("p", (refusal (fun () -> Tensor.norm nan x34)).ParamName)
    let ddof = refusal (fun () -> Tensor.var 12 x34)
    Assert.Equal("var", ddof.Operation)
    Assert.Equal("ddof", ddof.ParamName)
    let negativeDdof = refusal (fun () -> Tensor.stdAxes -1 [| 0 |] false x34)
    Assert.Equal("std", negativeDdof.Operation)
    Assert.Equal("ddof", negativeDdof.ParamName)
