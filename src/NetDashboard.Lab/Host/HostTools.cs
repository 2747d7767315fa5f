namespace NetDashboard.Lab.Host;

/// <summary>The programs the app runs, and the Debian package each comes from, so a missing one is named with its fix.</summary>
public static class HostTools
{
    public static readonly (string Program, string Package) Ip = ("ip", "iproute2");
    public static readonly (string Program, string Package) Bridge = ("bridge", "iproute2");
    public static readonly (string Program, string Package) Iptables = ("iptables", "iptables");
    public static readonly (string Program, string Package) Sysctl = ("sysctl", "procps");
    public static readonly (string Program, string Package) Busybox = ("busybox", "busybox-static");
    public static readonly (string Program, string Package) Kill = ("kill", "procps");
    public static readonly (string Program, string Package) Qemu = ("qemu-system-x86_64", "qemu-system-x86");

    /// <summary>
    /// Every tool building a lab's world needs (the reader uses bridge, iptables and sysctl too), and kill, without
    /// which the lab's internet server could never be stopped: a lab that cannot be removed is not built.
    /// </summary>
    public static IReadOnlyList<(string Program, string Package)> ForWorld { get; } = [Ip, Bridge, Iptables, Sysctl, Busybox, Kill];

    private static readonly IReadOnlyList<(string Program, string Package)> Known = [.. ForWorld, Qemu];

    /// <summary>The sentence for each tool not found on PATH; empty when all are there.</summary>
    public static IReadOnlyList<string> Missing(IEnumerable<(string Program, string Package)> tools) =>
        tools.Where(tool => !IsOnPath(tool.Program)).Select(tool => NotInstalled(tool.Program)).ToList();

    /// <summary>"ip is not installed (or not on PATH): install it with `apt-get install iproute2` (./setup.sh does)".</summary>
    public static string NotInstalled(string program) =>
        Known.FirstOrDefault(tool => tool.Program == program).Package is { } package
            ? $"{program} is not installed (or not on PATH): install it with `apt-get install {package}` (./setup.sh does)"
            : $"{program} is not installed (or not on PATH): run ./setup.sh to install what is missing";

    private static bool IsOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Combine(folder, program))
                && (File.GetUnixFileMode(Path.Combine(folder, program)) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
}
