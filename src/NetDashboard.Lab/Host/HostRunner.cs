using System.ComponentModel;
using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;

namespace NetDashboard.Lab.Host;

/// <summary>The outcome of one command: exit code, output and how long it took.</summary>
public sealed record CommandResult(HostCommand Command, int ExitCode, string StandardOutput, string StandardError, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs host commands with CliWrap: an argument list, never a shell string.</summary>
public sealed class HostRunner
{
    /// <summary>Runs a command and returns its result whatever the exit code.</summary>
    public async Task<CommandResult> RunAsync(HostCommand command, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await Cli.Wrap(command.Program)
                .WithArguments(command.Arguments)
                .WithStandardInputPipe(command.StandardInput is { } input ? PipeSource.FromString(input) : PipeSource.Null)
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(cancellationToken);
            return new CommandResult(command, result.ExitCode, result.StandardOutput, result.StandardError, Stopwatch.GetElapsedTime(started));
        }
        catch (Win32Exception e)
        {
            // The program is not installed (ENOENT): say which one and how to get it.
            var why = e.NativeErrorCode == 2 ? HostTools.NotInstalled(command.Program)
                : $"{command.Program} could not be started ({e.Message}); run ./setup.sh to install it";
            return new CommandResult(command, 127, "", why, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>Runs a command that must succeed and returns its standard output.</summary>
    public async Task<string> ReadAsync(HostCommand command, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(command, cancellationToken);
        return result.Succeeded ? result.StandardOutput : throw new HostCommandException(command, result.ExitCode, result.StandardError);
    }
}
