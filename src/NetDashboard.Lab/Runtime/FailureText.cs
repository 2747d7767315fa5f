using NetDashboard.Lab.Host;
using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Runtime;

/// <summary>
/// The one wording of what went wrong: a sentence that says what happened and what to do, with the tool's own
/// output (the command as run and its stderr) kept apart, for a page to fold below the sentence.
/// </summary>
public static class FailureText
{
    // What the kernel's and QEMU's usual complaints mean in this app, and what a person does about each.
    private static readonly (string Says, string Means)[] Hints =
    [
        ("Device or resource busy", "the tap is in use by another VM or process: stop that one, or give this VM another tap"),
        ("File exists", "it is already there: nothing needs to be added"),
        ("Cannot find device", "that interface does not exist (yet): a VM's tap appears when its VM starts"),
        ("No such device", "that interface does not exist (yet): a VM's tap appears when its VM starts"),
        ("Operation not permitted", "the dashboard must run as root"),
        ("Permission denied", "the dashboard must run as root, and the file must be readable"),
        ("Nexthop has invalid gateway", "no route reaches that gateway: it must be on a subnet the namespace is on"),
        ("Network is unreachable", "no route reaches that address"),
        ("No such file or directory", "a file or a tool is missing: run ./setup.sh to install what is missing"),
        ("Could not open", "QEMU could not open a file it needs: check the guest image and the disk image paths"),
    ];

    public static ActionResult Of(LabException failure) => failure switch
    {
        LabFileException file => ActionResult.Refused(file.Problems),
        LabBusyException busy => ActionResult.Conflict("lab", busy.Message),
        LabLimitException limit => ActionResult.TooMany(limit.Message),
        HostCommandException command => ActionResult.Failed(Sentence(command.Command.Tool, command.ExitCode, command.StandardError),
            $"{command.Command}\n{command.StandardError}".Trim()),
        _ => ActionResult.Failed(failure.Message),
    };

    /// <summary>"ip failed (exit 2): RTNETLINK answers: File exists. It is already there: nothing needs to be added."</summary>
    public static string Sentence(string program, int exitCode, string standardError)
    {
        var tool = Path.GetFileName(program);
        var first = standardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "(no message)";
        var hint = Hints.FirstOrDefault(h => standardError.Contains(h.Says, StringComparison.OrdinalIgnoreCase)).Means;
        var sentence = $"{tool} failed (exit {exitCode}): {first.TrimEnd('.')}.";
        return hint is null ? sentence : $"{sentence} {char.ToUpperInvariant(hint[0])}{hint[1..]}.";
    }
}
