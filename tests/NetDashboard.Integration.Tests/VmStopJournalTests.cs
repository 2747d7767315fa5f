using NetDashboard.Lab.Model;
using NetDashboard.Lab.Runtime;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CliWrap;
using NetDashboard.Lab.Host;

namespace NetDashboard.Integration.Tests;

/// <summary>
/// A VM's stop is part of the lab's history whoever asks for it: the API's and the CLI's `vm stop` each leave the QMP
/// quit in the journal the API serves, and a QEMU that answers nothing is killed, the kill journaled. Real dashboard,
/// real QEMU (TCG).
/// </summary>
[Collection(VmCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Requires", "root,qemu")]
public sealed class VmStopJournalTests
{
    private const string QuitLine = "# stop vm1: quit in its QEMU monitor (QMP)";

    [Fact]
    public async Task ApiVmStop_RunningVm_JournalServedByTheApiNamesTheQmpQuit()
    {
        await using var app = await AppProcess.StartInOwnFolderAsync();
        await using var lab = new TestLab("sja", app.RuntimeRoot);
        await UpOneVmAsync(lab);
        using var http = app.CreateClient();
        var before = await JournalAsync(http, lab.Name);

        var stop = await http.PostAsync($"api/labs/{lab.Name}/vms/vm1/stop", null);

        Assert.True(stop.StatusCode == HttpStatusCode.OK, await stop.Content.ReadAsStringAsync());
        AssertQuitJournaledSince(before, await JournalAsync(http, lab.Name));
    }

    [Fact]
    public async Task CliVmStop_RunningVm_JournalServedByTheApiNamesTheQmpQuit()
    {
        await using var app = await AppProcess.StartInOwnFolderAsync();
        await using var lab = new TestLab("sjc", app.RuntimeRoot);
        await UpOneVmAsync(lab);
        using var http = app.CreateClient();
        var before = await JournalAsync(http, lab.Name);

        var stop = await DashboardCli.RunAsync(DashboardCli.SettingsFor(app.RuntimeRoot), "vm", "stop", lab.Name, "vm1");

        Assert.True(stop.ExitCode == 0, $"exit {stop.ExitCode}: {stop.StandardError}");
        AssertQuitJournaledSince(before, await JournalAsync(http, lab.Name));
    }

    // A QEMU stopped by SIGSTOP accepts a QMP connection into its socket's backlog and never answers; SIGTERM waits
    // for it too. Only the SIGKILL fallback ends it, and only if asking QMP gives up.
    [Fact]
    public async Task VmStop_QemuAnswersNothing_KilledWithinSecondsAndTheKillJournaled()
    {
        await using var lab = new TestLab("sjk");
        await UpOneVmAsync(lab);
        var pid = lab.Store.Read(lab.Name)!.Vms["vm1"].Pid;
        var journalBefore = lab.Store.JournalOf(lab.Name).Count();
        await Signal("-STOP", pid);
        try
        {
            var stop = await lab.Service.VmAsync(lab.Name, "vm1", VmVerb.Stop).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.True(stop.Succeeded, stop.Message);
            Assert.False(ProcessTable.IsRunning(pid));
            var since = lab.Store.JournalOf(lab.Name).ReadAll().Skip(journalBefore).Select(e => e.TutorialLine).ToList();
            Assert.Equal([$"(host)$ kill {pid}", $"(host)$ kill -KILL {pid}"], since);
        }
        finally
        {
            // Should the stop hang, the teardown's own stop must not meet a frozen QEMU as well.
            await Signal("-CONT", pid);
        }
    }

    private static async Task UpOneVmAsync(TestLab lab)
    {
        var created = await lab.Service.CreateLabAsync(new CreateLabRequest(Yaml: TestLab.OneVmYaml(lab.Name), Name: lab.Name));
        Assert.True(created.Result.Succeeded, created.Result.Message);
    }

    private static Task<JsonElement> JournalAsync(HttpClient http, string lab) => http.GetFromJsonAsync<JsonElement>($"api/labs/{lab}/journal");

    // Newest first: the entries since the stop are the first (total after - total before).
    private static void AssertQuitJournaledSince(JsonElement before, JsonElement after)
    {
        var added = after.GetProperty("total").GetInt32() - before.GetProperty("total").GetInt32();
        var since = after.GetProperty("entries").EnumerateArray().Take(added).ToList();
        var quit = Assert.Single(since, e => e.GetProperty("tutorialLine").GetString() == QuitLine);
        Assert.Equal([JournalEntry.Qmp, "vm1", "quit"], quit.GetProperty("argv").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(0, quit.GetProperty("exitCode").GetInt32());
    }

    private static Task Signal(string signal, int pid) =>
        Cli.Wrap("kill").WithArguments([signal, pid.ToString(CultureInfo.InvariantCulture)]).WithValidation(CommandResultValidation.None).ExecuteAsync();
}
