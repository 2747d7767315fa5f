namespace NetDashboard.Lab.Model;

/// <summary>The built-in guest: a Debian kernel and a busybox initramfs made by scripts/build-guest-image.sh.</summary>
public sealed record GuestImage(string Folder)
{
    public const string DefaultFolder = "/var/cache/netdashboard/guest";

    /// <summary>
    /// The uncompressed kernel (vmlinux, booted through its PVH entry) when the build made one: under TCG,
    /// unpacking vmlinuz takes longer than the rest of the boot. vmlinuz otherwise.
    /// </summary>
    public string Kernel => File.Exists(Path.Combine(Folder, "vmlinux")) ? Path.Combine(Folder, "vmlinux") : Path.Combine(Folder, "vmlinuz");
    public string Initrd => Path.Combine(Folder, "initrd.gz");

    /// <summary>Why the built-in guest cannot boot, or null when it can.</summary>
    public string? Problem =>
        File.Exists(Kernel) && File.Exists(Initrd)
            ? null
            : $"the built-in guest image is missing from {Folder}; build it with `scripts/build-guest-image.sh` (or run ./setup.sh)";
}

/// <summary>How QEMU runs guests: KVM, TCG (software, always works), or KVM when /dev/kvm exists.</summary>
public enum QemuAccelerator { Tcg, Kvm, Auto }

/// <summary>A disk image a VM may boot: its real path inside an image folder, its format and size.</summary>
public sealed record DiskImageFile(string Name, string Path, string Format, long SizeBytes);
