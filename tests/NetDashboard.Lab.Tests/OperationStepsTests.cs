using NetDashboard.Lab.Labs;
using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

public sealed class OperationStepsTests
{
    private const string HostNs = "netdash-nat-pc-host";
    private const string WanNs = "netdash-nat-pc-wan";
    private const string PcNs = "netdash-nat-pc-pc";

    private static readonly LabDefinition NatPc = LabFileReader.LoadFile(TestFiles.Lab("nat-pc.yaml"));

    [Fact]
    public void Of_NatPcFromNothing_OneBatchPerNamespaceBetweenTheOtherSteps()
    {
        var plan = LabPlanner.Plan(NatPc, new Topology(NatPc.Name, DateTimeOffset.UnixEpoch, []), internetServerRunning: false, "/www").Operations;

        var steps = OperationSteps.Of(plan);

        Assert.Equal(9, steps.Count);
        Assert.All(steps.Take(3), s => Assert.IsType<CreateNamespace>(Assert.Single(s)));
        // The host's batch comes first: its cables make the wan's and the pc's eth0.
        Assert.Equal([HostNs, WanNs, PcNs], steps.Skip(3).Take(3).Select(s => s[0].Namespace));
        Assert.Equal(19, steps.Skip(3).Take(3).Sum(s => s.Count));
        Assert.IsType<SetForwarding>(Assert.Single(steps[6]));
        Assert.IsType<AddMasquerade>(Assert.Single(steps[7]));
        Assert.IsType<StartInternetServer>(Assert.Single(steps[8]));
        // Nothing lost, nothing run twice, and each namespace's operations keep their plan order.
        var run = steps.SelectMany(s => s).ToList();
        foreach (var ns in new[] { HostNs, WanNs, PcNs })
            Assert.Equal(plan.Where(op => op.Namespace == ns), run.Where(op => op.Namespace == ns));
        Assert.Equal(plan.Count, run.Count);
        Assert.All(steps, s => Assert.Single(s.Select(op => op.Namespace).Distinct()));
    }

    [Fact]
    public void Of_OperationAfterACableIntoItsNamespace_DoesNotMoveAheadOfTheCable()
    {
        LabOperation[] plan =
        [
            new SetLinkState(WanNs, "lo", true),
            new CreateVethPair(HostNs, "ens160", WanNs, "eth0"),
            new SetLinkState(WanNs, "eth0", true),
        ];

        var steps = OperationSteps.Of(plan);

        Assert.Equal([[plan[0]], [plan[1]], [plan[2]]], steps);
    }

    [Fact]
    public void Of_OtherKindOfStepBetween_IsNotCrossed()
    {
        LabOperation[] plan =
        [
            new SetLinkState(HostNs, "lo", true),
            new SetForwarding(HostNs, true),
            new SetLinkState(HostNs, "ens160", true),
        ];

        var steps = OperationSteps.Of(plan);

        Assert.Equal([[plan[0]], [plan[1]], [plan[2]]], steps);
    }
}
