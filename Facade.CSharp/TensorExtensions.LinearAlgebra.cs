namespace FunctionalAD;

/// <summary>Batched linear algebra beyond solve and det, and layer normalisation.</summary>
public static partial class TensorExtensions
{
    /// <summary>
    /// The sign of det A and log |det A| (NumPy's slogdet), of a square matrix or of each matrix
    /// of a batch <c>[..., n, n]</c>: det A = Sign · exp(LogAbsDet) without over- or underflow.
    /// </summary>
    /// <param name="a">A square matrix or a batch of them.</param>
    /// <returns>
    /// The signs (−1, 0 or 1, derivative 0) and log |det A| (derivative tr(A⁻¹ dA)), each of the
    /// batch shape; (0, −∞) at a singular matrix.
    /// </returns>
    public static (Tensor Sign, Tensor LogAbsDet) Slogdet(this Tensor a) => TensorModule.slogdet(a).ToValueTuple();

    /// <summary>
    /// X with op(T)·X = B, T the lower (or upper) triangle of A — the other entries are not read
    /// and get no derivative — (JAX's solve_triangular). Batched and broadcast as
    /// <see cref="Solve"/> is.
    /// </summary>
    /// <param name="a">A square matrix or a batch of them, holding T.</param>
    /// <param name="b">A vector, a batch of vectors (A's shape without its last dimension) or a batch of matrices.</param>
    /// <param name="lower">Whether T is the lower triangle of A (else the upper one).</param>
    /// <param name="transpose">Whether op(T) is Tᵀ (else T).</param>
    /// <param name="unitDiagonal">Whether T has ones on its diagonal (A's diagonal is then not read).</param>
    /// <returns>The solution X, of the broadcast shape of B.</returns>
    public static Tensor TriangularSolve(this Tensor a, Tensor b, bool lower, bool transpose = false, bool unitDiagonal = false) =>
        TensorModule.triangularSolveWith(lower, transpose, unitDiagonal, a, b);

    /// <summary>
    /// Layer normalisation over the last axis, (x − mean) / √(var + eps) with the biased variance
    /// (PyTorch's layer_norm without weights).
    /// </summary>
    /// <param name="x">A tensor with a non-empty last axis.</param>
    /// <param name="eps">Added to the variance inside the root (1e-5 in PyTorch).</param>
    /// <returns>The normalised tensor, of x's shape.</returns>
    public static Tensor LayerNorm(this Tensor x, double eps) => TensorModule.layerNorm(eps, x);

    /// <summary>Layer normalisation over the last axis, then scaled by gamma and shifted by beta per feature.</summary>
    /// <param name="x">A tensor with a non-empty last axis.</param>
    /// <param name="eps">Added to the variance inside the root (1e-5 in PyTorch).</param>
    /// <param name="gamma">The scales, of the last axis' length.</param>
    /// <param name="beta">The shifts, of the last axis' length.</param>
    /// <returns>The normalised tensor · gamma + beta, of x's shape.</returns>
    public static Tensor LayerNorm(this Tensor x, double eps, Tensor gamma, Tensor beta) => TensorModule.layerNormAffine(eps, gamma, beta, x);
}
