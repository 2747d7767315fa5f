using NetDashboard.Lab.Model;

namespace NetDashboard.Lab.Tests;

public sealed class InputRulesTests
{
    [Theory]
    [InlineData("t1")]
    [InlineData("seed-nat")]
    public void CheckLabName_ValidName_Accepted(string name) => Assert.Null(InputRules.CheckLabName(name));
}
