using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

public sealed class LabFileLoaderTests
{
    public static TheoryData<string> ShippedLabs =>
        new(Directory.GetFiles(TestFiles.LabsFolder, "*.yaml").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal));

    private static LabFileException Refused(string yaml, string? nameOverride = null) =>
        Assert.Throws<LabFileException>(() => LabFileLoader.Parse(yaml, "test.yaml", nameOverride));

    [Theory]
    [MemberData(nameof(ShippedLabs))]
    public void LoadFile_ShippedLab_ParsesWithValidName(string fileName)
    {
        var lab = LabFileReader.LoadFile(TestFiles.Lab(fileName));

        Assert.Null(InputRules.CheckLabName(lab.Name));
    }

    [Fact]
    public void LoadFile_SeedNat_TutorialValues()
    {
        var lab = LabFileReader.LoadFile(TestFiles.Lab("seed-nat.yaml"));

        Assert.Equal("seed-nat", lab.Name);
        Assert.True(lab.Host.Forwarding);
        var br0 = Assert.Single(lab.Host.Bridges);
        Assert.Equal("br0", br0.Name);
        Assert.Equal(["tap0", "tap1"], br0.Ports);
        Assert.Equal([InterfaceAddress.Parse("192.168.1.1/24")], br0.Addresses);
        Assert.Equal(Subnet.Parse("192.168.1.0/24"), Assert.Single(lab.Host.Masquerade).Source);
        Assert.Equal(["vm1", "vm2"], lab.Vms.Select(v => v.Name));
        Assert.Equal([MacAddress.Parse("52:54:98:76:54:30"), MacAddress.Parse("52:54:98:76:54:31")], lab.Vms.Select(v => v.Mac));
    }

    [Fact]
    public void LoadFile_MissingFile_ProblemOnFile()
    {
        var error = Assert.Throws<LabFileException>(() => LabFileReader.LoadFile(Path.Combine(TestFiles.LabsFolder, "no-such-lab.yaml")));

        Assert.Equal("file", Assert.Single(error.Problems).Field);
    }

    [Fact]
    public void Parse_SeveralBadValues_OneProblemPerBadField()
    {
        const string yaml = """
            name: Bad_Lab
            world:
              uplink: 10.180.13.232/33
            host:
              bridges:
                - name: "br 0"
                  ports: [ens192]
              masquerade:
                - source: 192.168.1.1/24
            vms:
              - name: vm1
                mac: 52:54:98:76:54:30
                tap: tap0
              - name: vm2
                mac: 01:00:5e:00:00:01
                tap: tap1
            """;

        var error = Refused(yaml);

        Assert.Equal(
            ["host.bridges[0].name", "host.masquerade[0].source", "name", "vms[1].mac", "world.uplink"],
            error.Problems.Select(p => p.Field).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("name", "Bad_Lab")]
    [InlineData("world.uplink", "10.180.13.232/33")]
    [InlineData("host.bridges[0].name", "br 0")]
    [InlineData("vms[1].mac", "01:00:5e:00:00:01")]
    public void Parse_BadValue_MessageQuotesTheValue(string field, string value)
    {
        const string yaml = """
            name: Bad_Lab
            world:
              uplink: 10.180.13.232/33
            host:
              bridges:
                - name: "br 0"
            vms:
              - name: vm1
                mac: 52:54:98:76:54:30
                tap: tap0
              - name: vm2
                mac: 01:00:5e:00:00:01
                tap: tap1
            """;

        var problem = Assert.Single(Refused(yaml).Problems, p => p.Field == field);

        Assert.Contains($"'{value}'", problem.Message);
    }

    [Fact]
    public void Parse_VmWithSeveralBadValues_EachFieldReported()
    {
        const string yaml = """
            name: ok
            vms:
              - name: vm1
                mac: 52:54:98:76:54:30
                tap: tap0
                memory: 32
                nic: rtl8139
                image: relative/disk.img
            """;

        Assert.Equal(
            ["vms[0].image", "vms[0].memory", "vms[0].nic"],
            Refused(yaml).Problems.Select(p => p.Field).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Parse_MissingName_RequiredProblem()
    {
        var problem = Assert.Single(Refused("description: no name\n").Problems);

        Assert.Equal("name", problem.Field);
        Assert.Contains("required", problem.Message);
    }

    [Fact]
    public void Parse_UnknownTopLevelKey_ProblemAtItsLineAndColumn()
    {
        const string yaml = "name: t1\ncolour: blue\n";

        var problem = Assert.Single(Refused(yaml).Problems);

        Assert.Equal("line 2, column 1", problem.Field);
        Assert.Contains("colour", problem.Message);
    }

    [Fact]
    public void Parse_UnknownNestedKey_ProblemAtItsLineAndColumn()
    {
        const string yaml = """
            name: t1
            host:
              bridges:
                - name: br0
                  port: [ens192]
            """;

        var problem = Assert.Single(Refused(yaml).Problems);

        Assert.Equal("line 5, column 7", problem.Field);
        Assert.Contains("port", problem.Message);
    }

    [Theory]
    [InlineData("52:54:98:76:54:30", "52:54:98:76:54:30")]
    [InlineData("52:54:98:76:54:3a", "52:54:98:76:54:3A")]
    public void Parse_TwoVmsOneMac_ProblemNamesBothVms(string firstMac, string secondMac)
    {
        var yaml = $"""
            name: t1
            vms:
              - name: alpha
                mac: {firstMac}
                tap: tap0
              - name: beta
                mac: {secondMac}
                tap: tap1
            """;

        var problem = Assert.Single(Refused(yaml).Problems);

        Assert.Equal("vms", problem.Field);
        Assert.Contains("alpha", problem.Message);
        Assert.Contains("beta", problem.Message);
    }

    [Fact]
    public void Parse_TwoVmsOneTap_ProblemNamesBothVms()
    {
        const string yaml = """
            name: t1
            vms:
              - name: alpha
                mac: 52:54:98:76:54:30
                tap: tap0
              - name: beta
                mac: 52:54:98:76:54:31
                tap: tap0
            """;

        var problem = Assert.Single(Refused(yaml).Problems);

        Assert.Contains("alpha", problem.Message);
        Assert.Contains("beta", problem.Message);
    }

    [Theory]
    [InlineData("eth0")]
    [InlineData("tap9")]
    [InlineData("lo")]
    public void Parse_BridgePortNotUplinkLanNicOrVmTap_Refused(string port)
    {
        var yaml = $"""
            name: t1
            host:
              bridges:
                - name: br0
                  ports: [tap0, {port}]
            vms:
              - name: vm1
                mac: 52:54:98:76:54:30
                tap: tap0
            """;

        var problem = Assert.Single(Refused(yaml).Problems);

        Assert.Equal("host.bridges[0].ports[1]", problem.Field);
        Assert.Contains(port, problem.Message);
    }

    [Fact]
    public void Parse_BridgePortsOfUplinkLanNicAndVmTap_Accepted()
    {
        const string yaml = """
            name: t1
            host:
              bridges:
                - name: br0
                  ports: [ens160, ens192, tap0]
            vms:
              - name: vm1
                mac: 52:54:98:76:54:30
                tap: tap0
            """;

        Assert.Equal(["ens160", "ens192", "tap0"], Assert.Single(LabFileLoader.Parse(yaml, "test.yaml").Host.Bridges).Ports);
    }

    [Fact]
    public void Parse_PortInTwoBridges_SecondRefused()
    {
        const string yaml = """
            name: t1
            host:
              bridges:
                - name: br0
                  ports: [ens192]
                - name: br1
                  ports: [ens192]
            """;

        Assert.Equal("host.bridges[1].ports[0]", Assert.Single(Refused(yaml).Problems).Field);
    }

    // A VM with one bad value is left out of the lab; its tap must not then be reported as unknown on the bridge.
    [Fact]
    public void Parse_VmWithBadMacOnBridge_OnlyTheMacReported()
    {
        const string yaml = """
            name: t1
            host:
              bridges:
                - name: br0
                  ports: [tap0]
            vms:
              - name: vm1
                mac: 01:00:5e:00:00:01
                tap: tap0
            """;

        Assert.Equal("vms[0].mac", Assert.Single(Refused(yaml).Problems).Field);
    }

    // YAML escapes let any character into a value; a newline must not reach a namespace name.
    [Fact]
    public void Parse_NameWithEscapedNewline_Refused() =>
        Assert.Equal("name", Assert.Single(Refused("name: \"t1\\n\"\n").Problems).Field);

    [Fact]
    public void LoadFile_NameOverride_ReplacesName()
    {
        var lab = LabFileReader.LoadFile(TestFiles.Lab("nat-pc.yaml"), nameOverride: "other-lab");

        Assert.Equal("other-lab", lab.Name);
        Assert.Equal("netdash-other-lab-host", lab.Namespaces.Host);
    }

    [Fact]
    public void Parse_BadNameOverride_RefusedOnOverrideField()
    {
        var problem = Assert.Single(Refused("name: good\n", nameOverride: "Bad Name").Problems);

        Assert.Equal("--name", problem.Field);
        Assert.Contains("'Bad Name'", problem.Message);
    }

    [Fact]
    public void Parse_BadFileNameGoodOverride_Accepted() =>
        Assert.Equal("good", LabFileLoader.Parse("name: Bad_Name\n", "test.yaml", nameOverride: "good").Name);
}
