using CliWrap.Buffered;
using NetDashboard.Lab.Model;
using NetDashboard.Tests.Shared;
using Xunit.Abstractions;

namespace NetDashboard.Integration.Tests.HostileInput;

/// <summary>
/// The hostile-input corpus through the CLI, the built executable as a person runs it, on the lab the API tests use:
/// each command line exits with 2, naming the field on stderr, and nothing ran. The 100 ms budget is asserted on the
/// lab-service call the CLI makes for the same value (timed in-process): the CLI's own start (the .NET runtime,
/// configuration, services) takes several hundred milliseconds on its own and varies with the machine's load more
/// than the budget. The CLI's wall time and its excess over a `--help` run are written to the test output.
/// </summary>
[Collection(HostileInputCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Requires", "root")]
public sealed class HostileInputCliTests(HostileInputLab fixture, ITestOutputHelper output)
{
    public static TheoryData<string> Cases => new(HostileCliCases.For(HostileTarget.Placeholder).Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Cli_HostileValue_ExitsTwoNamingTheFieldAndNothingRan(string id)
    {
        var hostile = HostileCliCases.For(fixture.Target)[id];
        if (hostile.LabFile is { } yaml)
            await File.WriteAllTextAsync(hostile.FilePath, yaml);
        var baseline = await fixture.CliBaselineAsync();
        var before = await fixture.FootprintAsync();

        var cli = await RunAsync(hostile.Args);

        var changes = await fixture.ChangesSinceAsync(before, string.Concat(hostile.Args) + hostile.LabFile);
        output.WriteLine($"CLI exited {cli.ExitCode} after {cli.RunTime.TotalMilliseconds:0} ms ({(cli.RunTime - baseline).TotalMilliseconds:0} ms over `lab up --help`): "
            + Printable.Quote(cli.StandardError, 400));
        Assert.True(cli.ExitCode == 2, $"exit code {cli.ExitCode}, not 2: {cli.StandardError}{cli.StandardOutput}");
        Assert.Contains(hostile.Printed, cli.StandardError);
        if (hostile.Secret is { } secret)
            Assert.DoesNotContain(secret, cli.StandardError + cli.StandardOutput);
        Assert.Empty(changes);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Cli_HostileValue_TheServiceCallOfTheCliRefusesItWithin100MsAndNothingRan(string id)
    {
        var hostile = HostileCliCases.For(fixture.Target)[id];
        if (hostile.Service is not { } service)
        {
            output.WriteLine($"refused by the CLI's parser before any service call: {string.Join(' ', hostile.Args)}");
            return;
        }
        if (hostile.LabFile is { } yaml)
            await File.WriteAllTextAsync(hostile.FilePath, yaml);
        var before = await fixture.FootprintAsync();

        var (result, elapsed) = await RefusalClock.TimeAsync(() => service(fixture.Lab.Service));

        var changes = await fixture.ChangesSinceAsync(before, string.Concat(hostile.Args) + hostile.LabFile);
        output.WriteLine($"refused in {elapsed}: {Printable.Quote(result.Message, 400)}");
        Assert.True(result.Outcome == ActionOutcome.Refused, $"{result.Outcome}, not refused: {result.Message}");
        Assert.Contains(result.Problems, problem => hostile.Names(problem.Field));
        Assert.True(elapsed.Best < RefusalClock.Budget, $"refused in {elapsed}, over {RefusalClock.Budget.TotalMilliseconds:0} ms");
        Assert.Empty(changes);
    }

    private async Task<BufferedCommandResult> RunAsync(IReadOnlyList<string> args)
    {
        // A CLI that hangs (a FIFO read that blocks) fails the case instead of the run.
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await DashboardCli.RunAsync(fixture.CliSettings, limit.Token, [.. args]);
    }
}
