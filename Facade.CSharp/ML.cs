using Microsoft.FSharp.Core;
using Learn = FunctionalAD.Learn;

namespace FunctionalAD;

/// <summary>
/// Machine-learning building blocks for C# over the FunctionalAD.Learn library: losses,
/// seeded initialisers, optimisers over parameter arrays, and data sets. Combine them with
/// <see cref="AD.ValueAndGrad(Func{Tensor, Tensor})"/> and friends to train models.
/// </summary>
public static partial class ML
{
    /// <summary>Loss functions, each the mean over the samples of a batch, differentiable by every transform.</summary>
    public static class Losses
    {
        /// <summary>Mean over samples of ½‖prediction − target‖² (its gradient is the residual).</summary>
        /// <param name="predictions">Predictions, one row per sample.</param>
        /// <param name="targets">Targets, shaped like <paramref name="predictions"/>.</param>
        /// <returns>The loss, a scalar tensor.</returns>
        /// <exception cref="ArgumentException">The shapes differ.</exception>
        public static Tensor SquaredError(Tensor predictions, Tensor targets) => Learn.Loss.squaredError(predictions, targets);

        /// <summary>The logistic loss for labels −1 and +1: mean of log(1 + exp(−y·s)), computed as softplus so large scores neither overflow nor lose their gradient.</summary>
        /// <param name="scores">Scores (logits), one per sample.</param>
        /// <param name="labels">Labels −1 or +1, shaped like <paramref name="scores"/> (<see cref="Data.PlusMinusLabels"/>).</param>
        /// <returns>The loss, a scalar tensor.</returns>
        /// <exception cref="ArgumentException">The shapes differ.</exception>
        public static Tensor Logistic(Tensor scores, Tensor labels) => Learn.Loss.logisticPlusMinus(scores, labels);

        /// <summary>Softmax cross-entropy: mean of −log softmax(logits)[label], through log-softmax.</summary>
        /// <param name="logits">Logits of shape (samples, classes).</param>
        /// <param name="labels">One class index per sample.</param>
        /// <returns>The loss, a scalar tensor.</returns>
        /// <exception cref="ArgumentException">The logits are not a matrix with one row per label.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A label is not a class index.</exception>
        public static Tensor SoftmaxCrossEntropy(Tensor logits, int[] labels)
        {
            ArgumentNullException.ThrowIfNull(labels);
            return Learn.Loss.softmaxCrossEntropy(logits, labels);
        }

        /// <summary>The hinge loss for labels −1 and +1: mean of max(0, 1 − y·s).</summary>
        /// <param name="scores">Scores, one per sample.</param>
        /// <param name="labels">Labels −1 or +1, shaped like <paramref name="scores"/>.</param>
        /// <returns>The loss, a scalar tensor.</returns>
        /// <exception cref="ArgumentException">The shapes differ.</exception>
        public static Tensor Hinge(Tensor scores, Tensor labels) => Learn.Loss.hinge(scores, labels);

        /// <summary>The L2 penalty ½·λ·Σ‖p‖² over parameter tensors.</summary>
        /// <param name="lambda">The weight λ.</param>
        /// <param name="parameters">The parameters.</param>
        /// <returns>The penalty, a scalar tensor.</returns>
        public static Tensor L2(double lambda, params Tensor[] parameters)
        {
            ArgumentNullException.ThrowIfNull(parameters);
            return Learn.Loss.l2(lambda, parameters);
        }
    }

    /// <summary>Weight initialisers with explicit seeds, so every run is reproducible. Each draws in float64 and rounds the draw to the element type asked for.</summary>
    public static class Init
    {
        /// <summary>Glorot (Xavier) uniform weights: U(−a, a) with a = √(6 / (fanIn + fanOut)), for tanh and sigmoid layers.</summary>
        /// <param name="seed">The random seed.</param>
        /// <param name="fanIn">Inputs of the layer (rows).</param>
        /// <param name="fanOut">Outputs of the layer (columns).</param>
        /// <param name="dtype">The element type; float64 when omitted (<see cref="DType.Float32"/> for a float32 model).</param>
        /// <returns>A (fanIn, fanOut) matrix.</returns>
        /// <exception cref="ArgumentOutOfRangeException">A fan is not positive.</exception>
        public static Tensor Glorot(int seed, int fanIn, int fanOut, DType? dtype = null) => Learn.Init.glorotUniformOf(dtype ?? DType.Float64, seed, fanIn, fanOut);

