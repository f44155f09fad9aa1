/// Hand-picked hostile inputs with closed-form answers: derivatives at the edges of their
/// domains (to the third order), SciPy's logsumexp conventions, sizes that overflow 32 bits,
/// custom rules that return the wrong shape, donation next to shared constants, failed traces,
/// nesting across threads, and inputs nested deeper than a stack.
module FunctionalAD.Adversarial.EdgeCases

open System
open System.Linq.Expressions
open System.Threading.Tasks
open FunctionalAD
open FunctionalAD.Adversarial.Outcomes

type private FacadeAD = FunctionalAD.AD

let private value entry input operation run = { Entry = entry; Input = input; Operation = operation; Expect = ExpectValue; Run = run }
let private refusal entry input operation run = { Entry = entry; Input = input; Operation = operation; Expect = ExpectRefusal; Run = run }
let private either entry input operation run = { Entry = entry; Input = input; Operation = operation; Expect = ExpectEither; Run = run }

let private equals (expected: float[]) (t: Tensor) = Reference.compare 1e-12 expected (t.ToArray())
let private scalarIs (expected: float) (actual: float) = if Reference.close 1e-12 expected actual then None else Some(sprintf "%g where %g was expected" actual expected)

/// The n-th derivative of a scalar function at a point, by nested `derivative`.
let private nth n (f: Tensor -> Tensor) (x: float) = (AD.nthDerivative n f (Tensor.scalar x)).ToScalar()

/// Derivatives at the edges: powers at 0 (JAX's answers), logsumexp at ±∞ and on empty axes.
let derivatives =
    let powTensor (c: float) (x: Tensor) = Tensor.pow x (Tensor.scalar c)
    [ value "AD.derivative" "d/dx x^0 at 0 (tensor exponent)" "pow" (fun () -> scalarIs 0.0 (nth 1 (powTensor 0.0) 0.0))
      value "AD.derivative" "d/dx x^0 at 0 (constant exponent)" "powConst" (fun () -> scalarIs 0.0 (nth 1 (Tensor.powConst 0.0) 0.0))
      value "AD.grad" "∇ Σ x^[0,1,2,3] at 0" "pow" (fun () ->
          equals [| 0.0; 1.0; 0.0; 0.0 |] (AD.grad (fun x -> Tensor.sum (Tensor.pow x (Tensor.ofArray [| 0.0; 1.0; 2.0; 3.0 |]))) (Tensor.zeros [| 4 |])))
      for order, expected in [ 1, 0.0; 2, 2.0; 3, 0.0; 4, 0.0 ] do
          value "AD.nthDerivative" (sprintf "order %d of x^2 at 0 (tensor exponent)" order) "pow" (fun () -> scalarIs expected (nth order (powTensor 2.0) 0.0))
          value "AD.nthDerivative" (sprintf "order %d of x^2 at 0 (constant exponent)" order) "powConst" (fun () -> scalarIs expected (nth order (Tensor.powConst 2.0) 0.0))
      for order, expected in [ 1, 0.0; 2, 0.0; 3, 6.0; 4, 0.0 ] do
          value "AD.nthDerivative" (sprintf "order %d of x^3 at 0 (tensor exponent)" order) "pow" (fun () -> scalarIs expected (nth order (powTensor 3.0) 0.0))
      value "Tensor.logsumexp" "[−∞, −∞]" "logsumexp" (fun () -> equals [| Double.NegativeInfinity |] (Tensor.logsumexp (Tensor.ofArray [| -infinity; -infinity |])))
      value "Tensor.logsumexp" "[∞, 1]" "logsumexp" (fun () -> equals [| infinity |] (Tensor.logsumexp (Tensor.ofArray [| infinity; 1.0 |])))
      value "Tensor.logsumexp" "[−∞, 2]" "logsumexp" (fun () -> equals [| 2.0 |] (Tensor.logsumexp (Tensor.ofArray [| -infinity; 2.0 |])))
      value "Tensor.logsumexp" "an empty vector" "logsumexp" (fun () -> equals [| Double.NegativeInfinity |] (Tensor.logsumexp (Tensor.zeros [| 0 |])))
      value "Tensor.logsumexpAxes" "axis 1 of [2,0]" "logsumexp" (fun () -> equals [| -infinity; -infinity |] (Tensor.logsumexpAxes [| 1 |] false (Tensor.zeros [| 2; 0 |])))
      value "Tensor.softmax" "an empty axis" "softmax" (fun () -> if (Tensor.softmax 0 (Tensor.zeros [| 0 |])).Shape = [| 0 |] then None else Some "not an empty vector")
      value "AD.grad" "logsumexp at [−∞, 0] (the softmax [0, 1])" "logsumexp" (fun () -> equals [| 0.0; 1.0 |] (AD.grad Tensor.logsumexp (Tensor.ofArray [| -infinity; 0.0 |])))
      value "AD.grad" "det at a singular matrix (the adjugate)" "det" (fun () ->
          // d det / dA = adj(A)ᵀ; for [[1,2],[2,4]] the cofactor matrix is [[4,−2],[−2,1]].
          equals [| 4.0; -2.0; -2.0; 1.0 |] (AD.grad Tensor.det (Tensor.create [| 2; 2 |] [| 1.0; 2.0; 2.0; 4.0 |])))
      value "AD.grad" "det at the zero 3×3 matrix" "det" (fun () -> equals (Array.zeroCreate 9) (AD.grad Tensor.det (Tensor.zeros [| 3; 3 |]))) ]

