using NetDashboard.Commands;
using NetDashboard.Configuration;

// ./netdash starts this for its CLI verbs (lab, vm, cleanup, token, sessions, trace) and the dashboard for anything else.
return await LabCli.RunAsync(args, RepositoryLayout.FindRoot());
