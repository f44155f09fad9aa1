using System.Text;
using FunctionalAD.Native;
using MathNet.Numerics.Providers.LinearAlgebra;

namespace FunctionalAD;

/// <summary>The linear-algebra provider <see cref="Providers"/> installed, and why.</summary>
/// <param name="Name">The provider's short name: <c>managed</c>, <c>openblas</c> or <c>cuda</c>.</param>
/// <param name="Reason">Why this provider was chosen, including why better ones were not.</param>
/// <param name="Provider">The provider instance now installed in MathNet.</param>
public sealed record ProviderChoice(string Name, string Reason, ILinearAlgebraProvider Provider)
{
    /// <summary>The name and the reason on one line.</summary>
    /// <returns>For example <c>openblas: best available (cuda: no CUDA device present)</c>.</returns>
    public override string ToString() => $"{Name}: {Reason}";
}

/// <summary>
/// Chooses the linear-algebra provider MathNet.Numerics (and so FunctionalAD's dense matrix
/// operations) uses: CUDA when a GPU is usable, else OpenBLAS when <c>libopenblas.so.0</c> is
/// installed, else MathNet's managed code. The environment variable named by
/// <see cref="EnvironmentVariable"/> overrides the automatic choice.
/// </summary>
public static class Providers
{
    /// <summary>The environment variable that forces <see cref="UseBest"/>'s choice: <c>managed</c>, <c>openblas</c> or <c>cuda</c>.</summary>
    public const string EnvironmentVariable = "FUNCTIONALAD_PROVIDER";

    /// <summary>The name of MathNet's managed provider.</summary>
    public const string Managed = "managed";

    /// <summary>The name of the OpenBLAS provider.</summary>
    public const string OpenBlas = "openblas";

    /// <summary>The name of the CUDA provider.</summary>
    public const string Cuda = "cuda";

    /// <summary>
    /// The short name of the provider MathNet currently uses: <c>managed</c>, <c>openblas</c>,
    /// <c>cuda</c>, or the description of a provider installed by other code.
    /// </summary>
    public static string Active => NameOf(LinearAlgebraControl.Provider);

    // What this class installed last. Written under the gate; read without it on every matrix
    // operation of FunctionalAD.Core (EnsureChosen), so the steady path takes no lock.
    private static readonly object Gate = new();
    private static volatile ProviderChoice? chosen;

    /// <summary>
    /// What was installed through this class last — by <see cref="UseBest"/>, <see cref="UseManaged"/>,
    /// <see cref="UseOpenBlas"/>, <see cref="UseCuda"/> or <see cref="EnsureChosen"/> — or
    /// <see langword="null"/> before any of them ran.
    /// </summary>
    public static ProviderChoice? Chosen => chosen;

    /// <summary>
    /// The provider FunctionalAD computes with, chosen once: the choice made already, if any;
    /// else a provider other code installed into MathNet (anything but MathNet's default managed
    /// one), kept; else <see cref="UseBest"/>'s choice, installed now. FunctionalAD.Core calls
    /// this before its first matrix operation, so a program that chooses nothing gets the fastest
    /// available provider (OpenBLAS where <c>libopenblas.so.0</c> is installed), and one that
    /// calls <see cref="UseManaged"/> (or sets <c>FUNCTIONALAD_PROVIDER=managed</c>) keeps managed code.
    /// </summary>
    /// <returns>The choice in effect.</returns>
    /// <exception cref="ArgumentException">The environment variable names no known provider.</exception>
    /// <exception cref="NotSupportedException">The environment variable forces a provider that is unavailable.</exception>
    public static ProviderChoice EnsureChosen()
    {
        var current = chosen;
        if (current is not null)
        {
            return current;
        }

        lock (Gate)
        {
            if (chosen is not null)
            {
                return chosen;
            }

            var installed = LinearAlgebraControl.Provider;
            if (installed is ManagedLinearAlgebraProvider)
            {
                return UseBest();
            }

            chosen = new ProviderChoice(NameOf(installed), "installed into MathNet by other code before FunctionalAD's first matrix operation", installed);
            return chosen;
        }
    }

