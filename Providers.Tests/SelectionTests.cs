using FunctionalAD.Native;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace FunctionalAD.ProviderTests;

[Collection(ProviderSwitchingCollection.Name)]
public sealed class SelectionTests : ProviderSwitchingTest
{
    private static readonly string ExpectedBest = CudaLinearAlgebraProvider.IsDeviceAvailable ? Providers.Cuda : Providers.OpenBlas;

    [Fact]
    public void UseOpenBlasInstallsIt()
    {
        TestProviders.OpenBlas();

        var choice = Providers.UseOpenBlas();

        Assert.Equal(Providers.OpenBlas, choice.Name);
        Assert.IsType<OpenBlasLinearAlgebraProvider>(LinearAlgebraControl.Provider);
        Assert.Same(choice.Provider, LinearAlgebraControl.Provider);
        Assert.Equal(Providers.OpenBlas, Providers.Active);
    }

    [Fact]
    public void UseManagedInstallsIt()
    {
        Providers.UseOpenBlas();

        var choice = Providers.UseManaged();

        Assert.Equal(Providers.Managed, choice.Name);
        Assert.IsType<ManagedLinearAlgebraProvider>(LinearAlgebraControl.Provider);
        Assert.Equal(Providers.Managed, Providers.Active);
    }

    [Fact]
    public void UseBestPrefersTheFastestAvailableProvider()
    {
        TestProviders.OpenBlas();
        var choice = WithEnvironment(null, Providers.UseBest);

        Assert.Equal(ExpectedBest, choice.Name);
        Assert.Equal(ExpectedBest, Providers.Active);
        Assert.Contains("best available", choice.Reason);
        if (!CudaLinearAlgebraProvider.IsDeviceAvailable)
        {
            Assert.Contains(CudaLinearAlgebraProvider.UnavailableReason!, choice.ToString());
        }
    }

    [Theory]
    [InlineData("managed", "managed")]
    [InlineData(" OpenBLAS ", "openblas")]
    [InlineData("openblas", "openblas")]
    public void TheEnvironmentVariableForcesAProvider(string value, string expected)
    {
        TestProviders.OpenBlas();
        var choice = WithEnvironment(value, Providers.UseBest);

        Assert.Equal(expected, choice.Name);
        Assert.Equal(expected, Providers.Active);
        Assert.Contains($"forced by {Providers.EnvironmentVariable}", choice.Reason);
    }

    [Fact]
    public void AnUnknownEnvironmentValueIsAnError()
    {
        var error = Assert.Throws<ArgumentException>(() => WithEnvironment("mkl", Providers.UseBest));

        Assert.Equal(Providers.EnvironmentVariable, error.ParamName);
        Assert.Contains("'mkl'", error.Message);
        Assert.Equal(Providers.Managed, Providers.Active);
    }

    [Fact]
    public void ForcingAnUnavailableCudaFailsClearly()
    {
        if (CudaLinearAlgebraProvider.IsDeviceAvailable)
        {
            Assert.Equal(Providers.Cuda, WithEnvironment("cuda", Providers.UseBest).Name);
            return;
        }

        var error = Assert.Throws<NotSupportedException>(() => WithEnvironment("cuda", Providers.UseBest));

        Assert.Contains(CudaLinearAlgebraProvider.UnavailableReason!, error.Message);
        Assert.Equal(Providers.Managed, Providers.Active);
    }

    [Fact]
    public void MathNetRefusesAnUnavailableProvider()
    {
        if (CudaLinearAlgebraProvider.IsDeviceAvailable)
        {
            return;
        }

        Assert.Throws<NotSupportedException>(() => LinearAlgebraControl.Provider = new CudaLinearAlgebraProvider());
        Assert.Equal(Providers.Managed, Providers.Active);
    }

    [Fact]
    public void EnsureChosenInstallsTheBestWhenNothingWasChosen()
    {
        TestProviders.OpenBlas();
        Providers.ForgetChoice();

        var choice = WithEnvironment(null, Providers.EnsureChosen);

        Assert.Equal(ExpectedBest, choice.Name);
        Assert.Equal(ExpectedBest, Providers.Active);
        Assert.Same(choice, Providers.Chosen);
        Assert.Same(choice, WithEnvironment(null, Providers.EnsureChosen));
    }

