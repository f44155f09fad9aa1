/// Convolutions and pooling: closed forms, agreement with the definition written as plain loops
/// (every stride, padding, dilation and group setting), the transposed convolution as the
/// adjoint of the convolution, derivatives to second order against finite differences,
/// batching like a loop, compilation, and clear refusals of bad input.
module FunctionalAD.Tests.ConvolutionTests

open Xunit
open FunctionalAD
open FunctionalAD.Tests.TestSupport

/// The convolution by its definition: y[n, o, p, q] = Σ x[n, g·C/G + c, p·sh − top + i·dh,
/// q·sw − left + j·dw] · w[o, c, i, j] over the taps inside the input (zero padding).
let private definition (sh, sw) (top, bottom, left, right) (dh, dw) groups (x: Tensor) (w: Tensor) =
    let xs, ws = x.Shape, w.Shape
    let n, c, h, width = xs[0], xs[1], xs[2], xs[3]
    let o, cg, kh, kw = ws[0], ws[1], ws[2], ws[3]
    let oh = (h + top + bottom - dh * (kh - 1) - 1) / sh + 1
    let ow = (width + left + right - dw * (kw - 1) - 1) / sw + 1
    let xv, wv = x.ToArray(), w.ToArray()
    let og = o / groups
    let out =
        Array.init (n * o * oh * ow) (fun k ->
            let q = k % ow
            let p = k / ow % oh
            let oc = k / (ow * oh) % o
            let b = k / (ow * oh * o)
            let g = oc / og
            let mutable acc = 0.0
            for ci in 0 .. cg - 1 do
                for i in 0 .. kh - 1 do
                    for j in 0 .. kw - 1 do
                        let y, z = p * sh - top + i * dh, q * sw - left + j * dw
                        if y >= 0 && y < h && z >= 0 && z < width then
                            acc <- acc + xv[((b * c + g * cg + ci) * h + y) * width + z] * wv[((oc * cg + ci) * kh + i) * kw + j]
            acc)
    Tensor.create [| n; o; oh; ow |] out

let private image = Tensor.reshape [| 1; 1; 4; 4 |] (Tensor.arange 16)

[<Fact>]
let ``conv2d, pooling and the transposed convolution give their closed forms`` () =
    // A 2×2 kernel of ones sums each window: 16i + 4j + 10 at (i, j).
    let sums = Tensor.conv2d 1 0 image (Tensor.ones [| 1; 1; 2; 2 |])
    assertTensorClose 0.0 (Tensor.reshape [| 1; 1; 3; 3 |] (Tensor.ofArray [| 10.0; 14.0; 18.0; 26.0; 30.0; 34.0; 42.0; 46.0; 50.0 |])) sums
    let planar (rows: float list list) = Tensor.reshape [| 1; 1; rows.Length; rows.Head.Length |] (mat rows)
    assertTensorClose 0.0 (planar [ [ 5.0; 7.0 ]; [ 13.0; 15.0 ] ]) (Tensor.maxPool2d 2 2 image)
    assertTensorClose 0.0 (planar [ [ 10.0; 11.0 ]; [ 14.0; 15.0 ] ]) (Tensor.maxPool2d 3 1 image)
    assertTensorClose 1e-15 (planar [ [ 2.5; 4.5 ]; [ 10.5; 12.5 ] ]) (Tensor.avgPool2d 2 2 image)
    // torch.nn.functional.max_pool2d(x, 2, 2, padding=1): the −∞ padding never wins.
    assertTensorClose 0.0 (planar [ [ 0.0; 2.0; 3.0 ]; [ 8.0; 10.0; 11.0 ]; [ 12.0; 14.0; 15.0 ] ]) (Tensor.maxPool2dWith (2, 2) (2, 2) (1, 1) image)
    // avg_pool2d(x, 2, 2, padding=1) counts the zero padding.
    assertTensorClose 1e-15 (planar [ [ 0.0; 0.75; 0.75 ]; [ 3.0; 7.5; 4.5 ]; [ 3.0; 6.75; 3.75 ] ]) (Tensor.avgPool2dWith (2, 2) (2, 2) (1, 1) image)
    assertTensorClose 1e-15 (mat [ [ 7.5 ] ]) (Tensor.globalAvgPool2d image)
    // conv_transpose2d with stride 2 and a 2×2 kernel of ones repeats each entry in a 2×2 block.
    let blocks = Tensor.convTranspose2d 2 0 (planar [ [ 1.0; 2.0 ]; [ 3.0; 4.0 ] ]) (Tensor.ones [| 1; 1; 2; 2 |])
    assertTensorClose 0.0 (planar [ [ 1.0; 1.0; 2.0; 2.0 ]; [ 1.0; 1.0; 2.0; 2.0 ]; [ 3.0; 3.0; 4.0; 4.0 ]; [ 3.0; 3.0; 4.0; 4.0 ] ]) blocks
    // conv1d of [1, 2, 3, 4] with [1, −1], padding 1: [−1, −1, −1, −1, 4].
    let signal = Tensor.reshape [| 1; 1; 4 |] (vec [ 1.0; 2.0; 3.0; 4.0 ])
    assertTensorClose 0.0 (Tensor.reshape [| 1; 1; 5 |] (vec [ -1.0; -1.0; -1.0; -1.0; 4.0 ])) (Tensor.conv1d 1 1 signal (Tensor.reshape [| 1; 1; 2 |] (vec [ 1.0; -1.0 ])))

