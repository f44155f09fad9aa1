using Microsoft.FSharp.Core;
using static FunctionalAD.Interop;
using Learn = FunctionalAD.Learn;

namespace FunctionalAD;

public static partial class ML
{
    /// <summary>
    /// A multi-layer perceptron (the Learn library's <c>Mlp</c>): dense layers x·W + b with an
    /// activation between them and none after the last, whose outputs are logits. Its parameters
    /// are one <c>Tensor[]</c>, W₁, b₁, W₂, b₂, …, the list that <see cref="AD.Grad(Func{Tensor[], Tensor})"/>
    /// and <see cref="Optimizer.Step"/> take. A model is immutable: training returns a new one.
    /// </summary>
    public sealed class Mlp
    {
        private readonly int[] _sizes;
        private readonly Tensor[] _parameters;
        private readonly FSharpFunc<Tensor, Tensor> _activation;

        private Mlp(int[] sizes, FSharpFunc<Tensor, Tensor> activation, Tensor[] parameters)
        {
            _sizes = sizes;
            _activation = activation;
            _parameters = parameters;
        }

        /// <summary>A perceptron with Glorot-uniform weights (layer i seeded with seed + i) and zero biases.</summary>
        /// <param name="sizes">Inputs, hidden layer widths…, outputs (classes): at least two, each positive.</param>
        /// <param name="seed">The random seed of the weights.</param>
        /// <param name="activation">The activation between layers; default tanh.</param>
        /// <param name="dtype">The parameters' element type; float64 when omitted. A <see cref="DType.Float32"/> model trains on float32 features (<see cref="Data.Cast"/>).</param>
        /// <returns>The model.</returns>
        /// <exception cref="ArgumentException">Fewer than two sizes, or a size that is not positive.</exception>
        public static Mlp Create(IReadOnlyList<int> sizes, int seed, Func<Tensor, Tensor>? activation = null, DType? dtype = null)
        {
            ArgumentNullException.ThrowIfNull(sizes);
            if (sizes.Count < 2 || sizes.Any(s => s < 1))
                throw new ArgumentException($"ML.Mlp.Create: the sizes [{string.Join(", ", sizes)}] must be at least two positive numbers (inputs, …, outputs).", nameof(sizes));
            var initialiser = Curry<int, int, int, Tensor>((s, fanIn, fanOut) => Learn.Init.glorotUniformOf(dtype ?? DType.Float64, s, fanIn, fanOut));
            var layers = Learn.Mlp.init(initialiser, seed, Microsoft.FSharp.Collections.ListModule.OfSeq(sizes));
            return new Mlp([.. sizes], activation is null ? Fs<Tensor, Tensor>(Learn.Activation.tanh) : Fs(activation), [.. layers.SelectMany(l => new[] { l.W, l.B })]);
        }

        /// <summary>The layer sizes: inputs, hidden widths…, outputs.</summary>
        public IReadOnlyList<int> Sizes => _sizes;

        /// <summary>The element type of the parameters (<see cref="DType.Float64"/> unless created otherwise).</summary>
        public DType DType => _parameters[0].DType;

        /// <summary>A copy of the parameters W₁, b₁, W₂, b₂, …; Wᵢ has shape (sizes[i−1], sizes[i]).</summary>
        public Tensor[] Parameters => (Tensor[])_parameters.Clone();

        /// <summary>The same architecture with other parameters (the result of an optimiser step, say).</summary>
        /// <param name="parameters">W₁, b₁, W₂, b₂, … shaped as <see cref="Parameters"/>.</param>
        /// <returns>The new model.</returns>
        /// <exception cref="ArgumentException">The count or a shape differs.</exception>
        public Mlp WithParameters(IReadOnlyList<Tensor> parameters) => new(_sizes, _activation, Checked(parameters, "ML.Mlp.WithParameters"));

