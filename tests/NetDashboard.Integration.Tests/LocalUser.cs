using CliWrap;
using CliWrap.Buffered;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// One raw HTTP request to a dashboard on loopback, sent from a socket owned by another local user (setpriv drops to
/// that uid first): what that user gets when they replay a cookie or a token they found. Bash's /dev/tcp is the
/// client, so nothing but bash and util-linux is needed.
/// </summary>
public static class LocalUser
{
    public const int Nobody = 65534;

    /// <summary>The response's status code and text (at most 8 KiB), for a GET of <paramref name="path"/> with <paramref name="headers"/>.</summary>
    public static async Task<(int Status, string Response)> GetAsync(int uid, Uri baseAddress, string path, params string[] headers)
    {
        var request = $"GET /{path.TrimStart('/')} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\n"
                      + string.Concat(headers.Select(h => h + "\r\n")) + "Connection: close\r\n\r\n";
        var script = $"exec 3<>/dev/tcp/{baseAddress.Host}/{baseAddress.Port} && printf '%s' \"$1\" >&3 && head -c 8192 <&3";
        var result = await Cli.Wrap("setpriv")
            .WithArguments(["--reuid", $"{uid}", "--regid", $"{uid}", "--clear-groups", "--", "bash", "-c", script, "request", request])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        var output = result.StandardOutput;
        var status = output.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && int.TryParse(output.AsSpan(9, 3), out var code) ? code : 0;
        return status == 0 ? throw new InvalidOperationException($"no HTTP answer as uid {uid}: {output}{result.StandardError}") : (status, output);
    }
}
