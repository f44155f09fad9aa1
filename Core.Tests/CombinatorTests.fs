/// Every combinator against closed forms, in both modes, nested, and over structures.
module FunctionalAD.Tests.CombinatorTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Tests.TestSupport

let private x3 = vec [ 0.4; -1.3; 2.2 ]
/// f(x) = Σ sin(x_i) x_{i+1}: gradient and Hessian in closed form.
let private f (x: Tensor) = Tensor.sum (sin (Tensor.slice [| (0, 2, 1) |] x) * Tensor.slice [| (1, 3, 1) |] x)
let private gradF (x: float[]) = [| cos x[0] * x[1]; sin x[0] + cos x[1] * x[2]; sin x[1] |]
let private hessF (x: float[]) =
    array2D [ [ -sin x[0] * x[1]; cos x[0]; 0.0 ]; [ cos x[0]; -sin x[1] * x[2]; cos x[1] ]; [ 0.0; cos x[1]; 0.0 ] ]

[<Fact>]
let ``grad, valueAndGrad and hessian match closed forms`` () =
    let x = x3.ToArray()
    let value, g = AD.valueAndGrad f x3
    assertClose 1e-15 (sin x[0] * x[1] + sin x[1] * x[2]) (scalarOf value)
    assertTensorClose 1e-15 (Tensor.ofArray (gradF x)) g
    assertTensorClose 1e-15 (Tensor.ofArray2D (hessF x)) (AD.hessian f x3)

[<Fact>]
let ``jvp, linearize and vjp agree with the Jacobian`` () =
    let g (x: Tensor) = Tensor.stack 0 [ x[0] * x[1]; exp x[2]; sin (x[0] + x[2]) ]
    let v = vec [ 1.0; -2.0; 0.5 ]
    let u = vec [ 0.3; 0.1; -0.7 ]
    let jac = AD.jacobian g x3
    let y, jv = AD.jvp g x3 v
    assertTensorClose 1e-15 (g x3) y
    assertTensorClose 1e-14 (Tensor.matmul jac v) jv
    let _, pushforward = AD.linearize g x3
    assertTensorClose 1e-14 jv (pushforward v)
    assertTensorClose 1e-14 (Tensor.matmul jac u) (pushforward u)
    let _, pullback = AD.vjp g x3
    assertTensorClose 1e-14 (Tensor.matmul (Tensor.transpose jac) u) (pullback u)
    assertTensorClose 1e-14 (Tensor.matmul u jac) (pullback u)

[<Fact>]
let ``jacobian modes agree on wide and tall functions`` () =
    let wide (x: Tensor) = Tensor.sumAxes [| 1 |] false (Tensor.reshape [| 2; 3 |] (Tensor.concat 0 [ x; x * x ]))
    let tall (x: Tensor) = Tensor.outer x (vec [ 1.0; 2.0; 3.0; 4.0 ]) |> tanh
    for g in [ wide; tall ] do
        let forward = AD.jacobianWith Forward g x3
        assertTensorClose 1e-14 forward (AD.jacobianWith Reverse g x3)
        assertTensorClose 1e-14 forward (AD.jacobian g x3)
        assertTensorClose 1e-6 (Numerical.jacobian g x3) forward

[<Fact>]
let ``Jacobian of a matrix-valued function has shape output then input`` () =
    let g (x: Tensor) = Tensor.outer x x
    let j = AD.jacobian g x3
    Assert.Equal<int[]>([| 3; 3; 3 |], j.Shape)
    // ∂(x_i x_j)/∂x_k = δ_ik x_j + x_i δ_jk
    let x = x3.ToArray()
    let expected = Array.init 27 (fun n -> let i, j, k = n / 9, (n / 3) % 3, n % 3 in (if i = k then x[j] else 0.0) + (if j = k then x[i] else 0.0))
    assertTensorClose 1e-15 (Tensor.create [| 3; 3; 3 |] expected) j

