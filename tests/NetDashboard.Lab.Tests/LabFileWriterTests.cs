using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

public sealed class LabFileWriterTests
{
    public static TheoryData<string> ShippedLabs => new(Directory.EnumerateFiles(Path.Combine(Root(), "labs"), "*.yaml").Select(Path.GetFileName).OfType<string>());

    [Theory]
    [MemberData(nameof(ShippedLabs))]
    public void ToYaml_ShippedLab_ParsesBackToTheSameDefinition(string file)
    {
        var original = LabFileReader.LoadFile(Path.Combine(Root(), "labs", file));

        var again = LabFileLoader.Parse(LabFileLoader.ToYaml(original), file);

        Assert.Equal(original.Name, again.Name);
        Assert.Equal(original.World, again.World);
        Assert.Equal(original.Host.Forwarding, again.Host.Forwarding);
        Assert.Equal(original.Host.Bridges.Select(b => (b.Name, string.Join(',', b.Ports), string.Join(',', b.Addresses), b.Up)),
            again.Host.Bridges.Select(b => (b.Name, string.Join(',', b.Ports), string.Join(',', b.Addresses), b.Up)));
        Assert.Equal(original.Host.Masquerade, again.Host.Masquerade);
        Assert.Equal(original.Vms, again.Vms);
    }

    [Fact]
    public void NewMac_LabWithVms_UnicastLocallyAdministeredAndUnused()
    {
        var lab = LabFileReader.LoadFile(Path.Combine(Root(), "labs", "seed-nat.yaml"));

        var macs = Enumerable.Range(0, 200).Select(_ => LabFileLoader.NewMac(lab)).ToList();

        Assert.All(macs, mac =>
        {
            Assert.Null(mac.Problem);
            Assert.True(mac.IsLocallyAdministered);
            Assert.StartsWith("52:54:", mac.ToString());
            Assert.DoesNotContain(lab.Vms, vm => vm.Mac == mac);
        });
    }

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NetDashboard.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("repository root not found");
    }
}