        /// <summary>The logits of a batch (samples × inputs) under this model's parameters.</summary>
        /// <param name="features">The batch.</param>
        /// <returns>A (samples × outputs) matrix.</returns>
        public Tensor Logits(Tensor features) => Learn.Mlp.apply(_activation, Layers(_parameters), features);

        /// <summary>The logits under the given parameters: differentiable in them, for your own training loop.</summary>
        /// <param name="parameters">W₁, b₁, W₂, b₂, … shaped as <see cref="Parameters"/>.</param>
        /// <param name="features">The batch (samples × inputs).</param>
        /// <returns>A (samples × outputs) matrix.</returns>
        public Tensor Logits(IReadOnlyList<Tensor> parameters, Tensor features) =>
            Learn.Mlp.apply(_activation, Layers(Checked(parameters, "ML.Mlp.Logits")), features);

        /// <summary>The softmax cross-entropy of a batch under the given parameters (the loss that <see cref="Fit"/> minimises).</summary>
        /// <param name="parameters">W₁, b₁, W₂, b₂, … shaped as <see cref="Parameters"/>.</param>
        /// <param name="batch">The batch.</param>
        /// <returns>The loss, a scalar tensor.</returns>
        public Tensor Loss(IReadOnlyList<Tensor> parameters, Learn.Dataset batch)
        {
            ArgumentNullException.ThrowIfNull(batch);
            return Loss(parameters, batch.Features, Learn.DatasetModule.labelTensor(batch));
        }

        /// <summary>
        /// The softmax cross-entropy of features and labels given as tensors, the form a compiled
        /// training step traces: each batch's labels are an input of the step, not a constant of it.
        /// </summary>
        /// <param name="parameters">W₁, b₁, W₂, b₂, … shaped as <see cref="Parameters"/>.</param>
        /// <param name="features">The batch (samples × inputs).</param>
        /// <param name="labels">One class index per sample, as a vector (<c>Learn.DatasetModule.labelTensor</c>).</param>
        /// <returns>The loss, a scalar tensor.</returns>
        /// <exception cref="ArgumentException">The labels are not one per sample.</exception>
        public Tensor Loss(IReadOnlyList<Tensor> parameters, Tensor features, Tensor labels) =>
            Learn.Loss.crossEntropyFromLabels(Logits(parameters, features), labels);

        /// <summary>The predicted class of each sample: the largest logit.</summary>
        /// <param name="features">The batch (samples × inputs).</param>
        /// <returns>One class index per sample.</returns>
        public int[] Predict(Tensor features) => Learn.Predict.argmax(Logits(features));

        /// <summary>The fraction of a data set's samples whose class is predicted correctly.</summary>
        /// <param name="data">The data set.</param>
        /// <returns>The accuracy in [0, 1].</returns>
        public double Accuracy(Learn.Dataset data)
        {
            ArgumentNullException.ThrowIfNull(data);
            return Learn.Predict.accuracy(Predict(data.Features), data.Labels);
        }

        private Tensor[] Checked(IReadOnlyList<Tensor> parameters, string operation)
        {
            ArgumentNullException.ThrowIfNull(parameters);
            if (parameters.Count != _parameters.Length)
                throw new ArgumentException($"{operation}: the model has {_parameters.Length} parameter tensors but {parameters.Count} were given.", nameof(parameters));
            for (var i = 0; i < parameters.Count; i++)
            {
                if (!parameters[i].Shape.SequenceEqual(_parameters[i].Shape))
                    throw new ArgumentException($"{operation}: parameter {i} has shape {Guard.Format(parameters[i].Shape)} but the model's has {Guard.Format(_parameters[i].Shape)}.", nameof(parameters));
            }
            return [.. parameters];
        }

        private static Learn.Dense[] Layers(Tensor[] parameters) =>
            [.. Enumerable.Range(0, parameters.Length / 2).Select(i => new Learn.Dense(parameters[2 * i], parameters[2 * i + 1]))];
    }

