using Microsoft.Extensions.Logging;

namespace NetDashboard.Lab.Events;

// The warnings a lab's event sources log, shared so each sentence is written once.
internal static partial class LabEventsLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Lab {Lab}: the runtime folder cannot be watched ({Reason}); following it every quarter second")]
    public static partial void NoFolderWatch(this ILogger logger, string lab, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lab {Lab}: following the journal or VM state failed: {Reason}")]
    public static partial void FollowFailed(this ILogger logger, string lab, string reason);
}
