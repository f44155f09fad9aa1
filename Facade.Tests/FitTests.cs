using Microsoft.FSharp.Core;
using Learn = FunctionalAD.Learn;

namespace FunctionalAD.Facade.Tests;

/// <summary>The C# training surface: ML.Mlp, ML.Fit with IProgress and cancellation, predictions and accuracy.</summary>
public class FitTests
{
    private static (Learn.Dataset Train, Learn.Dataset Test) Wine()
    {
        var (train, test) = ML.Data.Split(ML.Data.LoadCsv(RepositoryPaths.Combine("data", "wine.csv")), testFraction: 0.25, seed: 3);
        return ML.Data.Standardize(train, test);
    }

    /// <summary>Reports on the training thread (Progress&lt;T&gt; would post to a thread pool).</summary>
    private sealed class Recorder(Action<Learn.EpochMetrics>? then = null) : IProgress<Learn.EpochMetrics>
    {
        public List<Learn.EpochMetrics> Reports { get; } = [];

        public void Report(Learn.EpochMetrics value)
        {
            Reports.Add(value);
            then?.Invoke(value);
        }
    }

    private static FSharpFunc<TA, FSharpFunc<TB, TOut>> Curried<TA, TB, TOut>(Func<TA, TB, TOut> f) =>
        FSharpFunc<TA, FSharpFunc<TB, TOut>>.FromConverter(a => FSharpFunc<TB, TOut>.FromConverter(b => f(a, b)));

    [Fact]
    public void Fit_trains_a_perceptron_exactly_as_the_Learn_library_reporting_every_epoch()
    {
        var (train, test) = Wine();
        var model = ML.Mlp.Create([13, 8, 3], seed: 1);
        Assert.Equal(4, model.Parameters.Length);
        Assert.Equal([13, 8], model.Parameters[0].Shape);
        var progress = new Recorder();
        var (trained, history) = ML.Fit(model, train, test, ML.Optimizers.Adam(0.05), epochs: 6, batchSize: 32, seed: 2, progress: progress);
        Assert.Equal(6, history.Count);
        Assert.Equal(history, progress.Reports);
        Assert.Equal([1, 2, 3, 4, 5, 6], history.Select(m => m.Epoch));
        Assert.True(history[^1].TestAccuracy >= 0.9, $"test accuracy {history[^1].TestAccuracy}");
        Assert.Equal(history[^1].TestAccuracy, trained.Accuracy(test));
        Assert.Equal(ML.Predictions.Accuracy(ML.Predictions.Argmax(trained.Logits(test.Features)), test.Labels), trained.Accuracy(test));

        // The same run in F#: Learn's Training.fit over Dense[] records with Learn's Adam.
        var layers = Learn.Mlp.init(
            FSharpFunc<int, FSharpFunc<int, FSharpFunc<int, Tensor>>>.FromConverter(s => Curried<int, int, Tensor>((i, o) => Learn.Init.glorotUniform(s, i, o))),
            1, Microsoft.FSharp.Collections.ListModule.OfSeq([13, 8, 3]));
        var reference = Learn.Training.fit(
            Learn.Optimizer.adam<Learn.Dense[]>(Learn.Optimizer.adamDefaults(0.05)), Learn.Demos.mlpModel, new Learn.TrainConfig(6, 32, 2, Learn.StepMode.Compiled),
            Curried<int, Learn.EpochMetrics, Unit>((_, _) => null!), train, test, layers);
        Assert.Equal(reference.Item2.Select(m => (m.TrainLoss, m.TestLoss, m.TestAccuracy)), history.Select(m => (m.TrainLoss, m.TestLoss, m.TestAccuracy)));
    }

    [Fact]
    public void Fit_compiles_its_steps_by_default_to_the_eager_numbers_and_advances_the_optimiser()
    {
        var (train, test) = Wine();
        var model = ML.Mlp.Create([13, 8, 3], seed: 1);
        var before = model.Parameters.Select(p => p.ToArray()).ToArray();
        var compiledAdam = ML.Optimizers.Adam(0.05);
        var eagerAdam = ML.Optimizers.Adam(0.05);
        // 134 samples in batches of 20: six full batches and a smaller last one
        var (compiled, compiledHistory) = ML.Fit(model, train, test, compiledAdam, epochs: 3, batchSize: 20, seed: 4);
        var (eager, eagerHistory) = ML.Fit(model, train, test, eagerAdam, epochs: 3, batchSize: 20, seed: 4, eager: true);
        foreach (var (e, c) in eager.Parameters.Zip(compiled.Parameters)) Approx.Equal(e, c);
        Approx.Equal(eagerHistory.Select(m => m.TrainLoss).ToArray(), Tensors.Vector([.. compiledHistory.Select(m => m.TrainLoss)]));
        // The model trained from is untouched (the compiled step donates copies), and the
        // optimisers took 3 × 7 steps; a second Fit resumes from their moments.
        Assert.Equal(before, model.Parameters.Select(p => p.ToArray()));
        Assert.Equal(21, compiledAdam.Steps);
        Assert.Equal(21, eagerAdam.Steps);
        var (resumed, _) = ML.Fit(compiled, train, test, compiledAdam, epochs: 1, batchSize: 20, seed: 9);
        var (eagerResumed, _) = ML.Fit(eager, train, test, eagerAdam, epochs: 1, batchSize: 20, seed: 9, eager: true);
        foreach (var (e, c) in eagerResumed.Parameters.Zip(resumed.Parameters)) Approx.Equal(e, c);
        Assert.Equal(28, compiledAdam.Steps);
    }

