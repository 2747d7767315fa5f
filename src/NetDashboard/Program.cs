using NetDashboard;
using NetDashboard.Commands;
using NetDashboard.Configuration;

// The CLI never touches the web host's types: a one-shot command loads and starts none of them (bench/README.md).
var root = RepositoryLayout.FindRoot();
return LabCli.Handles(args) ? await LabCli.RunAsync(args, root) : await DashboardApp.RunAsync(args, root);