    /// <summary>Class predictions from scores, and their accuracy.</summary>
    public static class Predictions
    {
        /// <summary>The class with the largest logit in each row of a (samples × classes) matrix.</summary>
        /// <param name="logits">The logits.</param>
        /// <returns>One class index per row.</returns>
        public static int[] Argmax(Tensor logits) => Learn.Predict.argmax(logits);

        /// <summary>The fraction of predictions equal to the labels (0 for none).</summary>
        /// <param name="predicted">The predicted classes.</param>
        /// <param name="labels">The true classes, as many as <paramref name="predicted"/>.</param>
        /// <returns>The accuracy in [0, 1].</returns>
        /// <exception cref="ArgumentException">The counts differ.</exception>
        public static double Accuracy(int[] predicted, int[] labels)
        {
            ArgumentNullException.ThrowIfNull(predicted);
            ArgumentNullException.ThrowIfNull(labels);
            if (predicted.Length != labels.Length)
                throw new ArgumentException($"ML.Predictions.Accuracy: {predicted.Length} predictions for {labels.Length} labels.", nameof(labels));
            return Learn.Predict.accuracy(predicted, labels);
        }
    }

    /// <summary>
    /// Minibatch training of a perceptron (the Learn library's <c>Training.fit</c>): each epoch
    /// shuffles the training set with seed + epoch, takes one <c>ValueAndGrad</c> of the softmax
    /// cross-entropy and one <paramref name="optimizer"/> step per batch, then evaluates on both sets.
    /// The step is compiled (traced once per batch shape) and updates the parameters and the
    /// optimiser's state in place, unless <paramref name="eager"/> asks for op-by-op evaluation.
    /// </summary>
    /// <param name="model">The model to start from.</param>
    /// <param name="train">The training set.</param>
    /// <param name="test">The held-out set, evaluated after each epoch.</param>
    /// <param name="optimizer">The optimiser; its state advances by the training's steps when the training completes (a cancelled or failed run leaves it as it was).</param>
    /// <param name="epochs">Passes over the training set, at least 0.</param>
    /// <param name="batchSize">Samples per batch, at least 1.</param>
    /// <param name="seed">The seed of the shuffles.</param>
    /// <param name="progress">Receives each epoch's metrics (losses, accuracies, elapsed seconds) as it ends.</param>
    /// <param name="cancellationToken">Checked before every batch.</param>
    /// <param name="eager">True to evaluate every step operation by operation (slower; for a debugger). By default each step runs a compiled plan.</param>
    /// <returns>The trained model and every epoch's metrics.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A negative epoch count or a batch size below 1.</exception>
    /// <exception cref="ArgumentException">The features of <paramref name="train"/> or <paramref name="test"/> are wider than the model's parameters (float64 data for a float32 model: convert it with <see cref="Data.Cast"/>).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static (Mlp Model, IReadOnlyList<Learn.EpochMetrics> History) Fit(
        Mlp model, Learn.Dataset train, Learn.Dataset test, Optimizer optimizer, int epochs, int batchSize = 32, int seed = 0,
        IProgress<Learn.EpochMetrics>? progress = null, CancellationToken cancellationToken = default, bool eager = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "ML.Fit: the number of epochs must be at least 0.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "ML.Fit: the batch size must be at least 1.");
        var classifier = new Learn.Classifier<Tensor[]>(
            Curry<Tensor[], Tensor, Tensor, Tensor>(model.Loss),
            Curry<Tensor[], Tensor, int[]>((p, x) => Learn.Predict.argmax(model.Logits(p, x))));
        var report = Curry<int, Learn.EpochMetrics, Unit>((_, metrics) =>
        {
            progress?.Report(metrics);
            return null!;
        });
        var config = new Learn.TrainConfig(epochs, batchSize, seed, eager ? Learn.StepMode.Eager : Learn.StepMode.Compiled);
        var (trained, history) = optimizer.Train(classifier, config, cancellationToken, report, train, test, model.Parameters);
        return (model.WithParameters(trained), history);
    }
}
