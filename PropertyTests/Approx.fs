/// Comparing numbers with tolerances that say where they come from, and the finite-difference
/// oracle with its error bound.
module FunctionalAD.PropertyTests.Approx

open System
open FunctionalAD

let epsilon = Math.Pow(2.0, -52)

/// Relative tolerance for comparing two exact derivative computations (AD against AD, or AD
/// against a closed form): they differ only by rounding, a few ε per operation on the path,
/// amplified by cancellation; 1e-9 leaves room for programs of tens of operations.
let exactTolerance = 1e-9

/// Fails with a message naming the law, the position and both values unless
/// |actual − expected| ≤ tolerance.
let within (law: string) (tolerance: float) (expected: float) (actual: float) =
    if not (abs (actual - expected) <= tolerance) then
        failwithf "%s: expected %.17g, got %.17g (difference %.3g > tolerance %.3g)" law expected actual (abs (actual - expected)) tolerance

/// Elementwise comparison of two tensors of one shape with a relative tolerance on the scale
/// `scale` (the magnitude of the quantities the results were computed from).
let tensorsClose (law: string) (relative: float) (scale: float) (expected: Tensor) (actual: Tensor) =
    if expected.Shape <> actual.Shape then failwithf "%s: shapes differ, expected %A, got %A" law expected.Shape actual.Shape
    let e, a = expected.ToArray(), actual.ToArray()
    for k in 0 .. e.Length - 1 do
        within (sprintf "%s (element %d)" law k) (relative * (scale + abs e[k])) e[k] a[k]

/// Largest absolute value in a tensor.
let magnitude (t: Tensor) = t.ToArray() |> Array.fold (fun m v -> max m (abs v)) 0.0

/// The finite-difference step for a point: relative step 1e-5, scaled by max(1, |x|∞).
let stepFor (x: Tensor) = 1e-5 * max 1.0 (magnitude x)

/// The central difference of f at x along v, with a per-element error bound.
///
/// The central difference D(h) = (f(x + hv) − f(x − hv)) / 2h has two errors:
/// - truncation, h²/6 · f'''(x)[v, v, v] + O(h⁴). Rather than guess |f'''|, we estimate it:
///   D(2h) − D(h) = 3·h²/6 · f''' + O(h⁴), three times the truncation error at h, so
///   |D(2h) − D(h)| bounds the truncation error of D(h) with a margin of 3;
/// - rounding: each evaluation of f is off by about κ·ε·s, where s is the magnitude of the
///   quantities f computes with (`scale`: its intermediates, not only its result, since a
///   difference of large intermediates can be small) and κ grows with the number of operations;
///   the quotient magnifies that by 1/h. κ = 64 covers the programs we generate (≤ 12 steps).
/// The bound is the sum of the two.
let centralDifference (f: Tensor -> Tensor) (x: Tensor) (v: Tensor) (scale: float) =
    let h = stepFor x
    let d1 = Numerical.directionalWith CentralDifference h f x v
    let d2 = Numerical.directionalWith CentralDifference (2.0 * h) f x v
    let rounding = 64.0 * epsilon * (scale + 1.0) * (magnitude v + 1.0) / h
    let bound = Array.map2 (fun a b -> abs (a - b) + rounding) (d1.ToArray()) (d2.ToArray())
    d1, bound

/// Fails unless every element of `actual` is within the finite-difference bound (plus the
/// exact-computation tolerance) of the central difference of f at x along v.
let matchesFiniteDifference (law: string) (f: Tensor -> Tensor) (x: Tensor) (v: Tensor) (scale: float) (actual: Tensor) =
    let fd, bound = centralDifference f x v scale
    if fd.Shape <> actual.Shape then failwithf "%s: shapes differ, finite difference %A, derivative %A" law fd.Shape actual.Shape
    let e, a = fd.ToArray(), actual.ToArray()
    for k in 0 .. e.Length - 1 do
        within (sprintf "%s (element %d)" law k) (bound[k] + exactTolerance * (scale + abs e[k])) e[k] a[k]

/// ⟨a, b⟩ of two tensors of one shape.
let inner (a: Tensor) (b: Tensor) = Array.fold2 (fun acc x y -> acc + x * y) 0.0 (a.ToArray()) (b.ToArray())

/// Σ|aᵢ·bᵢ|: the scale against which the rounding error of ⟨a, b⟩ is measured.
let absInner (a: Tensor) (b: Tensor) = Array.fold2 (fun acc x y -> acc + abs (x * y)) 0.0 (a.ToArray()) (b.ToArray())
