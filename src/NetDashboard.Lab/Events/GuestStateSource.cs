using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Lab.Events;

/// <summary>
/// What a lab's guests hold (addresses, routes, ARP), read through their agents every few seconds and at once when
/// poked (a guest command ran, a VM became ready); a guest whose state changed gets a <see cref="GuestChanged"/>.
/// </summary>
internal sealed class GuestStateSource
{
    // A guest changed from its own console is seen at the next look; a guest command or a boot pokes one at once.
    private static readonly TimeSpan Look = TimeSpan.FromSeconds(3);

    private readonly string _lab;
    private readonly LabRuntimeStore _store;
    private readonly VmSupervisor _vms;
    private readonly EventRing<LabEvent> _ring;
    private readonly ILogger _logger;
    private readonly Channel<bool> _pokes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _gate = new();
    private IReadOnlyDictionary<string, GuestState> _guests = new Dictionary<string, GuestState>();

    public GuestStateSource(string lab, LabRuntimeStore store, VmSupervisor vms, EventRing<LabEvent> ring, ILogger logger)
    {
        _lab = lab;
        _store = store;
        _vms = vms;
        _ring = ring;
        _logger = logger;
        // The first look comes at once, so a page does not show "wanted" for a configured guest for seconds.
        Poke();
    }

    /// <summary>What each running guest held at the last look, by VM name.</summary>
    public IReadOnlyDictionary<string, GuestState> Guests
    {
        get { lock (_gate) return _guests; }
    }

    public void Poke() => _pokes.Writer.TryWrite(true);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                using (var look = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    look.CancelAfter(Look);
                    try
                    {
                        await _pokes.Reader.WaitToReadAsync(look.Token);
                        _pokes.Reader.TryRead(out _);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                    }
                }
                try
                {
                    await LookAsync(cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One bad look (a VM removed mid-read, a lab file edited into an invalid one) must not end the following.
                    _logger.FollowFailed(_lab, $"reading the guests failed: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task LookAsync(CancellationToken cancellationToken)
    {
        var before = Guests;
        var now = new Dictionary<string, GuestState>();
        var changes = new List<GuestChanged>();
        foreach (var vm in _store.TryReadDefinition(_lab)?.Vms ?? [])
        {
            var last = before.GetValueOrDefault(vm.Name);
            var state = await _vms.ReadGuestAsync(_lab, vm, cancellationToken);
            // An agent busy with a person's command keeps the last state it gave rather than none.
            if (state is null && last is not null && _vms.StatusOf(_lab, vm).State == VmState.Running) state = last;
            if (state is not null) now[vm.Name] = state;
            if (!(state?.SameAs(last) ?? last is null))
                changes.Add(new GuestChanged(vm.Name, state));
        }
        // The states first: a viewer woken by an event reads them, and must not read the ones before it.
        lock (_gate)
            _guests = now;
        foreach (var change in changes)
            _ring.Append(change);
    }
}
