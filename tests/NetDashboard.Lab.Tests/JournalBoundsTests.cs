using NetDashboard.Lab.Runtime;
using NetDashboard.Lab.Model;
using System.Text;
using Xunit.Abstractions;

namespace NetDashboard.Lab.Tests;

/// <summary>
/// Issue 17, finding 9: a journal entry keeps at most 64 KiB of output (the whole, up to 1 MiB, in a file of its own),
/// a guest command is stored once, the journal reads a page at a time from its end, and a lab's folder never grows
/// past its cap: over it, a sentence says what was not kept. Real files in a temporary folder.
/// </summary>
public sealed class JournalBoundsTests(ITestOutputHelper output) : IDisposable
{
    private const string HostNs = "netdash-t1-host";
    private const int KiB = 1024, MiB = 1024 * 1024;

    private readonly string _folder = Directory.CreateTempSubdirectory("netdash-bounds-").FullName;

    private string JournalPath => Path.Combine(_folder, "journal.jsonl");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static JournalEntry Failing(string command, string output) => JournalTests.GuestEntry(command) with { ExitCode = 1, StandardError = output };

    private static JournalEntry Numbered(int n) => JournalTests.GuestEntry($"echo {n}") with { DurationMs = n };

    private string[] RawLines() => File.ReadAllLines(JournalPath);

    private void Filler(long bytes)
    {
        Directory.CreateDirectory(Path.Combine(_folder, "vms", "vm1"));
        File.WriteAllBytes(Path.Combine(_folder, "vms", "vm1", "serial.log"), new byte[bytes]);
    }

