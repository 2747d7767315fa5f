using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace NetDashboard.Lab.Model;

/// <summary>The limits of every capture, bound from the "Capture" section and validated at start.</summary>
public sealed class CaptureOptions
{
    public const string Section = "Capture";

    /// <summary>Bytes kept per packet: enough for every header a row shows, little enough to keep many packets.</summary>
    [Range(64, 65535)]
    public int Snaplen { get; init; } = 256;

    /// <summary>
    /// libpcap's ring in the kernel, mapped whole into the dashboard (it counts in its RSS from the start): the capture
    /// thread only copies out of it into <see cref="RingSlots"/>, so it needs to cover a scheduling delay, not a
    /// slow decoder. 4 MiB lost nothing at 3 × 20 kpps here (bench/capture.sh); 16 captures of a lab take 64 MiB.
    /// </summary>
    [Range(1 << 20, 1 << 30)]
    public int BufferSizeBytes { get; init; } = 4 << 20;

    public bool Promiscuous { get; init; } = true;

    /// <summary>
    /// Immediate mode hands each packet over at once but forces TPACKET_V2 and a wake-up per packet; off, libpcap
    /// keeps TPACKET_V3 and hands packets over in blocks at most <see cref="ReadTimeoutMs"/> old. Measured on br0 at
    /// 19.5 kpps (UDP 64 B, 156k packets): immediate 29–31 µs CPU per packet, wire-to-row p95 1–4 ms; a 20 ms block
    /// timeout 5.2–5.6 µs per packet, p95 20–70 ms. Both lost nothing. Off by default: the CPU goal is the hard one.
    /// </summary>
    public bool Immediate { get; init; }

    /// <summary>The TPACKET_V3 block timeout when <see cref="Immediate"/> is off: the latency it adds at most.</summary>
    [Range(1, 1000)]
    public int ReadTimeoutMs { get; init; } = 20;

    /// <summary>Slots between the capture callback and the decoding worker; a full ring counts ring drops.</summary>
    [Range(64, 1 << 20)]
    public int RingSlots { get; init; } = 16384;

    /// <summary>Rows (and packets) each capture keeps; the oldest are forgotten.</summary>
    [Range(100, 1_000_000)]
    public int MaxRows { get; init; } = 10_000;

    /// <summary>Packet bytes each capture keeps for details and pcapng; the oldest are forgotten.</summary>
    [Range(1 << 20, 1 << 30)]
    public int MaxBytes { get; init; } = 32 << 20;

    /// <summary>
    /// Links the packets of a lab's open captures (the same packet on each interface, its rewrites, its flow) and
    /// follows the lab's conntrack events while any is open. Off, rows carry no links; bench/README.md gives the cost.
    /// </summary>
    public bool Correlate { get; init; } = true;

    /// <summary>
    /// Captures (distinct interface and filter) open at once in one lab, whoever opened them: each holds a libpcap
    /// ring, a thread and up to <see cref="MaxBytes"/> of packets. Viewers of the same interface and filter share one.
    /// </summary>
    [Range(1, 256)]
    public int MaxCapturesPerLab { get; init; } = 16;

    /// <summary>Capture streams one hub connection may hold open at once.</summary>
    [Range(1, 256)]
    public int MaxStreamsPerConnection { get; init; } = 8;

    [Range(1, 4096)]
    public int MaxFilterLength { get; init; } = 1024;

    /// <summary>How often a capture whose interface is gone looks for it again.</summary>
    [Range(50, 60_000)]
    public int RetryIntervalMs { get; init; } = 500;

    /// <summary>The longest live capture <see cref="CaptureService.CaptureForAsync"/> runs.</summary>
    [Range(1, 600)]
    public int MaxCaptureSeconds { get; init; } = 60;
}

/// <summary>The DataAnnotations rules plus the ones between fields; registered so the app fails at start, not at the first capture.</summary>
public sealed class CaptureOptionsValidator : IValidateOptions<CaptureOptions>
{
    public ValidateOptionsResult Validate(string? name, CaptureOptions options)
    {
        var rules = new CaptureOptionsRules().Validate(name, options);
        var failures = rules.Failed ? rules.Failures.Select(failure => $"{CaptureOptions.Section}:{failure}").ToList() : [];
        // The slot ring is allocated whole for every capture.
        if ((long)options.RingSlots * options.Snaplen > 256L << 20)
            failures.Add($"{CaptureOptions.Section}:RingSlots × Snaplen must stay within 256 MiB per capture");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> listing every failure.</summary>
    public static CaptureOptions Checked(CaptureOptions options)
    {
        var result = new CaptureOptionsValidator().Validate(null, options);
        if (result.Failed)
            throw new OptionsValidationException(Options.DefaultName, typeof(CaptureOptions), result.Failures);
        return options;
    }
}

/// <summary>
/// The DataAnnotations rules of <see cref="CaptureOptions"/>, checked by generated code: every process that builds the
/// lab services (a CLI command too) validates them, and reflection over the attributes would cost each one its start-up.
/// </summary>
[OptionsValidator]
internal sealed partial class CaptureOptionsRules : IValidateOptions<CaptureOptions>;
