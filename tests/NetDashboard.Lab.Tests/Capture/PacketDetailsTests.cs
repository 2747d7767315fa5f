using NetDashboard.Lab.Capture;
using PacketDotNet;
using static NetDashboard.Lab.Tests.Capture.Frames;

namespace NetDashboard.Lab.Tests.Capture;

public sealed class PacketDetailsTests
{
    [Fact]
    public void Decode_EchoRequest_LayersEthernetIpIcmpWithFields()
    {
        var detail = PacketDetails.Decode(3, Echo(IcmpV4TypeCode.EchoRequest, 513, 0, Guest, Server));

        Assert.Equal(3, detail.Sequence);
        Assert.Equal(["Ethernet", "IPv4", "ICMP", "Data"], detail.Layers.Select(l => l.Name));
        var ip = detail.Layers[1].Fields.ToDictionary(f => f.Name, f => f.Value);
        Assert.Equal("192.168.1.10", ip["Source"]);
        Assert.Equal("84", ip["Total length"]);
        Assert.Equal("513", detail.Layers[2].Fields.Single(f => f.Name == "Identifier").Value);
    }

    [Fact]
    public void Decode_AnyFrame_HexDumpOf16BytesPerLine()
    {
        var frame = Echo(IcmpV4TypeCode.EchoRequest, 513, 0, Guest, Server);
        var detail = PacketDetails.Decode(0, frame);

        Assert.Equal(7, detail.Hex.Count); // 98 bytes
        Assert.Equal(0, detail.Hex[0].Offset);
        Assert.Equal(16, detail.Hex[1].Offset);
        Assert.Equal("52 54 00 12 34 01 52 54  98 76 54 30 08 00 45 00", detail.Hex[0].Hex);
        Assert.Equal("RT..4.RT.vT0..E.", detail.Hex[0].Ascii);
        Assert.Equal(2, detail.Hex[^1].Ascii.Length);
    }

    [Fact]
    public void Decode_Garbage_MalformedLayerNotException()
    {
        byte[] frame = [.. Bridge.GetAddressBytes(), .. Vm1.GetAddressBytes(), 0x08, 0x00, 0x4f, 0xff, 0x00, 0x01];
        var detail = PacketDetails.Decode(0, frame);
        Assert.Contains(detail.Layers, l => l.Name == "Malformed");
        Assert.Equal(2, detail.Hex.Count); // 18 bytes
    }
}
