namespace NetDashboard.Lab.Model;

/// <summary>
/// Where a VM's control channels live: unix sockets in the lab's runtime folder, which the dashboard
/// reaches from the root namespace (unix sockets do not belong to a network namespace).
/// </summary>
public sealed record VmPaths(string Folder)
{
    public string Qmp => Path.Combine(Folder, "qmp.sock");
    public string Vnc => Path.Combine(Folder, "vnc.sock");
    /// <summary>ttyS0: a person's serial terminal; everything it prints is also kept in <see cref="SerialLog"/>.</summary>
    public string Serial => Path.Combine(Folder, "serial.sock");
    public string SerialLog => Path.Combine(Folder, "serial.log");
    /// <summary>The serial log's previous 1 MiB, once it was rotated (the serial log rotation).</summary>
    public string SerialLogBefore => Path.Combine(Folder, "serial.log.1");
    /// <summary>Made when a rotation empties a log that said NETDASH-READY, so the VM is still known to be ready.</summary>
    public string ReadyMark => Path.Combine(Folder, "serial.ready");
    /// <summary>ttyS1: the guest's command agent (guest/README.md), so guest commands never mix with a person's typing.</summary>
    public string Agent => Path.Combine(Folder, "agent.sock");
    public string PidFile => Path.Combine(Folder, "qemu.pid");
}
