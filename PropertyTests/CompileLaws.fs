/// The compiler's law on random programs over the whole primitive set (fan-out, broadcasting,
/// reductions, layout, products, solves): a compiled function, its compiled gradient and a
/// compiled descent step that donates its input compute what eager evaluation computes. The
/// plans fuse loops (Math functions where eager evaluation uses TensorPrimitives) and reorder
/// nothing else, so both sides agree up to rounding.
module FunctionalAD.PropertyTests.CompileLaws

open Xunit
open FsCheck.FSharp
open FunctionalAD
open FunctionalAD.PropertyTests.Property
open FunctionalAD.PropertyTests.Subjects

[<Law "compile f = f, compile (grad f) = grad f, donated steps">]
let ``compiled programs, their gradients and donating descent steps agree with eager evaluation`` () =
    Prop.forAll programs (fun p ->
        let x = p.Input.Tensor
        let scale = p.Scale x
        let close law (expected: Tensor) (actual: Tensor) =
            Approx.tensorsClose law Approx.exactTolerance (scale + Approx.magnitude expected) expected actual
        let loss (x: Tensor) = Tensor.sum (p.Run x)
        // The second output reads x after the first may have been written into x's buffer.
        let descend (x: Tensor) = let g = AD.grad loss x in x - 0.1 * g, x * x + g
        close "compiled value" (p.Run x) (Compile.compile p.Run x)
        close "compiled gradient" (AD.grad loss x) (Compile.compile (AD.grad loss) x)
        let expectedStep, expectedOther = descend x
        let step, other = Compile.compileDonating descend (Tensor.create x.Shape (x.ToArray()))
        close "donating descent step" expectedStep step
        close "output reading the donated input" expectedOther other)
