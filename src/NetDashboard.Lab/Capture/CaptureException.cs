namespace NetDashboard.Lab.Capture;

/// <summary>
/// A capture the user asked for that cannot be had (a bad name, a filter libpcap will not compile).
/// The message is a sentence to show as it is; nothing was opened when this is thrown.
/// </summary>
public sealed class CaptureException(string message) : NetDashboard.Lab.Model.LabException(message);
