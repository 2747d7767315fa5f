namespace NetDashboard.Lab.Host;

/// <summary>Looks processes up by pid in /proc; a zombie counts as gone (it has exited, only its parent has not reaped it).</summary>
public static class ProcessTable
{
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The state letter follows the command name, which is in parentheses and may itself hold spaces.
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