/// Sizes that overflow 32 bits or cannot be allocated, and their near misses computed right.
let sizes =
    let ones n = Tensor.ones [| n; n |]
    [ refusal "Tensors.Zeros (C#)" "65536 × 65536" "zeros" (fun () -> equals [||] (Tensors.Zeros(65536, 65536)))
      refusal "Tensors.Zeros (C#)" "50000 × 50000" "zeros" (fun () -> equals [||] (Tensors.Zeros(50000, 50000)))
      refusal "Tensors.Zeros (C#)" "-1" "zeros" (fun () -> equals [||] (Tensors.Zeros(-1)))
      refusal "Tensor.BroadcastTo (C#)" "[1] to 65536 × 65536" "broadcastTo" (fun () -> equals [||] ((Tensors.Vector 1.0).BroadcastTo(65536, 65536)))
      refusal "Tensor.Reshape (C#)" "6 elements to [-2, -3]" "reshape" (fun () -> equals [||] ((Tensors.Zeros 6).Reshape(-2, -3)))
      refusal "Tensor.Reshape (C#)" "0 elements to 65536 × 65536 (wraps to 0 in 32 bits)" "reshape" (fun () -> equals [||] ((Tensors.Zeros 0).Reshape(65536, 65536)))
      refusal "Tensor.Reshape (C#)" "6 elements to [2, 65536, 32768, 3] (wraps to 6·2³² ≡ 6 in 32 bits)" "reshape" (fun () -> equals [||] ((Tensors.Zeros 6).Reshape(2, 65536, 32768, 3)))
      refusal "Tensors.Einsum (C#)" "ij,jk,kl->il on three 300 × 300 matrices (300⁴ steps)" "einsum" (fun () -> equals [||] (Tensors.Einsum("ij,jk,kl->il", ones 300, ones 300, ones 300)))
      value "Tensors.Einsum (C#)" "ij,jk,kl->il on three 30 × 30 matrices of ones" "einsum" (fun () -> equals (Array.create 900 900.0) (Tensors.Einsum("ij,jk,kl->il", ones 30, ones 30, ones 30)))
      value "Tensor.Slice (C#)" "0:5:int.MaxValue of [0,1,2,3,4]" "slice" (fun () -> equals [| 0.0 |] ((Tensors.Arange 5).Slice(0, 0, 5, Int32.MaxValue)))
      refusal "Tensor.Slice (C#)" "step 0" "slice" (fun () -> equals [||] ((Tensors.Arange 5).Slice(0, 0, 5, 0)))
      refusal "Tensors.Einsum (C#)" "an empty specification on two operands" "einsum" (fun () -> equals [||] (Tensors.Einsum("", ones 2, ones 2)))
      refusal "Tensors.Concat (C#)" "axis 5 of vectors (reported as given)" "concat: axis 5" (fun () -> equals [||] (Tensors.Concat(5, Tensors.Arange 2, Tensors.Arange 2)))
      refusal "Tensors.Concat (C#)" "axis −3 of vectors (reported as given)" "concat: axis -3" (fun () -> equals [||] (Tensors.Concat(-3, Tensors.Arange 2, Tensors.Arange 2)))
      refusal "Tensors.Stack (C#)" "a vector and a matrix" "stack" (fun () -> equals [||] (Tensors.Stack(0, Tensors.Arange 2, Tensors.Zeros(2, 2))))
      refusal "Tensor.Softmax (C#)" "axis 3 of a vector" "softmax" (fun () -> equals [||] ((Tensors.Arange 2).Softmax 3))
      refusal "Tensor.trace" "a vector" "trace" (fun () -> equals [||] (Tensor.trace (Tensors.Arange 3))) ]

