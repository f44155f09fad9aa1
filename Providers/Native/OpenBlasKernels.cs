using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace FunctionalAD.Native;

/// <summary>
/// Chooses the kernels of a DYNAMIC_ARCH OpenBLAS (Debian's) before the library loads. Such a
/// build picks its kernels from the CPU's model number when it loads, and falls back to its
/// oldest x86-64 kernels ("Prescott", SSE3) for a model it does not know: Debian 12's OpenBLAS
/// 0.3.21 does not know Intel's Xeon family 6 model 207, where its dgemm then ran 8.5× slower
/// than with the AVX-512 kernels (4.6 against 39 GFLOP/s for 1024 × 1024 on two cores, measured
/// 2 December 2026). Asking for the kernels the CPU's instruction sets allow does not depend on
/// OpenBLAS's list of models; on a CPU it knows, it asks for the kernels it would have chosen.
/// </summary>
internal static partial class OpenBlasKernels
{
    /// <summary>The variable OpenBLAS reads when it loads to choose its kernels.</summary>
    internal const string Variable = "OPENBLAS_CORETYPE";

    /// <summary>
    /// The kernel family this process asked OpenBLAS for, or <c>null</c> when it asked for none:
    /// the variable was set already (the user's choice is kept), the system is not Linux, or the
    /// CPU has neither AVX-512 nor AVX2 with FMA (OpenBLAS's own choice is then as good).
    /// </summary>
    internal static string? Requested { get; private set; }

    /// <summary>Sets <see cref="Variable"/> for this CPU unless it is set. Runs once, before OpenBLAS is first loaded.</summary>
    internal static void ChooseBeforeLoading()
    {
        if (!OperatingSystem.IsLinux() || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            return;
        }

        var family = FamilyOfThisCpu();
        // OpenBLAS reads the variable with getenv: it must be in the C library's environment,
        // which Environment.SetEnvironmentVariable does not change on Linux.
        if (family is not null && SetEnv(Variable, family, 0) == 0)
        {
            Environment.SetEnvironmentVariable(Variable, family);
            Requested = family;
        }
    }

    /// <summary>OpenBLAS's name for the widest kernels this CPU can run: SkylakeX (AVX-512 F, CD, BW, DQ, VL), Haswell (AVX2, FMA), or <c>null</c>.</summary>
    internal static string? FamilyOfThisCpu() =>
        Avx512F.IsSupported && Avx512CD.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported ? "SkylakeX"
        : Avx2.IsSupported && Fma.IsSupported ? "Haswell"
        : null;

    [LibraryImport("libc.so.6", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
