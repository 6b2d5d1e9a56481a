/// The set of track ids already scanned in this run, for `duplicate_track_id` (SPEC §1.4).
///
/// It keeps a 64-bit hash per distinct id in an open-addressing table (8 bytes a slot, at
/// most 3/4 full), which is the one structure allowed to grow with the input. Two distinct
/// ids share a hash with probability about n²/2⁶⁵ per run (10⁻⁶ at 5 M tracks); the README
/// states this limit.
public struct TrackIDSet: Sendable {
    private var slots: [UInt64]
    private var mask: Int
    public private(set) var count = 0

    public init(capacity: Int = 1 << 16) {
        var size = 16
        while size * 3 / 4 < capacity { size <<= 1 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
    }

    /// Bytes held by the table.
    public var memoryBytes: Int { slots.count * 8 }

    /// Reads the home slot of each hash so that the cache misses of a following batch of
    /// inserts overlap instead of stalling one after another.
    public func touch<S: Sequence>(_ hashes: S) -> UInt64 where S.Element == UInt64 {
        slots.withUnsafeBufferPointer { s in
            var sink: UInt64 = 0
            for hash in hashes {
                let h = hash == 0 ? 1 : hash
                sink &+= s[Int(truncatingIfNeeded: h ^ (h >> 29)) & mask]
            }
            return sink
        }
    }

    /// Inserts a hash; returns false when it was already present.
    @inline(__always)
    public mutating func insert(_ hash: UInt64) -> Bool {
        let h = hash == 0 ? 1 : hash
        if (count + 1) * 4 > slots.count * 3 { grow() }
        return slots.withUnsafeMutableBufferPointer { s in
            var i = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
            while true {
                let v = s[i]
                if v == 0 {
                    s[i] = h
                    count += 1
                    return true
                }
                if v == h { return false }
                i = (i + 1) & mask
            }
        }
    }

    /// Doubles the table. The old hashes are known distinct, so each goes to the first free
    /// slot of its probe sequence without comparisons or growth checks.
    private mutating func grow() {
        let old = slots
        var bigger = [UInt64](repeating: 0, count: old.count * 2)
        let newMask = bigger.count - 1
        bigger.withUnsafeMutableBufferPointer { s in
            old.withUnsafeBufferPointer { o in
                for v in o where v != 0 {
                    var i = Int(truncatingIfNeeded: v ^ (v >> 29)) & newMask
                    while s[i] != 0 { i = (i &+ 1) & newMask }
                    s[i] = v
                }
            }
        }
        slots = bigger
        mask = newMask
    }

    /// A 64-bit hash of a track id (a multiply-fold mix in the style of wyhash).
    @inline(__always)
    public static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        @inline(__always) func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let r = a.multipliedFullWidth(by: b)
            return r.high ^ r.low
        }
        let n = bytes.count
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        var i = 0
        let raw = UnsafeRawBufferPointer(bytes)
        while i + 8 <= n {
            let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            h = mix(h ^ w, 0xBF58_476D_1CE4_E5B9)
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                w |= UInt64(bytes[i]) << shift
                shift += 8
                i += 1
            }
            h = mix(h ^ w ^ 0xA076_1D64_78BD_642F, 0x94D0_49BB_1331_11EB)
        }
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}
