using NetDashboard.Lab.Labs;
using NetDashboard.Lab.Services;
using CliWrap;
using NetDashboard.Lab.Model;

namespace NetDashboard.Tests.Shared;

/// <summary>
/// The lab the hostile values are sent to, so a refusal judges the value and is never a "no such lab": nat-pc plus
/// <see cref="Vm"/>, whose QEMU the apply starts and this then stops, so guest commands reach a VM of the lab file
/// without a guest to run them; and an image folder that holds the images a VM must never boot.
/// </summary>
public static class HostileTargetLab
{
    public const string Vm = "vm1";

    /// <summary>Brings the lab up from <paramref name="natPcFile"/> (labs/nat-pc.yaml) with the stopped VM.</summary>
    public static async Task BringUpAsync(LabEngine engine, LabService service, string lab, string natPcFile)
    {
        var yaml = await File.ReadAllTextAsync(natPcFile) + $"vms:\n  - name: {Vm}\n    mac: 52:54:98:76:54:30\n    tap: tap0\n";
        await engine.ApplyAsync(LabFileLoader.Parse(yaml, "the hostile-input lab", lab), yaml, null);
        var stop = await service.VmAsync(lab, Vm, VmVerb.Stop);
        if (!stop.Succeeded) throw new InvalidOperationException($"{Vm} did not stop: {stop.Message}");
    }

    /// <summary>
    /// The image folder <see cref="HostileValues.Images"/> names: a FIFO (an open for reading blocks), links to a
    /// secret and to an endless device, and a folder.
    /// </summary>
    public static async Task MakeImageFolderAsync(string folder)
    {
        Directory.CreateDirectory(folder);
        await Cli.Wrap("mkfifo").WithArguments([Path.Combine(folder, "pipe.img")]).ExecuteAsync();
        File.CreateSymbolicLink(Path.Combine(folder, "shadow.img"), "/etc/shadow");
        File.CreateSymbolicLink(Path.Combine(folder, "zero.img"), "/dev/zero");
        Directory.CreateDirectory(Path.Combine(folder, "folder.img"));
    }
}
