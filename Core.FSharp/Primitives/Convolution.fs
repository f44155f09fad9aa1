namespace FunctionalAD.Primitives

open FunctionalAD
open FunctionalAD.Primitives.Arithmetic

/// Convolutions and pooling over [N, C, H, W] arrays. One pair of linear primitives does the
/// work of all of them: `patches` (im2col: every window laid out as a column) and its transpose
/// `unpatches` (col2im). A convolution is the kernel matrix times the patches (one product on
/// the active provider), a pooling a reduction over each patch; so their derivatives of every
/// order, their batching and their compiled form come from the primitives they are made of.
/// The backward convolutions are that product's rules: the kernel's cotangent is the output's
/// cotangent times the patches transposed, the input's the kernel transposed times the output's
/// cotangent, added back by `unpatches`.
module internal Convolution =
    let private windowParameters (w: Window) : Parameters =
        [ ints "kernel" [| w.KernelH; w.KernelW |]; ints "stride" [| w.StrideH; w.StrideW |]
          ints "padding" [| w.PadTop; w.PadBottom; w.PadLeft; w.PadRight |]; ints "dilation" [| w.DilationH; w.DilationW |] ]

    /// Refuses an input that is not [N, C, H, W], a window with a step or a tap spacing below 1
    /// or negative padding, and a padded input smaller than the window.
    let checkWindow operation (shapes: int[][]) (w: Window) (input: int[]) =
        if input.Length <> 4 then
            Shape.fail operation shapes "input" (sprintf "the input must have rank 4 ([N, C, H, W]); it has rank %d" input.Length)
        if w.KernelH < 1 || w.KernelW < 1 then Shape.fail operation shapes "kernel" (sprintf "the window size %d×%d must be at least 1×1" w.KernelH w.KernelW)
        if w.StrideH < 1 || w.StrideW < 1 then Shape.fail operation shapes "stride" (sprintf "the stride (%d, %d) must be at least 1" w.StrideH w.StrideW)
        if w.DilationH < 1 || w.DilationW < 1 then Shape.fail operation shapes "dilation" (sprintf "the dilation (%d, %d) must be at least 1" w.DilationH w.DilationW)
        if w.PadTop < 0 || w.PadBottom < 0 || w.PadLeft < 0 || w.PadRight < 0 then
            Shape.fail operation shapes "padding" (sprintf "the padding (%d, %d, %d, %d) must not be negative" w.PadTop w.PadBottom w.PadLeft w.PadRight)
        let paddedH, paddedW = input[2] + w.PadTop + w.PadBottom, input[3] + w.PadLeft + w.PadRight
        if paddedH < w.ExtentH || paddedW < w.ExtentW then
            Shape.fail operation shapes "kernel"
                (sprintf "the window (%d×%d, spanning %d×%d with dilation) is larger than the padded input (%d×%d)" w.KernelH w.KernelW w.ExtentH w.ExtentW paddedH paddedW)

    /// The patches' shape, [C, KH, KW, N, OH, OW], of an [N, C, H, W] input.
    let private patchShape (w: Window) (input: int[]) =
        [| input[1]; w.KernelH; w.KernelW; input[0]; w.OutputH input[2]; w.OutputW input[3] |]

    /// Every window of `x` as a column: [C, KH, KW, N, OH, OW] (zeros where a tap is in the
    /// padding). Linear; its transpose is `unpatches`.
    let rec patches (w: Window) (x: Node) : Node =
        let eval (v: NdArray[]) = PatchKernels.patches w v[0]
        Graph.apply
            (opWith "patches" (windowParameters w) eval
                (fun _ _ t -> t[0] |> ValueOption.map (patches w))
                (fun args _ g -> [| ValueSome(unpatches w args[0].Shape g) |])
                { Param.none with
                    Algebra = Algebra.Rearrangement
                    Into = ValueSome(fun argShapes _ -> ValueSome(DestinationKernel(fun args dest -> PatchKernels.patchesInto w argShapes[0] args[0] dest)))
                    Into32 = ValueSome(fun argShapes _ -> ValueSome(DestinationKernel32(fun args dest -> PatchKernels.patchesInto w argShapes[0] args[0] dest)))
                    Float32 = ValueSome eval
                    Batch =
                        ValueSome(fun size args _ ->
                            // The batch joins the examples, and is moved back in front of the columns.
                            let x = args[0]
                            let examples = x.Shape[1]
                            let merged = patches w (reshape (Array.append [| size * examples |] x.Shape[2..]) x)
                            let s = merged.Shape
                            Layout.permute [| 3; 0; 1; 2; 4; 5; 6 |] (reshape [| s[0]; s[1]; s[2]; size; examples; s[4]; s[5] |] merged)) })
            (patchShape w x.Shape) [| x |]

    /// The columns `g` ([C, KH, KW, N, OH, OW]) added back into zeros of `shape` ([N, C, H, W])
    /// where `patches` takes them from (col2im). Linear; its transpose is `patches`.
    and unpatches (w: Window) (shape: int[]) (g: Node) : Node =
        let eval (v: NdArray[]) = PatchKernels.unpatches w shape v[0]
        Graph.apply
            (opWith "unpatches" (ints "shape" shape :: windowParameters w) eval
                (fun _ _ t -> t[0] |> ValueOption.map (unpatches w shape))
                (fun _ _ c -> [| ValueSome(patches w c) |])
                { Param.none with
                    Algebra = Algebra.Rearrangement
                    Into = ValueSome(fun _ _ -> ValueSome(DestinationKernel(fun args dest -> PatchKernels.unpatchesInto w shape args[0] dest)))
                    Into32 = ValueSome(fun _ _ -> ValueSome(DestinationKernel32(fun args dest -> PatchKernels.unpatchesInto w shape args[0] dest)))
                    Float32 = ValueSome eval
                    Batch =
                        ValueSome(fun size args _ ->
                            let s = args[0].Shape
                            let columns = reshape [| s[1]; s[2]; s[3]; size * s[4]; s[5]; s[6] |] (Layout.permute [| 1; 2; 3; 0; 4; 5; 6 |] args[0])
                            let merged = unpatches w (Array.append [| size * shape[0] |] shape[1..]) columns
                            reshape (Array.append [| size |] shape) merged) })
            (Array.copy shape) [| g |]

    /// The [N, O, OH, OW] convolution (cross-correlation, as in PyTorch) of `x` ([N, C, H, W])
    /// with `kernel` ([O, C / groups, KH, KW], of rank 4: the caller read the window from it);
    /// channel group g of the input meets kernels g · O / groups … (g + 1) · O / groups − 1.
    let conv2d (w: Window) (groups: int) (x: Node) (kernel: Node) =
        let shapes = [| x.Shape; kernel.Shape |]
        checkWindow "conv2d" shapes w x.Shape
        let n, c, outputs = x.Shape[0], x.Shape[1], kernel.Shape[0]
        if groups < 1 || c % groups <> 0 || outputs % groups <> 0 then
            Shape.fail "conv2d" shapes "groups" (sprintf "%d groups must divide both the %d input channels and the %d output channels" groups c outputs)
        if kernel.Shape[1] <> c / groups || kernel.Shape[2] <> w.KernelH || kernel.Shape[3] <> w.KernelW then
            Shape.fail "conv2d" shapes "kernel" (sprintf "the kernel must be [%d, %d, %d, %d] for %d input channels in %d groups" outputs (c / groups) w.KernelH w.KernelW c groups)
        let columns = patches w x
        let oh, ow = columns.Shape[4], columns.Shape[5]
        let tapsPerGroup = c / groups * w.KernelH * w.KernelW
        let positions = n * oh * ow
        let product =
            if groups = 1 then LinearAlgebra.matmul (reshape [| outputs; tapsPerGroup |] kernel) (reshape [| tapsPerGroup; positions |] columns)
            else LinearAlgebra.matmul (reshape [| groups; outputs / groups; tapsPerGroup |] kernel) (reshape [| groups; tapsPerGroup; positions |] columns)
        Layout.permute [| 1; 0; 2; 3 |] (reshape [| outputs; n; oh; ow |] product)

    /// The transposed convolution of `x` ([N, C, H, W]) with `kernel` ([C, O / groups, KH, KW],
    /// PyTorch's layout; both of rank 4, which the caller checked to read the window): the
    /// transpose of `conv2d w groups` applied to `x`, onto an output of `height` × `width`
    /// (which the window must map back to H × W).
    let convTranspose2d (w: Window) (groups: int) (height: int) (width: int) (x: Node) (kernel: Node) =
        let shapes = [| x.Shape; kernel.Shape |]
        let n, c = x.Shape[0], x.Shape[1]
        if groups < 1 || c % groups <> 0 then
            Shape.fail "convTranspose2d" shapes "groups" (sprintf "%d groups must divide the %d input channels" groups c)
        if kernel.Shape[0] <> c || kernel.Shape[2] <> w.KernelH || kernel.Shape[3] <> w.KernelW then
            Shape.fail "convTranspose2d" shapes "kernel" (sprintf "the kernel must be [%d, out channels / groups, %d, %d]" c w.KernelH w.KernelW)
        let outputs = kernel.Shape[1] * groups
        let target = [| n; outputs; height; width |]
        checkWindow "convTranspose2d" shapes w target
        if w.OutputH height <> x.Shape[2] || w.OutputW width <> x.Shape[3] then
            Shape.fail "convTranspose2d" shapes "outputPadding" (sprintf "an output of %d×%d does not map back to the %d×%d input" height width x.Shape[2] x.Shape[3])
        let tapsPerGroup = kernel.Shape[1] * w.KernelH * w.KernelW
        let positions = n * x.Shape[2] * x.Shape[3]
        let inputs = reshape [| groups; c / groups; positions |] (Layout.permute [| 1; 0; 2; 3 |] x)
        let columns = LinearAlgebra.matmulT true false (reshape [| groups; c / groups; tapsPerGroup |] kernel) inputs
        unpatches w target (reshape [| outputs; w.KernelH; w.KernelW; n; x.Shape[2]; x.Shape[3] |] columns)

    /// Each window of each channel reduced by `reduce` (over the patches' tap axes), as
    /// [N, C, OH, OW].
    let private pool (reduce: int[] -> bool -> Node -> Node) (w: Window) (x: Node) =
        Layout.permute [| 1; 0; 2; 3 |] (reduce [| 1; 2 |] false (patches w x))

    /// The largest entry of each window. The padding is −∞, so it is never the maximum; ties
    /// share the derivative evenly, as `max` does.
    let maxPool2d (w: Window) (x: Node) =
        checkWindow "maxPool2d" [| x.Shape |] w x.Shape
        // As in PyTorch: a window that could lie wholly in the padding would have no maximum.
        if 2 * max w.PadTop w.PadBottom > w.KernelH || 2 * max w.PadLeft w.PadRight > w.KernelW then
            Shape.fail "maxPool2d" [| x.Shape |] "padding" (sprintf "the padding (%d, %d, %d, %d) must be at most half the %d×%d window" w.PadTop w.PadBottom w.PadLeft w.PadRight w.KernelH w.KernelW)
        let padded =
            if w.PadTop + w.PadBottom + w.PadLeft + w.PadRight = 0 then x
            else Indexing.padConstant [| (0, 0); (0, 0); (w.PadTop, w.PadBottom); (w.PadLeft, w.PadRight) |] System.Double.NegativeInfinity x
        pool Reductions.max { w with PadTop = 0; PadBottom = 0; PadLeft = 0; PadRight = 0 } padded

    /// The mean of each window, padding included in the count (PyTorch's default).
    let avgPool2d (w: Window) (x: Node) =
        checkWindow "avgPool2d" [| x.Shape |] w x.Shape
        mul (scalar (1.0 / float (w.KernelH * w.KernelW))) (pool Reductions.sum w x)
