/// Hostile inputs: dimensions that are negative, zero, or too large to hold; shapes built from
/// them; values that are ±∞, NaN, signed zeros, the extremes of float64; malformed text. Every
/// generator is deterministic (a fixed seed), so a failure names an input that reproduces.
module FunctionalAD.Adversarial.Hostile

open System
open FunctionalAD

/// Dimensions: ordinary, zero, negative, and large enough that products overflow 32 bits.
let dimensions = [| 0; 1; 2; 3; -1; -2; 65536; 50000; Int32.MaxValue |]

/// Every shape of rank 0 to 2 over `dimensions`, and some of rank 3.
let shapes =
    [| yield [||]
       for a in dimensions do yield [| a |]
       for a in dimensions do
           for b in dimensions do yield [| a; b |]
       yield! [| [| 1; 0; 2 |]; [| 2; 1; 3 |]; [| 65536; 65536; 0 |]; [| 2; -3; 0 |]; [| 2048; 2048; 1024 |] |] |]

/// Shapes that hold a tensor a test can afford: ordinary, with empty dimensions, with ones.
let operandShapes = [| [||]; [| 0 |]; [| 1 |]; [| 3 |]; [| 2; 3 |]; [| 3; 1 |]; [| 1; 3 |]; [| 0; 3 |]; [| 2; 0 |]; [| 2; 1; 3 |]; [| 4; 2; 3 |] |]

/// Special values of float64.
let specials = [| 0.0; -0.0; Double.PositiveInfinity; Double.NegativeInfinity; Double.NaN; 1e308; -1e308; 5e-324 |]

/// The number of elements, in 64 bits (so that the reference itself cannot overflow).
let count (shape: int[]) = shape |> Array.fold (fun acc d -> acc * int64 d) 1L

/// The special values whose sums do not depend on the order of summation (unlike ±1e308,
/// where 1e308 − 1e308 + x and 1e308 + x − 1e308 are both right and differ).
let nonFinite = [| 0.0; -0.0; Double.PositiveInfinity; Double.NegativeInfinity; Double.NaN |]

/// A tensor of the shape with values from a seeded generator; about one value in four is one
/// of `pool` (none when it is empty).
let tensorFrom (pool: float[]) (seed: int) (shape: int[]) =
    let rng = Random(seed)
    let n = int (count shape)
    let data = Array.init n (fun _ -> if pool.Length > 0 && rng.Next 4 = 0 then pool[rng.Next pool.Length] else Math.Round(rng.NextDouble() * 8.0 - 4.0, 2))
    Tensor.create shape data

/// `tensorFrom specials` with `special`, else ordinary values only.
let tensor (seed: int) (special: bool) (shape: int[]) = tensorFrom (if special then specials else [||]) seed shape

/// Axes to reduce or index along: in range, negative, out of range, repeated.
let axisLists = [| [||]; [| 0 |]; [| 1 |]; [| -1 |]; [| 2 |]; [| -3 |]; [| 5 |]; [| 0; 1 |]; [| 0; 0 |]; [| 1; -1 |]; [| Int32.MinValue |] |]

/// Starts and stops of slices, and steps (zero and negative ones are refused).
let bounds = [| 0; 1; -1; 2; 5; -100; Int32.MaxValue; Int32.MinValue |]
let steps = [| 1; 2; 3; Int32.MaxValue; 0; -1 |]

/// Einsum specifications: valid, malformed, inconsistent.
let einsumSpecs =
    [| "ij,jk->ik"; "ij,jk"; "ii->"; "i,i->"; "ij->ji"; ""; " "; "->"; "ij,jk->ik->"; "1i,j"; "ij,jk->il"; "ij,,jk"; "ijk,jk->i"; "i->ii"; "ij->"; "é,é" |]

/// Text the `fad` expression parser must refuse or evaluate, never crash on.
let expressions (seed: int) (n: int) =
    let tokens = [| "x"; "y"; "1"; "2.5"; "1e400"; "-"; "+"; "*"; "/"; "^"; "("; ")"; "["; "]"; ","; "sin("; "max("; "pow("; "sum("; "dot("; "log("; "0"; "e"; "pi"; "nan"; "foo("; " "; "."; "1e"; "x^y^x"; "--" |]
    let rng = Random(seed)
    [| for _ in 1 .. n -> String.Join("", Array.init (1 + rng.Next 12) (fun _ -> tokens[rng.Next tokens.Length])) |]

/// Well-formed expressions over x and y with hostile constants (0, 1e400, huge exponents) and
/// functions at the edges of their domains (log 0, sqrt of a negative, 0^0, 0/0).
let wellFormed (seed: int) (n: int) =
    let rng = Random(seed)
    let atoms = [| "x"; "y"; "0"; "1"; "2.5"; "1e400"; "1e-320"; "pi"; "e"; "[1, 2]" |]
    let unary = [| "exp"; "log"; "sqrt"; "sin"; "tanh"; "abs"; "sigmoid"; "softplus"; "relu"; "sum"; "log1p"; "expm1" |]
    let binary = [| "+"; "-"; "*"; "/"; "^" |]
    let pairs = [| "max"; "min"; "pow" |]
    let rec build depth =
        match (if depth = 0 then 0 else rng.Next 4) with
        | 0 -> atoms[rng.Next atoms.Length]
        | 1 -> sprintf "%s(%s)" unary[rng.Next unary.Length] (build (depth - 1))
        | 2 -> sprintf "(%s %s %s)" (build (depth - 1)) binary[rng.Next binary.Length] (build (depth - 1))
        | _ -> sprintf "%s(%s, %s)" pairs[rng.Next pairs.Length] (build (depth - 1)) (build (depth - 1))
    [| for _ in 1 .. n -> build 4 |]

/// A well-formed scikit-learn CSV data set and hostile variations of it, each with a name.
let csvFiles =
    let good = "4,2,no,yes\n1.5,2,0\n3,4,1\n-1,0.25,1\n2,2,0\n"
    [| "well-formed", good
       "empty cell", "1,,0\n3,4,1\n"
       "shifted empty cell", "4,,5,1\n1,2,3,0\n"
       "header only", "2,2,a,b\n"
       "header and blank lines", "2,2,a,b\n\n\n"
       "empty file", ""
       "whitespace only", "  \n \n"
       "semicolons", "1;2;0\n3;4;1\n"
       "tabs", "1\t2\t0\n3\t4\t1\n"
       "NaN feature", "1,NaN,0\n3,4,1\n"
       "infinite feature", "1,Infinity,0\n"
       "overflowing feature", "1e400,2,0\n"
       "huge label", "1,2,0\n3,4,2000000000\n"
       "overflowing label", "1,2,1e400\n"
       "negative label", "1,2,-1\n"
       "fractional label", "1,2,0.5\n"
       "ragged rows", "1,2,0\n1,2,3,1\n"
       "one column", "1\n2\n"
       "wrong sample count", "5,2,a,b\n1,2,0\n"
       "negative sample count", "-1,2,a,b\n1,2,0\n"
       "header names too few classes", "2,2,a\n1,2,0\n3,4,1\n"
       "text cell", "1,x,0\n"
       "CRLF", "1,2,0\r\n3,4,1\r\n"
       "binary junk", "\u0000\u0001,\u0002\n" |]