/// The settings the definition is checked under: (stride, (top, bottom, left, right), dilation,
/// groups), with the options that say the same.
let private settings =
    let pad (top, bottom) (left, right) = ConvPadding.Pad(top, bottom), ConvPadding.Pad(left, right)
    [ (1, 1), (0, 0, 0, 0), (1, 1), 1, Conv2dOptions.Default
      (2, 3), (1, 2, 0, 1), (1, 1), 1, { Conv2dOptions.Default with Stride = (2, 3); Padding = pad (1, 2) (0, 1) }
      (1, 2), (0, 0, 2, 2), (2, 1), 2, { Conv2dOptions.Default with Stride = (1, 2); Padding = pad (0, 0) (2, 2); Dilation = (2, 1); Groups = 2 }
      (1, 1), (1, 2, 1, 1), (1, 1), 4, { Conv2dOptions.Default with Padding = (ConvPadding.Same, ConvPadding.Same); Groups = 4 }
      (1, 1), (3, 3, 1, 1), (2, 1), 1, { Conv2dOptions.Default with Padding = (ConvPadding.Same, ConvPadding.Same); Dilation = (2, 1) } ]

[<Fact>]
let ``conv2d agrees with its definition for every stride, padding, dilation and group setting`` () =
    let x = Tensor.randomUniform 1 -1.0 1.0 [| 2; 4; 7; 6 |]
    for stride, padding, dilation, groups, options in settings do
        // 4 × 3 kernels, so 'same' pads an odd total on rows (the extra one below).
        let w = Tensor.randomUniform 2 -1.0 1.0 [| 8; 4 / groups; 4; 3 |]
        assertTensorClose 1e-14 (definition stride padding dilation groups x w) (Tensor.conv2dWith options x w)

[<Fact>]
let ``the transposed convolution is the adjoint of the convolution`` () =
    // ⟨conv(x, w), y⟩ = ⟨x, convT(y, w)⟩ for the same stride, padding, dilation and groups, with
    // the output padding that gives back x's size.
    let x = Tensor.randomUniform 3 -1.0 1.0 [| 2; 4; 9; 8 |]
    for stride, dilation, groups in [ (2, 3), (1, 1), 1; (1, 1), (2, 2), 2; (3, 2), (1, 2), 4 ] do
        let w = Tensor.randomUniform 4 -1.0 1.0 [| 8; 4 / groups; 3; 2 |]
        let options = { Conv2dOptions.Default with Stride = stride; Padding = (ConvPadding.Pad(1, 1), ConvPadding.Pad(1, 1)); Dilation = dilation; Groups = groups }
        let y0 = Tensor.conv2dWith options x w
        let y = Tensor.randomUniform 5 -1.0 1.0 y0.Shape
        let extra (size: int) (out: int) (s: int) (d: int) (k: int) = size - ((out - 1) * s - 2 + d * (k - 1) + 1)
        let outputPadding = (extra 9 y.Shape[2] (fst stride) (fst dilation) 3, extra 8 y.Shape[3] (snd stride) (snd dilation) 2)
        let back = Tensor.convTranspose2dWith { Stride = stride; Padding = (1, 1); OutputPadding = outputPadding; Dilation = dilation; Groups = groups } y w
        Assert.Equal<int[]>(x.Shape, back.Shape)
        assertClose 1e-13 (scalarOf (Tensor.sum (y0 * y))) (scalarOf (Tensor.sum (x * back)))

