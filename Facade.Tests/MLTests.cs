namespace FunctionalAD.Facade.Tests;

/// <summary>The ML entry points: losses, initialisers, optimisers against their update formulas, data sets, and a trained classifier.</summary>
public class MLTests
{
    [Fact]
    public void Losses_have_their_closed_form_values()
    {
        Approx.Equal(1.25, ML.Losses.SquaredError(new[] { 1.0, 2.0 }, new[] { 0.0, 0.0 }));
        Approx.Equal(Math.Log(2), ML.Losses.Logistic(new[] { 0.0, 0.0 }, new[] { 1.0, -1.0 }));
        Approx.Equal(Math.Log(1 + Math.Exp(-2)), ML.Losses.Logistic(2.0, 1.0));
        Approx.Equal(0.25, ML.Losses.Hinge(new[] { 0.5, 2.0 }, new[] { 1.0, 1.0 }));
        Approx.Equal(Math.Log(3), ML.Losses.SoftmaxCrossEntropy(Tensors.Zeros(2, 3), [0, 2]));
        Approx.Equal(14, ML.Losses.L2(2, new[] { 1.0, 2.0 }, 3.0));
        // The gradient of the mean squared error is the residual over the sample count.
        Approx.Equal([0.5, 1.0], AD.Grad(p => ML.Losses.SquaredError(p, new[] { 0.0, 0.0 }))(new[] { 1.0, 2.0 }));
    }

    [Fact]
    public void Initialisers_are_seeded_and_scaled()
    {
        var glorot = ML.Init.Glorot(seed: 7, fanIn: 30, fanOut: 20);
        Assert.Equal([30, 20], glorot.Shape);
        Assert.Equal(glorot.ToArray(), ML.Init.Glorot(7, 30, 20).ToArray());
        Assert.All(glorot.ToArray(), w => Assert.InRange(Math.Abs(w), 0, Math.Sqrt(6.0 / 50)));
        Assert.NotEqual(glorot.ToArray(), ML.Init.Glorot(8, 30, 20).ToArray());
        var he = ML.Init.He(1, 4, 3);
        Assert.Equal([4, 3], he.Shape);
        Assert.Equal(he.ToArray(), ML.Init.He(1, 4, 3).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => ML.Init.He(1, 0, 3));
    }

    // f(p) = ½‖p − c‖², so ∇f(p) = p − c.
    private static readonly double[] Centre = [1.0, -2.0, 0.5];

    private static Tensor[] QuadraticGradient(Tensor[] p) => [p[0] - Tensors.FromArray(Centre)];

    private static double[] Run(ML.Optimizer optimizer, int steps)
    {
        Tensor[] p = [Tensors.Zeros(3)];
        for (var t = 0; t < steps; t++) p = optimizer.Step(p, QuadraticGradient(p));
        Assert.Equal(steps, optimizer.Steps);
        return p[0].ToArray();
    }

    [Fact]
    public void Sgd_and_momentum_follow_their_update_rules()
    {
        // SGD from 0 with rate η: p₁ = ηc, p₂ = ηc + η(c − ηc) = (2η − η²)c.
        const double eta = 0.1;
        Approx.Equal(Centre.Select(c => (2 * eta - eta * eta) * c).ToArray(), Run(ML.Optimizers.Sgd(eta), 2));
        // Momentum β: v₁ = −c, p₁ = ηc; v₂ = −βc + (ηc − c), p₂ = p₁ − ηv₂.
        const double beta = 0.5;
        var expected = Centre.Select(c => eta * c - eta * (-beta * c + (eta * c - c))).ToArray();
        Approx.Equal(expected, Run(ML.Optimizers.Momentum(eta, beta), 2));
    }

