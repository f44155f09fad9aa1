using System.Globalization;
using System.Xml.Linq;
using FunctionalAD.Cli;
using static FunctionalAD.CliTests.TestSupport;

namespace FunctionalAD.CliTests;

/// <summary>The <c>fad</c> tool run in-process: exit code, standard output and standard error.</summary>
public class CommandTests
{
    private static (int Code, string Out, string Err) Fad(params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        var code = Commands.run(args, output, error);
        return (code, output.ToString().TrimEnd(), error.ToString().TrimEnd());
    }

    private static double After(string prefix, string text)
    {
        var line = text.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return double.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
    }

    [Fact]
    public void GradOfTheLogisticLossIsTheLecturesValue()
    {
        var (code, output, _) = Fad("grad", "log(1 + exp(-3.5*w))", "--at", "w=0.5");
        Assert.Equal(0, code);
        var e = Math.Exp(-1.75);
        Close(Math.Log(1 + e), After("f = ", output), 1e-9, "f");
        Close(-3.5 * e / (1 + e), After("∂f/∂w = ", output), 1e-9, "∂f/∂w");
    }

    [Fact]
    public void GradOfTheCubeProductAtTwoThree()
    {
        var (code, output, _) = Fad("grad", "x1^3 * x2", "--at", "x1=2,x2=3");
        Assert.Equal(0, code);
        Assert.Equal("f = 24\n∂f/∂x1 = 36\n∂f/∂x2 = 8", output);
    }

    [Fact]
    public void HessianIsPrintedAsALabelledMatrix()
    {
        var (code, output, _) = Fad("hessian", "x1^3 * x2", "--at", "x1=2", "--at", "x2=3");
        Assert.Equal(0, code);
        Assert.Equal("    x1  x2\nx1  36  12\nx2  12   0", output);
    }

