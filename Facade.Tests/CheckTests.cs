namespace FunctionalAD.Facade.Tests;

/// <summary>AD.Check and AD.AssertGradients: derivative checks that pass on correct rules and catch wrong ones.</summary>
public class CheckTests
{
    private static readonly Tensor Point = new[] { 0.3, -1.2, 2.0 };

    // A square with a deliberately wrong reverse rule: x̄ = ȳ·x instead of ȳ·2x.
    private static readonly Func<Tensor, Tensor> WrongSquare = AD.CustomVjp("wrongSquare", x => x * x, (x, _, ybar) => ybar * x);

    [Fact]
    public void Correct_functions_pass_up_to_the_second_order()
    {
        var report = AD.Check(x => (x.Sin() * x.Exp()).Sum() + x.Softmax(), Point, order: 2);
        Assert.True(report.Passed, report.ToString());
        Assert.True(report.Checks > 0);
        AD.AssertGradients((x, y) => x.MatMul(y.Tanh()), new double[,] { { 1, 2 }, { 3, 4 } }, new[] { 0.5, -0.5 }, order: 2);
        Assert.True(AD.Check((x, y, z) => x * y.Exp() / (1 + z.Square()), 0.5, 1.5, -2.0).Passed);
    }

    [Fact]
    public void A_wrong_reverse_rule_is_caught()
    {
        var report = AD.Check(WrongSquare, Point);
        Assert.False(report.Passed);
        Assert.Contains(report.Failures, finding => finding.Law.Contains("vjp"));
        Assert.False(report.Worst.Passed);
        Assert.Contains("FAILED", report.ToString());
        var error = Assert.Throws<GradCheckException>(() => AD.AssertGradients(WrongSquare, Point, forward: false));
        Assert.False(error.Report.Passed);
        Assert.Contains(error.Report.Failures, finding => finding.Law.Contains("vjp"));
    }

    [Fact]
    public void A_wrong_forward_rule_is_caught_in_forward_mode()
    {
        var wrongExp = AD.CustomJvp("wrongExp", x => x.Exp(), (x, y, xdot) => xdot * x);
        Assert.False(AD.Check(wrongExp, Point, reverse: false).Passed);
        Assert.Throws<GradCheckException>(() => AD.AssertGradients(wrongExp, Point, reverse: false));
    }

    [Fact]
    public void Bad_settings_are_rejected_by_argument()
    {
        Assert.Equal("order", Assert.Throws<ArgumentOutOfRangeException>(() => AD.Check(x => x, Point, order: 0)).ParamName);
        Assert.Equal("forward", Assert.Throws<ArgumentException>(() => AD.Check(x => x, Point, forward: false, reverse: false)).ParamName);
        Assert.Equal("f", Assert.Throws<ArgumentNullException>(() => AD.Check((Func<Tensor, Tensor>)null!, Point)).ParamName);
    }
}
