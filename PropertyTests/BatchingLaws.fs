/// vmap's laws on random programs over the whole primitive set: a batched program computes
/// what the function computes on each example, per-example gradients are per-example `grad`,
/// and Jacobians and Hessians assembled by batched sweeps equal those built one basis vector at
/// a time. Both sides are exact computations of the same quantities, so they agree to rounding.
module FunctionalAD.PropertyTests.BatchingLaws

open FsCheck.FSharp
open FunctionalAD
open FunctionalAD.PropertyTests.Property
open FunctionalAD.PropertyTests.Subjects

/// Three distinct examples around the program's input, stacked along a new leading axis.
let private examples (x: Tensor) = [| x; 0.5 * x + 0.1; -x |]

/// Basis vector i of a tensor of `shape`.
let private basis (shape: int[]) (i: int) =
    let data = Array.zeroCreate (Array.fold (*) 1 shape)
    data[i] <- 1.0
    Tensor.create shape data

[<Law "vmap f = stack (f xᵢ), vmap (grad f) = stack (grad f xᵢ)">]
let ``vmap f equals f on each example, and vmap (grad f) equals per-example gradients`` () =
    Prop.forAll programs (fun p ->
        let xs = examples p.Input.Tensor
        let scale = xs |> Array.map p.Scale |> Array.max
        let close law (expected: Tensor) (actual: Tensor) =
            Approx.tensorsClose law Approx.exactTolerance (scale + Approx.magnitude expected) expected actual
        let batch = Tensor.stack 0 xs
        close "vmap f" (Tensor.stack 0 (Array.map p.Run xs)) (AD.vmap p.Run batch)
        let loss (x: Tensor) = Tensor.sum (p.Run x)
        close "vmap (grad f)" (Tensor.stack 0 (Array.map (AD.grad loss) xs)) (AD.vmap (AD.grad loss) batch))

[<Law "jacrev, jacfwd, hessian by vmap = per-vector sweeps">]
let ``Jacobians and Hessians through batched sweeps equal one sweep per basis vector`` () =
    Prop.forAll programs (fun p ->
        let x = p.Input.Tensor
        let scale = p.Scale x
        let close law (expected: Tensor) (actual: Tensor) =
            Approx.tensorsClose law Approx.exactTolerance (scale + Approx.magnitude expected) expected actual
        let y, pullback = AD.vjp p.Run x
        let jacobianShape = Array.append y.Shape x.Shape
        let rows = Array.init y.Size (fun i -> pullback (basis y.Shape i))
        if rows.Length > 0 then
            close "jacrev" (Tensor.reshape jacobianShape (Tensor.stack 0 rows)) (AD.jacrev p.Run x)
            close "jacfwd" (Tensor.reshape jacobianShape (Tensor.stack 0 rows)) (AD.jacfwd p.Run x)
        let loss (x: Tensor) = Tensor.sum (p.Run x)
        let hessianRows = Array.init x.Size (fun i -> AD.hvp loss x (basis x.Shape i))
        if hessianRows.Length > 0 then
            close "hessian" (Tensor.reshape (Array.append x.Shape x.Shape) (Tensor.stack 0 hessianRows)) (AD.hessian loss x))
