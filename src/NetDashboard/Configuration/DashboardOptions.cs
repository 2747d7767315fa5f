using NetDashboard.Lab.Model;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

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
    public string GuestImageFolder { get; set; } = GuestImage.DefaultFolder;

    /// <summary>
    /// The folders disk images are booted from (like libvirt's storage pools); a lab file names an image in them by
    /// file name or absolute path, and nothing outside them is ever opened.
    /// </summary>
    public string[] ImageFolders { get; set; } = [LabSettings.DefaultImageFolder];

    /// <summary>
    /// tcg (default: software emulation, works everywhere), kvm, or auto (kvm when /dev/kvm exists).
    /// Cloud VMs may show a /dev/kvm whose nested virtualization does not actually run guests.
    /// </summary>
    public QemuAccelerator Accelerator { get; set; } = QemuAccelerator.Tcg;

    /// <summary>
    /// The most one lab's runtime folder may hold, in MiB (the runtime folder is usually RAM). Past it a command's output
    /// is not kept, serial output is dropped and, last, the journal stops, each said in a sentence.
    /// </summary>
    [Range(4, 4096)]
    public int LabFolderMaxMiB { get; set; } = (int)(LabSettings.DefaultLabFolderMaxBytes >> 20);

    /// <summary>A lab file to bring up when the dashboard starts (empty: none).</summary>
    public string StartupLab { get; set; } = "";

    /// <summary>Where the access token lives (file "token", mode 0600, in a folder only root can enter).</summary>
    [Required]
    public string StateFolder { get; set; } = "/var/lib/netdashboard";

    /// <summary>How long a guest command may run when the caller names no timeout (UI, API and CLI alike); at most 5 minutes.</summary>
    [Range(1, 300)]
    public int GuestCommandTimeoutSeconds { get; set; } = 30;

    /// <summary>How long a booting guest is waited for before its lab is reported as failed.</summary>
    [Range(1, 3600)]
    public int GuestReadyTimeoutSeconds { get; set; } = 90;

    /// <summary>
    /// Host names the dashboard answers to besides its own URLs, localhost and IP addresses (e.g. the name a
    /// reverse proxy forwards). Any other Host header gets 400: that is what stops DNS rebinding.
    /// </summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>
    /// Local users (names or uids) who may use the dashboard besides root and the user who started it through sudo.
    /// A connection from any other local user's socket is refused, whatever cookie or token it carries.
    /// </summary>
    public string[] LocalUsers { get; set; } = [];

    /// <summary>How long a browser stays signed in after its last request (a sliding expiry).</summary>
    [Range(1, 720)]
    public int SessionHours { get; set; } = 12;

    /// <summary>Observe mode, the read-only view of this host's own networks (NetDashboard:Observe:*).</summary>
    public ObserveSettings Observe { get; set; } = new();
}

/// <summary>The DataAnnotations rules of <see cref="DashboardOptions"/>, checked by generated code: no reflection at start.</summary>
[OptionsValidator]
public sealed partial class DashboardOptionsValidator : IValidateOptions<DashboardOptions>;

/// <summary>NetDashboard:Observe: what observe mode reads, and whether it is offered.</summary>
public sealed class ObserveSettings
{
    /// <summary>Whether "This host" is offered at all (it reads everything of the machine's networks, never changes any).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The namespace to observe: empty for the dashboard's own (the host's root namespace), else a name under /run/netns or /proc/PID/ns/net.</summary>
    public string Namespace { get; set; } = "";
}
