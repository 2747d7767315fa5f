using System.Text.RegularExpressions;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Observe;

/// <summary>
/// Names the stacks a host's links belong to, by the marks each leaves: a libvirt network is a virbrN bridge with a
/// dnsmasq started on libvirt's own config file (and NAT through its LIBVIRT_* chains); Docker's is docker0 with a
/// veth per container (named when the engine named the namespace behind the veth: <see cref="DockerEngine"/>); Proxmox's is a vmbrN bridge with tapVMIDiN taps, its firewall bridges fwbr/fwpr/fwln.
/// </summary>
public static partial class StackRecognizer
{
    [GeneratedRegex(@"^tap(?<vm>\d+)i(?<nic>\d+)$")]
    private static partial Regex ProxmoxTap();

    [GeneratedRegex(@"^fw(br|ln)(?<vm>\d+)i\d+$|^fwpr(?<vm>\d+)p\d+$")]
    private static partial Regex ProxmoxFirewall();

    [GeneratedRegex(@"/libvirt/dnsmasq/(?<network>[^/ ]+)\.conf")]
    private static partial Regex LibvirtDnsmasq();

    /// <param name="processes">The processes of the namespaces, with their parent's pid (0 when unknown).</param>
    public static IReadOnlyList<ObservedStack> Recognize(IReadOnlyList<ObservedNamespace> namespaces,
        IReadOnlyList<(ulong Namespace, int Pid, int ParentPid, string CommandLine)> processes)
    {
        var stacks = new List<ObservedStack>();
        foreach (var ns in namespaces)
        {
            stacks.AddRange(Libvirt(ns, processes.Where(p => p.Namespace == ns.Inode)));
            if (ns.Link("docker0") is { Kind: "bridge" } docker)
            {
                var containers = ns.Links.Where(l => l.Master == docker.Name && l.Kind == "veth").ToList();
                // The engine's names for the containers behind the veths, in the veths' order, when it told them.
                var names = containers.Select(c => c.PeerNamespace is { } peer ? namespaces.FirstOrDefault(n => n.Inode == peer)?.Container : null)
                    .OfType<string>().Distinct(StringComparer.Ordinal).ToList();
                stacks.Add(new ObservedStack("docker", $"Docker: docker0, {containers.Count} container{(containers.Count == 1 ? "" : "s")}"
                    + (names.Count == 0 ? "" : $" ({string.Join(", ", names)})"), ns.Inode, [docker.Name, .. containers.Select(c => c.Name)]));
            }
            foreach (var bridge in ns.Links.Where(l => l.Kind == "bridge" && l.Name.StartsWith("vmbr", StringComparison.Ordinal)))
            {
                var taps = ns.Links.Select(l => (Link: l, Match: ProxmoxTap().Match(l.Name))).Where(t => t.Match.Success && ReachesBridge(ns, t.Link, bridge.Name)).ToList();
                var firewall = ns.Links.Where(l => ProxmoxFirewall().IsMatch(l.Name)).Select(l => l.Name);
                var vms = taps.Select(t => $"VM {t.Match.Groups["vm"].Value} ({t.Link.Name}{(t.Link.Holder?.Guest is { } guest ? $", {guest}" : "")})");
                stacks.Add(new ObservedStack("proxmox", $"Proxmox: {bridge.Name}{(taps.Count == 0 ? "" : $", {string.Join(", ", vms)}")}", ns.Inode,
                    [bridge.Name, .. taps.Select(t => t.Link.Name), .. firewall]));
            }
        }
        return stacks;
    }

    /// <summary>A tap in the bridge, or behind Proxmox's firewall bridge (tap → fwbr ← fwln … fwpr → vmbr).</summary>
    private static bool ReachesBridge(ObservedNamespace ns, ObservedLink tap, string bridge)
    {
        if (tap.Master == bridge) return true;
        if (tap.Master is not { } fwbr || !fwbr.StartsWith("fwbr", StringComparison.Ordinal)) return false;
        return ns.Links.Any(l => l.Master == fwbr && l.Kind == "veth" && l.PeerName is { } peer && ns.Link(peer)?.Master == bridge);
    }

    /// <summary>
    /// One stack per libvirt network: its dnsmasq, not the helper that dnsmasq forks to run libvirt's --dhcp-script
    /// (same command line, its parent the network's dnsmasq; a real libvirt shows both).
    /// </summary>
    private static IEnumerable<ObservedStack> Libvirt(ObservedNamespace ns, IEnumerable<(ulong Namespace, int Pid, int ParentPid, string CommandLine)> processes)
    {
        var networks = processes
            .Select(p => (p.Pid, p.ParentPid, Match: p.CommandLine.Contains("dnsmasq", StringComparison.Ordinal) ? LibvirtDnsmasq().Match(p.CommandLine) : null))
            .Where(p => p.Match is { Success: true })
            .GroupBy(p => p.Match!.Groups["network"].Value, StringComparer.Ordinal);
        foreach (var dnsmasqs in networks)
        {
            var network = dnsmasqs.Key;
            var pids = dnsmasqs.Select(d => d.Pid).ToHashSet();
            var main = dnsmasqs.Where(d => !pids.Contains(d.ParentPid)).ToList();
            var pid = (main.Count > 0 ? main : [.. dnsmasqs]).Min(d => d.Pid);
            // The network's bridge is the virbr that holds the address dnsmasq serves; with one, that one.
            var bridge = ns.Links.FirstOrDefault(l => l.Kind == "bridge" && l.Name.StartsWith("virbr", StringComparison.Ordinal));
            if (bridge is null) continue;
            var nat = ns.Chains.Any(c => c.EndsWith(" LIBVIRT_PRT", StringComparison.Ordinal));
            var subnet = bridge.Addresses.Select(a => InterfaceAddress.TryParse(a, out var parsed) ? parsed.Network : null).FirstOrDefault(n => n is not null);
            var guests = ns.Links.Where(l => l.Master == bridge.Name && l.Kind == "tun").ToList();
            yield return new ObservedStack("libvirt",
                $"libvirt network {network}: {bridge.Name}{(nat && subnet is not null ? $", NAT {subnet}" : subnet is not null ? $", {subnet}" : "")}, dnsmasq (pid {pid})"
                + string.Concat(guests.Select(g => $", {g.Name}{(g.Holder?.Guest is { } guest ? $" ({guest})" : "")}")),
                ns.Inode, [bridge.Name, .. guests.Select(g => g.Name)]);
        }
    }
}
