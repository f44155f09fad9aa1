/// The main demo: the lecture notes' worked examples, reproduced with FunctionalAD, with their
/// forward/backward tables. Run: dotnet run -c Release --project Samples/Demo [-- --providers]
module FunctionalAD.Demo.Program

open System
open FunctionalAD
open FunctionalAD.Learn

let section (title: string) =
    printfn ""
    printfn "== %s %s" title (String('=', max 0 (76 - title.Length)))

let show (label: string) (t: Tensor) = printfn "%-44s %s" label ((string t.Value).Replace("\n", " "))

let logisticLoss () =
    section "Seeds: logistic loss of one sample, f(w) = log(1 + exp(-3.5 w))"
    let f (w: Tensor) = log (1.0 + exp (-3.5 * w))
    let w = Tensor.scalar 0.5
    printfn "The program, as the graph records it:"
    printfn "%s" (Inspect.listing f w)
    printfn ""
    printfn "Forward values, local derivatives and backward adjoints (the lecture's λ table):"
    printfn "%O" (Explain.table f w)
    printfn ""
    show "automatic differentiation  f'(0.5) =" (AD.grad f w)
    show "analytic  -yx/(1 + exp(yxw))      =" (Tensor.scalar (-3.5 / (1.0 + Math.Exp(3.5 * 0.5))))
    show "central finite difference          =" (Numerical.gradient f w)
    show "second derivative f''(0.5)         =" (AD.grad (AD.grad f) w)

let hiddenLayer () =
    section "Seeds: one hidden layer, f(w0, w1) = (1 - w1 tanh(3.5 w0))^2"
    let f (w0: Tensor, w1: Tensor) = Tensor.square (1.0 - w1 * tanh (3.5 * w0))
    let g0, g1 = AD.grad f (Tensor.scalar 0.3, Tensor.scalar 0.8)
    show "df/dw0 at (0.3, 0.8) =" g0
    show "df/dw1 at (0.3, 0.8) =" g1
    printfn "%O" (Explain.table f (Tensor.scalar 0.3, Tensor.scalar 0.8))

let vectorLogistic () =
    section "Seeds: sum_i log(1 + exp(-y_i w.x_i)) on a 100 x 20 problem"
    let x = Tensor.randomNormal 1 [| 100; 20 |]
    let y = Tensor.where (Tensor.greater (Tensor.randomNormal 2 [| 100 |]) (Tensor.scalar 0.0)) (Tensor.scalar 1.0) (Tensor.scalar -1.0)
    let w = 0.1 * Tensor.randomNormal 3 [| 20 |]
    let loss (w: Tensor) = Tensor.sum (log (1.0 + exp (-y * Tensor.matmul x w)))
    let ad = AD.grad loss w
    let analytic = -(Tensor.matmul (Tensor.transpose x) (y / (1.0 + exp (y * Tensor.matmul x w))))
    printfn "max |AD - analytic| over the 20 components = %.3g" ((Tensor.max (abs (ad - analytic))).ToScalar())
    let z = Tensor.randomNormal 4 [| 100 |]
    let _, pullback = AD.vjp (fun w -> tanh (Tensor.matmul x w)) w
    printfn "vector-Jacobian product z^T J for tanh(Xw): first entries %s" ((string (Tensor.slice [| (0, 3, 1) |] (pullback z)).Value).Replace("\n", " "))

let secondOrder () =
    section "Seeds: second order, the Hessian of tanh(x w0)"
    let x = 3.5
    let h = AD.hessian (fun w -> tanh (x * w)) (Tensor.scalar 0.2)
    let t = Math.Tanh(x * 0.2)
    show "AD hessian at w0 = 0.2 =" h
    show "closed form -2 x^2 t (1 - t^2) =" (Tensor.scalar (-2.0 * x * x * t * (1.0 - t * t)))

