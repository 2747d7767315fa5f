using NetDashboard.Lab.Host;
using System.Diagnostics;
using System.Text;
using NetDashboard.Lab.Model;
using Vms = NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Tests;

/// <summary>Values ip, bridge or iptables would misread, and lab files built to cost: each refused, cheaply, naming its field.</summary>
public sealed class BoundedInputTests
{
    // "up" made `ip link add up type bridge` create a stray bridge0; "-x" reached brctl as an option.
    [Theory]
    [InlineData("hello")]
    [InlineData("42")]
    [InlineData("- name: t1")]
    [InlineData("\"quoted\"")]
    [InlineData("true")]
    public void Parse_DocumentThatIsNoMapping_RefusedAsNotALabFile(string yaml)
    {
        var error = Assert.Throws<LabFileException>(() => LabFileLoader.Parse(yaml, "test"));

        Assert.Contains("this is not a lab file: a lab file is a YAML mapping", Assert.Single(error.Problems).Message);
    }

    [Theory]
    [InlineData("up")]
    [InlineData("down")]
    [InlineData("nomaster")]
    [InlineData("help")]
    [InlineData("all")]
    [InlineData("master")]
    [InlineData("type")]
    [InlineData("dev")]
    [InlineData("peer")]
    [InlineData("name")]
    public void CheckInterfaceName_IprouteKeyword_RefusedAsKeyword(string name) =>
        Assert.Contains("keyword", InputRules.CheckInterfaceName(name));

    [Theory]
    [InlineData("-x")]
    [InlineData("--help")]
    [InlineData("-")]
    public void CheckInterfaceName_LeadingDash_RefusedAsOption(string name) =>
        Assert.Contains("option", InputRules.CheckInterfaceName(name));

    [Theory]
    [InlineData("br0")]
    [InlineData("tap0")]
    [InlineData("upstream")]
    [InlineData("down2")]
    [InlineData("x-y")]
    public void CheckInterfaceName_OrdinaryName_Accepted(string name) => Assert.Null(InputRules.CheckInterfaceName(name));

    [Theory]
    [InlineData("7")]
    [InlineData("Host, Pc")]
    [InlineData("HOST")]
    [InlineData("host ")]
    [InlineData("0")]
    public void OperationRequest_NamespaceNotExactlyHostWanOrPc_RefusedOnNamespace(string ns)
    {
        var (operation, problems) = new OperationRequest { Kind = "createBridge", Namespace = ns, Bridge = "br1" }.ToOperation("t1");

        Assert.Null(operation);
        Assert.Contains(problems, p => p.Field == "namespace");
    }

    [Theory]
    [InlineData("host", "netdash-t1-host")]
    [InlineData("wan", "netdash-t1-wan")]
    [InlineData("pc", "netdash-t1-pc")]
    public void OperationRequest_NamespaceWord_RunsThere(string ns, string expected) =>
        Assert.Equal(expected, new OperationRequest { Kind = "createBridge", Namespace = ns, Bridge = "br1" }.ToOperation("t1").Operation?.Namespace);

    [Fact]
    public void OperationRequest_LinkIsKeyword_RefusedOnLink()
    {
        var (operation, problems) = new OperationRequest { Kind = "setLinkState", Link = "up", Up = true }.ToOperation("t1");

        Assert.Null(operation);
        Assert.Contains(problems, p => p.Field == "link" && p.Message.Contains("keyword"));
    }

    [Fact]
    public void OperationRequest_MasqueradeOfEverything_RefusedWithTheReason()
    {
        var (operation, problems) = new OperationRequest { Kind = "addMasquerade", Source = "0.0.0.0/0" }.ToOperation("t1");

        Assert.Null(operation);
        Assert.Contains(problems, p => p.Field == "source" && p.Message.Contains("! -d"));
    }

    [Fact]
    public void Parse_MasqueradeOfEverything_RefusedOnItsField()
    {
        var error = Assert.Throws<LabFileException>(() => LabFileLoader.Parse("name: t1\nhost:\n  masquerade:\n    - source: 0.0.0.0/0\n", "test"));
        Assert.Contains(error.Problems, p => p.Field == "host.masquerade[0].source");
    }

    // 60,000 bridges took 38.8 s of a core to refuse: the duplicate check was quadratic.
    [Fact]
    public void Parse_SixtyThousandBridges_RefusedByCountWithinAFewHundredMilliseconds()
    {
        var yaml = new StringBuilder("name: t1\nhost:\n  bridges:\n");
        for (var i = 0; i < 60_000; i++) yaml.Append("    - {name: b").Append(i).Append("}\n");

        var timer = Stopwatch.StartNew();
        var error = Assert.Throws<LabFileException>(() => LabFileLoader.Parse(yaml.ToString(), "test"));
        timer.Stop();

        Assert.True(timer.ElapsedMilliseconds < 1000, $"took {timer.ElapsedMilliseconds} ms");
        Assert.Single(error.Problems);
    }