        /// <summary>He normal weights: N(0, 2 / fanIn), for relu layers.</summary>
        /// <param name="seed">The random seed.</param>
        /// <param name="fanIn">Inputs of the layer (rows).</param>
        /// <param name="fanOut">Outputs of the layer (columns).</param>
        /// <param name="dtype">The element type; float64 when omitted (<see cref="DType.Float32"/> for a float32 model).</param>
        /// <returns>A (fanIn, fanOut) matrix.</returns>
        /// <exception cref="ArgumentOutOfRangeException">A fan is not positive.</exception>
        public static Tensor He(int seed, int fanIn, int fanOut, DType? dtype = null) => Learn.Init.heNormalOf(dtype ?? DType.Float64, seed, fanIn, fanOut);
    }

    /// <summary>
    /// A first-order optimiser holding its state (velocity, moments) between steps:
    /// <c>parameters = optimizer.Step(parameters, gradients)</c>. The first step fixes the number
    /// and shapes of the parameters; the tensors themselves are never mutated.
    /// </summary>
    public abstract class Optimizer
    {
        private protected Optimizer() { }

        /// <summary>The optimiser and its settings, e.g. <c>Adam(η=0.1)</c>.</summary>
        public abstract string Name { get; }

        /// <summary>How many steps have been taken.</summary>
        public int Steps { get; private protected set; }

        /// <summary>One update: the new parameters from the current ones and their gradients.</summary>
        /// <param name="parameters">The parameters.</param>
        /// <param name="gradients">One gradient per parameter, shaped like it.</param>
        /// <returns>The updated parameters, in the same order.</returns>
        /// <exception cref="ArgumentException">The counts or shapes do not match each other or the first step's.</exception>
        public abstract Tensor[] Step(Tensor[] parameters, Tensor[] gradients);

        /// <summary>
        /// Learn's training loop from this optimiser's state (<see cref="Fit"/>); the state and
        /// <see cref="Steps"/> advance when it completes, and stay as they were when it throws.
        /// </summary>
        internal abstract (Tensor[] Parameters, IReadOnlyList<Learn.EpochMetrics> History) Train(
            Learn.Classifier<Tensor[]> classifier, Learn.TrainConfig config, CancellationToken cancellationToken,
            FSharpFunc<int, FSharpFunc<Learn.EpochMetrics, Unit>> report, Learn.Dataset train, Learn.Dataset test, Tensor[] parameters);

        /// <inheritdoc/>
        public override string ToString() => Name;
    }

    private sealed class CoreOptimizer<TState>(Learn.Optimizer<Tensor[], TState> core) : Optimizer
    {
        private TState? _state;
        private int[][]? _shapes;

        public override string Name => core.Name;

        public override Tensor[] Step(Tensor[] parameters, Tensor[] gradients)
        {
            ArgumentNullException.ThrowIfNull(parameters);
            ArgumentNullException.ThrowIfNull(gradients);
            var shapes = parameters.Select(p => p.Shape).ToArray();
            if (gradients.Length != parameters.Length)
                throw new ArgumentException($"{Name}.Step: {parameters.Length} parameters but {gradients.Length} gradients.", nameof(gradients));
            for (var i = 0; i < parameters.Length; i++)
            {
                if (!gradients[i].Shape.SequenceEqual(shapes[i]))
                    throw new ArgumentException($"{Name}.Step: gradient {i} has shape {Guard.Format(gradients[i].Shape)} but parameter {i} has shape {Guard.Format(shapes[i])}.", nameof(gradients));
            }
            var (updated, state) = core.Update.Invoke(StateFor(parameters, shapes, "Step")).Invoke(parameters).Invoke(gradients);
            _state = state;
            Steps++;
            return updated;
        }

