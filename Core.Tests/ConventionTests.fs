/// The documented conventions (docs/conventions.md): kinks, ties, where, broadcasting.
module FunctionalAD.Tests.ConventionTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Tests.TestSupport

let private d (f: Tensor -> Tensor) (x: float) = scalarOf (AD.grad f (s x))

[<Fact>]
let ``kinks take the minimum-norm subgradient`` () =
    Assert.Equal(0.0, d Tensor.relu 0.0)
    Assert.Equal(1.0, d Tensor.relu 1e-300)
    Assert.Equal(0.0, d abs 0.0)
    Assert.Equal(-1.0, d abs -2.0)
    Assert.Equal(0.0, d (Tensor.clamp -1.0 1.0) 1.0)
    Assert.Equal(0.0, d (Tensor.clamp -1.0 1.0) -1.0)
    Assert.Equal(1.0, d (Tensor.clamp -1.0 1.0) 0.5)
    // max(x, c) with a constant c behaves like relu at the tie
    Assert.Equal(0.0, d (fun x -> Tensor.maximum x (s 0.0)) 0.0)
    // forward mode agrees with reverse mode at the kink
    let _, t = AD.jvp Tensor.relu (s 0.0) (s 1.0)
    Assert.Equal(0.0, scalarOf t)

[<Fact>]
let ``relu keeps NaN, maps -0 and negatives to +0, in vector lanes and in the tail`` () =
    // 19 elements: whole vectors of 2, 4 or 8 lanes and a scalar tail after them.
    let special = [| nan; -0.0; 0.0; -infinity; infinity; -1e-300; 1e-300; -2.5; 3.0 |]
    let values = Array.init 19 (fun i -> special[i % special.Length])
    let check (name: string) (inputs: float[]) (actual: float[]) =
        Array.iteri2 (fun i (v: float) (a: float) ->
            let e = if v > 0.0 || Double.IsNaN v then v else 0.0
            Assert.True(BitConverter.DoubleToInt64Bits e = BitConverter.DoubleToInt64Bits a, sprintf "%s: element %d of relu %g is %g, not %g" name i v a e)) inputs actual
    let x = Tensor.create [| 19 |] values
    check "eager" values ((Tensor.relu x).ToArray())
    check "compiled" values ((Compile.compile Tensor.relu x).ToArray())
    // float32 rounds ±1e-300 to ±0 first.
    let x32 = Tensor.cast DType.Float32 x
    check "float32" (x32.ToArray()) ((Tensor.relu x32).ToArray())

[<Fact>]
let ``ties split the gradient evenly`` () =
    let gx, gy = AD.grad (fun (x: Tensor, y: Tensor) -> Tensor.maximum x y) (s 2.0, s 2.0)
    Assert.Equal(0.5, scalarOf gx)
    Assert.Equal(0.5, scalarOf gy)
    let gm = AD.grad (fun (x: Tensor, y: Tensor) -> Tensor.minimum x y) (s 1.0, s 1.0)
    Assert.Equal(0.5, scalarOf (fst gm))
    let g = AD.grad Tensor.max (vec [ 3.0; 1.0; 3.0; 3.0 ])
    assertTensorClose 1e-15 (vec [ 1.0 / 3.0; 0.0; 1.0 / 3.0; 1.0 / 3.0 ]) g
    let gmin = AD.grad (fun x -> Tensor.sum (Tensor.minAxes [| 1 |] false x)) (Tensor.ofArray2D (array2D [ [ 1.0; 1.0 ]; [ 0.0; 2.0 ] ]))
    assertTensorClose 1e-15 (Tensor.ofArray2D (array2D [ [ 0.5; 0.5 ]; [ 1.0; 0.0 ] ])) gmin

[<Fact>]
let ``where never leaks NaN from the branch it did not take`` () =
    let f (x: Tensor) = Tensor.where (Tensor.greater x (s 0.0)) (sqrt x) (s 0.0)
    Assert.Equal(0.0, d f 0.0)
    assertClose 1e-15 (0.5 / sqrt 4.0) (d f 4.0)
    let g (x: Tensor) = Tensor.where (Tensor.greater x (s 0.0)) (x * log x) (s 0.0)
    Assert.Equal(0.0, d g 0.0)
    Assert.Equal(0.0, d g -1.0)
    // second order, and forward mode
    Assert.Equal(0.0, scalarOf (AD.hessian (fun x -> Tensor.sum (f x)) (vec [ 0.0 ])))
    let _, t = AD.jvp f (s 0.0) (s 1.0)
    Assert.Equal(0.0, scalarOf t)
    let h (x: Tensor) = Tensor.where (Tensor.greater x (s 0.0)) (1.0 / x) (x)
    Assert.Equal(1.0, d h 0.0)

[<Fact>]
let ``broadcast arguments receive summed gradients of their own shape`` () =
    let m = Tensor.randomNormal 1 [| 4; 3 |]
    let b = vec [ 1.0; 2.0; 3.0 ]
    let g = AD.grad (fun b -> Tensor.sum (m * b)) b
    assertTensorClose 1e-15 (Tensor.sumAxes [| 0 |] false m) g
    let gs = AD.grad (fun c -> Tensor.sum (m + c)) (s 0.0)
    assertClose 1e-15 12.0 (scalarOf gs)
