namespace NetDashboard.Lab.Model;

/// <summary>The settings the lab service and engine share; the web app and the CLI build them from the same configuration.</summary>
public sealed record LabServiceOptions
{
    /// <summary>The folder of shipped lab files (absolute).</summary>
    public required string LabsFolder { get; init; }

    /// <summary>How long a guest command may run when the caller names no timeout: the same for the UI, the API and the CLI.</summary>
    public TimeSpan GuestCommandTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a booting guest is waited for.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>The longest timeout a caller may ask for a guest command.</summary>
    public static readonly TimeSpan MaxGuestCommandTimeout = TimeSpan.FromMinutes(5);
}
