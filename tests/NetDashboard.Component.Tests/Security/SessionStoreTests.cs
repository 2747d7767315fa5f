using NetDashboard.Security;

namespace NetDashboard.Component.Tests.Security;

/// <summary>Sessions in a state folder of the test's own; two stores on one folder stand for the dashboard and the CLI.</summary>
public sealed class SessionStoreTests : IDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);
    private readonly string _state = Directory.CreateTempSubdirectory("netdash-sessions-").FullName;
    private readonly ManualClock _clock = new(DateTimeOffset.Parse("2026-12-06T12:00:00Z"));
    private readonly AccessToken _token;
    private readonly SessionStore _dashboard;

    public SessionStoreTests()
    {
        _token = new AccessToken(_state);
        _dashboard = new SessionStore(_state, _token, Lifetime, _clock);
    }

    [Fact]
    public void Create_TwoSessions_RandomIdsBothValidAndAForgedOneIsNot()
    {
        var first = _dashboard.Create();
        var second = _dashboard.Create();

        Assert.NotEqual(first, second);
        Assert.True(_dashboard.IsValid(first));
        Assert.True(_dashboard.IsValid(second));
        Assert.False(_dashboard.IsValid(first[..^1] + (first[^1] == 'A' ? 'B' : 'A')));
        Assert.False(_dashboard.IsValid(null));
        Assert.False(_dashboard.IsValid(new string('a', 5000)));
    }

    [Fact]
    public void IsValid_UnusedPastItsLifetime_EndsButUsedItSlides()
    {
        var idle = _dashboard.Create();
        var used = _dashboard.Create();

        for (var hour = 0; hour < 20; hour++)
        {
            _clock.Now += TimeSpan.FromHours(1);
            Assert.True(_dashboard.IsValid(used), $"after {hour + 1} h of use");
        }

        Assert.False(_dashboard.IsValid(idle));
    }

    [Fact]
    public void RevokeAll_FromAnotherStoreOnTheSameFolder_EndsTheDashboardsSessions()
    {
        var id = _dashboard.Create();
        var cli = new SessionStore(_state, new AccessToken(_state), Lifetime, _clock);

        Assert.Equal(1, cli.RevokeAll());

        Assert.False(_dashboard.IsValid(id));
        Assert.False(_dashboard.StillValid(SessionStore.HashOf(id)));
    }

    [Fact]
    public void Create_AfterAnotherStoreRevoked_DoesNotBringTheRevokedBack()
    {
        var revoked = _dashboard.Create();
        new SessionStore(_state, new AccessToken(_state), Lifetime, _clock).RevokeAll();

        var fresh = _dashboard.Create();

        Assert.False(_dashboard.IsValid(revoked));
        Assert.True(_dashboard.IsValid(fresh));
    }

    [Fact]
    public void TokenRotatedByAnotherProcess_EverySessionEnds()
    {
        var id = _dashboard.Create();

        new AccessToken(_state).Rotate();

        Assert.False(_dashboard.IsValid(id));
        Assert.Equal(0, _dashboard.Live().Count);
    }

    [Fact]
    public void File_KeepsHashesOnlyOwnerReadable()
    {
        var id = _dashboard.Create();
        var text = File.ReadAllText(_dashboard.FilePath);

        Assert.DoesNotContain(id, text);
        Assert.Contains(SessionStore.HashOf(id), text);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_dashboard.FilePath));
    }

    public void Dispose() => Directory.Delete(_state, recursive: true);
}
