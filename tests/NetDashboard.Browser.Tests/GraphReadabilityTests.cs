using Microsoft.Playwright;

namespace NetDashboard.Browser.Tests;

/// <summary>The graph reads well: labels big enough on screen, legible in both themes, the theme remembered, the router drawn.</summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium")]
public sealed class GraphReadabilityTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    private const string Graph = "document.querySelector('[data-testid=topology-graph]').__graph.cy";

    [Fact]
    public async Task Graph_At1400And1000Wide_LabelsAtLeast12PxAndRouterDrawn()
    {
        await using var lab = server.NewLab("gr");
        await lab.UpAsync("nat-pc.yaml");
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        var graph = page.GetByTestId("topology-graph");
        await Assertions.Expect(graph).ToHaveAttributeAsync("data-nodes", new System.Text.RegularExpressions.Regex("router"));

        var at1400 = await OnScreenLabelPxAsync(page);
        await page.SetViewportSizeAsync(1000, 700);
        await page.WaitForTimeoutAsync(300);
        var at1000 = await OnScreenLabelPxAsync(page);
        var routerLabel = await page.EvaluateAsync<string>($"() => {Graph}.getElementById('router').data('label')");
        await DashboardServer.ScreenshotAsync(page, "graph-1000x700");

        Assert.True(at1400 >= 12, $"labels are {at1400:0.0} px on screen at 1400 px wide");
        Assert.True(at1000 >= 12, $"labels are {at1000:0.0} px on screen at 1000 px wide");
        Assert.Contains("forwarding on", routerLabel);
        Assert.Contains("MASQUERADE 192.168.1.0/24", routerLabel);
    }

    [Fact]
    public async Task Graph_DarkTheme_LabelContrastAtLeast4Point5AndTheChoiceIsRemembered()
    {
        await using var lab = server.NewLab("gd");
        await lab.UpAsync("nat-pc.yaml");
        var page = await server.NewPageAsync();
        await page.GotoAsync($"/labs/{lab.Name}");
        await Assertions.Expect(page.GetByTestId("topology-graph")).ToHaveAttributeAsync("data-nodes", new System.Text.RegularExpressions.Regex("br0"));
        var light = await LabelContrastAsync(page);

        await page.GetByTestId("theme-toggle").ClickAsync();
        await page.WaitForFunctionAsync($"() => {Graph}.getElementById('link:host:br0').data('bg') !== '#ffffff'");
        var dark = await LabelContrastAsync(page);
        await DashboardServer.ScreenshotAsync(page, "lab-dark");
        await page.ReloadAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('[data-testid=topology-graph]')?.__graph?.cy.getElementById('link:host:br0').data('bg') === '#373740'");

        Assert.True(light >= 4.5, $"light theme label contrast {light:0.0}:1");
        Assert.True(dark >= 4.5, $"dark theme label contrast {dark:0.0}:1");
    }

    private static async Task<double> OnScreenLabelPxAsync(IPage page) =>
        await page.EvaluateAsync<double>($"() => parseFloat({Graph}.getElementById('link:host:br0').style('font-size')) * {Graph}.zoom()");

    // WCAG contrast of a label's colour against the backdrop drawn behind it.
    private static async Task<double> LabelContrastAsync(IPage page) => await page.EvaluateAsync<double>($$"""
        () => {
          const n = {{Graph}}.getElementById('link:host:br0');
          const lum = hex => {
            const c = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16) / 255)
              .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
            return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
          };
          const [a, b] = [lum(n.data('fg')), lum(n.data('bg'))];
          return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        }
        """);
}