[<Fact>]
let ``hvp in every nesting order equals H v`` () =
    let v = vec [ 0.5; 1.0; -2.0 ]
    let expected = Tensor.matmul (Tensor.ofArray2D (hessF (x3.ToArray()))) v
    assertTensorClose 1e-14 expected (AD.hvp f x3 v)
    assertTensorClose 1e-14 expected (snd (AD.jvp (AD.grad f) x3 v))
    assertTensorClose 1e-14 expected (AD.hvpReverse f x3 v)

[<Fact>]
let ``derivative and nthDerivative match closed forms of exp, sin and polynomials`` () =
    let x = s 0.7
    for n in 0 .. 4 do
        assertClose 1e-14 (Math.Exp 0.7) (scalarOf (AD.nthDerivative n exp x))
        let sinDerivative = [| Math.Sin 0.7; Math.Cos 0.7; -Math.Sin 0.7; -Math.Cos 0.7 |][n % 4]
        assertClose 1e-13 sinDerivative (scalarOf (AD.nthDerivative n sin x))
    // p(x) = x^4 - 2x^3 + x: p' = 4x^3 - 6x^2 + 1, p'' = 12x^2 - 12x, p''' = 24x - 12, p'''' = 24, p⁽⁵⁾ = 0
    let p (x: Tensor) = x ** 4.0 - 2.0 * x ** 3.0 + x
    let v = 0.7
    let expected = [ v ** 4.0 - 2.0 * v ** 3.0 + v; 4.0 * v ** 3.0 - 6.0 * v ** 2.0 + 1.0; 12.0 * v ** 2.0 - 12.0 * v; 24.0 * v - 12.0; 24.0; 0.0 ]
    expected |> List.iteri (fun n e -> assertClose 1e-13 e (scalarOf (AD.nthDerivative n p x)))

[<Fact>]
let ``third derivatives of tanh and x sin(x^2) match closed forms in both nestings`` () =
    let x = 0.6
    let t = Math.Tanh x
    let tanh3 = -2.0 * (1.0 - t * t) * (1.0 - 3.0 * t * t)
    assertClose 1e-13 tanh3 (scalarOf (AD.nthDerivative 3 tanh (s x)))
    assertClose 1e-13 tanh3 (scalarOf (AD.grad (AD.grad (AD.grad tanh)) (s x)))
    // g(x) = x sin(x²): g''' = -12x² sin(x²) + 6 cos(x²) - 8x⁴ cos(x²) ... written out:
    // g' = sin u + 2x² cos u (u = x²); g'' = 6x cos u - 4x³ sin u; g''' = 6 cos u - 24x² sin u - 8x⁴ cos u
    let g (x: Tensor) = x * sin (x * x)
    let u = x * x
    let g3 = 6.0 * Math.Cos u - 24.0 * x * x * Math.Sin u - 8.0 * x ** 4.0 * Math.Cos u
    assertClose 1e-13 g3 (scalarOf (AD.nthDerivative 3 g (s x)))
    assertClose 1e-13 g3 (scalarOf (AD.grad (AD.derivative (AD.grad g)) (s x)))

[<Fact>]
let ``nested derivatives do not confuse perturbations`` () =
    // d/dx [ x · (d/dy (x + y))|y=1 ] = 1 (the classic test; a confused system answers 2)
    let inner (x: Tensor) = x * AD.grad (fun y -> x + y) (s 1.0)
    assertClose 1e-15 1.0 (scalarOf (AD.grad inner (s 2.0)))
    assertClose 1e-15 1.0 (scalarOf (AD.derivative inner (s 2.0)))
    // d/dx [ x · (d/dy (x · y))|y=2 ] = d/dx x² = 2x
    let inner2 (x: Tensor) = x * AD.derivative (fun y -> x * y) (s 2.0)
    assertClose 1e-15 6.0 (scalarOf (AD.grad inner2 (s 3.0)))

type Params = { W: Tensor; B: Tensor }

/// A struct record whose fields are not in alphabetical order: leaves follow the declaration.
[<Struct>]
type Later = { Zeta: Tensor; Alpha: Tensor }

