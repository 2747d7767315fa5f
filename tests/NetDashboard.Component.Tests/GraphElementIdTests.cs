using NetDashboard.Lab.Model;
using NetDashboard.Model;

namespace NetDashboard.Component.Tests;

public sealed class GraphElementIdTests
{
    [Theory]
    [InlineData("ns:host", GraphElementKind.Namespace, NamespaceRole.Host, null)]
    [InlineData("ns:pc", GraphElementKind.Namespace, NamespaceRole.Pc, null)]
    [InlineData("link:host:br0", GraphElementKind.Link, NamespaceRole.Host, "br0")]
    [InlineData("link:wan:eth0", GraphElementKind.Link, NamespaceRole.Wan, "eth0")]
    [InlineData("vm:vm1", GraphElementKind.Vm, NamespaceRole.Host, "vm1")]
    [InlineData("server", GraphElementKind.Server, NamespaceRole.Wan, null)]
    public void Parse_GraphIds_RoundTrip(string text, GraphElementKind kind, NamespaceRole role, string? name)
    {
        var id = GraphElementId.Parse(text);

        Assert.Equal(new GraphElementId(kind, role, name), id);
        Assert.Equal(text, id!.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ns:Host")]
    [InlineData("ns:1")]
    [InlineData("link:host:")]
    [InlineData("vm:")]
    [InlineData("member:host:tap0")]
    public void Parse_NotAnElementId_IsNull(string? text) => Assert.Null(GraphElementId.Parse(text));
}
