using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using NetDashboard.Lab.Events;

namespace NetDashboard.Lab.Tests.Events;

/// <summary>The journal followed from its file by byte offset, as another process appends to it. Needs neither root nor a kernel.</summary>
public sealed class JournalTailTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("netdash-tail-").FullName;
    private readonly EventRing<LabEvent> _ring = new(64);
    private readonly Journal _journal;

    public JournalTailTests() => _journal = new Journal(Path.Combine(_folder, "journal.jsonl"));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Follow_EntriesThereAtStart_NotAppendedAgain()
    {
        _journal.Append(Entry("one"));
        _journal.Append(Entry("two"));
        var tail = Tail();

        var read = tail.Follow();

        Assert.Empty(read);
        Assert.Empty(Events());
    }

    [Fact]
    public void Follow_LinesAppended_AppendsEachEntryWithItsLineNumber()
    {
        _journal.Append(Entry("one"));
        var tail = Tail();
        _journal.Append(Entry("two"));
        _journal.Append(Entry("three"));

        var read = tail.Follow();

        Assert.Equal(["two", "three"], read.Select(e => e.Tutorial));
        Assert.Equal([(1L, "two"), (2L, "three")], Events().Cast<JournalAppended>().Select(a => (a.Line, a.Entry.Tutorial)));
        Assert.Empty(tail.Follow());
        Assert.Equal(2, Events().Count);
    }

    [Fact]
    public void Follow_PartialLastLine_AppendedOnlyOnceItsNewlineIsWritten()
    {
        var tail = Tail();
        var line = Line(Entry("half"));
        File.AppendAllText(_journal.Path, Line(Entry("whole")) + line[..(line.Length / 2)]);

        var first = tail.Follow();
        File.AppendAllText(_journal.Path, line[(line.Length / 2)..]);
        var second = tail.Follow();

        Assert.Equal(["whole"], first.Select(e => e.Tutorial));
        Assert.Equal(["half"], second.Select(e => e.Tutorial));
        Assert.Equal([0L, 1L], Events().Cast<JournalAppended>().Select(a => a.Line));
    }

    [Fact]
    public void Follow_JournalRewrittenShorter_AppendsRestartedThenItsEntriesFromLineZero()
    {
        _journal.Append(Entry("old one"));
        _journal.Append(Entry("old two"));
        var tail = Tail();
        // The lab was removed and made again: a new, shorter journal.
        File.WriteAllText(_journal.Path, Line(Entry("new")));

        var read = tail.Follow();

        Assert.Equal(["new"], read.Select(e => e.Tutorial));
        var events = Events();
        Assert.IsType<JournalRestarted>(events[0]);
        var appended = Assert.IsType<JournalAppended>(events[1]);
        Assert.Equal((0L, "new"), (appended.Line, appended.Entry.Tutorial));
        Assert.Equal(2, events.Count);
    }

    [Fact]
    public void Follow_NoJournalAtStart_FollowsItFromItsFirstLineOnceMade()
    {
        var tail = Tail();
        Assert.Empty(tail.Follow());

        _journal.Append(Entry("first"));
        tail.Follow();

        var appended = Assert.IsType<JournalAppended>(Assert.Single(Events()));
        Assert.Equal((0L, "first"), (appended.Line, appended.Entry.Tutorial));
    }

    [Fact]
    public void Follow_LinesThatAreNotEntries_SkippedAndTheNextKeepsItsLineNumber()
    {
        var tail = Tail();
        File.AppendAllText(_journal.Path, "{\"time\": \"cut short\n" + "\n" + Line(Entry("after")));

        var read = tail.Follow();

        Assert.Equal(["after"], read.Select(e => e.Tutorial));
        var appended = Assert.IsType<JournalAppended>(Assert.Single(Events()));
        // Numbered as the journal counts its lines: the two before it are lines 0 and 1.
        Assert.Equal(2L, appended.Line);
        Assert.Equal(3, _journal.Count());
    }

    [Fact]
    public void Follow_LongOutput_EventCarriesItCutAndFollowReturnsItWhole()
    {
        var tail = Tail();
        var output = new string('x', JournalAppended.ShownOutputChars * 2);
        _journal.Append(Entry("noisy") with { ExitCode = 1, StandardError = output });

        var read = Assert.Single(tail.Follow());

        Assert.Equal(output, read.StandardError);
        var carried = Assert.IsType<JournalAppended>(Assert.Single(Events())).Entry.StandardError;
        Assert.Equal(new string('x', JournalAppended.ShownOutputChars) + "…", carried);
    }

    private JournalTail Tail() => new("tail", _journal, _ring, NullLogger.Instance);

    private List<LabEvent> Events() => [.. _ring.Read(_ring.Oldest, _ring.Capacity).Items];

    // A journal line written by hand, as another process's writer could leave it half done.
    private static string Line(JournalEntry entry) => JsonSerializer.Serialize(entry, new JsonSerializerOptions(JsonSerializerDefaults.Web)) + "\n";

    private static JournalEntry Entry(string tutorial) => new()
    {
        Time = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
        Who = "host",
        Namespace = "netdash-tail-host",
        Argv = ["ip", "link", "show"],
        Tutorial = tutorial,
        ExitCode = 0,
    };
}