    [Fact]
    public void Append_Failing1MiBOutput_EntryKeeps64KiBAndItsFileTheWhole()
    {
        var whole = string.Concat(Enumerable.Range(0, MiB / 16).Select(i => $"line {i,9:D9}\n")).Trim();
        var journal = new Journal(JournalPath);

        var stored = journal.Append(Failing("yes | head -c 1048576; exit 1", whole))!;

        var line = Assert.Single(RawLines());
        Assert.InRange(Encoding.UTF8.GetByteCount(line), 1, Journal.MaxOutputBytes + KiB);
        Assert.Equal("outputs/1.txt", stored.OutputFile);
        Assert.StartsWith(stored.StandardError, whole, StringComparison.Ordinal);
        // As JSON ("\n" is two bytes there), the output kept is 64 KiB.
        Assert.InRange(System.Text.Json.JsonEncodedText.Encode(stored.StandardError).EncodedUtf8Bytes.Length, Journal.MaxOutputBytes - 16, Journal.MaxOutputBytes);
        var file = Path.Combine(_folder, "outputs", "1.txt");
        Assert.Equal(whole, File.ReadAllText(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(whole, journal.ReadOutput("outputs/1.txt"));
        Assert.Equal(stored.OutputFile, Assert.Single(journal.ReadAll()).OutputFile);
    }

    [Fact]
    public void Append_OutputOverTheFilesCap_FileCutAt1MiBAndSaysSo()
    {
        var stored = new Journal(JournalPath).Append(JournalTests.Entry(new CreateBridge(HostNs, "br0"), exitCode: 2) with { StandardError = new string('e', 3 * MiB) })!;

        var text = File.ReadAllText(Path.Combine(_folder, stored.OutputFile!));
        Assert.InRange(text.Length, Journal.MaxOutputFileBytes, Journal.MaxOutputFileBytes + 100);
        Assert.EndsWith("[netdash: cut at 1 MiB; the rest was not kept]\n", text);
    }

    // JSON escapes a control character in six bytes: the 64 KiB is what the line holds, not what the guest printed.
    [Fact]
    public void Append_OutputOfEscapeCharacters_LineStillWithin64KiB()
    {
        new Journal(JournalPath).Append(Failing("printf '\\033%.0s' $(seq 100000)", new string('\u001b', 100_000)));

        Assert.InRange(Encoding.UTF8.GetByteCount(Assert.Single(RawLines())), Journal.MaxOutputBytes - 6, Journal.MaxOutputBytes + KiB);
    }

    [Fact]
    public void Append_4KiBGuestCommand_RawLineHoldsItOnce()
    {
        var command = "echo " + new string('a', Model.InputRules.MaxGuestCommandBytes - 5);

        new Journal(JournalPath).Append(JournalTests.GuestEntry(command));

        var line = Assert.Single(RawLines());
        Assert.Equal(1, Occurrences(line, new string('a', 4000)));
        Assert.InRange(Encoding.UTF8.GetByteCount(line), 4 * KiB, 5 * KiB);
        var read = Assert.Single(new Journal(JournalPath).ReadAll());
        Assert.Equal(command, read.Tutorial);
        Assert.Equal($"(vm1)$ {command}", read.TutorialLine);
    }

    // What older versions wrote: the command four times (argv, tutorial, commandLine, tutorialLine). It reads the same.
    [Fact]
    public void ReadAll_OldLineWithTheCommandFourTimes_ReadsTheSameEntry()
    {
        File.WriteAllText(JournalPath, """
            {"time":"2025-01-02T03:04:05+00:00","who":"vm1","namespace":"netdash-t1-host","argv":["guest-agent","vm1","ifconfig eth0 192.168.1.10"],"tutorial":"ifconfig eth0 192.168.1.10","exitCode":0,"standardError":"","durationMs":12.5,"replayable":true,"remark":false,"outputTruncated":false,"succeeded":true,"commandLine":"guest-agent vm1 'ifconfig eth0 192.168.1.10'","tutorialLine":"(vm1)$ ifconfig eth0 192.168.1.10"}

            """);

        var entry = Assert.Single(new Journal(JournalPath).ReadAll());

        Assert.Equal("(vm1)$ ifconfig eth0 192.168.1.10", entry.TutorialLine);
        Assert.Equal("guest-agent vm1 'ifconfig eth0 192.168.1.10'", entry.CommandLine);
        Assert.Null(entry.OutputFile);
    }

    // A host command's tutorial is not in its argv: it is stored.
    [Fact]
    public void Append_HostCommand_TutorialStoredBesideItsArgv()
    {
        new Journal(JournalPath).Append(JournalTests.Entry(new CreateBridge(HostNs, "br0")));

        Assert.Contains("\"tutorial\":\"brctl addbr br0\"", Assert.Single(RawLines()));
        Assert.Equal("(host)$ brctl addbr br0", Assert.Single(new Journal(JournalPath).ReadAll()).TutorialLine);
    }

    [Fact]
    public void ReadPage_25Entries_NewestFirstAPageAtATime()
    {
        var journal = new Journal(JournalPath);
        for (var n = 1; n <= 25; n++) journal.Append(Numbered(n));

        var first = journal.ReadPage(0, 10);
        var last = journal.ReadPage(20, 10);
        var past = journal.ReadPage(30, 10);

        Assert.Equal(25, first.Total);
        Assert.Equal(Enumerable.Range(16, 10).Reverse().Select(n => $"echo {n}"), first.Entries.Select(e => e.Tutorial));
        Assert.Equal(Enumerable.Range(1, 5).Reverse().Select(n => $"echo {n}"), last.Entries.Select(e => e.Tutorial));
        Assert.Empty(past.Entries);
        Assert.Equal(25, journal.Count());
    }

    // Lines longer than the 64 KiB the reader looks at a time, and one a writer has not ended yet (not read).
    [Fact]
    public void ReadPage_LongLinesAndAnUnendedLast_EntriesSplitRight()
    {
        var journal = new Journal(JournalPath);
        for (var n = 1; n <= 4; n++) journal.Append(Failing($"echo {n}", new string((char)('a' + n), 60 * KiB)));
        File.AppendAllText(JournalPath, "{\"time\":\"2025-01-");

        var page = journal.ReadPage(1, 2);

        Assert.Equal(4, page.Total);
        Assert.Equal(["echo 3", "echo 2"], page.Entries.Select(e => e.Tutorial));
        Assert.Equal(new string('c', 60 * KiB), page.Entries[1].StandardError);
    }

    [Fact]
    public void ReadPage_LineCutShortInTheMiddle_KeepsItsPlaceAsARemark()
    {
        var journal = new Journal(JournalPath);
        journal.Append(Numbered(1));
        File.AppendAllText(JournalPath, "{\"time\":\"2025-01-\n");
        journal.Append(Numbered(3));

        var page = journal.ReadPage(0, 10);

        Assert.Equal(3, page.Total);
        Assert.Equal("echo 3", page.Entries[0].Tutorial);
        Assert.True(page.Entries[1].Remark);
        Assert.Contains("is not an entry", page.Entries[1].Tutorial);
        Assert.Equal("echo 1", page.Entries[2].Tutorial);
    }

    [Fact]
    public void Append_FolderNearItsCap_OutputNotKeptAndTheEntrySaysSo()
    {
        var quota = new LabFolderQuota(4 * MiB);
        Filler(3 * MiB);

        var stored = new Journal(JournalPath, quota).Append(Failing("cat big", new string('x', 200 * KiB)))!;

        Assert.Equal("the lab folder reached its 4 MiB cap; output of this command not kept", stored.StandardError);
        Assert.Null(stored.OutputFile);
        Assert.False(Directory.Exists(Path.Combine(_folder, "outputs")));
        Assert.Equal(stored.StandardError, Assert.Single(new Journal(JournalPath).ReadAll()).StandardError);
    }

    // Past the room kept for entries, the journal ends with one remark; the script exported from it says so.
    [Fact]
    public void Append_FolderFull_JournalEndsWithOneRemarkAndGrowsNoMore()
    {
        var quota = new LabFolderQuota(4 * MiB);
        var journal = new Journal(JournalPath, quota);
        journal.Append(Numbered(1));
        Filler(4 * MiB - LabFolderQuota.RemarkRoom - 200);

        var second = journal.Append(Numbered(2));
        var third = journal.Append(Numbered(3));
        var size = new FileInfo(JournalPath).Length;
        journal.Append(Numbered(4));

        Assert.Null(second);
        Assert.Null(third);
        Assert.Equal(size, new FileInfo(JournalPath).Length);
        var entries = journal.ReadAll();
        Assert.Equal(2, entries.Count);
        Assert.Equal("# the lab folder reached its 4 MiB cap: the journal keeps no more commands, and a script exported from it stops here", entries[1].TutorialLine);
        Assert.InRange(LabFolderQuota.UsedBytes(_folder), 0, quota.MaxBytes);
        Assert.Contains("# the lab folder reached its 4 MiB cap", JournalScript.Export("t1", entries, "/run/nd", System.Net.IPAddress.Parse("203.0.113.5")));
    }

    // The issue's figure: 20 failing guest commands of 1 MiB each made a 24 MB journal.
    [Fact]
    public void Append_TwentyFailing1MiBCommands_JournalAboutOneMiBAndFolderUnderItsCap()
    {
        var journal = new Journal(JournalPath);
        for (var n = 1; n <= 20; n++)
            journal.Append(Failing($"yes {n} | head -c 1048576; exit 1", new string('y', MiB)));

        var journalBytes = new FileInfo(JournalPath).Length;
        var used = LabFolderQuota.UsedBytes(_folder);
        output.WriteLine($"journal.jsonl {journalBytes} bytes, folder {used} bytes ({Directory.GetFiles(Path.Combine(_folder, "outputs")).Length} output files)");

        Assert.InRange(journalBytes, 20 * Journal.MaxOutputBytes, 20 * (Journal.MaxOutputBytes + KiB));
        Assert.InRange(used, 20 * MiB, LabFolderQuota.DefaultMaxBytes);
        Assert.Equal(20, journal.ReadAll().Count(e => e.OutputFile is not null));
    }

    [Fact]
    public void UsedBytes_FilesBelowAndALink_CountsTheFilesNotWhatTheLinkPointsTo()
    {
        Filler(1000);
        File.WriteAllBytes(Path.Combine(_folder, "journal.jsonl"), new byte[24]);
        var elsewhere = Path.Combine(Path.GetTempPath(), $"netdash-bounds-elsewhere-{Guid.NewGuid():N}");
        File.WriteAllBytes(elsewhere, new byte[MiB]);
        try
        {
            File.CreateSymbolicLink(Path.Combine(_folder, "link"), elsewhere);

            Assert.Equal(1024, LabFolderQuota.UsedBytes(_folder));
        }
        finally
        {
            File.Delete(elsewhere);
        }
    }

    [Fact]
    public void IsOutputFile_NamesOfOutputsOnly()
    {
        Assert.True(Journal.IsOutputFile("outputs/12.txt"));
        Assert.False(Journal.IsOutputFile("outputs/../lab.json"));
        Assert.False(Journal.IsOutputFile("outputs/12.txt/../../x.txt"));
        Assert.False(Journal.IsOutputFile("/etc/passwd"));
        Assert.False(Journal.IsOutputFile("outputs/.txt"));
        Assert.Null(new Journal(JournalPath).ReadOutput("outputs/../journal.jsonl"));
    }

    private static int Occurrences(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
