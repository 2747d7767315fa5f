using NetDashboard.Lab.Engine;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Configuration;

/// <summary>
/// The lab classes the settings describe, shared by the web host's registration and the CLI's hand wiring
/// (the CLI is also built alone, ahead of time, without the web host's assemblies: src/NetDashboard.Cli).
/// </summary>
public static class LabWiring
{
    /// <summary>The VM supervisor the settings describe; the CLI builds the same (<c>CliServices</c>).</summary>
    public static VmSupervisor VmSupervisorFrom(DashboardOptions options, OperationRunner operations, LabRuntimeStore store) =>
        new(operations, store, new GuestImage(options.GuestImageFolder), new DiskImages(options.ImageFolders), options.Accelerator);

    /// <summary>What each lab's runtime folder may hold; the CLI builds the same.</summary>
    public static LabFolderQuota LabFolderQuotaFrom(DashboardOptions options) => new((long)options.LabFolderMaxMiB << 20);

    public static LabServiceOptions LabServiceOptionsFrom(DashboardOptions options) => new()
    {
        LabsFolder = Path.GetFullPath(options.LabsFolder, RepositoryLayout.FindRoot()),
        GuestCommandTimeout = TimeSpan.FromSeconds(options.GuestCommandTimeoutSeconds),
        ReadyTimeout = TimeSpan.FromSeconds(options.GuestReadyTimeoutSeconds),
    };
}
