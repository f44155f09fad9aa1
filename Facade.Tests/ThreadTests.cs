namespace FunctionalAD.Facade.Tests;

/// <summary>
/// Derivatives taken on other threads inside a derivative (docs/conventions.md, "Threads and
/// async code"): the inner result must keep its dependence on the outer variable.
/// </summary>
public class ThreadTests
{
    [Fact]
    public void An_inner_gradient_on_the_thread_pool_keeps_its_dependence_on_x()
    {
        // ∂/∂x ∂/∂y (x·y) = 1; with per-thread levels the inner gradient lost x and this was 0.
        var outer = AD.Grad(x => Task.Run(() => AD.Grad(y => x * y)(1.0)).Result);
        Approx.Equal(1, outer(3.0));
    }

    [Fact]
    public void An_inner_gradient_on_a_thread_of_its_own_keeps_its_dependence_on_x()
    {
        // Task.Run(…).Result may run the task inline on the waiting thread; a thread of its
        // own cannot, so this is the case that gave 0 with per-thread levels.
        var outer = AD.Grad(x =>
        {
            Tensor inner = default;
            var worker = new Thread(() => inner = AD.Grad(y => x * y)(1.0));
            worker.Start();
            worker.Join();
            return inner;
        });
        Approx.Equal(1, outer(3.0));
    }

    [Fact]
    public void An_await_inside_grad_keeps_the_nesting()
    {
        // d/dx (x · ∂/∂y (x·y)) = d/dx x² = 2x, with the inner gradient taken after awaits.
        static async Task<Tensor> Inner(Tensor x)
        {
            await Task.Yield();
            var g = await Task.Run(async () =>
            {
                await Task.Delay(1);
                return AD.Grad(y => x * y)(1.0);
            });
            return x * g;
        }

        var outer = AD.Grad(x => Inner(x).GetAwaiter().GetResult());
        Approx.Equal(6, outer(3.0));
    }

    [Fact]
    public void Gradients_on_many_threads_do_not_interfere()
    {
        var results = new double[64];
        Parallel.For(0, results.Length, i =>
            results[i] = AD.Grad(x => AD.Grad(y => x * y * y)(x))(i).ToScalar());
        // ∂/∂y (x y²) at y = x is 2x², whose derivative is 4x.
        for (var i = 0; i < results.Length; i++)
            Assert.Equal(4.0 * i, results[i], 12);
    }
}
