namespace FunctionalAD

open System
open System.Linq.Expressions
open FunctionalAD.Symbolic

/// The derivatives the symbolic layer can write: computed by the core's AD on a graph traced
/// over abstract scalar inputs, then read back as terms.
module internal SymbolicDerivatives =
    /// Terms of `derivatives f` at abstract scalar inputs (one per parameter).
    let terms (arity: int) (f: Tensor[] -> Tensor) (derivatives: (Tensor[] -> Tensor) -> Tensor[] -> Tensor[]) : Term[] =
        let table = TermTable()
        Trace.runThen Trace.shapes (derivatives f) (Array.init arity (fun _ -> Tensor.scalar 0.0)) (fun tag inputs outputs ->
            FromGraph.terms table tag.Level inputs (outputs |> Array.map (fun t -> t.Node)))

    let gradient (f: Tensor[] -> Tensor) (x: Tensor[]) = AD.grad f x

    let partial (k: int) (f: Tensor[] -> Tensor) (x: Tensor[]) = AD.gradArgs [| k |] f x

    /// The Hessian row-major, forward-over-reverse as `AD.hessian`: the gradient's graph is
    /// linearized once and pushed along each basis direction (column j).
    let hessian (f: Tensor[] -> Tensor) (x: Tensor[]) =
        let n = x.Length
        let _, pushforward = AD.linearize (AD.grad f) x
        let columns = Array.init n (fun j -> pushforward (Array.init n (fun i -> Tensor.scalar (if i = j then 1.0 else 0.0))))
        Array.init (n * n) (fun k -> columns[k % n][k / n])

    let checkParameters (parameters: ParameterExpression seq) =
        if Seq.isEmpty parameters then raise (ArgumentException("Symbolic differentiation: the expression has no parameters to differentiate with respect to.", "f"))

    /// A lambda over `parameters` returning the one derivative term.
    let scalarLambda (parameters: ParameterExpression[]) (term: Term) : LambdaExpression =
        let emitted = ToExpression.emit parameters [| term |]
        Expression.Lambda(ToExpression.block emitted [] [] emitted.Outputs[0], parameters)

    /// A lambda over `parameters` returning the terms as a double[].
    let vectorLambda (parameters: ParameterExpression[]) (terms: Term[]) : LambdaExpression =
        let emitted = ToExpression.emit parameters terms
        Expression.Lambda(ToExpression.block emitted [] [] (Expression.NewArrayInit(typeof<float>, emitted.Outputs)), parameters)

    /// A lambda over `parameters` returning the n×n row-major terms as a double[,].
    let matrixLambda (parameters: ParameterExpression[]) (terms: Term[]) : LambdaExpression =
        let n = parameters.Length
        let emitted = ToExpression.emit parameters terms
        let matrix = Expression.Variable(typeof<float[,]>, "hessian")
        let fill =
            [ yield Expression.Assign(matrix, Expression.NewArrayBounds(typeof<float>, Expression.Constant n, Expression.Constant n)) :> Expression
              for k in 0 .. n * n - 1 do
                  yield Expression.Assign(Expression.ArrayAccess(matrix, Expression.Constant(k / n), Expression.Constant(k % n)), emitted.Outputs[k]) ]
        Expression.Lambda(ToExpression.block emitted [ matrix ] fill matrix, parameters)

    let parametersOf (f: LambdaExpression) =
        checkParameters f.Parameters
        f.Parameters |> Seq.toArray

    let indexOf (parameters: ParameterExpression[]) (name: string) =
        match parameters |> Array.tryFindIndex (fun p -> p.Name = name) with
        | Some k -> k
        | None ->
            raise (ArgumentException(sprintf "Symbolic differentiation: there is no parameter '%s' (the parameters are %s)." name (String.Join(", ", parameters |> Array.map (fun p -> p.Name))), "withRespectTo"))

