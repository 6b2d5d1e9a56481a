#if canImport(Glibc)
import Glibc
#endif
import CCPU

/// The set of track ids already scanned in this run, for `duplicate_track_id` (SPEC §1.4).
///
/// It keeps a 64-bit hash per distinct id in an open-addressing table (8 bytes a slot, at
/// most 3/4 full), which is the one structure allowed to grow with the input. Two distinct
/// ids share a hash with probability about n²/2⁶⁵ per run (10⁻⁶ at 5 M tracks); the README
/// states this limit.
public struct TrackIDSet: ~Copyable {
    private var slots: UnsafeMutablePointer<UInt64>
    private var slotCount: Int
    /// Whether `slots` came from `mmap` (else from the allocator).
    private var mapped: Bool
    private var mask: Int
    public private(set) var count = 0

    public init(capacity: Int = 1 << 16) {
        var size = 16
        while size * 3 / 4 < capacity { size <<= 1 }
        (slots, mapped) = TrackIDSet.allocate(size)
        slotCount = size
        mask = size - 1
    }

    deinit { TrackIDSet.deallocate(slots, slotCount, mapped: mapped) }

    /// Bytes held by the table.
    public var memoryBytes: Int { slotCount * 8 }

    /// Starts loading the home slot of `hash`, so that the cache and TLB misses of an insert
    /// some records later overlap instead of stalling the merge one after another.
    @inline(__always)
    public func prefetch(_ hash: UInt64) {
        let h = hash == 0 ? 1 : hash
        consentry_prefetch_write(slots + (Int(truncatingIfNeeded: h ^ (h >> 29)) & mask))
    }

    /// Inserts a hash; returns false when it was already present.
    @inline(__always)
    public mutating func insert(_ hash: UInt64) -> Bool {
        let h = hash == 0 ? 1 : hash
        if (count + 1) * 4 > slotCount * 3 { grow() }
        let s = slots
        var i = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
        while true {
            let v = s[i]
            if v == 0 {
                s[i] = h
                count += 1
                return true
            }
            if v == h { return false }
            i = (i &+ 1) & mask
        }
    }

    /// Doubles the table. The old hashes are known distinct, so each goes to the first free
    /// slot of its probe sequence without comparisons or growth checks.
    private mutating func grow() {
        let newCount = slotCount * 2
        let (bigger, biggerMapped) = TrackIDSet.allocate(newCount)
        let newMask = newCount - 1
        for k in 0..<slotCount {
            let v = slots[k]
            if v == 0 { continue }
            var i = Int(truncatingIfNeeded: v ^ (v >> 29)) & newMask
            while bigger[i] != 0 { i = (i &+ 1) & newMask }
            bigger[i] = v
        }
        TrackIDSet.deallocate(slots, slotCount, mapped: mapped)
        slots = bigger
        mapped = biggerMapped
        slotCount = newCount
        mask = newMask
    }

    /// Tables of at least this many bytes get pages of their own: 2 MiB-aligned and
    /// marked for transparent huge pages. Millions of tracks make the table tens of MB, and
    /// every insert lands on a random page; with 4 KiB pages nearly each one misses the TLB,
    /// which under a VM's nested paging cost more than the cache miss itself.
    private static let hugePageBytes = 2 << 20

    private static func allocate(_ count: Int) -> (UnsafeMutablePointer<UInt64>, mapped: Bool) {
        let bytes = count * 8
        #if os(Linux)
        if bytes >= hugePageBytes {
            // Over-map by one huge page so that an aligned start exists, then return the rest.
            let length = bytes + hugePageBytes
            let raw = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            if let raw, raw != MAP_FAILED {
                let address = UInt(bitPattern: raw)
                let aligned = (address + UInt(hugePageBytes) - 1) & ~UInt(hugePageBytes - 1)
                let head = Int(aligned - address)
                if head > 0 { munmap(raw, head) }
                let tail = length - head - bytes
                if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: aligned + UInt(bytes)), tail) }
                let start = UnsafeMutableRawPointer(bitPattern: aligned)!
                _ = madvise(start, bytes, MADV_HUGEPAGE)
                // Anonymous memory is zero-filled: every slot starts empty.
                return (start.bindMemory(to: UInt64.self, capacity: count), true)
            }
        }
        #endif
        let slots = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
        slots.initialize(repeating: 0, count: count)
        return (slots, false)
    }

    private static func deallocate(_ slots: UnsafeMutablePointer<UInt64>, _ count: Int, mapped: Bool) {
        #if os(Linux)
        if mapped {
            munmap(slots, count * 8)
            return
        }
        #endif
        slots.deallocate()
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