/// Custom rules whose results have the wrong shape or count: refused, naming the rule.
let customRules =
    let square (x: Tensor) = x * x
    let wrongJvp = Custom.withJvp "badJvp" square (fun _ _ _ -> Tensor.scalar 1.0)
    let wrongVjp = Custom.withVjp "badVjp" square (fun _ _ _ -> Tensor.scalar 1.0)
    let uninitialised = Custom.withVjp "defaultVjp" square (fun _ _ _ -> Unchecked.defaultof<Tensor>)
    let tooMany = Custom.define "twoCotangents" (fun xs -> square xs[0]) { Jvp = None; Vjp = Some(fun _ _ g -> [| g; g |]) }
    let v = Tensor.ofArray [| 1.0; 2.0; 3.0 |]
    [ refusal "Custom.withJvp" "a scalar tangent for a vector output (jvp)" "badJvp" (fun () -> equals [||] (snd (AD.jvp wrongJvp v (Tensor.onesLike v))))
      refusal "Custom.withJvp" "a scalar tangent for a vector output (grad)" "badJvp" (fun () -> equals [||] (AD.grad (fun x -> Tensor.sum (wrongJvp x)) v))
      refusal "Custom.withVjp" "a scalar cotangent for a vector input" "badVjp" (fun () -> equals [||] (AD.grad (fun x -> Tensor.sum (wrongVjp x)) v))
      refusal "Custom.withVjp" "a scalar cotangent, in forward mode" "badVjp" (fun () -> equals [||] (snd (AD.jvp wrongVjp v (Tensor.onesLike v))))
      refusal "Custom.withVjp" "an uninitialised cotangent" "defaultVjp" (fun () -> equals [||] (AD.grad (fun x -> Tensor.sum (uninitialised x)) v))
      refusal "Custom.define" "two cotangents for one input" "twoCotangents" (fun () -> equals [||] (AD.grad (fun x -> Tensor.sum (tooMany [| x |])) v)) ]

/// Shared state a user could observe: donation next to equal constants, failed traces.
let sharedState =
    [ value "AD.CompileDonating (C#)" "x * 3 on a, then reading an unrelated b of the same value" "tensor" (fun () ->
          let a: Tensor = Tensor.op_Implicit 3.0
          let b: Tensor = Tensor.op_Implicit 3.0
          let tripled = FacadeAD.CompileDonating(Func<Tensor, Tensor>(fun x -> x * 3.0)).Invoke a
          let unrelated = b * 3.0
          if tripled.ToScalar() = 9.0 && b.ToScalar() = 3.0 && unrelated.ToScalar() = 9.0 then None else Some "b changed")
      value "Compile.compileDonating" "a pullback holding the constant 3, then donating a tensor equal to 3" "tensor" (fun () ->
          let pullback = snd (AD.vjp (fun (t: Tensor) -> t * 3.0) (Tensor.scalar 4.0))
          let _ = Compile.compileDonating (fun (t: Tensor) -> t * 2.0) (Tensor.op_Implicit 3.0)
          scalarIs 3.0 ((pullback (Tensor.scalar 1.0)).ToScalar()))
      value "Compile.compile" "a function whose first trace fails" "compile" (fun () ->
          let mutable calls = 0
          let f (t: Tensor) =
              calls <- calls + 1
              if calls = 1 then invalidOp "compile: the first trace fails on purpose" else t * 2.0
          let compiled = Compile.compile f
          (try compiled (Tensor.scalar 1.0) |> ignore with :? InvalidOperationException -> ())
          scalarIs 4.0 ((compiled (Tensor.scalar 2.0)).ToScalar())) ]

