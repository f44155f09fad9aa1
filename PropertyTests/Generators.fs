/// Generators of shapes and of tensors with controlled magnitudes inside a chosen domain.
module FunctionalAD.PropertyTests.Generators

open FsCheck
open FsCheck.FSharp
open FunctionalAD

/// Shapes of rank 0 to 3 with dimensions 1 to 3: scalars, size-1 dimensions (which broadcast)
/// and small full dimensions.
let shape: Gen<int[]> =
    gen {
        let! rank = Gen.frequency [ 1, Gen.constant 0; 2, Gen.constant 1; 3, Gen.constant 2; 1, Gen.constant 3 ]
        return! Gen.arrayOfLength rank (Gen.choose (1, 3))
    }

/// A shape that broadcasts against `s`: some dimensions replaced by 1, some leading ones dropped.
let broadcastableTo (s: int[]) : Gen<int[]> =
    gen {
        let! drop = Gen.choose (0, s.Length)
        let! ones = Gen.arrayOfLength (s.Length - drop) (Gen.elements [ false; false; true ])
        return Array.map2 (fun d one -> if one then 1 else d) s[drop..] ones
    }

/// Where sample values lie: a magnitude range and whether negative values are allowed. Every
/// value has magnitude in [Low, High], so a domain with Low > 0 stays away from 0 (log, sqrt,
/// and the kinks of abs and relu).
type Domain =
    { Low: float
      High: float
      Signed: bool }

/// Values of either sign with magnitude in [0.1, 2]: away from 0, in the range where the
/// elementary functions are well scaled.
let anywhere = { Low = 0.1; High = 2.0; Signed = true }
/// Positive values in [0.2, 3] (log, sqrt, negative powers).
let positive = { Low = 0.2; High = 3.0; Signed = false }
/// Values in (−1.2, 1.2), inside tan's period.
let small = { Low = 0.05; High = 1.2; Signed = true }

/// One value of a domain.
let valueIn (d: Domain) : Gen<float> =
    gen {
        let! u = Gen.choose (0, 1_000_000)
        let! negative = if d.Signed then Gen.elements [ false; true ] else Gen.constant false
        let m = d.Low + (d.High - d.Low) * float u / 1e6
        return if negative then -m else m
    }

/// A sampled tensor: its shape and values. Values are printed in full when a
/// property fails, so a counterexample can be replayed by hand.
[<StructuredFormatDisplay("{Display}")>]
type Sample =
    { Shape: int[]
      Values: float[] }
    member s.Tensor = Tensor.create s.Shape s.Values
    member s.Display = sprintf "tensor %A %A" s.Shape s.Values

/// A tensor of the shape with values in the domain.
let sampleOf (d: Domain) (s: int[]) : Gen<Sample> =
    Gen.arrayOfLength (Shape.size s) (valueIn d) |> Gen.map (fun values -> { Shape = s; Values = values })
