using System.Collections.Concurrent;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Model;

public enum VmState { Stopped, Starting, Running, Crashed }

/// <summary>A VM as the supervisor sees it now.</summary>
public sealed record VmStatus(string Lab, string Name, VmState State, int? Pid, string Mac, string Tap, string? Detail = null)
{
    public bool IsUp => State is VmState.Starting or VmState.Running;
}
