using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

/// <summary>How observe mode names a capture of this host ("INODE/NAME") and a hop of its journeys ("NAME@PATH").</summary>
public sealed class HostInterfaceTests
{
    [Theory]
    [InlineData("4026532291/vnet0", 4026532291UL, "vnet0")]
    [InlineData("1/eth0", 1UL, "eth0")]
    public void TryParse_InodeAndInterface_Read(string text, ulong inode, string name)
    {
        Assert.True(HostInterface.TryParse(text, out var parsed));
        Assert.Equal(new HostInterface(inode, name), parsed);
        Assert.Equal(text, parsed.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("host/tap0")]
    [InlineData("-1/eth0")]
    [InlineData("+4/eth0")]
    [InlineData("4026532291/")]
    [InlineData("4026532291/eth0/x")]
    [InlineData("4026532291/a b")]
    [InlineData("4026532291/averyveryverylongname")]
    [InlineData("99999999999999999999999/eth0")]
    public void TryParse_AnythingElse_IsNotOne(string? text) => Assert.False(HostInterface.TryParse(text, out _));

    [Fact]
    public void HopName_ParsedBack_GivesTheInterfaceAndThePathEvenWhenThePathHoldsAnAt()
    {
        var hop = HostInterface.HopName("eth0", "/run/netns/ns@1");

        Assert.Equal(("eth0", "/run/netns/ns@1"), HostInterface.ParseHop(hop));
        Assert.Equal(("lo", ""), HostInterface.ParseHop("lo"));
    }
}