    [Fact]
    public void Parse_LimitManyBridges_ValidatedInLinearTime()
    {
        var yaml = new StringBuilder("name: t1\nhost:\n  bridges:\n");
        for (var i = 0; i < LabFileLoader.Limits.Bridges; i++) yaml.Append("    - {name: b").Append(i).Append("}\n");

        var definition = LabFileLoader.Parse(yaml.ToString(), "test");

        Assert.Equal(LabFileLoader.Limits.Bridges, definition.Host.Bridges.Count);
    }

    [Fact]
    public void Parse_OneBridgeOverTheLimit_RefusedOnTheList()
    {
        var yaml = new StringBuilder("name: t1\nhost:\n  bridges:\n");
        for (var i = 0; i <= LabFileLoader.Limits.Bridges; i++) yaml.Append("    - {name: b").Append(i).Append("}\n");

        var error = Assert.Throws<LabFileException>(() => LabFileLoader.Parse(yaml.ToString(), "test"));

        Assert.Contains(error.Problems, p => p.Field == "host.bridges" && p.Message.Contains($"at most {LabFileLoader.Limits.Bridges}"));
    }

    [Fact]
    public void Parse_TenMegabyteDescription_RefusedBySize()
    {
        var error = Assert.Throws<LabFileException>(() => LabFileLoader.Parse($"name: t1\ndescription: {new string('x', 10_000_000)}\n", "test"));
        Assert.Contains(error.Problems, p => p.Field == "file");
    }

    [Fact]
    public void Parse_LongDescription_RefusedOnDescription()
    {
        var error = Assert.Throws<LabFileException>(() =>
            LabFileLoader.Parse($"name: t1\ndescription: {new string('x', LabFileLoader.Limits.DescriptionCharacters + 1)}\n", "test"));
        Assert.Contains(error.Problems, p => p.Field == "description");
    }