/// Central differences, first and second order, of a function of one flat vector.
let private checkFirstAndSecond (f: Tensor -> Tensor) (x: Tensor) =
    let scalarised (v: Tensor) = let y = f v in Tensor.sum (Tensor.flatten y * Tensor.randomUniform 99 0.5 1.5 [| y.Size |])
    assertTensorClose 1e-6 (Numerical.gradient scalarised x) (AD.grad scalarised x)
    assertTensorClose 1e-6 (Numerical.jacobian (AD.grad scalarised) x) (AD.hessian scalarised x)

/// An input [1, 2, 5, 4] and a kernel [4, 1, 3, 2] read from one vector (groups = 2).
let private inputAndKernel (v: Tensor) =
    Tensor.reshape [| 1; 2; 5; 4 |] (Tensor.slice [| (0, 40, 1) |] v), Tensor.reshape [| 4; 1; 3; 2 |] (Tensor.slice [| (40, 64, 1) |] v)

[<Fact>]
let ``convolution and pooling derivatives match finite differences to second order`` () =
    let v = Tensor.randomUniform 6 -1.0 1.0 [| 64 |] + 0.01 * Tensor.arange 64
    let options = { Conv2dOptions.Default with Stride = (2, 1); Padding = (ConvPadding.Pad(1, 0), ConvPadding.Same); Groups = 2 }
    checkFirstAndSecond (fun v -> let x, w = inputAndKernel v in tanh (Tensor.conv2dWith options x w)) v
    checkFirstAndSecond (fun v ->
        let x, w = inputAndKernel v
        Tensor.convTranspose2dWith { ConvTranspose2dOptions.Default with Stride = (2, 2); OutputPadding = (1, 0); Groups = 2 } (x * x) (Tensor.reshape [| 2; 2; 3; 2 |] w)) v
    checkFirstAndSecond (fun v ->
        let signal, kernel = Tensor.reshape [| 2; 2; 10 |] (Tensor.slice [| (0, 40, 1) |] v), Tensor.reshape [| 3; 2; 4 |] (Tensor.slice [| (40, 64, 1) |] v)
        Tensor.conv1dWith { Stride = 2; Padding = ConvPadding.Pad(2, 1); Dilation = 2; Groups = 1 } signal kernel |> Tensor.square) v
    // Distinct values (the slope 0.01 · k), so no window has tied maxima.
    let x = Tensor.slice [| (0, 40, 1) |] v
    checkFirstAndSecond (fun x -> Tensor.square (Tensor.maxPool2dWith (2, 3) (2, 1) (1, 1) (Tensor.reshape [| 1; 2; 5; 4 |] x))) x
    checkFirstAndSecond (fun x -> Tensor.square (Tensor.avgPool2dWith (3, 2) (1, 2) (1, 1) (Tensor.reshape [| 2; 1; 5; 4 |] x))) x
    checkFirstAndSecond (fun x -> Tensor.exp (Tensor.globalAvgPool2d (Tensor.reshape [| 2; 2; 5; 2 |] x))) x

[<Fact>]
let ``tied maxima share the derivative evenly`` () =
    let g = AD.grad (fun x -> Tensor.sum (Tensor.maxPool2d 2 2 x)) (Tensor.ones [| 1; 1; 2; 4 |])
    assertTensorClose 0.0 (Tensor.full [| 1; 1; 2; 4 |] 0.25) g
    // Overlapping windows add their shares: the centre of a 3 × 3 input is in all four 2 × 2 windows.
    let center = Tensor.reshape [| 1; 1; 3; 3 |] (vec [ 0.0; 0.0; 0.0; 0.0; 1.0; 0.0; 0.0; 0.0; 0.0 ])
    assertTensorClose 0.0 (Tensor.reshape [| 1; 1; 3; 3 |] (vec [ 0.0; 0.0; 0.0; 0.0; 4.0; 0.0; 0.0; 0.0; 0.0 ])) (AD.grad (fun x -> Tensor.sum (Tensor.maxPool2d 2 1 x)) center)

