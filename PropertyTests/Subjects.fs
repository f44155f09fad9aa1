/// What the laws are checked on: a function of one tensor at a point, from either the primitive
/// catalogue or a random program, with the scale its rounding errors are measured against.
module FunctionalAD.PropertyTests.Subjects

open FsCheck.FSharp
open FunctionalAD
open FunctionalAD.PropertyTests.Programs

/// A function at a point.
type Subject =
    { F: Tensor -> Tensor
      X: Tensor
      /// The largest magnitude among the values f computes with.
      Scale: float
      /// Deterministic random tensors shaped like a template, one per index.
      Random: int -> Tensor -> Tensor }

    /// A scalar function built from f: ⟨w, f(x)⟩ for a fixed random w, so every output element
    /// contributes to gradients and Hessians.
    member s.Scalar =
        let w = s.Random 99 (s.F s.X)
        fun (x: Tensor) -> Tensor.sum (s.F x * w)

let ofCase (c: Catalogue.Case) =
    let x = c.Packed
    { F = c.OfPacked; X = x; Scale = max (Approx.magnitude x) (Approx.magnitude (c.OfPacked x)); Random = c.DirectionLike }

let ofProgram (p: Program) =
    let x = p.Input.Tensor
    { F = p.Run; X = x; Scale = p.Scale x; Random = p.DirectionLike }

/// Programs for first-order laws: up to 10 instructions.
let programs = admissiblePrograms 10

/// Programs for second-order laws, which cost a sweep per input element: up to 6 instructions.
let shortPrograms = admissiblePrograms 6

/// A law on every primitive of the catalogue, at points of its domain.
let onPrimitives (law: Subject -> unit) = Prop.forAll Catalogue.cases (ofCase >> law)

/// A law on random programs of up to 10 instructions.
let onPrograms (law: Subject -> unit) = Prop.forAll programs (ofProgram >> law)

/// A law on random programs of up to 6 instructions (for second-order laws).
let onShortPrograms (law: Subject -> unit) = Prop.forAll shortPrograms (ofProgram >> law)
