using NetDashboard.Lab.Services;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using NetDashboard.Lab.Model;
using NetDashboard.Model;

namespace NetDashboard.Components.Controls;

/// <summary>Details and actions of the selected element: a namespace, a link or a VM. Every action shows its result beside it.</summary>
public sealed partial class Inspector
{
    private enum SelectionKind { None, Namespace, Link, Vm }

    private SelectionKind _kind;
    private NamespaceRole _role;
    private NamespaceState? _namespace;
    private LinkState? _link;
    private VmDefinition? _vm;
    private ActionResult? _result;
    private bool _busy;
    private string? _address, _source, _bridge, _target = "203.0.113.5", _guestAddress, _guestGateway;
    // What was offered last: a field still holding it follows the lab; one a person typed in is left alone.
    private string? _sourceOffered, _bridgeOffered;
    private string? _shownSelection;
    private NewVmForm _newVm = new();
    private NewVmForm? _suggestedVm;

    /// <summary>The create-VM form's fields, bound to the inputs; prefilled with <see cref="LabSuggestions"/>'s values.</summary>
    private sealed record NewVmForm
    {
        public string? Name { get; set; }
        public string? Tap { get; set; }
        public string? Mac { get; set; }
        public string Nic { get; set; } = "e1000";
        public string? Image { get; set; } = "builtin";
        public string? Bridge { get; set; } = LabSuggestions.None;
        public string? Address { get; set; }
        public string? Gateway { get; set; }
    }

    [Inject] private LabService Actions { get; set; } = null!;
    [Inject] private IDialogService Dialogs { get; set; } = null!;

    private bool _server;

    /// <summary>The lab shown.</summary>
    [Parameter, EditorRequired] public string Lab { get; set; } = "";

    /// <summary>The latest kernel snapshot.</summary>
    [Parameter] public Topology? Topology { get; set; }

    /// <summary>The lab file as the app holds it (VMs live there).</summary>
    [Parameter] public LabDefinition? Definition { get; set; }

    /// <summary>Each VM's state.</summary>
    [Parameter] public IReadOnlyList<VmStatus> VmStatuses { get; set; } = [];

    /// <summary>What each running guest holds (addresses, routes, ARP), by VM name.</summary>
    [Parameter] public IReadOnlyDictionary<string, GuestState> Guests { get; set; } = new Dictionary<string, GuestState>();

    /// <summary>The selected graph element id (see <see cref="TopologyGraph"/>), or null.</summary>
    [Parameter] public string? Selected { get; set; }

    private string RoleName => _role.Word();

    private IEnumerable<string> PortCandidates =>
        Topology?.Find(NamespaceRole.Host)?.Links
            .Where(l => l.Kind is "tun" or "veth" && l.Master is null)
            .Select(l => l.Name) ?? [];

    protected override void OnParametersSet()
    {
        if (_shownSelection != Selected)
        {
            _shownSelection = Selected;
            _result = null;
        }
        if (_source == _sourceOffered) _source = _sourceOffered = LabSuggestions.MasqueradeSource(Topology);
        if (_bridge == _bridgeOffered) _bridge = _bridgeOffered = LabSuggestions.BridgeName(Topology);
        // The suggestion follows the lab (a VM made elsewhere takes vm3) until a person edits the form.
        if (Definition is not null && (_newVm.Name is null || _newVm == _suggestedVm))
        {
            _suggestedVm = SuggestVm(Definition, Topology);
            _newVm = _suggestedVm with { };
        }
        _kind = SelectionKind.None;
        _link = null;
        _vm = null;
        var element = GraphElementId.Parse(Selected);
        _server = element?.Kind == GraphElementKind.Server;
        switch (element)
        {
            case { Kind: GraphElementKind.Namespace or GraphElementKind.Server or GraphElementKind.Router, Role: var role }:
                _role = role;
                _namespace = Topology?.Find(role);
                _kind = SelectionKind.Namespace;
                break;
            case { Kind: GraphElementKind.Link, Role: var role, Name: var name }:
                _role = role;
                _namespace = Topology?.Find(role);
                _link = _namespace?.Link(name!);
                _kind = _link is null ? SelectionKind.None : SelectionKind.Link;
                break;
            case { Kind: GraphElementKind.Vm, Name: var name }:
                _vm = Definition?.Vms.FirstOrDefault(v => v.Name == name);
                _kind = _vm is null ? SelectionKind.None : SelectionKind.Vm;
                if (_vm is not null && _guestAddress is null)
                {
                    _guestAddress = _vm.Address?.ToString();
                    _guestGateway = _vm.Gateway?.ToString();
                }
                break;
        }
    }