/// <summary>
/// No label runs into another or out of the panel: every shipped lab, as a lab and as a lesson lab, and a lab of four
/// VMs, at 1000×700 and 1400×900, before and after a trace lights its journey (and the edges' packet rates).
/// </summary>
[Trait("Category", "Browser")]
[Trait("Requires", "root,chromium,qemu")]
[Collection(NetDashboard.Integration.Tests.VmCollection.Name)]
public sealed class GraphLayoutTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    private const string Graph = "document.querySelector('[data-testid=topology-graph]').__graph.cy";

    // seed-nat with four VMs: the most a lab page draws.
    private const string FourVms = """
        name: four-vms
        world:
          pc: 192.168.1.3/24
          pcGateway: 192.168.1.1
        host:
          forwarding: true
          bridges:
            - name: br0
              ports: [tap0, tap1, tap2, tap3]
              addresses: [192.168.1.1/24]
          masquerade:
            - source: 192.168.1.0/24
        vms:
          - { name: vm1, mac: "52:54:98:76:54:30", tap: tap0, address: 192.168.1.10/24, gateway: 192.168.1.1 }
          - { name: vm2, mac: "52:54:98:76:54:31", tap: tap1, address: 192.168.1.11/24, gateway: 192.168.1.1 }
          - { name: vm3, mac: "52:54:98:76:54:32", tap: tap2, address: 192.168.1.12/24, gateway: 192.168.1.1 }
          - { name: vm4, mac: "52:54:98:76:54:33", tap: tap3, address: 192.168.1.13/24, gateway: 192.168.1.1 }
        """;

    // Every shipped lab as a lab (measured, traced, measured again) and each lesson file as a lesson lab (its guests
    // booted, nothing configured yet); the guests of all labs boot at once.
    [Fact]
    public async Task Graph_EveryLabAndLessonLabAt1000And1400WithATraceLit_NoLabelOverlapsOrLeavesThePanelAndEachHas12Px()
    {
        var fourVms = Path.Combine(server.RuntimeRoot, "four-vms.yaml");
        await File.WriteAllTextAsync(fourVms, FourVms);
        var lessons = new[] { "seed-tap.yaml", "seed-bridge.yaml", "seed-bridge-external.yaml", "seed-nat.yaml" };
        var cases = new[] { "nat-pc.yaml" }.Concat(lessons).Select(f => (Path: NetDashboard.Integration.Tests.TestLab.LabFile(f), AsLesson: false))
            .Append((Path: fourVms, AsLesson: false)).Concat(lessons.Select(f => (Path: NetDashboard.Integration.Tests.TestLab.LabFile(f), AsLesson: true))).ToList();
        var labs = cases.Select(_ => server.NewLab("gl")).ToList();
        try
        {
            await Task.WhenAll(cases.Zip(labs, (c, lab) => ApplyAsync(lab, c.Path, c.AsLesson)));
            var page = await server.NewPageAsync();
            var warnings = new List<string>();
            page.Console += (_, message) => { if (message.Type is "warning" or "error") warnings.Add(message.Text); };
            var problems = new List<string>();
            var unlit = new List<string>();
            foreach (var ((path, asLesson), lab) in cases.Zip(labs))
            {
                var name = Path.GetFileNameWithoutExtension(path) + (asLesson ? "-lesson" : "");
                await page.SetViewportSizeAsync(1400, 900);
                await page.GotoAsync($"/labs/{lab.Name}");
                var graph = page.GetByTestId("topology-graph");
                await Assertions.Expect(graph).ToHaveAttributeAsync("data-nodes", new System.Text.RegularExpressions.Regex("ns:host"));
                // The guests' agents answer within seconds; what they hold changes the VM labels, which lays the graph out again.
                await page.WaitForFunctionAsync(
                    $"() => {Graph}.nodes('[kind = \"vm\"]').every(n => {(asLesson ? "n.data('label').includes('no address')" : "!n.data('label').includes('wants')")})",
                    null, new() { Timeout = 30_000 });
                problems.AddRange(await AtBothSizesAsync(page, name));
                if (asLesson) continue;

                await page.SetViewportSizeAsync(1400, 900);
                await page.GetByTestId("trace-panel").GetByTestId("trace-run").ClickAsync();
                await Assertions.Expect(graph).ToHaveAttributeAsync("data-journey", new System.Text.RegularExpressions.Regex("."), new() { Timeout = 30_000 });
                await Assertions.Expect(graph).ToHaveAttributeAsync("data-rates", new System.Text.RegularExpressions.Regex("pkt/s"), new() { Timeout = 10_000 });
                problems.AddRange(await AtBothSizesAsync(page, $"{name}-trace"));
                if (await page.EvaluateAsync<int>($"() => {Graph}.nodes('.journey').length") == 0) unlit.Add($"{name}: the trace lit no node");
                if (await page.EvaluateAsync<int>($"() => {Graph}.edges('[rate]').length") == 0) unlit.Add($"{name}: no edge shows its rate");
            }

            Assert.True(problems.Count == 0, string.Join("\n", problems));
            Assert.Empty(unlit);
            Assert.DoesNotContain(warnings, w => w.Contains("wheel", StringComparison.OrdinalIgnoreCase) || w.Contains("cytoscape", StringComparison.OrdinalIgnoreCase));
        }
        finally
        {
            foreach (var lab in labs) await lab.DisposeAsync();
        }
    }

    private static async Task ApplyAsync(NetDashboard.Integration.Tests.TestLab lab, string path, bool asLesson) =>
        await lab.Engine.ApplyAsync(NetDashboard.Lab.Host.LabFileReader.LoadFile(path, lab.Name), await File.ReadAllTextAsync(path), path,
            waitForVms: true, asLesson: asLesson);

    private static async Task<IReadOnlyList<string>> AtBothSizesAsync(IPage page, string name)
    {
        var problems = new List<string>();
        foreach (var (width, height) in new[] { (1000, 700), (1400, 900) })
        {
            var layouts = await page.GetByTestId("topology-graph").GetAttributeAsync("data-layout");
            await page.SetViewportSizeAsync(width, height);
            await page.WaitForFunctionAsync($"() => document.querySelector('[data-testid=topology-graph]').dataset.layout !== '{layouts}'", null, new() { Timeout = 5_000 });
            await page.WaitForTimeoutAsync(300);
            await DashboardServer.ScreenshotAsync(page, $"graph-{name}-{width}x{height}");
            problems.AddRange((await LabelProblemsAsync(page)).Select(p => $"{width}×{height} {name}: {p}"));
        }
        return problems;
    }

    // Each label's box on screen, read from Cytoscape: two that meet, one that leaves the canvas, one under 12 px.
    private static async Task<string[]> LabelProblemsAsync(IPage page) => await page.EvaluateAsync<string[]>($$"""
        () => {
          const cy = {{Graph}};
          const only = { includeNodes: false, includeEdges: false, includeLabels: true, includeOverlays: false, includeUnderlays: false, includeOutlines: false };
          const labels = cy.elements().filter(el => el.isNode() ? !!el.data('label') : !!el.data('rate')).map(el => {
            const b = el.renderedBoundingBox(only);
            return { id: el.id(), b, px: parseFloat(el.style('font-size')) * cy.zoom() };
          });
          const problems = [];
          const r = n => n.toFixed(0);
          for (const l of labels) {
            if (l.b.x1 < 0 || l.b.y1 < 0 || l.b.x2 > cy.width() || l.b.y2 > cy.height())
              problems.push(`${l.id} (${r(l.b.x1)},${r(l.b.y1)})-(${r(l.b.x2)},${r(l.b.y2)}) leaves the ${cy.width()}×${cy.height()} canvas`);
            if (l.px < 12) problems.push(`${l.id} is ${l.px.toFixed(1)} px`);
          }
          for (let i = 0; i < labels.length; i++)
            for (let j = i + 1; j < labels.length; j++) {
              const [a, b] = [labels[i].b, labels[j].b];
              if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) problems.push(`${labels[i].id} overlaps ${labels[j].id}`);
            }
          return problems;
        }
        """);
}
