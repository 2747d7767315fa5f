using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Labs;

/// <summary>
/// Everything that can be known before the first command of an apply: the tools are installed, each VM's image
/// can be booted, each tap name is free, the VMs' memory fits in what the host has available. A problem here means
/// nothing ran, so "refused" stays true; a failure after this point is a failure of a command, told as such.
/// </summary>
public static class LabPreflight
{
    /// <summary>Memory the host keeps for itself beyond the VMs (the dashboard, QEMU's own overhead, the page cache).</summary>
    public const int HostReserveMb = 512;

    public static async Task<IReadOnlyList<LabFileProblem>> ProblemsAsync(LabDefinition lab, ITopologySource kernel, VmSupervisor vms,
        CancellationToken cancellationToken = default)
    {
        var problems = new List<LabFileProblem>();
        var toStart = lab.Vms.Where(vm => !vms.StatusOf(lab.Name, vm).IsUp).ToList();
        var tools = toStart.Count > 0 ? [.. HostTools.ForWorld, HostTools.Qemu] : HostTools.ForWorld;
        problems.AddRange(HostTools.Missing(tools).Select(sentence => new LabFileProblem("host", sentence)));
        // Reading the kernel takes ip, bridge, iptables and sysctl: without one of them the taps wait for the next try.
        var host = problems.Count == 0 ? (await kernel.ReadAsync(lab.Name, cancellationToken)).Find(NamespaceRole.Host) : null;
        foreach (var (vm, i) in lab.Vms.Select((vm, i) => (vm, i)).Where(x => toStart.Contains(x.vm)))
        {
            if (vms.ImageProblem(vm) is { } image)
                problems.Add(new($"vms[{i}].image", image));
            if (host?.Link(vm.Tap) is { } taken)
                problems.Add(new($"vms[{i}].tap", $"{vm.Tap} already exists in the host namespace (a {(taken.Kind is "" ? "link" : taken.Kind)}) and no VM of this lab holds it"));
        }
        problems.AddRange(MemoryProblems(toStart));
        return problems;
    }

    /// <summary>What stops these VMs of a lab from starting now: QEMU missing, memory; the image is checked by the supervisor.</summary>
    public static IReadOnlyList<LabFileProblem> StartProblems(string lab, IReadOnlyList<VmDefinition> vmsToStart, VmSupervisor vms)
    {
        var toStart = vmsToStart.Where(vm => !vms.StatusOf(lab, vm).IsUp).ToList();
        if (toStart.Count == 0) return [];
        return [.. HostTools.Missing([HostTools.Qemu]).Select(sentence => new LabFileProblem("host", sentence)), .. MemoryProblems(toStart)];
    }

    private static IEnumerable<LabFileProblem> MemoryProblems(IReadOnlyList<VmDefinition> toStart)
    {
        var wanted = toStart.Sum(vm => (long)vm.MemoryMb);
        if (wanted > 0 && AvailableMemoryMb() is { } available && wanted > available - HostReserveMb)
            yield return new("vms", $"the VMs to start want {wanted} MiB of memory, but the host has {available} MiB available "
                + $"(and keeps {HostReserveMb} MiB for itself); give them less memory or stop other VMs");
    }

    /// <summary>MemAvailable from /proc/meminfo in MiB, or null when it cannot be read.</summary>
    public static long? AvailableMemoryMb()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return null;
        }
    }
}