[<Fact>]
let ``gradients of structures keep their structure`` () =
    let xs = Tensor.randomNormal 21 [| 5; 3 |]
    let loss (p: Params) = Tensor.sum (Tensor.square (Tensor.matmul xs p.W + p.B))
    let p = { W = Tensor.randomNormal 22 [| 3 |]; B = s 0.5 }
    let g = AD.grad loss p
    let r = Tensor.matmul xs p.W + p.B
    assertTensorClose 1e-13 (2.0 * Tensor.matmul (Tensor.transpose xs) r) g.W
    assertTensorClose 1e-13 (2.0 * Tensor.sum r) g.B
    // tuples, arrays and lists
    let gt = AD.grad (fun (a: Tensor, bs: Tensor list, cs: Tensor[]) -> a * bs[0] * cs[1]) (s 2.0, [ s 3.0 ], [| s 5.0; s 7.0 |])
    let ga, gbs, gcs = gt
    assertClose 0.0 21.0 (scalarOf ga)
    assertClose 0.0 14.0 (scalarOf gbs.Head)
    assertClose 0.0 0.0 (scalarOf gcs[0])
    assertClose 0.0 6.0 (scalarOf gcs[1])
    // unit is the empty structure: a stateless optimiser's state rides along untouched
    let gu, () = AD.grad (fun (a: Tensor, ()) -> a * a) (s 3.0, ())
    assertClose 0.0 6.0 (scalarOf gu)
    Assert.Equal(1, (Tree.leaves (s 1.0, ())).Length)

[<Fact>]
let ``structures are taken apart and rebuilt in one order, whatever nests in what`` () =
    // Records, reference and struct tuples, arrays and lists inside each other: the readers and
    // constructors cached per type must give the leaves in depth-first order and rebuild them in place.
    let structure = ([| { W = s 1.0; B = s 2.0 } |], struct (s 3.0, [ s 4.0; s 5.0 ]), ((), s 6.0))
    let leaves = Tree.leaves structure
    Assert.Equal<float[]>([| 1.0 .. 6.0 |], leaves |> Array.map scalarOf)
    let rebuilt = Tree.unflatten structure (leaves |> Array.map (fun t -> 10.0 * t))
    Assert.Equal<float[]>([| 10.0 .. 10.0 .. 60.0 |], Tree.leaves rebuilt |> Array.map scalarOf)
    let records, struct (three, rest), ((), six) = rebuilt
    assertClose 0.0 20.0 (scalarOf records[0].B)
    assertClose 0.0 30.0 (scalarOf three)
    assertClose 0.0 50.0 (scalarOf rest[1])
    assertClose 0.0 60.0 (scalarOf six)
    // The second walk of the same types reads the cache and must agree with the first.
    Assert.Equal<float[]>([| 1.0 .. 6.0 |], Tree.leaves structure |> Array.map scalarOf)

[<Fact>]
let ``long tuples, struct records and anonymous records are structures in declaration order`` () =
    // .NET nests a tuple of eight or more elements in a TRest tuple; F# and the leaves flatten it.
    let long = (s 1.0, s 2.0, s 3.0, s 4.0, s 5.0, s 6.0, s 7.0, s 8.0, s 9.0)
    let longStruct = struct (s 10.0, s 11.0, s 12.0, s 13.0, s 14.0, s 15.0, s 16.0, s 17.0)
    let structure = (long, longStruct, { Zeta = s 18.0; Alpha = s 19.0 }, {| Second = s 20.0; First = s 21.0 |})
    let leaves = Tree.leaves structure
    // Anonymous records' fields are sorted by name, as F# compiles them.
    Assert.Equal<float[]>([| 1.0 .. 19.0 |] |> Array.append <| [| 21.0; 20.0 |], leaves |> Array.map scalarOf)
    let (a1, _, _, _, _, _, _, a8, a9), struct (b1, _, _, _, _, _, _, b8), later, anonymous = Tree.map (fun t -> -t) structure
    Assert.Equal<float[]>([| -1.0; -8.0; -9.0; -10.0; -17.0; -18.0; -19.0; -20.0; -21.0 |],
                          [| a1; a8; a9; b1; b8; later.Zeta; later.Alpha; anonymous.Second; anonymous.First |] |> Array.map scalarOf)