/// Symbolic differentiation of LINQ expression trees over doubles (`x => Math.Log(1 + Math.Exp(-3.5 * x))`).
/// The expression is translated into the core's graph, differentiated by the core's AD, and the
/// derivative graph is translated back into a simplified expression tree: constants folded,
/// identities such as x·1 and x+0 removed, and every subexpression used more than once computed
/// once in a block variable. Print it with `Format`, compile it with `.Compile()`.
/// Supported: double parameters, constants, captured variables, + − × ÷, unary minus,
/// Math.Exp, Log (also to a base), Log10, Sqrt, Pow, Sin, Cos, Tan, Tanh, Atan, Atan2, Sinh, Cosh, Abs, Max,
/// Min, and `c ? a : b` with comparisons (the derivative is that of the selected branch).
/// Anything else raises NotSupportedException naming the node and its text.
[<AbstractClass; Sealed>]
type Expressions =
    static member private Typed<'D>(lambda: LambdaExpression) = Expression.Lambda<'D>(lambda.Body, lambda.Parameters)

    // Every entry point runs on DeepRecursion's large stack: translating and printing recurse
    // once per level of the user's tree.

    static member private GradientLambda(f: LambdaExpression) =
        DeepRecursion.run (fun () ->
            let parameters = SymbolicDerivatives.parametersOf f
            SymbolicDerivatives.vectorLambda parameters (SymbolicDerivatives.terms parameters.Length (FromExpression.translate f) SymbolicDerivatives.gradient))

    static member private HessianLambda(f: LambdaExpression) =
        DeepRecursion.run (fun () ->
            let parameters = SymbolicDerivatives.parametersOf f
            SymbolicDerivatives.matrixLambda parameters (SymbolicDerivatives.terms parameters.Length (FromExpression.translate f) SymbolicDerivatives.hessian))

    /// The partial derivative of `f` with respect to the parameter named `withRespectTo`, as a
    /// lambda over the same parameters (any number of doubles) returning a double.
    static member Partial(f: LambdaExpression, withRespectTo: string) : LambdaExpression =
        DeepRecursion.run (fun () ->
            let parameters = SymbolicDerivatives.parametersOf f
            let k = SymbolicDerivatives.indexOf parameters withRespectTo
            let terms = SymbolicDerivatives.terms parameters.Length (FromExpression.translate f) (SymbolicDerivatives.partial k)
            SymbolicDerivatives.scalarLambda parameters terms[0])

    /// The partial derivative, with respect to the parameter named `withRespectTo`, of a function
    /// of scalar tensors, written as an expression over parameters with the given names. This is
    /// how tools with their own parsers (the `fad` command) get a printable derivative.
    static member Partial(f: Tensor[] -> Tensor, parameterNames: string[], withRespectTo: string) : LambdaExpression =
        DeepRecursion.run (fun () ->
            let parameters = parameterNames |> Array.map (fun name -> Expression.Parameter(typeof<float>, name))
            SymbolicDerivatives.checkParameters parameters
            let k = SymbolicDerivatives.indexOf parameters withRespectTo
            let terms = SymbolicDerivatives.terms parameters.Length f (SymbolicDerivatives.partial k)
            SymbolicDerivatives.scalarLambda parameters terms[0])

    /// The derivative f′ of a function of one double, e.g. for `w => Math.Log(1 + Math.Exp(-3.5 * w))`
    /// the expression `w => { var t0 = Math.Exp(-3.5 * w); return -3.5 * t0 / (1 + t0); }`.
    static member Derivative(f: Expression<Func<float, float>>) : Expression<Func<float, float>> =
        Expressions.Typed<Func<float, float>>(Expressions.Partial(f, f.Parameters[0].Name))

    /// The gradient of a function of two doubles, as an expression returning [∂f/∂x, ∂f/∂y].
    static member Gradient(f: Expression<Func<float, float, float>>) : Expression<Func<float, float, float[]>> =
        Expressions.Typed<Func<float, float, float[]>>(Expressions.GradientLambda f)

    /// The gradient of a function of three doubles, as an expression returning a double[3].
    static member Gradient(f: Expression<Func<float, float, float, float>>) : Expression<Func<float, float, float, float[]>> =
        Expressions.Typed<Func<float, float, float, float[]>>(Expressions.GradientLambda f)

    /// The gradient of a function of four doubles, as an expression returning a double[4].
    static member Gradient(f: Expression<Func<float, float, float, float, float>>) : Expression<Func<float, float, float, float, float[]>> =
        Expressions.Typed<Func<float, float, float, float, float[]>>(Expressions.GradientLambda f)

    /// The Hessian of a function of two doubles, as an expression returning a 2×2 double[,].
    static member Hessian(f: Expression<Func<float, float, float>>) : Expression<Func<float, float, float[,]>> =
        Expressions.Typed<Func<float, float, float[,]>>(Expressions.HessianLambda f)

    /// The Hessian of a function of three doubles, as an expression returning a 3×3 double[,].
    static member Hessian(f: Expression<Func<float, float, float, float>>) : Expression<Func<float, float, float, float[,]>> =
        Expressions.Typed<Func<float, float, float, float[,]>>(Expressions.HessianLambda f)

    /// The Hessian of a function of four doubles, as an expression returning a 4×4 double[,].
    static member Hessian(f: Expression<Func<float, float, float, float, float>>) : Expression<Func<float, float, float, float, float[,]>> =
        Expressions.Typed<Func<float, float, float, float, float[,]>>(Expressions.HessianLambda f)

    /// The lambda as C# text: `x => x + x`, or a block with one shared subexpression a line.
    /// Conditionals print as `c ? a : b`, calls as `Math.Exp(x)`.
    static member Format(f: LambdaExpression) : string = DeepRecursion.run (fun () -> Format.lambda CSharp f)

    /// The lambda's body in ordinary math notation (`exp(x)`, `x^2`): one `t0 = …` line per
    /// shared subexpression, then the result on the last line.
    static member FormatMath(f: LambdaExpression) : string =
        DeepRecursion.run (fun () ->
            let steps, result = Format.body MathText f.Body
            String.Join("\n", steps @ [ result ]))
