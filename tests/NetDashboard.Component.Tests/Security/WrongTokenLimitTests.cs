using System.Net;
using NetDashboard.Security;

namespace NetDashboard.Component.Tests.Security;

public sealed class WrongTokenLimitTests
{
    private static readonly IPAddress Client = IPAddress.Loopback;

    [Fact]
    public void Wrong_TenWithinAMinute_LimitedUntilTheOldestIsAMinuteOld()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-12-06T12:00:00Z"));
        var limit = new WrongTokenLimit(clock);

        for (var i = 0; i < 9; i++)
        {
            limit.Wrong(Client);
            clock.Now += TimeSpan.FromSeconds(1);
        }
        Assert.Null(limit.WaitFor(Client));
        limit.Wrong(Client);

        Assert.Equal(TimeSpan.FromSeconds(51), limit.WaitFor(Client));
        Assert.Null(limit.WaitFor(IPAddress.Parse("10.0.0.2")));
        clock.Now += TimeSpan.FromSeconds(51);
        Assert.Null(limit.WaitFor(Client));
    }

    [Fact]
    public void Wrong_FromManyAddresses_RemembersABoundedNumber()
    {
        var limit = new WrongTokenLimit();
        for (var i = 0; i < 10_000; i++)
            limit.Wrong(new IPAddress(BitConverter.GetBytes(i)));

        for (var i = 0; i < 10; i++) limit.Wrong(Client);

        Assert.NotNull(limit.WaitFor(Client));
    }
}
