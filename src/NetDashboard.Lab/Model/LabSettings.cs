namespace NetDashboard.Lab.Model;

/// <summary>
/// Everything the lab services are built from (<see cref="Services.LabComposition"/>): the web app binds it from
/// its configuration, the CLI from the same files, a test from its own folders.
/// </summary>
public sealed record LabSettings
{
    /// <summary>Where the images a VM may boot live unless configured otherwise (libvirt's default pool, by analogy).</summary>
    public const string DefaultImageFolder = "/var/lib/netdashboard/images";

    /// <summary>The most one lab's runtime folder may hold: it is usually RAM (/run).</summary>
    public const long DefaultLabFolderMaxBytes = 32L << 20;

    /// <summary>The folder of runtime records, journals and VM sockets (absolute).</summary>
    public required string RuntimeRoot { get; init; }

    public required LabServiceOptions Lab { get; init; }

    public string GuestImageFolder { get; init; } = GuestImage.DefaultFolder;

    public IReadOnlyList<string> ImageFolders { get; init; } = [DefaultImageFolder];

    public QemuAccelerator Accelerator { get; init; } = QemuAccelerator.Auto;

    public long LabFolderMaxBytes { get; init; } = DefaultLabFolderMaxBytes;

    public CaptureOptions Capture { get; init; } = new();

    /// <summary>The namespace observe mode reads (a /run/netns name or /proc/PID/ns/net); null for the dashboard's own (the host's).</summary>
    public string? ObserveNamespace { get; init; }

    /// <summary>Whether observe mode (the read-only view of this host) is offered at all.</summary>
    public bool ObserveEnabled { get; init; } = true;
}
