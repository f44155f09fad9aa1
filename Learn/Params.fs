namespace FunctionalAD.Learn

open System
open FunctionalAD

/// Arithmetic on parameter structures (a tensor, or records, tuples, arrays and lists of tensors:
/// see `Tree`), and conversion to and from one flat vector for the methods that need a matrix
/// (Newton's Hessian) or plain vector algebra (L-BFGS).
[<RequireQualifiedAccess>]
module Params =
    /// The number of scalars in a structure.
    let count (parameters: 'P) = Tree.leaves parameters |> Array.sumBy (fun t -> t.Size)

    /// Every tensor of the structure, flattened and joined in `Tree.leaves` order (differentiable).
    let flatten (parameters: 'P) : Tensor =
        let leaves = Tree.leaves parameters
        if leaves.Length = 0 then raise (ArgumentException("Params.flatten: the structure holds no tensor", "parameters"))
        Tensor.concat 0 (leaves |> Array.map Tensor.flatten)

    /// The structure shaped like `template` whose tensors are consecutive pieces of `vector`
    /// (differentiable: the inverse of `flatten`).
    let unflatten (template: 'P) (vector: Tensor) : 'P =
        let leaves = Tree.leaves template
        let total = leaves |> Array.sumBy (fun t -> t.Size)
        if vector.Rank <> 1 || vector.Size <> total then
            raise (ArgumentException(sprintf "Params.unflatten: the structure holds %d scalars but the vector has shape %A" total vector.Shape, "vector"))
        let offsets = Array.scan (fun o (t: Tensor) -> o + t.Size) 0 leaves
        leaves
        |> Array.mapi (fun i leaf -> vector |> Tensor.slice [| offsets[i], offsets[i + 1], 1 |] |> Tensor.reshape leaf.Shape)
        |> Tree.unflatten template

    /// Σ over all tensors of ⟨a, b⟩.
    let dot (a: 'P) (b: 'P) : float =
        Array.fold2 (fun acc (x: Tensor) (y: Tensor) -> acc + Tensor.toScalar (Tensor.sum (x * y))) 0.0 (Tree.leaves a) (Tree.leaves b)

    /// The Euclidean norm of all scalars of a structure.
    let norm (parameters: 'P) = Math.Sqrt(dot parameters parameters)

    /// a + c·b, tensor by tensor.
    let addScaled (a: 'P) (c: float) (b: 'P) : 'P = Tree.map2 (fun x y -> x + c * y) a b

    /// Zeros shaped like the structure.
    let zerosLike (parameters: 'P) : 'P = Tree.map Tensor.zerosLike parameters
