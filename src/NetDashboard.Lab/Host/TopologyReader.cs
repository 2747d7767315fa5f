using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Host;

/// <summary>Where kernel snapshots of a lab come from (the kernel itself, or a recorded or broken one in a test).</summary>
public interface ITopologySource
{
    Task<Topology> ReadAsync(string lab, CancellationToken cancellationToken = default);
}

/// <summary>Reads a lab's namespaces from the kernel: links and addresses, routes, bridge ports, forwarding and the nat table.</summary>
public sealed class TopologyReader(HostRunner runner) : ITopologySource
{
    public Task<IReadOnlyList<string>> ListNamespacesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(NetNamespaces.Names());

    public async Task<Topology> ReadAsync(string lab, CancellationToken cancellationToken = default)
    {
        var names = new LabNamespaces(lab);
        var existing = (await ListNamespacesAsync(cancellationToken)).ToHashSet();
        var states = await Task.WhenAll(Enum.GetValues<NamespaceRole>().Select(role =>
        {
            var ns = names.NameOf(role);
            return existing.Contains(ns)
                ? ReadNamespaceAsync(ns, role, cancellationToken)
                : Task.FromResult(NamespaceState.Missing(ns, role));
        }));
        return new Topology(lab, DateTimeOffset.UtcNow, states);
    }

    private async Task<NamespaceState> ReadNamespaceAsync(string ns, NamespaceRole role, CancellationToken cancellationToken)
    {
        var links = runner.ReadAsync(KernelReads.ReadLinks(ns), cancellationToken);
        var bridgePorts = runner.ReadAsync(KernelReads.ReadBridgePorts(ns), cancellationToken);
        var routes = runner.ReadAsync(KernelReads.ReadRoutes(ns), cancellationToken);
        var forwarding = runner.ReadAsync(KernelReads.ReadForwarding(ns), cancellationToken);
        var nat = runner.ReadAsync(KernelReads.ReadNatRules(ns), cancellationToken);
        try
        {
            await Task.WhenAll(links, bridgePorts, routes, forwarding, nat);
        }
        catch (HostCommandException)
        {
            // The namespace went away while it was being read; anything else is a real failure.
            if (!(await ListNamespacesAsync(cancellationToken)).Contains(ns))
                return NamespaceState.Missing(ns, role);
            throw;
        }
        return new NamespaceState(
            ns,
            role,
            Exists: true,
            KernelJsonParser.ParseLinks(links.Result, bridgePorts.Result),
            KernelJsonParser.ParseRoutes(routes.Result),
            forwarding.Result.Trim() == "1",
            KernelJsonParser.ParseNatRules(nat.Result));
    }

    /// <summary>A namespace's routing table and neighbour table, and the MAC table of <paramref name="bridge"/> when one is named.</summary>
    public async Task<KernelTables> ReadTablesAsync(string ns, string? bridge, CancellationToken cancellationToken = default)
    {
        var routes = runner.ReadAsync(KernelReads.ReadRoutes(ns), cancellationToken);
        var neighbours = runner.ReadAsync(KernelReads.ReadNeighbours(ns), cancellationToken);
        var fdb = bridge is null ? Task.FromResult("[]") : runner.ReadAsync(KernelReads.ReadForwardingDatabase(ns, bridge), cancellationToken);
        await Task.WhenAll(routes, neighbours, fdb);
        return new KernelTables(KernelJsonParser.ParseRoutes(routes.Result), KernelJsonParser.ParseNeighbours(neighbours.Result),
            bridge is null ? [] : KernelJsonParser.ParseForwardingDatabase(fdb.Result, bridge));
    }

    /// <summary>Each interface's packet count (received plus sent) in a namespace, from the kernel's counters.</summary>
    public async Task<IReadOnlyDictionary<string, long>> ReadLinkPacketsAsync(string ns, CancellationToken cancellationToken = default) =>
        KernelJsonParser.ParseLinkPackets(await runner.ReadAsync(KernelReads.ReadLinkCounters(ns), cancellationToken));

    /// <summary>The pids of the processes living in a namespace (as `ip netns pids` finds them, read from /proc).</summary>
    public Task<IReadOnlyList<int>> ReadPidsAsync(string ns, CancellationToken cancellationToken = default) =>
        Task.FromResult(NetNamespaces.Pids(ns));
}