        internal override (Tensor[] Parameters, IReadOnlyList<Learn.EpochMetrics> History) Train(
            Learn.Classifier<Tensor[]> classifier, Learn.TrainConfig config, CancellationToken cancellationToken,
            FSharpFunc<int, FSharpFunc<Learn.EpochMetrics, Unit>> report, Learn.Dataset train, Learn.Dataset test, Tensor[] parameters)
        {
            var start = StateFor(parameters, [.. parameters.Select(p => p.Shape)], "Fit");
            var ((trained, state), history) = Learn.Training.fitFrom(core, classifier, config, cancellationToken, report, train, test, parameters, start);
            _state = state;
            Steps += config.Epochs * ((Learn.DatasetModule.size(train) + config.BatchSize - 1) / config.BatchSize);
            return (trained, [.. history]);
        }

        // The state to update: the current one, or on first use a fresh one, which fixes the shapes.
        private TState StateFor(Tensor[] parameters, int[][] shapes, string operation)
        {
            if (_shapes is null)
            {
                _shapes = shapes;
                _state = core.Init.Invoke(parameters);
            }
            else if (_shapes.Length != shapes.Length || _shapes.Zip(shapes).Any(s => !s.First.SequenceEqual(s.Second)))
            {
                throw new ArgumentException($"{Name}.{operation}: the parameters ({string.Join(", ", shapes.Select(Guard.Format))}) differ from those of the first step ({string.Join(", ", _shapes.Select(Guard.Format))}).", nameof(parameters));
            }
            return _state!;
        }
    }

    /// <summary>The first-order optimisers.</summary>
    public static class Optimizers
    {
        /// <summary>Plain gradient descent: p ← p − η·g.</summary>
        /// <param name="learningRate">The step size η &gt; 0.</param>
        /// <returns>A new optimiser.</returns>
        /// <exception cref="ArgumentOutOfRangeException">The learning rate is not positive and finite.</exception>
        public static Optimizer Sgd(double learningRate) => new CoreOptimizer<Microsoft.FSharp.Core.Unit>(Learn.Optimizer.sgd<Tensor[]>(learningRate));

        /// <summary>Heavy-ball momentum: v ← βv + g, p ← p − η·v.</summary>
        /// <param name="learningRate">The step size η &gt; 0.</param>
        /// <param name="beta">The momentum β in [0, 1).</param>
        /// <returns>A new optimiser.</returns>
        /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
        public static Optimizer Momentum(double learningRate, double beta = 0.9) => new CoreOptimizer<Tensor[]>(Learn.Optimizer.momentum<Tensor[]>(learningRate, beta));

        /// <summary>Adam (Kingma &amp; Ba): bias-corrected moments m, v and p ← p − η·m̂ / (√v̂ + ε).</summary>
        /// <param name="learningRate">The step size η &gt; 0.</param>
        /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
        /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
        /// <param name="epsilon">ε &gt; 0 in the denominator.</param>
        /// <returns>A new optimiser.</returns>
        /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
        public static Optimizer Adam(double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8) =>
            new CoreOptimizer<Learn.AdamState<Tensor[]>>(Learn.Optimizer.adam<Tensor[]>(new Learn.AdamConfig(learningRate, beta1, beta2, epsilon, 0.0)));

        /// <summary>AdamW (Loshchilov &amp; Hutter): Adam with decoupled weight decay, p ← p − η(m̂ / (√v̂ + ε) + λp).</summary>
        /// <param name="learningRate">The step size η &gt; 0.</param>
        /// <param name="weightDecay">The decay λ ≥ 0.</param>
        /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
        /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
        /// <param name="epsilon">ε &gt; 0 in the denominator.</param>
        /// <returns>A new optimiser.</returns>
        /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
        public static Optimizer AdamW(double learningRate, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8) =>
            new CoreOptimizer<Learn.AdamState<Tensor[]>>(Learn.Optimizer.adamW<Tensor[]>(new Learn.AdamConfig(learningRate, beta1, beta2, epsilon, weightDecay)));
    }

    /// <summary>Labelled classification data sets: loading, splitting, standardising, batching. Random choices take explicit seeds.</summary>
    public static class Data
    {
        /// <summary>Loads a CSV data set: numbers separated by commas, the class label in the last column, optionally a scikit-learn metadata first line naming the classes.</summary>
        /// <param name="path">The file.</param>
        /// <returns>The data set: <c>Features</c> (samples × features), <c>Labels</c>, <c>ClassNames</c>.</returns>
        /// <exception cref="FormatException">A field is not a number or a row has the wrong length; the message names the line.</exception>
        public static Learn.Dataset LoadCsv(string path)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            return Learn.Csv.load(path);
        }