    [Fact]
    public void Parse_AnchorBomb_RefusedAtTheFirstAlias()
    {
        const string bomb = """
            name: t1
            a: &a ["x","x","x","x","x","x","x","x","x"]
            b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
            c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
            d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
            """;

        var timer = Stopwatch.StartNew();
        var error = Assert.Throws<LabFileException>(() => LabFileLoader.Parse(bomb, "test"));

        Assert.Contains(error.Problems, p => p.Message.Contains("aliases"));
        Assert.True(timer.ElapsedMilliseconds < 500, $"took {timer.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void Parse_DeepNesting_Refused()
    {
        var yaml = "name: t1\ndescription: " + new string('[', 200) + new string(']', 200) + "\n";
        var error = Assert.Throws<LabFileException>(() => LabFileLoader.Parse(yaml, "test"));
        Assert.Contains(error.Problems, p => p.Message.Contains("nested"));
    }

    // `lab up /etc/shadow` echoed the file's first line in its error.
    [Fact]
    public void Parse_UnknownKeyHoldingASecret_NamesOnlyTheKeyNeverTheValue()
    {
        var error = Assert.Throws<LabFileException>(() => LabFileLoader.Parse("root: $6$secret-hash-value\n", "test"));
        Assert.DoesNotContain("secret-hash-value", error.Message);
    }

    [Fact]
    public void Parse_ScalarFileLikeShadow_NeverQuotesIt()
    {
        var error = Assert.Throws<LabFileException>(() => LabFileLoader.Parse("root:$y$j9T$secret-hash-value:19000:0:99999:7:::\n", "test"));
        Assert.DoesNotContain("secret-hash-value", error.Message);
    }

    [Fact]
    public void Parse_WrongType_NamesTheLineWithoutTheValue()
    {
        var error = Assert.Throws<LabFileException>(() =>
            LabFileLoader.Parse("name: t1\nvms:\n  - name: vm1\n    mac: 52:54:98:76:54:30\n    tap: tap0\n    memory: lots-of-it\n", "test"));
        Assert.Contains(error.Problems, p => p.Field.StartsWith("line 6", StringComparison.Ordinal) && p.Message.Contains("wrong type"));
        Assert.DoesNotContain("lots-of-it", error.Message);
    }

    [Fact]
    public void Parse_NulAfterANumber_RefusedNotReadAsTheNumber()
    {
        // .NET reads "256\0" as 256; the NUL must be refused, not cleaned away.
        var error = Assert.Throws<LabFileException>(() =>
            LabFileLoader.Parse("name: t1\nvms:\n  - name: vm1\n    mac: 52:54:98:76:54:30\n    tap: tap0\n    memory: \"256\\0\"\n", "test"));
        Assert.Contains(error.Problems, p => p.Field.StartsWith("line 6", StringComparison.Ordinal) && p.Message.Contains("NUL"));
    }

    [Fact]
    public void Parse_KeyGivenTwice_Refused()
    {
        var error = Assert.Throws<LabFileException>(() => LabFileLoader.Parse("name: t1\nname: t2\n", "test"));
        Assert.Contains(error.Problems, p => p.Message.Contains("twice"));
    }

    [Fact]
    public void DiskImages_AnImageFolderThatDoesNotExist_ConfinesNothingRatherThanEverything()
    {
        // A missing folder has no real path; it must not make "/" the folder every path is inside of.
        var (image, problem) = new NetDashboard.Lab.Vms.DiskImages(["/nonexistent/netdash-images"]).Resolve("/etc/passwd");

        Assert.Null(image);
        Assert.Contains("not inside an image folder", problem);
    }

    [Theory]
    [InlineData("/dev/zero", "a character device")]
    [InlineData("/etc", "a folder")]
    [InlineData("/nonexistent.yaml", "does not exist")]
    public void ReadBounded_NotARegularFile_RefusedWithoutReading(string path, string expected)
    {
        var error = Assert.Throws<LabFileException>(() => LabFileReader.ReadBounded(path));
        Assert.Contains(expected, error.Problems.Single().Message);
    }

    [Fact]
    public void ReadBounded_Fifo_RefusedAtOnce()
    {
        var fifo = Path.Combine(Directory.CreateTempSubdirectory("netdash-fifo-").FullName, "lab.yaml");
        try
        {
            Assert.Equal(0, Mkfifo(fifo, 0x180));
            var timer = Stopwatch.StartNew();
            var error = Assert.Throws<LabFileException>(() => LabFileReader.ReadBounded(fifo));
            Assert.Contains("a FIFO", error.Problems.Single().Message);
            Assert.True(timer.ElapsedMilliseconds < 1000, $"took {timer.ElapsedMilliseconds} ms");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(fifo)!, recursive: true);
        }
    }

    [Fact]
    public void ReadBounded_FileOverTheLimit_Refused()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "name: t1\n" + new string('#', LabFileLoader.Limits.FileBytes));
            var error = Assert.Throws<LabFileException>(() => LabFileReader.ReadBounded(file));
            Assert.Contains("KiB", error.Problems.Single().Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void LabFileProblem_Of_LongHostileValue_QuotedShortAndEscaped()
    {
        var problem = LabFileProblem.Of("bridge", "\u001b]0;owned\u0007" + new string('x', 10_000), "a rule");

        Assert.DoesNotContain('\u001b', problem.Message);
        Assert.True(problem.Message.Length < 200, $"{problem.Message.Length} characters");
    }

    // The default image folder is often absent: its missing real path once read as "/", which holds every file.
    [Theory]
    [InlineData("/etc/shadow")]
    [InlineData("/dev/zero")]
    [InlineData("/etc")]
    public void DiskImages_FolderMissing_NothingOutsideIsBootable(string path)
    {
        var (image, problem) = new Vms.DiskImages(["/nonexistent/netdash-images"]).Resolve(path);

        Assert.Null(image);
        Assert.Contains("not inside an image folder", problem);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int Mkfifo(string path, int mode);
}

/// <summary>"Refused" promises nothing ran; once a step has run, a failure says which steps did.</summary>
public sealed class AfterStepsTests
{
    private static JournalEntry Ran(string tutorial) => new()
    {
        Time = DateTimeOffset.UtcNow, Who = "host", Namespace = "netdash-t1-host", Argv = ["ip"], Tutorial = tutorial, ExitCode = 0,
    };

    [Fact]
    public void AfterSteps_RefusalAfterCommandsRan_BecomesAFailureListingThem()
    {
        var result = ActionResult.Refused("vms[0].image", "gone").AfterSteps("t1", [Ran("ip netns add netdash-t1-host"), Ran("brctl addbr br0")]);

        Assert.Equal(ActionOutcome.Failed, result.Outcome);
        Assert.Contains("2 commands had run", result.Message);
        Assert.Contains("lab down t1", result.Message);
        Assert.Equal("(host)$ ip netns add netdash-t1-host\n(host)$ brctl addbr br0", result.Output);
    }

    [Fact]
    public void AfterSteps_NothingRan_StaysRefused()
    {
        var refused = ActionResult.Refused("vms[0].image", "gone");
        Assert.Same(refused, refused.AfterSteps("t1", []));
    }
}