    [Fact]
    public void Fit_stops_when_its_token_is_cancelled_leaving_the_optimiser_as_it_was()
    {
        var (train, test) = Wine();
        foreach (var eager in new[] { false, true })
        {
            using var cancellation = new CancellationTokenSource();
            var progress = new Recorder(m => { if (m.Epoch == 2) cancellation.Cancel(); });
            var optimizer = ML.Optimizers.Sgd(0.1);
            Assert.ThrowsAny<OperationCanceledException>(() =>
                ML.Fit(ML.Mlp.Create([13, 4, 3], seed: 0), train, test, optimizer, epochs: 50, progress: progress, cancellationToken: cancellation.Token, eager: eager));
            Assert.Equal(2, progress.Reports.Count);
            Assert.Equal(0, optimizer.Steps);
        }
    }

    [Fact]
    public void The_gradient_of_a_perceptrons_loss_over_its_parameter_list_drives_a_hand_written_loop()
    {
        var (train, _) = Wine();
        var model = ML.Mlp.Create([13, 6, 3], seed: 4, activation: t => t.Relu());
        var lossAndGradients = AD.ValueAndGrad((Tensor[] p) => model.Loss(p, train));
        var optimizer = ML.Optimizers.Adam(0.05);
        var parameters = model.Parameters;
        var first = lossAndGradients(parameters).Value.Item();
        for (var step = 0; step < 30; step++) parameters = optimizer.Step(parameters, lossAndGradients(parameters).Gradients);
        Assert.True(lossAndGradients(parameters).Value.Item() < first / 4);
        Assert.True(model.WithParameters(parameters).Accuracy(train) > 0.95);
    }

    [Fact]
    public void A_float32_perceptron_trains_on_float32_data_and_refuses_float64_data()
    {
        var (train, test) = Wine();
        var (train32, test32) = (ML.Data.Cast(train, DType.Float32), ML.Data.Cast(test, DType.Float32));
        Assert.Equal(DType.Float32, train32.Features.DType);
        Assert.Equal(DType.Float32, ML.Init.Glorot(0, 3, 2, DType.Float32).DType);
        Assert.Equal(DType.Float32, ML.Init.He(0, 3, 2, dtype: DType.Float32).DType);
        Assert.Equal(DType.Float64, ML.Init.He(0, 3, 2).DType);
        var model = ML.Mlp.Create([13, 8, 3], seed: 1, dtype: DType.Float32);
        Assert.Equal(DType.Float32, model.DType);
        Assert.All(model.Parameters, p => Assert.Equal(DType.Float32, p.DType));
        // the default compiled, donating steps, as float32 plans
        var adam = ML.Optimizers.Adam(0.05);
        var (trained, history) = ML.Fit(model, train32, test32, adam, epochs: 6, batchSize: 32, seed: 2);
        Assert.All(trained.Parameters, p => Assert.Equal(DType.Float32, p.DType));
        Assert.True(history[^1].TestAccuracy >= 0.9, $"test accuracy {history[^1].TestAccuracy}");
        // the same run in float64 from the float32 start and data widened: 30 Adam steps of at
        // most η = 0.05, each perturbed by float32 roundings of a relative 1e-6 or so (amplified
        // where √v̂ is small), so the weights agree to 1e-3
        var widened = ML.Mlp.Create([13, 8, 3], seed: 1).WithParameters([.. model.Parameters.Select(p => p.Cast(DType.Float64))]);
        var (reference, _) = ML.Fit(widened, ML.Data.Cast(train32, DType.Float64), ML.Data.Cast(test32, DType.Float64), ML.Optimizers.Adam(0.05), epochs: 6, batchSize: 32, seed: 2, eager: true);
        foreach (var (r, t) in reference.Parameters.Zip(trained.Parameters)) Approx.Equal(r, t, 1e-3);
        // float64 features would turn the float32 model's arithmetic into float64: refused
        var refusal = Assert.Throws<ArgumentException>(() => ML.Fit(model, train, test32, ML.Optimizers.Sgd(0.1), epochs: 1));
        Assert.Equal("train", refusal.ParamName);
        Assert.Contains("the train features are float64 but parameter 0 (shape [|13; 8|]) is float32", refusal.Message);
    }

    [Fact]
    public void Bad_arguments_name_the_CSharp_member()
    {
        var (train, test) = Wine();
        var model = ML.Mlp.Create([13, 3], seed: 0);
        Assert.Contains("ML.Mlp.Create", Assert.Throws<ArgumentException>(() => ML.Mlp.Create([13], 0)).Message);
        Assert.Contains("ML.Mlp.WithParameters: parameter 1 has shape [2]", Assert.Throws<ArgumentException>(() => model.WithParameters([Tensors.Zeros(13, 3), Tensors.Zeros(2)])).Message);
        Assert.Contains("ML.Fit", Assert.Throws<ArgumentOutOfRangeException>(() => ML.Fit(model, train, test, ML.Optimizers.Sgd(0.1), epochs: 1, batchSize: 0)).Message);
        Assert.Contains("ML.Predictions.Accuracy", Assert.Throws<ArgumentException>(() => ML.Predictions.Accuracy([1, 0], [1])).Message);
    }
}
