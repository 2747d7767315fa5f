using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

public sealed class InputRulesTests
{
    [Theory]
    [InlineData("t1")]
    [InlineData("seed-nat")]
    [InlineData("a")]
    [InlineData("0lab")]
    [InlineData("lab-")]
    [InlineData("abcdefghijklmnopqrst")]
    public void CheckLabName_ValidName_Accepted(string name) => Assert.Null(InputRules.CheckLabName(name));

    [Theory]
    [InlineData("Seed")]
    [InlineData("LAB")]
    [InlineData("-lab")]
    [InlineData("abcdefghijklmnopqrstu")]
    [InlineData("")]
    [InlineData("my lab")]
    [InlineData(" lab")]
    [InlineData("lab_1")]
    [InlineData("lab.1")]
    [InlineData("läb")]
    [InlineData(null)]
    public void CheckLabName_InvalidName_Refused(string? name) => Assert.NotNull(InputRules.CheckLabName(name));

    // A namespace is named after the lab, so a newline would end up in /run/netns/netdash-LAB-host.
    [Fact]
    public void CheckLabName_TrailingNewline_Refused() => Assert.NotNull(InputRules.CheckLabName("lab\n"));

    [Theory]
    [InlineData("vm1")]
    [InlineData("web-2")]
    public void CheckVmName_ValidName_Accepted(string name) => Assert.Null(InputRules.CheckVmName(name));

    [Theory]
    [InlineData("VM1")]
    [InlineData("-vm")]
    [InlineData("vm 1")]
    [InlineData("")]
    [InlineData("abcdefghijklmnopqrstu")]
    [InlineData(null)]
    public void CheckVmName_InvalidName_Refused(string? name) => Assert.NotNull(InputRules.CheckVmName(name));

    [Fact]
    public void CheckVmName_TrailingNewline_Refused() => Assert.NotNull(InputRules.CheckVmName("vm1\n"));

    [Theory]
    [InlineData("br0")]
    [InlineData("tap0")]
    [InlineData("ens160")]
    [InlineData("eth0.100")]
    [InlineData("veth_a-b")]
    [InlineData("abcdefghijklmno")]
    public void CheckInterfaceName_ValidName_Accepted(string name) => Assert.Null(InputRules.CheckInterfaceName(name));

    [Theory]
    [InlineData("abcdefghijklmnop")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("a:b")]
    [InlineData("a b")]
    [InlineData("a\tb")]
    [InlineData("tapé")]
    [InlineData("ééééééééé")]
    [InlineData("br0;ls")]
    [InlineData("")]
    [InlineData(null)]
    public void CheckInterfaceName_InvalidName_Refused(string? name) => Assert.NotNull(InputRules.CheckInterfaceName(name));

    // The kernel refuses whitespace in a name (dev_valid_name), and so does the design.
    [Fact]
    public void CheckInterfaceName_TrailingNewline_Refused() => Assert.NotNull(InputRules.CheckInterfaceName("br0\n"));

    [Theory]
    [InlineData("192.168.1.1/24")]
    [InlineData("10.180.13.232/24")]
    [InlineData("192.168.1.0/24")]
    [InlineData("203.0.113.5/32")]
    [InlineData("0.0.0.0/0")]
    public void CheckInterfaceAddress_Ipv4WithPrefix_Accepted(string value) => Assert.Null(InputRules.CheckInterfaceAddress(value));

    [Theory]
    [InlineData("192.168.1.1/33")]
    [InlineData("192.168.1.1")]
    [InlineData("192.168.1.1/")]
    [InlineData("/24")]
    [InlineData("192.168.1.1/-1")]
    [InlineData("192.168.1.1/+24")]
    [InlineData("192.168.1.1/24/1")]
    [InlineData("192.168.1/24")]
    [InlineData("256.1.1.1/24")]
    [InlineData("fe80::1/64")]
    [InlineData("2001:db8::1/64")]
    [InlineData("")]
    [InlineData(null)]
    public void CheckInterfaceAddress_Malformed_Refused(string? value) => Assert.NotNull(InputRules.CheckInterfaceAddress(value));

    [Theory]
    [InlineData("192.168.1.0/24")]
    [InlineData("10.0.0.0/8")]
    [InlineData("0.0.0.0/0")]
    [InlineData("192.168.1.1/32")]
    public void CheckSubnet_HostBitsZero_Accepted(string value) => Assert.Null(InputRules.CheckSubnet(value));

    [Theory]
    [InlineData("192.168.1.1/24")]
    [InlineData("192.168.1.128/24")]
    [InlineData("10.0.0.1/0")]
    [InlineData("192.168.1.0/33")]
    [InlineData("192.168.1.0")]
    [InlineData("2001:db8::/32")]
    [InlineData("")]
    [InlineData(null)]
    public void CheckSubnet_HostBitsSetOrMalformed_Refused(string? value) => Assert.NotNull(InputRules.CheckSubnet(value));

    [Fact]
    public void CheckInterfaceAddressAndSubnet_HostBitsSet_OnlyInterfaceAddressAccepts()
    {
        Assert.Null(InputRules.CheckInterfaceAddress("192.168.1.1/24"));
        Assert.NotNull(InputRules.CheckSubnet("192.168.1.1/24"));
    }

    [Fact]
    public void InterfaceAddressNetwork_HostBitsSet_Cleared() =>
        Assert.Equal(Subnet.Parse("192.168.1.0/24"), InterfaceAddress.Parse("192.168.1.77/24").Network);