    [Fact]
    public void HessianOfVectorVariablesNamesTheirElements()
    {
        // f = (w·x)²: H = 2 v vᵀ + 2 (w·x) [[0, I], [I, 0]] with v = [x; w].
        var (code, output, _) = Fad("hessian", "dot(w, x)^2", "--at", "w=[1,2],x=[3,-1]");
        Assert.Equal(0, code);
        var lines = output.Split('\n');
        Assert.Equal(new[] { "w[0]", "w[1]", "x[0]", "x[1]" }, lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var v = new[] { 3.0, -1.0, 1.0, 2.0 };
        for (var i = 0; i < 4; i++)
        {
            var cells = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (var j = 0; j < 4; j++)
            {
                var expected = 2 * v[i] * v[j] + (Math.Abs(i - j) == 2 ? 2 * 1.0 : 0);   // w·x = 1
                Assert.Equal(expected, double.Parse(cells[j + 1], CultureInfo.InvariantCulture), 12);
            }
        }
    }

    [Fact]
    public void EvalWithVectorsDotAndSum()
    {
        var (code, output, _) = Fad("eval", "dot(w, [1,2,3]) + sum(w)", "--at", "w=[1,2,3]");
        Assert.Equal(0, code);
        Assert.Equal("20", output);
    }

    [Fact]
    public void EvalAcceptsConstantExpressionsAsValues()
    {
        var (code, output, _) = Fad("eval", "sin(x)^2 + cos(x)^2 + e", "--at", "x=pi/3");
        Assert.Equal(0, code);
        Close(1 + Math.E, double.Parse(output, CultureInfo.InvariantCulture), 1e-9, "value");
    }

    [Fact]
    public void GradOfVectorVariables()
    {
        var (code, output, _) = Fad("grad", "dot(w, x)^2", "--at", "w=[1,2,3],x=[0.5,1,-1]");
        Assert.Equal(0, code);
        // w·x = −0.5, so ∇w = 2(w·x)x = −x and ∇x = −w.
        Assert.Equal("f = 0.25\n∂f/∂w = [-0.5, -1, 1]\n∂f/∂x = [-1, -2, -3]", output);
    }

    [Fact]
    public void DiffPrintsTheSimplifiedDerivative()
    {
        var (code, output, _) = Fad("diff", "log(1 + exp(-3.5*w))");
        Assert.Equal(0, code);
        Assert.Equal("t0 = exp(-3.5 * w)\n∂f/∂w = -3.5 * t0 / (1 + t0)", output);
    }

    [Fact]
    public void DiffWithRespectToOneOfSeveralVariables()
    {
        var (code, output, _) = Fad("diff", "x * (x + y)^2", "--wrt", "x");
        Assert.Equal(0, code);
        Assert.Equal("t0 = x + y\n∂f/∂x = t0 * t0 + 2 * (x * t0)", output);
        var (codeY, outputY, _) = Fad("diff", "x * (x + y)^2", "--wrt", "y");
        Assert.Equal(0, codeY);
        Assert.Equal("∂f/∂y = 2 * (x * (x + y))", outputY);
    }

    [Fact]
    public void DiffKeepsTheAccurateFormsOfPrimitives()
    {
        // log1p stays log1p (not log(1 + x), which loses every digit for small x), and the
        // primitives added by their declarations alone (atan, atan2, erf) differentiate here too.
        var (code, output, _) = Fad("diff", "x * log1p(x)");
        Assert.Equal(0, code);
        Assert.Equal("∂f/∂x = log1p(x) + x / (1 + x)", output);
        Assert.Equal((0, "∂f/∂x = 1 / (1 + x * x)", ""), Fad("diff", "atan(x)"));
        var (erfCode, erfOutput, _) = Fad("diff", "erf(x)");
        Assert.Equal(0, erfCode);
        Assert.Contains("exp(-(x * x))", erfOutput);
        var (gradCode, gradOutput, _) = Fad("grad", "atan2(y, x)", "--at", "x=1.3", "--at", "y=-0.4");
        Assert.Equal(0, gradCode);
        Assert.Equal(1.3 / (1.3 * 1.3 + 0.4 * 0.4), After("∂f/∂y = ", gradOutput), 9);
    }

    [Fact]
    public void DiffNeedsToKnowWhichVariable()
    {
        var (code, _, error) = Fad("diff", "x * y");
        Assert.Equal(2, code);
        Assert.Contains("--wrt", error);
    }

    [Fact]
    public void DiffOfAVectorExpressionFailsWithTheOperation()
    {
        Assert.Equal((0, "∂f/∂x = 3", ""), Fad("diff", "sum([x, 2*x])"));   // a constant derivative needs no vector
        var (code, _, error) = Fad("diff", "sum([x, 2*x]^2)");
        Assert.Equal(1, code);
        Assert.Contains("'concat' (shape [2]) cannot be written as a scalar expression", error);
    }

    [Fact]
    public void ExplainPrintsTheForwardBackwardTable()
    {
        var (code, output, _) = Fad("explain", "log(1 + exp(-3.5*w))", "--at", "w=0.5");
        Assert.Equal(0, code);
        var lines = output.Split('\n');
        Assert.Equal("inputs: v0 = w", lines[0]);
        Assert.StartsWith("v0 | input      | 0.5", lines[3]);
        Assert.EndsWith("| -0.518165", lines[3]);
        Assert.Contains("v1 | -3.5 * v0", lines[4]);
        Assert.Contains("v4 | log v3", lines[7]);
        Assert.EndsWith("| 1", lines[7]);
    }

    [Fact]
    public void GraphAsDot()
    {
        var (code, output, _) = Fad("graph", "log(1 + exp(-3.5*w))", "--at", "w=0.5");
        Assert.Equal(0, code);
        Assert.StartsWith("digraph program {", output);
        Assert.Contains("v1 [shape=ellipse, label=\"v1 = -3.5 * v0\"];", output);
        Assert.Contains("v0 [shape=box, label=\"w = v0\\n[]\"];", output);
        Assert.Contains("v0 -> v1;", output);
        Assert.Contains("v4 [shape=doublecircle", output);
    }

    [Fact]
    public void GraphAsSvgDrawsEveryNodeAndEdge()
    {
        var (code, output, _) = Fad("graph", "x * y + sin(x)", "--at", "x=1,y=2", "--format", "svg");
        Assert.Equal(0, code);
        var svg = XDocument.Parse(output).Root!;
        XNamespace ns = "http://www.w3.org/2000/svg";
        // The core's drawing (Inspect.svgOfNamed): one <g class="node"> per input and operation.
        var nodes = svg.Elements(ns + "g").Where(g => (string?)g.Attribute("class") == "node").ToList();
        string Text(XElement node) => node.Element(ns + "text")!.Value;
        Assert.Equal(["x = v0 []", "y = v1 []"], nodes.Where(n => (string?)n.Attribute("data-kind") == "input").Select(Text));   // the inputs x and y
        Assert.Equal(["v2 = sin v0", "v3 = v0 * v1", "v4 = v3 + v2"], nodes.Where(n => (string?)n.Attribute("data-kind") == "operation").Select(Text));
        var result = Assert.Single(nodes, n => n.Elements(ns + "rect").Any(r => (string?)r.Attribute("class") == "output"));   // the output, drawn twice
        Assert.Equal("v4", (string?)result.Attribute("id"));
        var edges = svg.Elements(ns + "path").Where(p => (string?)p.Attribute("class") == "edge")
            .Select(p => ((string)p.Attribute("data-from")!, (string)p.Attribute("data-to")!)).Order();
        Assert.Equal([("v0", "v2"), ("v0", "v3"), ("v1", "v3"), ("v2", "v4"), ("v3", "v4")], edges);   // x→sin, x→mul, y→mul, sin→add, mul→add
    }

    [Fact]
    public void GraphOfTheGradient()
    {
        // The core's own gradient graph, unsimplified: each use of x receives 1·x.
        var (code, output, _) = Fad("graph", "x * x", "--at", "x=3", "--grad");
        Assert.Equal(0, code);
        Assert.StartsWith("digraph program {", output);
        Assert.Equal(2, output.Split("= mulNoNan(1, v0)").Length - 1);
        Assert.Contains("v3 [shape=doublecircle, label=\"v3 = v2 + v1\"];", output);
    }

    [Fact]
    public void HelpExitsZero()
    {
        var (code, output, _) = Fad("--help");
        Assert.Equal(0, code);
        Assert.Contains("Usage:", output);
        Assert.Contains("fad diff", output);
        Assert.Equal((0, output), (Fad("-h").Code, Fad("-h").Out));
    }

    [Fact]
    public void FadAlonePrintsTheHelp()
    {
        var (code, output, error) = Fad();
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Equal(Fad("--help").Out, output);
    }

    [Theory]
    [InlineData("eval", "--at <NAME=VALUE>")]
    [InlineData("grad", "--at <NAME=VALUE>")]
    [InlineData("hessian", "--at <NAME=VALUE>")]
    [InlineData("diff", "--wrt <NAME>")]
    [InlineData("explain", "--at <NAME=VALUE>")]
    [InlineData("graph", "--format <dot|svg>")]
    public void EveryCommandHasHelpWithLongAndShortOptions(string command, string option)
    {
        foreach (var help in new[] { "--help", "-h" })
        {
            var (code, output, error) = Fad(command, help);
            Assert.Equal(0, code);
            Assert.Equal("", error);
            Assert.Contains($"fad {command} <EXPR> [options]", output);
            Assert.Contains(option, output);
            Assert.Contains("EXPR uses + - * / ^", output); // -h is help, never an expression
        }
    }

    [Fact]
    public void VersionPrintsTheToolsInformationalVersion()
    {
        var (code, output, _) = Fad("--version");
        Assert.Equal(0, code);
        var version = typeof(Commands).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
        Assert.Equal(version, output);
    }

    [Fact]
    public void OptionsTakeTheirValueAfterASpaceOrAnEqualsSign()
    {
        Assert.Equal(Fad("grad", "x*y", "--at", "x=3,y=2"), Fad("grad", "x*y", "--at=x=3,y=2"));
        Assert.Equal(Fad("diff", "x*y", "--wrt", "y"), Fad("diff", "x*y", "--wrt=y"));
        var (code, output, _) = Fad("grad", "x*y", "--at=x=3,y=2");
        Assert.Equal(0, code);
        Assert.Equal(3.0, After("∂f/∂y = ", output));
    }

    [Fact]
    public void RepeatedAtOptionsAccumulateButAVariableIsGivenOnce()
    {
        var (code, output, _) = Fad("grad", "x*y", "--at", "x=3", "--at", "y=2");
        Assert.Equal(0, code);
        Assert.Equal(2.0, After("∂f/∂x = ", output));
        var (twice, _, error) = Fad("grad", "x*y", "--at", "x=3", "--at", "y=2", "--at", "x=4");
        Assert.Equal(2, twice);
        Assert.Contains("'x' is given more than once in --at", error);
        Assert.Contains("'x' is given more than once in --at", Fad("grad", "x*y", "--at", "x=3,y=2,x=4").Err);
    }

    [Theory]
    [InlineData("diff", "x*y", "--wrt", "x", "--wrt", "y")]
    [InlineData("graph", "x", "--at", "x=1", "--format", "dot", "--format", "svg")]
    public void OtherOptionsGivenTwiceAreRejected(params string[] args)
    {
        var (code, output, error) = Fad(args);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("expects a single argument but 2 were provided", error);
        Assert.Contains($"Run 'fad {args[0]} --help' for usage.", error);
    }

    [Theory]
    [InlineData("log(1+exp(-3.5*w)", 17, "expected ')' but found the end of the input")]
    [InlineData("2 $ w", 2, "unexpected '$'")]
    [InlineData("3.5w", 3, "unexpected 'w' after a complete expression")]
    [InlineData("foo(w)", 0, "unknown function 'foo'")]
    [InlineData("max(w)", 0, "max takes 2 arguments but was given 1")]
    [InlineData("w * (1 + )", 9, "unexpected ')'")]
    [InlineData("w +", 3, "unexpected end of the input")]
    [InlineData("[1, 2", 5, "expected ']'")]
    public void ParseErrorsPointAtTheColumn(string expression, int column, string message)
    {
        var (code, output, error) = Fad("eval", expression, "--at", "w=1");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        var lines = error.Split('\n');
        Assert.Equal($"error: {message}", lines[0][..($"error: {message}".Length)]);
        Assert.EndsWith($"(column {column + 1})", lines[0]);
        Assert.Equal("  " + expression, lines[1]);
        Assert.Equal(new string(' ', 2 + column) + "^", lines[2]);
    }

    [Theory]
    [InlineData(new[] { "integrate", "x" }, "Unrecognized command or argument 'integrate'")]
    [InlineData(new[] { "eval" }, "Required argument 'EXPR' missing for command: 'eval'")]
    [InlineData(new[] { "eval", "x" }, "no value for the variable 'x'")]
    [InlineData(new[] { "eval", "x", "--at", "y=1" }, "'y' is not a variable of the expression")]
    [InlineData(new[] { "eval", "x", "--at", "x" }, "expected NAME=VALUE")]
    [InlineData(new[] { "eval", "x", "--at", "x=1+" }, "in the value of x: unexpected end of the input")]
    [InlineData(new[] { "eval", "x", "--at", "x=y" }, "must be a number or a vector of numbers")]
    [InlineData(new[] { "graph", "x", "--at", "x=1", "--format", "png" }, "unknown --format 'png'")]
    [InlineData(new[] { "grad", "x", "--at" }, "Required argument missing for option: '--at'")]
    [InlineData(new[] { "eval", "x", "--wrt", "x" }, "Unrecognized command or argument '--wrt'")]
    [InlineData(new[] { "grad", "1 + 2" }, "no variables")]
    public void UsageErrorsExitTwo(string[] args, string message)
    {
        var (code, _, error) = Fad(args);
        Assert.Equal(2, code);
        Assert.Contains(message, error);
    }

    [Fact]
    public void ComputationErrorsExitOne()
    {
        var (code, _, error) = Fad("eval", "dot(w, x)", "--at", "w=[1,2],x=[1,2,3]");
        Assert.Equal(1, code);
        Assert.Contains("dot", error);
    }
}
