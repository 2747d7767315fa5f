using NetDashboard.Lab.Model;

namespace NetDashboard.Configuration;

/// <summary>
/// The lab settings the configuration describes, shared by the web host's registration and the CLI (which is also
/// built alone, ahead of time, without the web host's assemblies: src/NetDashboard.Cli).
/// </summary>
public static class LabWiring
{
    /// <param name="capture">The capture limits; the CLI starts no capture and keeps their defaults.</param>
    public static LabSettings LabSettingsFrom(DashboardOptions options, CaptureOptions? capture = null) => new()
    {
        RuntimeRoot = options.RuntimeRoot,
        Lab = new LabServiceOptions
        {
            LabsFolder = Path.GetFullPath(options.LabsFolder, RepositoryLayout.FindRoot()),
            GuestCommandTimeout = TimeSpan.FromSeconds(options.GuestCommandTimeoutSeconds),
            ReadyTimeout = TimeSpan.FromSeconds(options.GuestReadyTimeoutSeconds),
        },
        GuestImageFolder = options.GuestImageFolder,
        ImageFolders = options.ImageFolders,
        Accelerator = options.Accelerator,
        LabFolderMaxBytes = (long)options.LabFolderMaxMiB << 20,
        Capture = capture ?? new CaptureOptions(),
        ObserveNamespace = string.IsNullOrEmpty(options.Observe.Namespace) ? null : options.Observe.Namespace,
        ObserveEnabled = options.Observe.Enabled,
    };
}