[<Fact>]
let ``vjp and jacobian of structured outputs`` () =
    let g (x: Tensor) = (x * x, Tensor.sum x)
    let (a, b), pullback = AD.vjp g x3
    assertTensorClose 0.0 (x3 * x3) a
    assertClose 1e-15 (Tensor.sum x3 |> scalarOf) (scalarOf b)
    assertTensorClose 1e-15 (2.0 * x3 + 3.0) (pullback (Tensor.onesLike x3, s 3.0))
    let ja, jb = AD.jacobian g x3
    assertTensorClose 1e-15 (Tensor.diag (2.0 * x3)) ja
    assertTensorClose 1e-15 (Tensor.onesLike x3) jb

[<Fact>]
let ``valueAndGradAux returns the auxiliary output`` () =
    let (value, aux), g = AD.valueAndGradAux (fun (x: Tensor) -> Tensor.sum (x * x), "note") x3
    assertClose 1e-15 (Tensor.sum (x3 * x3) |> scalarOf) (scalarOf value)
    Assert.Equal("note", aux)
    assertTensorClose 1e-15 (2.0 * x3) g

[<Fact>]
let ``gradArgs differentiates only the chosen arguments`` () =
    let f (a: Tensor[]) = a[0] * a[1] * a[1] + a[2]
    let g = AD.gradArgs [| 1; 2 |] f [| s 2.0; s 3.0; s 4.0 |]
    Assert.Equal(2, g.Length)
    assertClose 0.0 12.0 (scalarOf g[0])
    assertClose 0.0 1.0 (scalarOf g[1])

[<Fact>]
let ``stopGradient blocks exactly its argument`` () =
    let f (x: Tensor) = x * AD.stopGradient (x * x) + x
    // d/dx = stop(x²) + 1 = x² + 1
    assertClose 1e-15 10.0 (scalarOf (AD.grad f (s 3.0)))
    let _, t = AD.jvp f (s 3.0) (s 1.0)
    assertClose 1e-15 10.0 (scalarOf t)

let private softplusWithVjp =
    Custom.withVjp "mySoftplus" (fun x -> log (1.0 + exp x)) (fun x _ g -> g * Tensor.sigmoid x)

[<Fact>]
let ``a custom VJP is used, and hessian and jvp work through it`` () =
    let x = vec [ -1.0; 0.5; 2.0 ]
    let f x = Tensor.sum (softplusWithVjp x)
    let sg = Tensor.sigmoid x
    assertTensorClose 1e-15 sg (AD.grad f x)
    assertTensorClose 1e-14 (Tensor.diag (sg * (1.0 - sg))) (AD.hessian f x)
    let _, t = AD.jvp softplusWithVjp x (vec [ 1.0; 2.0; 3.0 ])
    assertTensorClose 1e-14 (sg * vec [ 1.0; 2.0; 3.0 ]) t
    // a deliberately different rule changes the answer: the rule, not the function, is differentiated
    let wrong = Custom.withVjp "wrongSoftplus" (fun x -> log (1.0 + exp x)) (fun _ _ g -> 2.0 * g)
    assertTensorClose 0.0 (Tensor.full [| 3 |] 2.0) (AD.grad (fun x -> Tensor.sum (wrong x)) x)

[<Fact>]
let ``a custom JVP is used in both modes`` () =
    let cube = Custom.withJvp "cube" (fun x -> x * x * x) (fun x _ t -> 3.0 * x * x * t)
    let x = vec [ 1.0; -2.0 ]
    let _, t = AD.jvp cube x (vec [ 1.0; 1.0 ])
    assertTensorClose 1e-15 (vec [ 3.0; 12.0 ]) t
    assertTensorClose 1e-15 (vec [ 3.0; 12.0 ]) (AD.grad (fun x -> Tensor.sum (cube x)) x)
    assertTensorClose 1e-14 (Tensor.diag (vec [ 6.0; -12.0 ])) (AD.hessian (fun x -> Tensor.sum (cube x)) x)

