using System.ComponentModel.DataAnnotations;

namespace NetDashboard.Configuration;

/// <summary>The "NetDashboard" section of appsettings.json.</summary>
public sealed class DashboardOptions
{
    public const string Section = "NetDashboard";

    /// <summary>Where each lab keeps its record, journal and sockets. Must be on a local file system.</summary>
    [Required]
    public string RuntimeRoot { get; set; } = "/run/netdashboard";

    /// <summary>The folder of shipped lab files, relative to the repository root.</summary>
    [Required]
    public string LabsFolder { get; set; } = "labs";

    /// <summary>Where scripts/build-guest-image.sh put the built-in guest (vmlinuz, initrd.gz).</summary>
    [Required]
    public string GuestImageFolder { get; set; } = NetDashboard.Lab.Vms.GuestImage.DefaultFolder;

    /// <summary>
    /// tcg (default: software emulation, works everywhere), kvm, or auto (kvm when /dev/kvm exists).
    /// Cloud VMs may show a /dev/kvm whose nested virtualization does not actually run guests.
    /// </summary>
    public NetDashboard.Lab.Vms.QemuAccelerator Accelerator { get; set; } = NetDashboard.Lab.Vms.QemuAccelerator.Tcg;

    /// <summary>A lab file to bring up when the dashboard starts (empty: none).</summary>
    public string StartupLab { get; set; } = "";
}
