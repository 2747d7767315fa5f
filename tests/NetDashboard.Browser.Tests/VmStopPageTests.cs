using NetDashboard.Lab.Model;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using NetDashboard.Integration.Tests;
using NetDashboard.Lab.Vms;

namespace NetDashboard.Browser.Tests;

/// <summary>A VM stopped from the page is part of the lab's history: the journal panel shows its QMP quit.</summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium,qemu")]
[Collection(VmCollection.Name)]
public sealed class VmStopPageTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [Fact]
    public async Task Inspector_StopVmAfterConfirmation_JournalPanelShowsTheQmpQuit()
    {
        await using var lab = server.NewLab("usj");
        var created = await lab.Service.CreateLabAsync(new CreateLabRequest(Yaml: TestLab.OneVmYaml(lab.Name), Name: lab.Name));
        Assert.True(created.Result.Succeeded, created.Result.Message);
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        await Assertions.Expect(page.GetByTestId("topology-graph")).ToHaveAttributeAsync("data-nodes", new Regex("vm:vm1"));

        await page.GetByRole(AriaRole.Tab, new() { Name = "Elements" }).ClickAsync();
        await page.GetByTestId("element-list").GetByText("vm1 ·").ClickAsync();
        await page.GetByTestId("inspector").GetByRole(AriaRole.Button, new() { Name = "Stop", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Stop", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("action-result")).ToContainTextAsync("vm1 is stopped", new() { Timeout = 30_000 });
        await page.GetByRole(AriaRole.Tab, new() { Name = "Journal" }).ClickAsync();

        await Assertions.Expect(page.GetByTestId("journal").GetByText("# stop vm1: quit in its QEMU monitor (QMP)")).ToBeVisibleAsync();
        await DashboardServer.ScreenshotAsync(page, "vm-stopped-journal");
        Assert.Equal(VmState.Stopped, lab.Vms.StatusOf(lab.Name, lab.Store.ReadDefinition(lab.Name)!.Vm("vm1")!).State);
    }
}