let private agreesWithLoop (f: Tensor -> Tensor) (xs: Tensor) =
    let loop = Tensor.stack 0 (Array.init xs.Shape[0] (fun b -> f (Tensor.index 0 b xs)))
    assertTensorClose 1e-13 loop (AD.vmap f xs)

[<Fact>]
let ``convolution and pooling batch like a loop, over the input and over the kernel`` () =
    let xs = Tensor.randomUniform 7 -1.0 1.0 [| 3; 2; 4; 5; 6 |]
    let w = Tensor.randomUniform 8 -1.0 1.0 [| 6; 2; 3; 3 |]
    let options = { Conv2dOptions.Default with Stride = (1, 2); Padding = (ConvPadding.Same, ConvPadding.Pad(1, 2)); Groups = 2 }
    agreesWithLoop (fun x -> Tensor.conv2dWith options x w) xs
    agreesWithLoop (Tensor.maxPool2dWith (2, 2) (1, 2) (1, 0)) xs
    agreesWithLoop (fun x -> Tensor.avgPool2d 2 1 x + Tensor.reshape [| 2; 4; 1; 1 |] (Tensor.globalAvgPool2d x)) xs
    agreesWithLoop (fun x -> Tensor.convTranspose2dWith { ConvTranspose2dOptions.Default with Stride = (2, 1); Groups = 2 } x (Tensor.slice [| (0, 4, 1); (0, 2, 1); (0, 3, 1); (0, 3, 1) |] w)) xs
    let kernels = Tensor.randomUniform 9 -1.0 1.0 [| 4; 6; 2; 3; 3 |]
    let x = Tensor.index 0 0 xs
    agreesWithLoop (fun w -> Tensor.conv2dWith options x w) kernels
    agreesWithLoop (AD.grad (fun w -> Tensor.sum (tanh (Tensor.conv2dWith options x w)))) kernels
    let dense = Tensor.randomUniform 12 -1.0 1.0 [| 3; 4; 3; 3 |]
    agreesWithLoop (AD.grad (fun x -> Tensor.sum (Tensor.square (Tensor.maxPool2d 2 2 (Tensor.conv2d 1 1 x dense))))) xs

[<Fact>]
let ``convolution and pooling compile, with their gradients`` () =
    let w = Tensor.randomUniform 10 -1.0 1.0 [| 3; 2; 3; 3 |]
    let f (x: Tensor) = Tensor.maxPool2d 2 2 (Tensor.relu (Tensor.conv2d 1 1 x w)) |> Tensor.avgPool2d 2 1 |> Tensor.globalAvgPool2d
    let x = Tensor.randomUniform 11 -1.0 1.0 [| 2; 2; 6; 6 |]
    assertTensorClose 1e-14 (f x) (Compile.compile f x)
    let g = AD.grad (fun x -> Tensor.sum (f x))
    assertTensorClose 1e-13 (g x) (Compile.compile g x)
    // The patches and their transpose write into the plan's buffers (no eager step that allocates).
    let steps = (Compile.summarize g x).StepNames
    Assert.Contains(steps, fun step -> step.StartsWith "patches")
    Assert.Contains(steps, fun step -> step.StartsWith "unpatches")
    Assert.DoesNotContain(steps, fun step -> step.Contains "eager" && step.Contains "patches")

let private refusal (action: unit -> Tensor) = Assert.Throws<ShapeMismatchException>(fun () -> action () |> ignore)