    /// <summary>
    /// Installs the best usable provider (CUDA, then OpenBLAS, then managed), or the one named
    /// by the <c>FUNCTIONALAD_PROVIDER</c> environment variable when it is set.
    /// </summary>
    /// <returns>What was installed and why.</returns>
    /// <exception cref="ArgumentException">The environment variable names no known provider.</exception>
    /// <exception cref="NotSupportedException">The environment variable forces a provider that is unavailable.</exception>
    public static ProviderChoice UseBest()
    {
        var forced = Environment.GetEnvironmentVariable(EnvironmentVariable)?.Trim();
        if (!string.IsNullOrEmpty(forced))
        {
            var reason = $"forced by {EnvironmentVariable}={forced}";
            return forced.ToLowerInvariant() switch
            {
                Managed => InstallManaged(reason),
                OpenBlas => InstallOpenBlas(reason),
                Cuda => InstallCuda(reason),
                _ => throw new ArgumentException($"{EnvironmentVariable}='{forced}' is not one of: {Managed}, {OpenBlas}, {Cuda}.", EnvironmentVariable),
            };
        }

        if (CudaLinearAlgebraProvider.IsDeviceAvailable)
        {
            return InstallCuda("best available");
        }

        var noCuda = $"{Cuda}: {CudaLinearAlgebraProvider.UnavailableReason}";
        if (OpenBlasLinearAlgebraProvider.IsLibraryAvailable)
        {
            return InstallOpenBlas($"best available ({noCuda})");
        }

        return InstallManaged($"no native provider ({noCuda}; {OpenBlas}: {OpenBlasLinearAlgebraProvider.UnavailableReason})");
    }

    /// <summary>Installs MathNet's managed provider.</summary>
    /// <returns>What was installed.</returns>
    public static ProviderChoice UseManaged() => InstallManaged("requested");

    /// <summary>Installs the OpenBLAS provider.</summary>
    /// <returns>What was installed.</returns>
    /// <exception cref="NotSupportedException">OpenBLAS is not installed (the message says which package provides it).</exception>
    public static ProviderChoice UseOpenBlas() => InstallOpenBlas("requested");

    /// <summary>Installs the CUDA provider.</summary>
    /// <returns>What was installed.</returns>
    /// <exception cref="NotSupportedException">No usable CUDA runtime, cuBLAS, cuSOLVER or device.</exception>
    public static ProviderChoice UseCuda() => InstallCuda("requested");

    /// <summary>Forgets the choice, as in a process that has made none (tests of <see cref="EnsureChosen"/>).</summary>
    internal static void ForgetChoice()
    {
        lock (Gate)
        {
            chosen = null;
        }
    }

    /// <summary>Describes, one line each, the active provider and whether each provider is usable and why.</summary>
    /// <returns>Human-readable multi-line text.</returns>
    public static string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine($"active: {Active} — {LinearAlgebraControl.Provider}");
        text.AppendLine($"{Managed}: available — MathNet.Numerics managed code, always usable");
        text.AppendLine(OpenBlasLinearAlgebraProvider.IsLibraryAvailable
            ? $"{OpenBlas}: available — {new OpenBlasLinearAlgebraProvider()}"
            : $"{OpenBlas}: unavailable — {OpenBlasLinearAlgebraProvider.UnavailableReason}");
        text.AppendLine(CudaLinearAlgebraProvider.IsDeviceAvailable
            ? $"{Cuda}: available — cuBLAS and cuSOLVER with a CUDA device"
            : $"{Cuda}: unavailable — {CudaLinearAlgebraProvider.UnavailableReason}");
        var forced = Environment.GetEnvironmentVariable(EnvironmentVariable);
        text.Append(string.IsNullOrWhiteSpace(forced)
            ? $"{EnvironmentVariable}: not set (UseBest prefers {Cuda}, then {OpenBlas}, then {Managed})"
            : $"{EnvironmentVariable}: {forced.Trim()} (UseBest installs it)");
        return text.ToString();
    }

    private static ProviderChoice InstallManaged(string reason) => Install(Managed, new ManagedLinearAlgebraProvider(), reason);

    private static ProviderChoice InstallOpenBlas(string reason)
    {
        if (!OpenBlasLinearAlgebraProvider.IsLibraryAvailable)
        {
            throw new NotSupportedException($"The OpenBLAS provider is unavailable: {OpenBlasLinearAlgebraProvider.UnavailableReason}.");
        }

        return Install(OpenBlas, new OpenBlasLinearAlgebraProvider(), reason);
    }

    private static ProviderChoice InstallCuda(string reason)
    {
        if (!CudaLinearAlgebraProvider.IsDeviceAvailable)
        {
            throw new NotSupportedException($"The CUDA provider is unavailable: {CudaLinearAlgebraProvider.UnavailableReason}.");
        }

        return Install(Cuda, new CudaLinearAlgebraProvider(), reason);
    }

    private static ProviderChoice Install(string name, ILinearAlgebraProvider provider, string reason)
    {
        lock (Gate)
        {
            // The setter runs InitializeVerify, so an unusable provider is never left installed.
            LinearAlgebraControl.Provider = provider;
            chosen = new ProviderChoice(name, reason, provider);
            return chosen;
        }
    }

    private static string NameOf(ILinearAlgebraProvider provider) => provider switch
    {
        CudaLinearAlgebraProvider => Cuda,
        OpenBlasLinearAlgebraProvider => OpenBlas,
        ManagedLinearAlgebraProvider => Managed,
        _ => provider.ToString() ?? provider.GetType().Name,
    };
}
