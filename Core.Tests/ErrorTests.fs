/// Bad input gets a clear .NET exception naming the operation, the shapes and the argument,
/// raised when the node is built.
module FunctionalAD.Tests.ErrorTests

open System
open Xunit
open FunctionalAD
open FunctionalAD.Tests.TestSupport

let private messageOf<'E when 'E :> exn> (action: unit -> obj) =
    let e = Assert.ThrowsAny<'E>(fun () -> action () |> ignore)
    e.Message

[<Fact>]
let ``incompatible shapes name the operation, both shapes and the argument`` () =
    let e = Assert.Throws<ShapeMismatchException>(fun () -> Tensor.zeros [| 2; 3 |] + Tensor.zeros [| 4 |] |> ignore)
    Assert.Equal("add", e.Operation)
    Assert.Contains("[2,3]", e.Message)
    Assert.Contains("[4]", e.Message)
    Assert.Equal("y", e.ParamName)
    let m = messageOf<ShapeMismatchException> (fun () -> box (Tensor.matmul (Tensor.zeros [| 2; 3 |]) (Tensor.zeros [| 2; 3 |])))
    Assert.Contains("matmul", m)
    Assert.Contains("inner dimensions differ: 3 and 2", m)

[<Fact>]
let ``shape errors are raised while recording, inside a derivative`` () =
    let f (x: Tensor) = Tensor.sum (x + Tensor.zeros [| 5 |])
    let e = Assert.Throws<ShapeMismatchException>(fun () -> AD.grad f (Tensor.zeros [| 3 |]) |> ignore)
    Assert.Equal("add", e.Operation)

[<Fact>]
let ``bad arguments give documented exceptions`` () =
    Assert.Throws<ArgumentException>(fun () -> AD.grad (fun (x: Tensor) -> x * 2.0) (Tensor.zeros [| 3 |]) |> ignore) |> ignore
    Assert.Throws<ArgumentException>(fun () -> Tensor.create [| 2; 2 |] [| 1.0 |] |> ignore) |> ignore
    Assert.Throws<ShapeMismatchException>(fun () -> Tensor.reshape [| 5 |] (Tensor.zeros [| 2; 3 |]) |> ignore) |> ignore
    Assert.Throws<ShapeMismatchException>(fun () -> Tensor.sumAxes [| 2 |] false (Tensor.zeros [| 2; 3 |]) |> ignore) |> ignore
    Assert.Throws<ShapeMismatchException>(fun () -> Tensor.max (Tensor.zeros [| 0 |]) |> ignore) |> ignore
    Assert.Throws<ShapeMismatchException>(fun () -> Tensor.mean (Tensor.zeros [| 0 |]) |> ignore) |> ignore
    Assert.Throws<ShapeMismatchException>(fun () -> (Tensor.zeros [| 3 |])[3] |> ignore) |> ignore
    Assert.Throws<ShapeMismatchException>(fun () -> Tensor.gather 0 [| 4 |] (Tensor.zeros [| 3 |]) |> ignore) |> ignore
    Assert.Throws<ShapeMismatchException>(fun () -> Tensor.solve (Tensor.zeros [| 2; 3 |]) (Tensor.zeros [| 2 |]) |> ignore) |> ignore
    Assert.Throws<ArgumentException>(fun () -> Tensor.einsum "ij,jk->ik" [ Tensor.zeros [| 2; 2 |] ] |> ignore) |> ignore
    Assert.Throws<ArgumentNullException>(fun () -> Unchecked.defaultof<Tensor> + s 1.0 |> ignore) |> ignore

[<Fact>]
let ``mismatched structures and tangents are rejected`` () =
    Assert.Throws<ShapeMismatchException>(fun () -> AD.jvp sin (vec [ 1.0; 2.0 ]) (vec [ 1.0 ]) |> ignore) |> ignore
    let _, pullback = AD.vjp (fun (x: Tensor) -> x * x) (vec [ 1.0; 2.0 ])
    Assert.Throws<ShapeMismatchException>(fun () -> pullback (s 1.0) |> ignore) |> ignore
    Assert.Throws<ArgumentException>(fun () -> Tree.unflatten (s 1.0, s 2.0) [| s 1.0 |] |> ignore) |> ignore
    Assert.Throws<ArgumentException>(fun () -> AD.grad (fun (x: Tensor, _: string) -> x) (s 1.0, "not a tensor") |> ignore) |> ignore
    Assert.Throws<ArgumentOutOfRangeException>(fun () -> AD.gradArgs [| 3 |] (fun a -> a[0]) [| s 1.0 |] |> ignore) |> ignore

[<Fact>]
let ``a Hessian-vector product refuses a vector of another shape before differentiating`` () =
    let mutable calls = 0
    let f (x: Tensor) = calls <- calls + 1; Tensor.sum (x * x)
    for product, name in [ AD.hvp, "hvp"; AD.hvpReverse, "hvpReverse" ] do
        let e = Assert.Throws<ShapeMismatchException>(fun () -> product f (vec [ 1.0; 2.0; 3.0 ]) (vec [ 1.0; 2.0 ]) |> ignore)
        Assert.Equal(name, e.Operation)
        Assert.Equal("v", e.ParamName)
        Assert.Contains("[3]", e.Message)
        Assert.Contains("[2]", e.Message)
    Assert.Equal(0, calls)

[<Fact>]
let ``singular and indefinite matrices are reported, not turned into infinities`` () =
    let singular = Tensor.ofArray2D (array2D [ [ 1.0; 2.0 ]; [ 2.0; 4.0 ] ])
    let e = Assert.Throws<LinearAlgebraException>(fun () -> Tensor.solve singular (vec [ 1.0; 1.0 ]) |> ignore)
    Assert.Equal("solve", e.Operation)
    Assert.Throws<LinearAlgebraException>(fun () -> Tensor.inverse singular |> ignore) |> ignore
    Assert.Equal(0.0, scalarOf (Tensor.det singular))
    Assert.Throws<LinearAlgebraException>(fun () -> Tensor.cholesky (Tensor.ofArray2D (array2D [ [ 1.0; 0.0 ]; [ 0.0; -1.0 ] ])) |> ignore) |> ignore