[<Fact>]
let ``bad kernels, groups, ranks and settings are refused naming the operation, the shapes and the argument`` () =
    let x = Tensor.zeros [| 1; 4; 3; 3 |]
    let large = refusal (fun () -> Tensor.conv2d 1 0 x (Tensor.zeros [| 2; 4; 4; 2 |]))
    Assert.Equal("conv2d", large.Operation)
    Assert.Equal("kernel", large.ParamName)
    Assert.Contains("is larger than the padded input (3×3)", large.Message)
    Assert.Contains("[1,4,3,3] and [2,4,4,2]", large.Message)
    Assert.Contains("(4×2, spanning 4×3 with dilation)", (refusal (fun () -> Tensor.conv2dWith { Conv2dOptions.Default with Dilation = (1, 2); Padding = (ConvPadding.Valid, ConvPadding.Valid) } x (Tensor.zeros [| 2; 4; 4; 2 |]))).Message)
    let groups = refusal (fun () -> Tensor.conv2dWith { Conv2dOptions.Default with Groups = 3 } x (Tensor.zeros [| 3; 1; 1; 1 |]))
    Assert.Equal("groups", groups.ParamName)
    Assert.Contains("3 groups must divide both the 4 input channels and the 3 output channels", groups.Message)
    Assert.Contains("the kernel must be [2, 2, 1, 1] for 4 input channels in 2 groups", (refusal (fun () -> Tensor.conv2dWith { Conv2dOptions.Default with Groups = 2 } x (Tensor.zeros [| 2; 4; 1; 1 |]))).Message)
    Assert.Equal("input", (refusal (fun () -> Tensor.conv2d 1 0 (Tensor.zeros [| 4; 3; 3 |]) (Tensor.zeros [| 1; 4; 1; 1 |]))).ParamName)
    Assert.Contains("padding 'same' needs stride 1 (the stride is 2)", (refusal (fun () -> Tensor.conv2dWith { Conv2dOptions.Default with Stride = (2, 2); Padding = (ConvPadding.Same, ConvPadding.Same) } x (Tensor.zeros [| 1; 4; 1; 1 |]))).Message)
    Assert.Equal("stride", (refusal (fun () -> Tensor.conv2d 0 0 x (Tensor.zeros [| 1; 4; 1; 1 |]))).ParamName)
    Assert.Equal("padding", (refusal (fun () -> Tensor.conv2d 1 -1 x (Tensor.zeros [| 1; 4; 1; 1 |]))).ParamName)
    Assert.Equal("conv1d", (refusal (fun () -> Tensor.conv1d 1 0 x (Tensor.zeros [| 1; 4; 1 |]))).Operation)
    let pool = refusal (fun () -> Tensor.maxPool2d 4 1 x)
    Assert.Equal("maxPool2d", pool.Operation)
    Assert.Contains("larger than the padded input (3×3)", pool.Message)
    Assert.Contains("at most half the 2×2 window", (refusal (fun () -> Tensor.maxPool2dWith (2, 2) (1, 1) (2, 0) x)).Message)
    Assert.Equal("avgPool2d", (refusal (fun () -> Tensor.avgPool2d 2 1 (Tensor.zeros [| 3; 3 |]))).Operation)
    Assert.Equal("globalAvgPool2d", (refusal (fun () -> Tensor.globalAvgPool2d (Tensor.zeros [| 3; 3 |]))).Operation)
    let outputPadding = refusal (fun () -> Tensor.convTranspose2dWith { ConvTranspose2dOptions.Default with OutputPadding = (1, 0) } x (Tensor.zeros [| 4; 1; 2; 2 |]))
    Assert.Equal("convTranspose2d", outputPadding.Operation)
    Assert.Equal("outputPadding", outputPadding.ParamName)
    let rank = refusal (fun () -> Tensor.convTranspose2d 1 0 (Tensor.zeros [| 4; 3; 3 |]) (Tensor.zeros [| 4; 1; 2; 2 |]))
    Assert.Equal("input", rank.ParamName)
    Assert.Contains("the input must have rank 4 ([N, C, H, W]); it has rank 3", rank.Message)
    Assert.Equal("kernel", (refusal (fun () -> Tensor.convTranspose2d 1 0 x (Tensor.zeros [| 4; 2; 2 |]))).ParamName)
    Assert.Contains("kernel must be [4, out channels / groups, 2, 2]", (refusal (fun () -> Tensor.convTranspose2d 1 0 x (Tensor.zeros [| 3; 1; 2; 2 |]))).Message)
