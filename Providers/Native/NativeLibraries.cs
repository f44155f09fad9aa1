using System.Reflection;
using System.Runtime.InteropServices;

namespace FunctionalAD.Native;

/// <summary>The outcome of probing for a native library.</summary>
/// <param name="Handle">The loaded library, or <see cref="IntPtr.Zero"/> when none was found.</param>
/// <param name="LoadedName">The candidate name that loaded, or <c>null</c>.</param>
/// <param name="Problem">Why the library is unusable, or <c>null</c> when it is usable.</param>
internal sealed record LibraryProbe(IntPtr Handle, string? LoadedName, string? Problem)
{
    public bool IsUsable => Problem is null;
}

/// <summary>
/// Finds the native libraries behind the logical names used in the P/Invoke declarations.
/// Distributions name these libraries differently (versioned sonames, variant subdirectories),
/// so each logical name maps to an ordered list of candidates and the first one that loads
/// and exports the symbols we call wins. Every library is probed once per process.
/// </summary>
internal static class NativeLibraries
{
    internal const string OpenBlas = "functionalad-openblas";
    internal const string CudaRuntime = "functionalad-cudart";
    internal const string Cublas = "functionalad-cublas";
    internal const string Cusolver = "functionalad-cusolver";

    private static readonly string[] OpenBlasCandidates =
    [
        "libopenblas.so.0",
        "libopenblas.so",
        "libopenblasp-r0.so",
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
    ];

    // A build of OpenBLAS without LAPACK, or another BLAS answering to the same soname,
    // would fail at the first call; checking these symbols up front turns that into a
    // clear "unavailable" instead.
    private static readonly string[] OpenBlasSymbols =
    [
        "cblas_dgemm", "cblas_sgemm", "cblas_dtrsm", "cblas_strsm",
        "dgetrf_", "dgetri_", "dgetrs_", "dpotrf_", "dpotrs_", "dgeqrf_", "dorgqr_", "dgels_", "dgesdd_", "dsyevd_",
        "sgetrf_", "sgetri_", "sgetrs_", "spotrf_", "spotrs_", "sgeqrf_", "sorgqr_", "sgels_", "sgesdd_", "ssyevd_",
        "openblas_get_num_threads", "openblas_set_num_threads", "openblas_get_config",
    ];

    private static readonly string[] CudaRuntimeCandidates = ["libcudart.so.12", "libcudart.so.13", "libcudart.so.11.0", "libcudart.so"];
    private static readonly string[] CublasCandidates = ["libcublas.so.12", "libcublas.so.13", "libcublas.so.11", "libcublas.so"];
    private static readonly string[] CusolverCandidates = ["libcusolver.so.11", "libcusolver.so.12", "libcusolver.so"];

    private static readonly Lazy<LibraryProbe> OpenBlasProbe =
        new(() =>
        {
            OpenBlasKernels.ChooseBeforeLoading();
            return Probe(OpenBlasCandidates, OpenBlasSymbols, "install libopenblas0-pthread");
        });

    private static readonly Lazy<LibraryProbe> CudaRuntimeProbe =
        new(() => Probe(CudaRuntimeCandidates, ["cudaGetDeviceCount", "cudaMalloc", "cudaFree", "cudaMemcpy"], "install the CUDA runtime"));

    private static readonly Lazy<LibraryProbe> CublasProbe =
        new(() => Probe(CublasCandidates, ["cublasCreate_v2", "cublasDgemm_v2", "cublasSgemm_v2"], "install cuBLAS"));

    private static readonly Lazy<LibraryProbe> CusolverProbe =
        new(() => Probe(CusolverCandidates, ["cusolverDnCreate", "cusolverDnDgetrf", "cusolverDnDpotrf"], "install cuSOLVER"));

    private static int resolverRegistered;

    internal static LibraryProbe OpenBlasLibrary => OpenBlasProbe.Value;

    internal static LibraryProbe CudaRuntimeLibrary => CudaRuntimeProbe.Value;

    internal static LibraryProbe CublasLibrary => CublasProbe.Value;

    internal static LibraryProbe CusolverLibrary => CusolverProbe.Value;

    /// <summary>
    /// Routes this assembly's P/Invoke library names through the probes above. Called from the
    /// static constructors of the binding classes, so it runs before their first native call.
    /// </summary>
    internal static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref resolverRegistered, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        var probe = libraryName switch
        {
            OpenBlas => OpenBlasLibrary,
            CudaRuntime => CudaRuntimeLibrary,
            Cublas => CublasLibrary,
            Cusolver => CusolverLibrary,
            _ => null,
        };
        return probe switch
        {
            null => IntPtr.Zero,
            { IsUsable: true } => probe.Handle,
            _ => throw new DllNotFoundException(probe.Problem),
        };
    }

    private static LibraryProbe Probe(string[] candidates, string[] symbols, string hint)
    {
        foreach (var candidate in candidates)
        {
            if (!NativeLibrary.TryLoad(candidate, out var handle))
            {
                continue;
            }

            var missing = symbols.Where(symbol => !NativeLibrary.TryGetExport(handle, symbol, out _)).ToArray();
            return missing.Length == 0
                ? new LibraryProbe(handle, candidate, null)
                : new LibraryProbe(handle, candidate, $"{candidate} lacks {string.Join(", ", missing)}");
        }

        return new LibraryProbe(IntPtr.Zero, null, $"{candidates[0]} not found (also tried {string.Join(", ", candidates.Skip(1))}) — {hint}");
    }
}