        /// <summary>The data set with its features in <paramref name="dtype"/>: float64 features rounded to float32 (to train a float32 model, which refuses wider features), float32 ones widened exactly. Labels and class names are kept.</summary>
        /// <param name="data">The data set.</param>
        /// <param name="dtype">The element type of the features.</param>
        /// <returns>The converted data set.</returns>
        public static Learn.Dataset Cast(Learn.Dataset data, DType dtype)
        {
            ArgumentNullException.ThrowIfNull(data);
            ArgumentNullException.ThrowIfNull(dtype);
            return Learn.DatasetModule.withDType(dtype, data);
        }

        /// <summary>A shuffled split into training and test sets with round(testFraction · n) test samples.</summary>
        /// <param name="data">The data set.</param>
        /// <param name="testFraction">The test share, strictly between 0 and 1.</param>
        /// <param name="seed">The shuffle's seed.</param>
        /// <returns>(Train, Test).</returns>
        public static (Learn.Dataset Train, Learn.Dataset Test) Split(Learn.Dataset data, double testFraction, int seed)
        {
            ArgumentNullException.ThrowIfNull(data);
            var (train, test) = Learn.DatasetModule.split(seed, testFraction, data);
            return (train, test);
        }

        /// <summary>Standardises each feature to mean 0 and standard deviation 1 with the training set's statistics, applied unchanged to the test set.</summary>
        /// <param name="train">The training set (its statistics are used).</param>
        /// <param name="test">The test set.</param>
        /// <returns>Both sets standardised.</returns>
        public static (Learn.Dataset Train, Learn.Dataset Test) Standardize(Learn.Dataset train, Learn.Dataset test)
        {
            ArgumentNullException.ThrowIfNull(train);
            ArgumentNullException.ThrowIfNull(test);
            var (standardTrain, standardTest) = Learn.StandardizerModule.fitApply(train, test);
            return (standardTrain, standardTest);
        }

        /// <summary>The data in shuffled minibatches (the last one may be smaller).</summary>
        /// <param name="data">The data set.</param>
        /// <param name="batchSize">Samples per batch, at least 1.</param>
        /// <param name="seed">The shuffle's seed.</param>
        /// <returns>The batches.</returns>
        public static Learn.Dataset[] Batches(Learn.Dataset data, int batchSize, int seed)
        {
            ArgumentNullException.ThrowIfNull(data);
            return Learn.DatasetModule.batches(seed, batchSize, data);
        }

        /// <summary>The labels of a two-class data set as −1 (class 0) and +1 (class 1), for <see cref="Losses.Logistic"/> and <see cref="Losses.Hinge"/>.</summary>
        /// <param name="data">A two-class data set.</param>
        /// <returns>A vector with one label per sample.</returns>
        public static Tensor PlusMinusLabels(Learn.Dataset data)
        {
            ArgumentNullException.ThrowIfNull(data);
            return Learn.DatasetModule.plusMinusLabels(data);
        }

        /// <summary>The data set followed by its copies moved one pixel up, down, left and right, each row read as a <paramref name="height"/> × <paramref name="width"/> image (five times as many samples, labels kept).</summary>
        /// <param name="data">A data set of images stored as rows of pixels.</param>
        /// <param name="height">The images' height.</param>
        /// <param name="width">The images' width.</param>
        /// <returns>The augmented data set.</returns>
        /// <exception cref="ArgumentException">A row does not hold height × width pixels.</exception>
        public static Learn.Dataset WithPixelShifts(Learn.Dataset data, int height, int width)
        {
            ArgumentNullException.ThrowIfNull(data);
            return Learn.Augment.withPixelShifts(height, width, data);
        }

        /// <summary>The data set with every feature multiplied by <paramref name="factor"/> (pixel intensities to 0 … 1, say).</summary>
        /// <param name="data">The data set.</param>
        /// <param name="factor">The factor.</param>
        /// <returns>The scaled data set, labels kept.</returns>
        public static Learn.Dataset Scale(Learn.Dataset data, double factor)
        {
            ArgumentNullException.ThrowIfNull(data);
            return new Learn.Dataset(data.Features * factor, data.Labels, data.ClassNames);
        }
    }
}
