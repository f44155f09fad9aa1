namespace FunctionalAD.Learn

open System
open FunctionalAD

/// A first-order optimiser as a pure state transition over parameter structures:
/// `Init parameters` is the initial state, `Update state parameters gradient` returns the new
/// parameters and state. Nothing is mutated, so a training run can be replayed or branched.
type Optimizer<'P, 'S> =
    { Name: string
      Init: 'P -> 'S
      Update: 'S -> 'P -> 'P -> 'P * 'S }

/// The state of Adam and AdamW: the step count (a float64 scalar tensor, so that a compiled
/// training step can carry it from one call to the next) and the running first and second
/// moments, of the parameters' element types.
type AdamState<'P> = { Step: Tensor; First: 'P; Second: 'P }

/// Hyper-parameters of Adam (Kingma & Ba, 2015); AdamW adds decoupled weight decay.
type AdamConfig =
    { LearningRate: float
      Beta1: float
      Beta2: float
      Epsilon: float
      WeightDecay: float }

/// The first-order optimisers. Each update is elementwise tensor algebra via `Tree.map2`.
[<RequireQualifiedAccess>]
module Optimizer =
    let private checkRate operation (rate: float) =
        if not (rate > 0.0) || Double.IsInfinity rate then raise (ArgumentOutOfRangeException("learningRate", rate, sprintf "%s: the learning rate must be positive and finite" operation))

    let private checkBeta operation name (beta: float) =
        if not (beta >= 0.0 && beta < 1.0) then raise (ArgumentOutOfRangeException(name, beta, sprintf "%s: %s must lie in [0, 1)" operation name))

    /// A setting in an optimiser's name, as `%g` prints it (six significant digits, `1e-05`).
    /// Not `sprintf`: FSharp.Core's float formatting is compiled by the JIT when first used, and
    /// an optimiser is made at the start of a process's first training run (about 5 ms there).
    let private setting (value: float) = value.ToString("g6", Globalization.CultureInfo.InvariantCulture)

    /// Plain gradient descent: p ← p − η·g.
    let sgd (learningRate: float) : Optimizer<'P, unit> =
        checkRate "sgd" learningRate
        { Name = $"SGD(η={setting learningRate})"
          Init = ignore
          Update = fun () p g -> Params.addScaled p -learningRate g, () }

    /// The velocity update shared by momentum and Nesterov: v ← βv + g.
    let private accelerate (beta: float) (v: 'P) (g: 'P) : 'P = Tree.map2 (fun vi gi -> beta * vi + gi) v g

    /// Heavy-ball momentum: v ← βv + g, p ← p − η·v. The state is the velocity v.
    let momentum (learningRate: float) (beta: float) : Optimizer<'P, 'P> =
        checkRate "momentum" learningRate
        checkBeta "momentum" "beta" beta
        { Name = $"Momentum(η={setting learningRate}, β={setting beta})"
          Init = Params.zerosLike
          Update =
            fun v p g ->
                let v' = accelerate beta v g
                Params.addScaled p -learningRate v', v' }

    /// Nesterov momentum in the form used by PyTorch: v ← βv + g, p ← p − η(g + βv): the step
    /// looks ahead along the updated velocity.
    let nesterov (learningRate: float) (beta: float) : Optimizer<'P, 'P> =
        checkRate "nesterov" learningRate
        checkBeta "nesterov" "beta" beta
        { Name = $"Nesterov(η={setting learningRate}, β={setting beta})"
          Init = Params.zerosLike
          Update =
            fun v p g ->
                let v' = accelerate beta v g
                Params.addScaled p -learningRate (Tree.map2 (fun gi vi -> gi + beta * vi) g v'), v' }

    /// Adam's usual settings (β₁ = 0.9, β₂ = 0.999, ε = 1e-8, no weight decay) at a learning rate.
    let adamDefaults (learningRate: float) =
        { LearningRate = learningRate; Beta1 = 0.9; Beta2 = 0.999; Epsilon = 1e-8; WeightDecay = 0.0 }

    /// Adam when WeightDecay = 0, AdamW (Loshchilov & Hutter, 2019) otherwise: bias-corrected
    /// moments m, v and p ← p − η(m̂ / (√v̂ + ε) + λp). The decay acts on the weights directly
    /// instead of entering the gradient, so it is not rescaled by the adaptive step.
    let adamW (config: AdamConfig) : Optimizer<'P, AdamState<'P>> =
        checkRate "adam" config.LearningRate
        checkBeta "adam" "Beta1" config.Beta1
        checkBeta "adam" "Beta2" config.Beta2
        if not (config.Epsilon > 0.0) then raise (ArgumentOutOfRangeException("Epsilon", config.Epsilon, "adam: ε must be positive"))
        if not (config.WeightDecay >= 0.0) then raise (ArgumentOutOfRangeException("WeightDecay", config.WeightDecay, "adam: the weight decay must not be negative"))
        let { LearningRate = eta; Beta1 = b1; Beta2 = b2; Epsilon = eps; WeightDecay = decay } = config
        { Name = if decay = 0.0 then $"Adam(η={setting eta})" else $"AdamW(η={setting eta}, λ={setting decay})"
          Init = fun p -> { Step = Tensor.scalar 0.0; First = Params.zerosLike p; Second = Params.zerosLike p }
          Update =
            fun s p g ->
                let t = s.Step + 1.0
                let m = Tree.map2 (fun mi gi -> b1 * mi + (1.0 - b1) * gi) s.First g
                let v = Tree.map2 (fun vi gi -> b2 * vi + (1.0 - b2) * gi * gi) s.Second g
                // The bias corrections are tensors of the step, not floats read from it: a
                // compiled step then computes them from its input instead of baking in step 1's.
                // The step count stays float64 (exact past float32's 2²⁴), and each moment is
                // divided by its corrections in its own element type: a float64 step that is an
                // input of a compiled plan is typed, and would otherwise promote float32 moments.
                let c1 = 1.0 - Tensor.Pow(b1, t)
                let c2 = 1.0 - Tensor.Pow(b2, t)
                let corrected (c: Tensor) (x: Tensor) = x / ElementType.convert x.DType c
                let direction = Tree.map2 (fun mi vi -> corrected c1 mi / (Tensor.sqrt (corrected c2 vi) + eps)) m v
                let step = if decay = 0.0 then direction else Tree.map2 (fun d pi -> d + decay * pi) direction p
                Params.addScaled p -eta step, { Step = t; First = m; Second = v } }

    /// Adam with the given settings (the weight decay must be 0; use `adamW` for decay).
    let adam (config: AdamConfig) : Optimizer<'P, AdamState<'P>> =
        if config.WeightDecay <> 0.0 then raise (ArgumentException("adam: use adamW for weight decay", "config"))
        adamW config
