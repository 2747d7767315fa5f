using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NetDashboard.Lab.Capture;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests.Capture;

/// <summary>What the service refuses before it opens anything (no root, no namespace needed).</summary>
public sealed class CaptureServiceTests
{
    private static CaptureService NewService() => new(Options.Create(new CaptureOptions()), NullLogger<CaptureService>.Instance);

    [Theory]
    [InlineData("Bad_Lab", "netdash-Bad_Lab-host", "br0", "lab 'Bad_Lab' is not valid")]
    [InlineData("lab1", "netdash-other-host", "br0", "namespace 'netdash-other-host' is not one of lab lab1's")]
    [InlineData("lab1", "netdash-lab1-host", "../br0", "interface '../br0' is not valid")]
    [InlineData("lab1", "netdash-lab1-host", "br0 up", "interface 'br0 up' is not valid")]
    public async Task AcquireAsync_BadName_RefusedBeforeOpening(string lab, string ns, string iface, string expected)
    {
        await using var service = NewService();
        var refused = await Assert.ThrowsAsync<CaptureException>(() => service.AcquireAsync(new CaptureKey(lab, ns, iface)));
        Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
        Assert.Empty(service.Captures);
    }

    [Fact]
    public async Task AcquireAsync_FilterTooLong_Refused()
    {
        await using var service = NewService();
        var key = CaptureKey.For("lab1", NamespaceRole.Host, "br0", string.Join(" or ", Enumerable.Repeat("icmp", 300)));
        var refused = await Assert.ThrowsAsync<CaptureException>(() => service.AcquireAsync(key));
        Assert.Contains("at most 1024", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AcquireAsync_FilterDoesNotCompile_CompilerMessage()
    {
        await using var service = NewService();
        var refused = await Assert.ThrowsAsync<CaptureException>(() =>
            service.AcquireAsync(CaptureKey.For("lab1", NamespaceRole.Host, "br0", "host 999.1.1.1")));
        Assert.StartsWith("the filter 'host 999.1.1.1' is not valid: ", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, service.HandlesOpened);
    }

    [Theory]
    [InlineData("")]
    [InlineData("icmp or arp")]
    [InlineData("udp and port 53")]
    public void CheckFilter_Valid_Null(string filter) => Assert.Null(CaptureService.CheckFilter(filter));

    [Fact]
    public void CheckFilter_SyntaxError_LibpcapMessage() =>
        Assert.Contains("syntax error", CaptureService.CheckFilter("icmp and and"), StringComparison.Ordinal);

    [Fact]
    public void DisplayName_HostNamespace_RoleSlashInterface() =>
        Assert.Equal("host/tap0", CaptureKey.For("lab1", NamespaceRole.Host, "tap0").DisplayName);
}