let chainRuleExamples () =
    section "Seeds: chain rule, Jacobians and reused inputs"
    show "grad of x1^3 x2 at (2, 3) =" (AD.grad (fun (x: Tensor) -> x[0] ** 3.0 * x[1]) (Tensor.ofArray [| 2.0; 3.0 |]))
    let dW = AD.gradArgs [| 2 |] (fun a -> Tensor.square (a[0] * (a[1] + a[2]))) [| Tensor.scalar 2.0; Tensor.scalar 2.0; Tensor.scalar 3.0 |]
    show "D_W (X(Z+W))^2 at (2, 2, 3) =" dW[0]
    let gx, gy = AD.grad (fun (x: Tensor, y: Tensor) -> x * Tensor.square (x + y)) (Tensor.scalar 1.0, Tensor.scalar 2.0)
    printfn "%-44s (%g, %g)" "grad of x (x+y)^2 at (1, 2) =" (gx.ToScalar()) (gy.ToScalar())
    let x = Tensor.ofArray [| 1.5; -2.0; 0.5 |]
    printfn "Jacobian of (x1^2, x1 x2 x3) at (1.5, -2, 0.5), outputs x inputs:"
    printfn "%O" (AD.jacobian (fun (x: Tensor) -> Tensor.stack 0 [ x[0] * x[0]; x[0] * x[1] * x[2] ]) x).Value
    printfn "Jacobian of (x2^2, x1 + x2, x1 x2) at (0.7, 3):"
    printfn "%O" (AD.jacobian (fun (x: Tensor) -> Tensor.stack 0 [ x[1] * x[1]; x[0] + x[1]; x[0] * x[1] ]) (Tensor.ofArray [| 0.7; 3.0 |])).Value
    let f (a: Tensor) (b: Tensor) = Tensor.sum (a * sin b)
    let z = Tensor.ofArray [| 0.3; -1.1 |]
    show "D_Z f(Z, 2Z) =" (AD.grad (fun z -> f z (2.0 * z)) z)
    show "D_X f + 2 D_Y f =" (AD.grad (fun a -> f a (2.0 * z)) z + 2.0 * AD.grad (fun b -> f z b) (2.0 * z))

let expressionSwell () =
    section "Seeds: symbolic vs automatic differentiation of f_k(...f_2(f_1(x)))"
    let chain k (x: Tensor) =
        let mutable v = x
        for i in 1 .. k do
            v <- (match i % 3 with 0 -> sin v | 1 -> 0.5 * v + 0.1 | _ -> tanh v)
        v
    printfn "%8s %14s %16s %10s" "k" "nodes of f_k" "nodes of grad f_k" "ratio"
    for k in [ 10; 100; 1000; 10000 ] do
        let nodes = Inspect.count (chain k) (Tensor.scalar 0.3)
        let gradNodes = Inspect.count (AD.grad (chain k)) (Tensor.scalar 0.3)
        printfn "%8d %14d %16d %10.2f" k nodes gradNodes (float gradNodes / float nodes)
    printfn "The derivative graph grows linearly in k: shared subexpressions are one node."

let forwardMode () =
    section "Seeds: numerical vs forward-mode differentiation of 2x^4 - 1"
    let f (x: Tensor) = 2.0 * x ** 4.0 - 1.0
    for x in [ 2.0; 3.0 ] do
        let central = Numerical.directional f (Tensor.scalar x) (Tensor.scalar 1.0)
        let forward = AD.derivative f (Tensor.scalar x)
        printfn "x = %g: central difference %.17g, forward mode %.17g, exact %g" x (central.ToScalar()) (forward.ToScalar()) (8.0 * x ** 3.0)
    let inner (x: Tensor) = x * AD.grad (fun y -> x + y) (Tensor.scalar 1.0)
    printfn "d/dx [x * d/dy (x + y)] at x = 2 (no perturbation confusion): %g" ((AD.grad inner (Tensor.scalar 2.0)).ToScalar())

let machineLearning () =
    section "Machine learning on real data (data/, UCI via scikit-learn)"
    printfn "Logistic regression on breast cancer (the lectures' binary classifier), ||grad|| <= 1e-8:"
    printfn "  %-26s %10s %12s %12s %9s" "method" "iterations" "loss" "test acc." "seconds"
    for run in Demos.logisticBreastCancer 1e-8 do
        printfn "  %-26s %10d %12.8f %11.1f%% %9.2f" run.Method run.Iterations run.FinalLoss (100.0 * run.TestAccuracy) run.Seconds
    let quiet _ _ = ()
    let digits = Demos.mlpDigits Demos.mlpDigitsDefaults quiet
    printfn "%s, %d epochs of Adam: test accuracy %.1f%% in %.1f s" digits.Name digits.Epochs.Length (100.0 * digits.TestAccuracy) digits.Seconds
    let wine = Demos.softmaxWine 60 quiet
    printfn "%s, 60 epochs: test accuracy %.1f%% in %.1f s" wine.Name (100.0 * wine.TestAccuracy) wine.Seconds
    printfn "(Progress bars, curves and the lectures' advanced derivatives: dotnet run --project Samples/Learn -c Release)"

[<EntryPoint>]
let main argv =
    let choice = Providers.UseBest()
    printfn "FunctionalAD demo: the lecture notes' worked examples"
    // One quiet line: which provider runs; why the others do not only when asked (--providers).
    if Array.contains "--providers" argv then printfn "Linear-algebra providers:\n%s" (Providers.Describe())
    else printfn "Linear-algebra provider: %s (--providers says why the others are not used)" choice.Name
    logisticLoss ()
    hiddenLayer ()
    vectorLogistic ()
    secondOrder ()
    chainRuleExamples ()
    expressionSwell ()
    forwardMode ()
    machineLearning ()
    0