    [Fact]
    public void EnsureChosenKeepsAnExplicitChoice()
    {
        TestProviders.OpenBlas();
        var managed = Providers.UseManaged();

        var choice = WithEnvironment(null, Providers.EnsureChosen);

        Assert.Same(managed, choice);
        Assert.Equal(Providers.Managed, Providers.Active);
    }

    [Fact]
    public void EnsureChosenFollowsTheEnvironmentVariable()
    {
        TestProviders.OpenBlas();
        Providers.ForgetChoice();

        var choice = WithEnvironment("managed", Providers.EnsureChosen);

        Assert.Equal(Providers.Managed, choice.Name);
        Assert.Equal(Providers.Managed, Providers.Active);
    }

    [Fact]
    public void EnsureChosenKeepsAProviderOtherCodeInstalled()
    {
        TestProviders.OpenBlas();
        Providers.ForgetChoice();
        var installed = new OpenBlasLinearAlgebraProvider();
        LinearAlgebraControl.Provider = installed;

        var choice = WithEnvironment(null, Providers.EnsureChosen);

        Assert.Equal(Providers.OpenBlas, choice.Name);
        Assert.Same(installed, choice.Provider);
        Assert.Contains("other code", choice.Reason);
    }

    [Fact]
    public void OpenBlasRunsTheWidestKernelsTheCpuAllows()
    {
        TestProviders.OpenBlas();
        var family = OpenBlasKernels.FamilyOfThisCpu();
        var userChoice = Environment.GetEnvironmentVariable(OpenBlasKernels.Variable);

        // Asked for only where nobody else chose (the test host inherits no such variable in CI).
        if (OpenBlasLinearAlgebraProvider.RequestedKernels is { } requested)
        {
            Assert.Equal(family, requested);
            Assert.Equal(requested, userChoice);
            // DYNAMIC_ARCH OpenBLAS names the kernels it loaded in its configuration.
            Assert.Contains(requested, OpenBlasLinearAlgebraProvider.Configuration, StringComparison.OrdinalIgnoreCase);
            Assert.Contains($"{OpenBlasKernels.Variable}={requested}", new OpenBlasLinearAlgebraProvider().ToString());
        }
        else
        {
            Assert.True(family is null || !string.IsNullOrEmpty(userChoice), $"the CPU allows {family} kernels and nobody chose others, but none were asked for");
        }
    }

    [Fact]
    public void DescribeExplainsEveryProvider()
    {
        TestProviders.OpenBlas();
        Providers.UseOpenBlas();

        var text = WithEnvironment(null, Providers.Describe);

        var lines = text.Split('\n');
        Assert.StartsWith("active: openblas", lines[0]);
        Assert.Contains(lines, line => line.StartsWith("managed: available", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("openblas: available", StringComparison.Ordinal) && line.Contains("libopenblas", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith(CudaLinearAlgebraProvider.IsDeviceAvailable ? "cuda: available" : $"cuda: unavailable — {CudaLinearAlgebraProvider.UnavailableReason}", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith($"{Providers.EnvironmentVariable}: not set", StringComparison.Ordinal));
        Assert.Contains($"{Providers.EnvironmentVariable}: cuda", WithEnvironment("cuda", Providers.Describe));
    }

    [Fact]
    public void OpenBlasThreadCountCanBeChangedAndRestored()
    {
        TestProviders.OpenBlas();
        var original = OpenBlasLinearAlgebraProvider.Threads;
        try
        {
            OpenBlasLinearAlgebraProvider.Threads = 1;
            Assert.Equal(1, OpenBlasLinearAlgebraProvider.Threads);
            Assert.Throws<ArgumentOutOfRangeException>(() => OpenBlasLinearAlgebraProvider.Threads = 0);
        }
        finally
        {
            OpenBlasLinearAlgebraProvider.Threads = original;
        }

        Assert.True(original >= 1);
        Assert.Contains($"{original} threads", new OpenBlasLinearAlgebraProvider().ToString());
    }

    private static TResult WithEnvironment<TResult>(string? value, Func<TResult> action)
    {
        var original = Environment.GetEnvironmentVariable(Providers.EnvironmentVariable);
        Environment.SetEnvironmentVariable(Providers.EnvironmentVariable, value);
        try
        {
            return action();
        }
        finally
        {
            Environment.SetEnvironmentVariable(Providers.EnvironmentVariable, original);
        }
    }
}