    [Theory]
    [InlineData("192.168.1.1")]
    [InlineData("203.0.113.5")]
    public void CheckIpv4_DottedQuad_Accepted(string value) => Assert.Null(InputRules.CheckIpv4(value));

    [Theory]
    [InlineData("192.168.1")]
    [InlineData("3232235777")]
    [InlineData("1.2.3.4.5")]
    [InlineData("::1")]
    [InlineData("192.168.1.1/24")]
    [InlineData("")]
    [InlineData(null)]
    public void CheckIpv4_NotDottedQuad_Refused(string? value) => Assert.NotNull(InputRules.CheckIpv4(value));

    // IPAddress.TryParse follows inet_aton: "0x7f" is hex and "010" is octal, which is not the dotted decimal the rule names.
    [Theory]
    [InlineData("0x7f.0.0.1")]
    [InlineData("0xc0.0xa8.1.1")]
    public void CheckIpv4_HexOctets_Refused(string value) => Assert.NotNull(InputRules.CheckIpv4(value));

    [Fact]
    public void InterfaceAddressTryParse_OctetWithLeadingZero_NeverReadAsOctal()
    {
        var accepted = InterfaceAddress.TryParse("192.168.1.010/24", out var address);

        Assert.True(!accepted || address!.Equals(InterfaceAddress.Parse("192.168.1.10/24")), $"192.168.1.010/24 was read as {address}");
    }

    [Fact]
    public void CheckAddressSubnetAndMac_TrailingNul_Refused()
    {
        // .NET's number parsing ignores trailing NULs ("24\0" reads as 24); the rules refuse them.
        Assert.NotNull(InputRules.CheckInterfaceAddress("192.168.1.1/24\0"));
        Assert.NotNull(InputRules.CheckInterfaceAddress("192.168.1.1/2\0"));
        Assert.NotNull(InputRules.CheckSubnet("192.168.1.0/24\0"));
        Assert.NotNull(InputRules.CheckMac("52:54:98:76:54:3\0"));
    }

    [Theory]
    [InlineData("52:54:98:76:54:30")]
    [InlineData("52:54:98:76:54:3A")]
    [InlineData("02:00:00:00:00:01")]
    public void CheckMac_UnicastMac_Accepted(string value) => Assert.Null(InputRules.CheckMac(value));

    [Theory]
    [InlineData("01:00:5e:00:00:01")]
    [InlineData("33:33:00:00:00:01")]
    [InlineData("ff:ff:ff:ff:ff:ff")]
    public void CheckMac_MulticastMac_RefusedAsNotUnicast(string value) => Assert.Contains("unicast", InputRules.CheckMac(value));

    [Fact]
    public void CheckMac_AllZero_RefusedAsZero() => Assert.Contains("zeros", InputRules.CheckMac("00:00:00:00:00:00"));

    [Theory]
    [InlineData("52:54:98:76:54")]
    [InlineData("52:54:98:76:54:30:31")]
    [InlineData("52:54:98:76:54:zz")]
    [InlineData("52:54:98:76:54:g0")]
    [InlineData("52-54-98-76-54-30")]
    [InlineData("5:54:98:76:54:30")]
    [InlineData("052:54:98:76:54:30")]
    [InlineData("52:54:98:76:54:30 ")]
    [InlineData("")]
    [InlineData(null)]
    public void CheckMac_Malformed_Refused(string? value) => Assert.NotNull(InputRules.CheckMac(value));

    [Fact]
    public void MacAddressToString_UppercaseInput_LowercaseColonForm() =>
        Assert.Equal("52:54:98:76:54:3a", MacAddress.Parse("52:54:98:76:54:3A").ToString());

    [Theory]
    [InlineData("ping -c 1 -W 2 192.168.1.1")]
    [InlineData("printf 'a\\tb\\n'")]
    [InlineData("echo\tTAB")]
    [InlineData("# just a note")]
    public void CheckGuestCommand_OneLineOfText_Accepted(string command) => Assert.Null(InputRules.CheckGuestCommand(command));

    [Theory]
    [InlineData("echo a\necho b")]
    [InlineData("echo a\r")]
    [InlineData("echo \u001b[31mred")]
    [InlineData("echo \0")]
    [InlineData("echo \u007f")]
    [InlineData("echo \u009b")]
    public void CheckGuestCommand_ControlCharacter_Refused(string command) =>
        Assert.Equal("a guest command is one line without control characters (a tab aside)", InputRules.CheckGuestCommand(command));

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData(null)]
    public void CheckGuestCommand_Empty_Refused(string? command) => Assert.NotNull(InputRules.CheckGuestCommand(command));

    [Fact]
    public void CheckGuestCommand_Exactly4KiB_Accepted() =>
        Assert.Null(InputRules.CheckGuestCommand("echo " + new string('a', InputRules.MaxGuestCommandBytes - 5)));

    [Fact]
    public void CheckGuestCommand_4KiBPlusOne_RefusedNamingTheSize() =>
        Assert.Equal("a guest command is at most 4096 bytes (4 KiB); this one has 4097",
            InputRules.CheckGuestCommand("echo " + new string('a', InputRules.MaxGuestCommandBytes - 4)));

    // The agent reads bytes: a character outside ASCII counts as its UTF-8 length.
    [Fact]
    public void CheckGuestCommand_MultibyteCharacters_CountedInBytes() =>
        Assert.NotNull(InputRules.CheckGuestCommand("echo " + new string('é', 2046)));
}
