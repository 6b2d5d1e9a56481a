/// The stable 63-bit hash of a track id that partitions, sorts and locates tracks.
///
/// It is part of the results database's format (history rows are ordered and looked up by
/// it) and of shard results, so it must never change. 63 bits so that it stores as a
/// non-negative SQLite integer. It is a multiply-fold mix in the style of wyhash: equal ids
/// always share a hash; different ids share one rarely, and every decision that depends on
/// it compares the ids in full too.
public enum TrackHash {
    @inline(__always)
    public static func of(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        hash(UnsafeRawPointer(bytes.baseAddress), count: bytes.count)
    }

    /// The hash of the `count` bytes at `start`.
    @inline(__always)
    public static func of(_ start: UnsafePointer<UInt8>, count: Int) -> UInt64 {
        hash(UnsafeRawPointer(start), count: count)
    }

    @inline(__always)
    private static func hash(_ bytes: UnsafeRawPointer?, count n: Int) -> UInt64 {
        @inline(__always) func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let r = a.multipliedFullWidth(by: b)
            return r.high ^ r.low
        }
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        if let raw = bytes, n > 0 {
            var i = 0
            while i + 8 <= n {
                let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                h = mix(h ^ w, 0xBF58_476D_1CE4_E5B9)
                i += 8
            }
            if i < n {
                // The last 1-7 bytes as a little-endian word: the word ending with them,
                // shifted down, when the id is that long (most are), else a byte at a time.
                var w: UInt64 = 0
                if n >= 8 {
                    w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)) >> UInt64(8 * (8 - (n - i)))
                } else {
                    var shift: UInt64 = 0
                    while i < n {
                        w |= UInt64(raw.load(fromByteOffset: i, as: UInt8.self)) << shift
                        shift += 8
                        i += 1
                    }
                }
                h = mix(h ^ w ^ 0xA076_1D64_78BD_642F, 0x94D0_49BB_1331_11EB)
            }
        }
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h >> 1
    }

    public static func of(_ id: String) -> UInt64 {
        var id = id
        return id.withUTF8 { of($0) }
    }
}

extension TrackHash {
    public static func of(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { of($0) }
    }
}

/// The order history keeps tracks in: by ``TrackHash``, then id bytes (shorter first on a
/// common prefix, as SQLite's BINARY collation).
public enum TrackOrder {
    @inline(__always)
    public static func compareIDs(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        SortedTracks.compareIDs(a, b)
    }
}