/// Derivatives taken on other threads inside a derivative: the dependence on the outer
/// variable must survive (∂/∂x of ∂/∂y (x·y) is 1, not 0).
let threads =
    let inner (x: Tensor) = (AD.grad (fun (y: Tensor) -> x * y) (Tensor.scalar 1.0))
    [ value "AD.grad" "Task.Run inside grad" "grad" (fun () -> scalarIs 1.0 ((AD.grad (fun x -> Task.Run(fun () -> inner x).Result) (Tensor.scalar 3.0)).ToScalar()))
      value "AD.grad" "a thread of its own inside grad (Task.Run may run inline)" "grad" (fun () ->
          let onThread (x: Tensor) =
              let mutable result = Tensor.scalar nan
              let worker = Threading.Thread(fun () -> result <- inner x)
              worker.Start()
              worker.Join()
              result
          scalarIs 1.0 ((AD.grad onThread (Tensor.scalar 3.0)).ToScalar()))
      value "AD.grad" "an awaited task inside grad" "grad" (fun () ->
          let viaAwait (x: Tensor) =
              task {
                  do! Task.Yield()
                  let! y = Task.Run(fun () -> inner x * x)
                  return y
              }
          // d/dx (x · x) = 2x = 6 at 3, with the inner derivative taken after an await.
          scalarIs 6.0 ((AD.grad (fun x -> (viaAwait x).Result) (Tensor.scalar 3.0)).ToScalar()))
      value "AD.hessian" "a gradient taken on the thread pool inside a Hessian" "hessian" (fun () ->
          let f (x: Tensor) = Task.Run(fun () -> Tensor.sum (x * x * x)).Result
          equals [| 6.0; 0.0; 0.0; 12.0 |] (AD.hessian f (Tensor.ofArray [| 1.0; 2.0 |])))
      value "AD.grad" "64 gradients in parallel on the thread pool" "grad" (fun () ->
          let results = Array.Parallel.init 64 (fun i -> (AD.grad (fun x -> Tensor.sum (x * x)) (Tensor.scalar (float i))).ToScalar())
          Reference.compare 0.0 (Array.init 64 (fun i -> 2.0 * float i)) results) ]

/// Input nested deeper than a thread's stack: a LINQ tree and `fad` expressions. The answer is
/// right, or a clear refusal — never a stack overflow, which would end the process.
let nesting =
    let chain depth =
        let x = Expression.Parameter(typeof<float>, "x")
        let mutable body: Expression = x
        for _ in 1 .. depth do body <- Expression.Call(typeof<Math>.GetMethod("Sin", [| typeof<float> |]), body)
        Expression.Lambda<Func<float, float>>(body, x)
    let sum depth =
        let x = Expression.Parameter(typeof<float>, "x")
        let mutable body: Expression = x
        for _ in 1 .. depth do body <- Expression.Add(body, x)
        Expression.Lambda<Func<float, float>>(body, x)
    let fad (args: string[]) =
        let out, err = new IO.StringWriter(), new IO.StringWriter()
        let code = FunctionalAD.Cli.Commands.run args out err
        code, out.ToString().Trim(), err.ToString()
    let refusedOrValue (code: int, out: string, err: string) (expected: string) =
        if code = 0 then (if out.Contains expected then None else Some(sprintf "printed %s" out))
        elif err.StartsWith "error:" && err.Contains "nested too deeply" then raise (InvalidOperationException err)
        else Some(sprintf "exit code %d: %s" code err)
    [ either "AD.Grad (C#, expression tree)" "x + x + … + x, 100 000 deep" "nested too deeply" (fun () ->
          scalarIs 100001.0 (FacadeAD.Grad(sum 100_000).Invoke 0.5))
      either "AD.Derivative (C#, expression tree)" "sin(sin(…(x))), 20 000 deep" "nested too deeply" (fun () ->
          let d = FacadeAD.Derivative(chain 20_000)
          if isNull d then Some "no derivative" else None)
      either "fad eval" "20 000 nested parentheses" "nested too deeply" (fun () ->
          refusedOrValue (fad [| "eval"; String('(', 20_000) + "x" + String(')', 20_000); "--at"; "x=2" |]) "2")
      either "fad diff" "sin(sin(…(x))), 5 000 deep" "nested too deeply" (fun () ->
          refusedOrValue (fad [| "diff"; String.replicate 5000 "sin(" + "x" + String(')', 5000) |]) "cos")
      either "fad grad" "x+x+…+x, 50 000 terms" "nested too deeply" (fun () ->
          refusedOrValue (fad [| "grad"; String.Join("+", Array.create 50_000 "x"); "--at"; "x=1" |]) "50000") ]

let all = List.concat [ derivatives; sizes; customRules; sharedState; threads; nesting ]
