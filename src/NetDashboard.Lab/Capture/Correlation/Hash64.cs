using System.Buffers.Binary;
using System.Numerics;

namespace NetDashboard.Lab.Capture.Correlation;

/// <summary>
/// A fast 64-bit hash of a few hundred bytes (xxHash64's rounds), for matching packets, never for security.
/// System.IO.Hashing would be a new package; this is the part of it the capture path needs.
/// </summary>
internal static class Hash64
{
    private const ulong Prime1 = 0x9E3779B185EBCA87;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4F;
    private const ulong Prime3 = 0x165667B19E3779F9;
    private const ulong Prime4 = 0x85EBCA77C2B2AE63;

    // Per process, so traffic cannot be crafted offline to collide with another packet's key.
    private static readonly ulong Seed = (ulong)Random.Shared.NextInt64();

    public static ulong Of(ReadOnlySpan<byte> bytes)
    {
        var length = (ulong)bytes.Length;
        ulong hash;
        if (bytes.Length >= 32)
        {
            // Four independent lanes, as in xxHash64: the multiplications of one stripe overlap.
            ulong a = Seed + Prime1 + Prime2, b = Seed + Prime2, c = Seed, d = Seed - Prime1;
            do
            {
                a = Round(a, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
                b = Round(b, BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]));
                c = Round(c, BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]));
                d = Round(d, BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..]));
                bytes = bytes[32..];
            }
            while (bytes.Length >= 32);
            hash = BitOperations.RotateLeft(a, 1) + BitOperations.RotateLeft(b, 7) + BitOperations.RotateLeft(c, 12) + BitOperations.RotateLeft(d, 18);
            hash = Merge(Merge(Merge(Merge(hash, a), b), c), d);
        }
        else
        {
            hash = Seed + Prime4;
        }
        hash += length;
        while (bytes.Length >= 8)
        {
            hash = Mix(hash, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
            bytes = bytes[8..];
        }
        if (!bytes.IsEmpty)
        {
            ulong tail = 0;
            for (var i = 0; i < bytes.Length; i++)
                tail |= (ulong)bytes[i] << (8 * i);
            hash = Mix(hash, tail);
        }
        return Avalanche(hash);
    }

    /// <summary>Folds one more value into a running hash (finish with <see cref="Avalanche"/>).</summary>
    public static ulong Mix(ulong hash, ulong value) => BitOperations.RotateLeft(hash ^ Round(0, value), 27) * Prime1 + Prime4;

    public static ulong Start(ulong value) => Mix(Seed ^ Prime3, value);

    public static ulong Avalanche(ulong hash)
    {
        hash ^= hash >> 33;
        hash *= Prime2;
        hash ^= hash >> 29;
        hash *= Prime3;
        return hash ^ (hash >> 32);
    }

    private static ulong Round(ulong accumulator, ulong input) => BitOperations.RotateLeft(accumulator + input * Prime2, 31) * Prime1;

    private static ulong Merge(ulong hash, ulong lane) => (hash ^ Round(0, lane)) * Prime1 + Prime4;
}