    [Fact]
    public void Adam_steps_equal_the_scalar_adam_update()
    {
        const double eta = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        var expected = Centre.Select(c =>
        {
            double p = 0, m = 0, v = 0;
            for (var t = 1; t <= 5; t++)
            {
                var g = p - c;
                m = b1 * m + (1 - b1) * g;
                v = b2 * v + (1 - b2) * g * g;
                p -= eta * (m / (1 - Math.Pow(b1, t))) / (Math.Sqrt(v / (1 - Math.Pow(b2, t))) + eps);
            }
            return p;
        }).ToArray();
        Approx.Equal(expected, Run(ML.Optimizers.Adam(eta), 5));
        // The first step moves every coordinate by η towards c: m̂ = g and √v̂ = |g|.
        Approx.Equal(Centre.Select(c => eta * Math.Sign(c) * Math.Abs(c) / (Math.Abs(c) + eps)).ToArray(), Run(ML.Optimizers.Adam(eta), 1));
        // AdamW's first step adds the decay λp, which is 0 at p = 0; its second step decays p₁.
        const double decay = 0.5;
        var adamW = Centre.Select(c =>
        {
            var p1 = eta * c / (Math.Abs(c) + eps);
            double g1 = -c, g2 = p1 - c;
            var m = (1 - b1) * (b1 * g1 + g2);
            var v = (1 - b2) * (b2 * g1 * g1 + g2 * g2);
            return p1 - eta * ((m / (1 - b1 * b1)) / (Math.Sqrt(v / (1 - b2 * b2)) + eps) + decay * p1);
        }).ToArray();
        Approx.Equal(adamW, Run(ML.Optimizers.AdamW(eta, decay), 2));
        Assert.Equal("Adam(η=0.1)", ML.Optimizers.Adam(eta).Name);
    }

    [Fact]
    public void Optimizers_reject_mismatched_parameters_and_bad_settings()
    {
        var adam = ML.Optimizers.Adam(0.1);
        Assert.Equal("gradients", Assert.Throws<ArgumentException>(() => adam.Step([Tensors.Zeros(3)], [Tensors.Zeros(2)])).ParamName);
        Assert.Equal("gradients", Assert.Throws<ArgumentException>(() => adam.Step([Tensors.Zeros(3)], [])).ParamName);
        adam.Step([Tensors.Zeros(3)], [Tensors.Ones(3)]);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => adam.Step([Tensors.Zeros(4)], [Tensors.Ones(4)])).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => ML.Optimizers.Sgd(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ML.Optimizers.Momentum(0.1, beta: 1));
    }

    [Fact]
    public void Logistic_regression_on_the_breast_cancer_data_reaches_95_percent_test_accuracy()
    {
        var data = ML.Data.LoadCsv(RepositoryPaths.Combine("data", "breast_cancer.csv"));
        Assert.Equal(569, data.Labels.Length);
        Assert.Equal(["malignant", "benign"], data.ClassNames);
        var (rawTrain, rawTest) = ML.Data.Split(data, testFraction: 0.25, seed: 0);
        Assert.Equal(142, rawTest.Labels.Length);
        var (train, test) = ML.Data.Standardize(rawTrain, rawTest);
        Approx.Equal(Tensors.Zeros(30), train.Features.Mean(0), 1e-12);

        var labels = ML.Data.PlusMinusLabels(train);
        var loss = AD.ValueAndGrad((Tensor w, Tensor b) => ML.Losses.Logistic(train.Features.MatMul(w) + b, labels) + ML.Losses.L2(1e-3, w));
        var optimizer = ML.Optimizers.Adam(0.05);
        Tensor[] p = [Tensors.Zeros(30), 0.0];
        var first = double.NaN;
        for (var epoch = 0; epoch < 200; epoch++)
        {
            var (value, (gw, gb)) = loss(p[0], p[1]);
            if (epoch == 0) first = value.Item();
            p = optimizer.Step(p, [gw, gb]);
        }
        Assert.Equal(Math.Log(2), first, 1e-12);   // zero weights score every sample 0

        var scores = (test.Features.MatMul(p[0]) + p[1]).ToArray();
        var correct = scores.Zip(test.Labels).Count(s => (s.First > 0 ? 1 : 0) == s.Second);
        Assert.True(correct / (double)test.Labels.Length >= 0.95, $"test accuracy {correct}/{test.Labels.Length}");

        var batches = ML.Data.Batches(train, batchSize: 100, seed: 1);
        Assert.Equal([100, 100, 100, 100, 27], batches.Select(b => b.Labels.Length));
    }
}
