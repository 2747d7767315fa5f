using NetDashboard.Lab.Model;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NetDashboard.Lab.Capture;

namespace NetDashboard.Lab.Tests.Capture;

public sealed class CaptureOptionsTests
{
    [Fact]
    public void Validate_Defaults_Succeed()
    {
        var result = new CaptureOptionsValidator().Validate(null, new CaptureOptions());
        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_TinySnaplenAndNoRows_EveryFailureNamed()
    {
        var result = new CaptureOptionsValidator().Validate(null, new CaptureOptions { Snaplen = 10, MaxRows = 0 });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("Snaplen", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("MaxRows", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_SlotRingOverLimit_Fails()
    {
        var result = new CaptureOptionsValidator().Validate(null, new CaptureOptions { Snaplen = 1024, RingSlots = 1 << 20 });
        Assert.True(result.Failed);
        Assert.Contains("RingSlots", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void CaptureService_InvalidOptions_RefusesToStart()
    {
        Assert.Throws<OptionsValidationException>(() =>
            new CaptureService(Options.Create(new CaptureOptions { RingSlots = 1 }), NullLogger<CaptureService>.Instance));
    }
}
