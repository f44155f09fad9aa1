/// Second derivatives: the Hessian is symmetric, forward-over-reverse and reverse-over-reverse
/// give the same matrix, and the Hessian-vector products of every nesting order equal H·v.
module FunctionalAD.PropertyTests.SecondOrderLaws

open Xunit
open FunctionalAD
open FunctionalAD.PropertyTests.Property
open FunctionalAD.PropertyTests.Subjects

/// The Hessian as an n×n matrix.
let private hessianMatrix (s: Subject) = Tensor.reshape [| s.X.Size; s.X.Size |] (AD.hessian s.Scalar s.X)

/// Second derivatives of the scalarized subject scale like its values times the weights.
let private scaleOf (s: Subject) (h: Tensor) = s.Scale + Approx.magnitude h

let private hessianSymmetric (s: Subject) =
    let h = hessianMatrix s
    Approx.tensorsClose "symmetry" Approx.exactTolerance (scaleOf s h) h (Tensor.transpose h)

[<Law "H = H^T / primitives">]
let ``the Hessian is symmetric on primitives`` () = onPrimitives hessianSymmetric

[<Law "H = H^T / programs">]
let ``the Hessian is symmetric on programs`` () = onShortPrograms hessianSymmetric

let private hessianIsJacobianOfGradient (s: Subject) =
    let h = AD.hessian s.Scalar s.X
    let forward = AD.jacfwd (AD.grad s.Scalar) s.X
    let reverse = AD.jacrev (AD.grad s.Scalar) s.X
    Approx.tensorsClose "jacfwd (grad f) vs hessian" Approx.exactTolerance (scaleOf s h) h forward
    Approx.tensorsClose "jacrev (grad f) vs jacfwd (grad f)" Approx.exactTolerance (scaleOf s h) forward reverse

[<Law "hessian = jacfwd (grad f) = jacrev (grad f) / primitives">]
let ``the Hessian is the Jacobian of the gradient in both modes on primitives`` () = onPrimitives hessianIsJacobianOfGradient

[<Law "hessian = jacfwd (grad f) = jacrev (grad f) / programs">]
let ``the Hessian is the Jacobian of the gradient in both modes on programs`` () = onShortPrograms hessianIsJacobianOfGradient

let private hvpIsHv (s: Subject) =
    let h = hessianMatrix s
    let v = s.Random 1 s.X
    let expected = Tensor.reshape s.X.Shape (Tensor.matmul h (Tensor.flatten v))
    let scale = scaleOf s h * (1.0 + Approx.magnitude v)
    Approx.tensorsClose "hvp (reverse over forward)" Approx.exactTolerance scale expected (AD.hvp s.Scalar s.X v)
    Approx.tensorsClose "jvp (grad f) (forward over reverse)" Approx.exactTolerance scale expected (snd (AD.jvp (AD.grad s.Scalar) s.X v))
    Approx.tensorsClose "hvpReverse (reverse over reverse)" Approx.exactTolerance scale expected (AD.hvpReverse s.Scalar s.X v)

[<Law "hvp = jvp (grad f) = hvpReverse = H v / primitives">]
let ``Hessian-vector products equal H v on primitives`` () = onPrimitives hvpIsHv

[<Law "hvp = jvp (grad f) = hvpReverse = H v / programs">]
let ``Hessian-vector products equal H v on programs`` () = onShortPrograms hvpIsHv

// Regression: prod once took its second derivative in quotient form, NaN at a zero factor.
[<Fact>]
let ``the Hessian of a product with a zero factor is exact`` () =
    // f(x) = x0·x1·x2 at (0, 2, 3): ∂²f/∂xi∂xj is the third factor, so H = [[0,3,2],[3,0,0],[2,0,0]].
    let h = AD.hessian Tensor.prod (Tensor.ofArray [| 0.0; 2.0; 3.0 |])
    Assert.Equal<float[]>([| 0.0; 3.0; 2.0; 3.0; 0.0; 0.0; 2.0; 0.0; 0.0 |], h.ToArray())