    private string? Problem(string field) => _result?.Problems.FirstOrDefault(p => p.Field == field)?.Message;

    // "bridge" names a field of two forms shown together (a new bridge, a new VM's bridge): a refusal goes beside the one sent.
    private bool _resultOfVmForm;
    private string? VmFormProblem(string field) => _resultOfVmForm ? Problem(field) : null;
    private string? HostFormProblem(string field) => _resultOfVmForm ? null : Problem(field);

    private Task RunAsync(OperationRequest request) => ActAsync(() => Actions.RunAsync(Lab, request));

    private Task VmAsync(VmVerb verb) => ActAsync(() => Actions.VmAsync(Lab, _vm!.Name, verb));

    // What cannot be taken back with one click asks first.
    private async Task ConfirmThenVmAsync(VmVerb verb)
    {
        var vm = _vm!.Name;
        var what = verb == VmVerb.Stop ? "Stop" : "Restart";
        if (await ConfirmAsync($"{what} {vm}?", $"Its QEMU process ends; what was typed in its guest and its guest's addresses are lost{(verb == VmVerb.Restart ? " until it is configured again" : "")}.", what))
            await VmAsync(verb);
    }

    private async Task ConfirmThenRunAsync(string question, string consequence, OperationRequest request)
    {
        if (await ConfirmAsync(question, consequence, "Yes"))
            await RunAsync(request);
    }

    private async Task<bool> ConfirmAsync(string question, string consequence, string yes) =>
        await Dialogs.ShowMessageBoxAsync(question, consequence, yesText: yes, cancelText: "Cancel") == true;

    private static string NamespaceTitle(NamespaceRole role) => role switch
    {
        NamespaceRole.Host => "Host",
        NamespaceRole.Wan => "Wan (the internet)",
        _ => "External PC",
    };

    private static string KindName(string kind) => kind switch
    {
        "tun" => "tap device",
        "veth" => "veth (one end of a virtual cable)",
        "bridge" => "bridge",
        _ => kind,
    };

    private Task ConfigureGuestAsync() => ActAsync(() => Actions.ConfigureGuestAsync(Lab, _vm!.Name, _guestAddress ?? "", _guestGateway));

    private IReadOnlyList<string> BridgeChoices => LabSuggestions.Bridges(Definition, Topology);

    private async Task CreateVmAsync()
    {
        await ActAsync(() => Actions.CreateVmAsync(Lab, new NewVmRequest
        {
            Name = _newVm.Name, Tap = _newVm.Tap, Mac = _newVm.Mac, Nic = _newVm.Nic, Image = _newVm.Image,
            Bridge = _newVm.Bridge, Address = _newVm.Address ?? "", Gateway = _newVm.Gateway ?? "",
        }), vmForm: true);
        if (_result?.Succeeded == true && Actions.DefinitionOf(Lab) is { } updated)
        {
            _suggestedVm = SuggestVm(updated, await Actions.TopologyAsync(Lab));
            _newVm = _suggestedVm with { };
        }
    }

    private static NewVmForm SuggestVm(LabDefinition lab, Topology? kernel)
    {
        var suggested = LabSuggestions.Vm(lab, kernel);
        return new NewVmForm { Name = suggested.Name, Tap = suggested.Tap, Bridge = suggested.Bridge, Address = suggested.Address, Gateway = suggested.Gateway };
    }

    private Task PingAsync(string from) => ActAsync(() => Actions.PingAsync(Lab, from, _target ?? ""));

    private async Task ActAsync(Func<Task<ActionResult>> action, bool vmForm = false)
    {
        _busy = true;
        _result = null;
        _resultOfVmForm = vmForm;
        try
        {
            _result = await action();
        }
        finally
        {
            _busy = false;
        }
    }

    private static Color StateColor(string state) => state switch
    {
        "UP" => Color.Success,
        "NO-CARRIER" => Color.Warning,
        _ => Color.Default,
    };

    private static Color VmColor(VmState? state) => state switch
    {
        VmState.Running => Color.Success,
        VmState.Starting => Color.Warning,
        VmState.Crashed => Color.Error,
        _ => Color.Default,
    };
}