[<Fact>]
let ``several-argument custom rules`` () =
    let hypot =
        Custom.define "hypot" (fun a -> sqrt (a[0] * a[0] + a[1] * a[1]))
            { Jvp = None; Vjp = Some(fun a y g -> [| g * a[0] / y; g * a[1] / y |]) }
    let gx, gy = AD.grad (fun (x: Tensor, y: Tensor) -> hypot [| x; y |]) (s 3.0, s 4.0)
    assertClose 1e-15 0.6 (scalarOf gx)
    assertClose 1e-15 0.8 (scalarOf gy)

[<Fact>]
let ``jacobian chunks assemble the full Jacobian in both modes`` () =
    let g (x: Tensor) = Tensor.concat 0 [ sin x; x * x[0]; exp x ]
    let full = AD.jacobian g x3
    let reverseBlocks = AD.jacobianChunks Reverse 4 g x3 |> Seq.toArray
    Assert.Equal<int list>([ 0; 4; 8 ], reverseBlocks |> Array.map fst |> Array.toList)
    assertTensorClose 1e-15 full (Tensor.concat 0 (reverseBlocks |> Array.map snd))
    let forwardBlocks = AD.jacobianChunks Forward 2 g x3 |> Seq.toArray
    Assert.Equal<int[]>([| 9; 2 |], (snd forwardBlocks[0]).Shape)
    assertTensorClose 1e-15 full (Tensor.concat 1 (forwardBlocks |> Array.map snd))
    Assert.Throws<System.ArgumentOutOfRangeException>(fun () -> AD.jacobianChunks Auto 0 g x3 |> Seq.toArray |> ignore) |> ignore

/// f(x, A) = xᵀ A x: its Hessian blocks in closed form, H_xx = A + Aᵀ,
/// H_xA[i, j, k] = δᵢⱼ x_k + x_j δᵢₖ, H_AA = 0, and H_Ax the transpose of H_xA.
[<Fact>]
let ``hessianArgs gives the blocks of a Hessian over several inputs by pair`` () =
    let x = vec [ 0.5; -2.0 ]
    let a = Tensor.ofArray2D (array2D [ [ 1.0; 3.0 ]; [ -1.0; 4.0 ] ])
    let quadratic (p: Tensor[]) = Tensor.sum (p[0] * Tensor.matmul p[1] p[0])
    let h = AD.hessianArgs quadratic [| x; a |]
    assertTensorClose 1e-14 (a + Tensor.transpose a) h.[0].[0]
    let xs = x.ToArray()
    let hxa = Array.init 8 (fun n ->
        let i, j, k = n / 4, (n / 2) % 2, n % 2
        (if i = j then xs[k] else 0.0) + (if i = k then xs[j] else 0.0))
    assertTensorClose 1e-14 (Tensor.create [| 2; 2; 2 |] hxa) h.[0].[1]
    Assert.Equal<int[]>([| 2; 2; 2 |], h.[1].[0].Shape)
    assertTensorClose 1e-14 (Tensor.permute [| 1; 2; 0 |] h.[0].[1]) h.[1].[0]
    assertTensorClose 0.0 (Tensor.zeros [| 2; 2; 2; 2 |]) h.[1].[1]

[<Fact>]
let ``jacobianArgs blocks agree in both modes and with the single-input Jacobians`` () =
    let y = vec [ 1.5; -0.5; 2.0 ]
    let g (p: Tensor[]) = [| sin p[0] * p[1]; Tensor.sum (p[0] * p[0]) |]
    let forward = AD.jacfwdArgs g [| x3; y |]
    let reverse = AD.jacrevArgs g [| x3; y |]
    let auto = AD.jacobianArgs g [| x3; y |]
    for k in 0 .. 1 do
        for j in 0 .. 1 do
            assertTensorClose 1e-14 forward.[k].[j] reverse.[k].[j]
            assertTensorClose 1e-14 forward.[k].[j] auto.[k].[j]
    assertTensorClose 1e-14 (AD.jacobian (fun x -> sin x * y) x3) forward.[0].[0]
    assertTensorClose 1e-14 (Tensor.diag (sin x3)) forward.[0].[1]
    assertTensorClose 1e-14 (2.0 * x3) forward.[1].[0]
    assertTensorClose 0.0 (Tensor.zeros [| 3 |]) forward.[1].[1]
