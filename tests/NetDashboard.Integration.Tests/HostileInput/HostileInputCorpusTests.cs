using NetDashboard.Lab.Model;
using NetDashboard.Tests.Shared;
using Xunit.Abstractions;

namespace NetDashboard.Integration.Tests.HostileInput;

/// <summary>The corpus itself: big enough, and each hostile lab file differs from one the loader accepts by its one value.</summary>
public sealed class HostileInputCorpusTests(ITestOutputHelper output)
{
    [Fact]
    public void Corpus_EveryKindOfField_HoldsOver100DistinctHostileValues()
    {
        var values = new[]
        {
            HostileValues.InterfaceNames, HostileValues.LabNames, HostileValues.VmNames, HostileValues.Macs, HostileValues.InterfaceAddresses,
            HostileValues.MasqueradeSources, HostileValues.Ipv4Addresses, HostileValues.Images("/images"), HostileValues.NicModels,
            HostileValues.MemoryTokens, HostileValues.CaptureFilters, HostileValues.GuestCommands, HostileValues.Namespaces, HostileValues.TraceProtocols,
        }.SelectMany(kind => kind.Select(v => v.Value)).Distinct().Count();

        output.WriteLine($"{values} distinct hostile values");
        Assert.True(values >= 100, $"{values} distinct hostile values");
    }

    [Fact]
    public void Corpus_TheLabFileTheHostileOnesAreMadeFrom_LoadsWithoutAProblem()
    {
        var lab = LabFileLoader.Parse(HostileLabFiles.Valid("hi-valid"), "the valid template");

        Assert.Equal("hi-valid", lab.Name);
        Assert.Single(lab.Vms);
    }

    [Fact]
    public void Corpus_CaseIds_AreTheSameForAnyTarget()
    {
        var other = new HostileTarget("hi-other", "vm1", "hn-other", "/other", "/elsewhere");

        Assert.Equal(HostileApiCases.For(HostileTarget.Placeholder).Keys, HostileApiCases.For(other).Keys);
        Assert.Equal(HostileCliCases.For(HostileTarget.Placeholder).Keys, HostileCliCases.For(other).Keys);
    }
}
