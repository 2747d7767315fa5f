using System.Text.Json;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Model;

/// <summary>What the app remembers of a lab it owns, beside what the kernel holds.</summary>
public sealed record LabRecord
{
    public required string Name { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public string? SourceFile { get; init; }
    public int? InternetServerPid { get; init; }
    /// <summary>Brought up as a lesson's starting point: the host and the guests are left for the lesson to configure.</summary>
    public bool AsLesson { get; init; }
    public IReadOnlyDictionary<string, VmRecord> Vms { get; init; } = new Dictionary<string, VmRecord>();
    /// <summary>Where each VM's tap sat in the kernel when its VM last stopped, by tap name: it goes back there.</summary>
    public IReadOnlyDictionary<string, TapPlacement> TapPlacements { get; init; } = new Dictionary<string, TapPlacement>();
}

/// <summary>A tap's place in the host as the kernel held it: its bridge (and the bridge's MAC then), whether it was up, its IPv4 addresses.</summary>
public sealed record TapPlacement(string? Master, bool Up, IReadOnlyList<string> Addresses, string? MasterMac = null);

/// <summary>
/// A VM's QEMU as last started: its pid, and whether it was stopped on purpose (so an exit is not a crash).
/// <paramref name="Starting"/>: written before QEMU starts (pid 0), so a starter killed between QEMU's start and the
/// pid's record leaves a mark: the QEMU that names this VM's pid file is then adopted, not left unrecorded.
/// </summary>
public sealed record VmRecord(int Pid, DateTimeOffset StartedAt, bool StoppedOnPurpose = false, bool Starting = false);
