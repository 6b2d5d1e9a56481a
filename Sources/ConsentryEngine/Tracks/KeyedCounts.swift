import CMemory
import ConsentryModel
import Glibc

/// Tracks, and training-exposed tracks under each policy, per key — an artist's bytes — for
/// the by-artist ``Breakdown`` (labels are numbered during the scan and counted by number).
///
/// An open-addressing table over the keys' bytes: a breakdown adds millions of tracks to a
/// million artists, and a `String` per track (to look a `Dictionary` up) would cost an
/// allocation each.
public struct KeyedCounts: Sendable {
    public let policyCount: Int
    /// Per slot: the key hash's top 32 bits, then entry number + 1 in the low 32 bits; 0 is
    /// empty. The slot count is a power of two. The hash bits let a probe skip other keys
    /// without reading their entries: with a million artists every read is a cache miss.
    private var slots: [UInt64]
    /// Per entry, `stride` values: where its key is in `keyBytes` (start << 24 | length),
    /// then per policy its tracks and exposed tracks. A lookup that finds its key reads one
    /// slot, one row and the key's bytes: three cache misses in a table larger than the
    /// caches, where separate arrays of hashes, key ends and counts cost six.
    private var rows: [Int] = []
    private let stride: Int
    /// The keys' hashes, read only when the slots grow.
    private var hashes: [UInt64] = []
    private var keyBytes: [UInt8] = []
    /// The entry of the empty key, once it has one.
    private var emptyEntry = -1

    public init(policyCount: Int) {
        self.policyCount = policyCount
        stride = 1 + 2 * policyCount
        slots = Array(repeating: 0, count: 1024)
    }

    /// Distinct keys so far.
    public var keyCount: Int {
        mutating get {
            flush()
            return hashes.count
        }
    }

    /// How one policy decided a track, for ``add(key:decided:)``.
    public enum Decided: UInt8, Sendable {
        case notDecided, unexposed, exposed
    }

    /// Tracks added but not yet counted: their keys' bytes, where each key ends, and
    /// `policyCount` decisions each. Lookups are made a batch at a time, so that the cache
    /// misses of one batch overlap (``flush()``).
    private var pendingBytes: [UInt8] = []
    private var pendingEnds: [Int] = []
    private var pendingDecided: [Decided] = []
    private var pendingHashes: [UInt64] = []
    private static let batch = 32

    /// Counts one track under `key`; `decided(p)` says whether policy `p` decided it and left
    /// it exposed to AI training.
    @inline(__always)
    public mutating func add(key: UnsafeRawBufferPointer, decided: (Int) -> Decided) {
        // Tracks without an artist all count under the empty key: once it has its row, it
        // needs no lookup to batch.
        if key.count == 0 && emptyEntry >= 0 {
            tally(emptyEntry, decided)
            return
        }
        pendingBytes.append(contentsOf: key)
        pendingEnds.append(pendingBytes.count)
        for p in 0..<policyCount { pendingDecided.append(decided(p)) }
        if pendingEnds.count == KeyedCounts.batch { flush() }
    }

    /// Counts the pending tracks. First every key's slot is prefetched, then the entry each
    /// slot names, then each track is counted: three dependent misses per key, overlapped
    /// across the batch instead of taken one after the other.
    private mutating func flush() {
        let n = pendingEnds.count
        guard n > 0 else { return }
        pendingHashes.removeAll(keepingCapacity: true)
        let mask = slots.count - 1
        pendingBytes.withUnsafeBytes { bytes in
            slots.withUnsafeBufferPointer { slots in
                var start = 0
                for end in pendingEnds {
                    let hash = TrackHash.of(UnsafeRawBufferPointer(rebasing: bytes[start..<end]).assumingMemoryBound(to: UInt8.self))
                    pendingHashes.append(hash)
                    consentry_prefetch(slots.baseAddress! + (Int(truncatingIfNeeded: hash) & mask))
                    start = end
                }
                rows.withUnsafeBufferPointer { rows in
                    for hash in pendingHashes {
                        let taken = slots[Int(truncatingIfNeeded: hash) & mask]
                        if taken != 0 { consentry_prefetch(rows.baseAddress! + (Int(taken & 0xFFFF_FFFF) - 1) * stride) }
                    }
                    keyBytes.withUnsafeBytes { keys in
                        guard let base = keys.baseAddress else { return }
                        for hash in pendingHashes {
                            let taken = slots[Int(truncatingIfNeeded: hash) & mask]
                            if taken != 0 { consentry_prefetch(base + (rows[(Int(taken & 0xFFFF_FFFF) - 1) * stride] >> 24)) }
                        }
                    }
                }
            }
        }
        do {
            // Local references to the keys and decisions (no copies, gone before the buffers
            // are emptied), as counting mutates `self`.
            let keys = pendingBytes
            let decisions = pendingDecided
            let policies = policyCount
            keys.withUnsafeBytes { keys in
                var start = 0
                for i in 0..<n {
                    let end = pendingEnds[i]
                    let entry = entry(for: UnsafeRawBufferPointer(rebasing: keys[start..<end]), hash: pendingHashes[i])
                    tally(entry) { decisions[i * policies + $0] }
                    start = end
                }
            }
        }
        pendingBytes.removeAll(keepingCapacity: true)
        pendingEnds.removeAll(keepingCapacity: true)
        pendingDecided.removeAll(keepingCapacity: true)
    }

    /// Counts one track in `entry`'s row.
    @inline(__always)
    private mutating func tally(_ entry: Int, _ decided: (Int) -> Decided) {
        let base = entry * stride + 1
        rows.withUnsafeMutableBufferPointer { row in
            for p in 0..<policyCount {
                switch decided(p) {
                case .notDecided: break
                case .unexposed: row[base + 2 * p] += 1
                case .exposed:
                    row[base + 2 * p] += 1
                    row[base + 2 * p + 1] += 1
                }
            }
        }
    }

    /// The entry of `key` (whose hash is `hash`), added when new.
    @inline(__always)
    private mutating func entry(for key: UnsafeRawBufferPointer, hash: UInt64) -> Int {
        if key.count == 0 {
            if emptyEntry < 0 { emptyEntry = lookUp(key, hash: hash) }
            return emptyEntry
        }
        return lookUp(key, hash: hash)
    }

    private mutating func lookUp(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Int {
        let tag = hash & 0xFFFF_FFFF_0000_0000
        let found: Int? = slots.withUnsafeBufferPointer { slots in
            rows.withUnsafeBufferPointer { rows in
                keyBytes.withUnsafeBytes { bytes in
                    let mask = slots.count - 1
                    var slot = Int(truncatingIfNeeded: hash) & mask
                    while true {
                        let taken = slots[slot]
                        if taken == 0 { return nil }
                        if taken & 0xFFFF_FFFF_0000_0000 == tag {
                            let entry = Int(taken & 0xFFFF_FFFF) - 1
                            let place = rows[entry * stride]
                            if place & 0xFF_FFFF == key.count
                                && (key.count == 0 || memcmp(bytes.baseAddress! + (place >> 24), key.baseAddress!, key.count) == 0) {
                                return entry
                            }
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
        if let found { return found }
        let entry = hashes.count
        hashes.append(hash)
        precondition(key.count <= 0xFF_FFFF, "a breakdown key is longer than 16 MiB")
        rows.append(keyBytes.count << 24 | key.count)
        rows.append(contentsOf: repeatElement(0, count: stride - 1))
        keyBytes.append(contentsOf: key)
        insert(entry, hash: hash)
        if hashes.count * 2 > slots.count {
            slots = Array(repeating: 0, count: slots.count * 2)
            for (entry, hash) in hashes.enumerated() { insert(entry, hash: hash) }
        }
        return entry
    }

    /// Puts `entry` in the first free slot of its probe sequence.
    private mutating func insert(_ entry: Int, hash: UInt64) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(entry + 1)
    }

    /// The counts as a breakdown by key text.
    public mutating func breakdown() -> Breakdown {
        flush()
        var result = Breakdown(policyCount: policyCount)
        result.reserveCapacity(hashes.count)
        for entry in hashes.indices {
            let row = Array(rows[(entry * stride + 1)..<((entry + 1) * stride)])
            guard row.contains(where: { $0 != 0 }) else { continue }
            let start = rows[entry * stride] >> 24
            let end = start + (rows[entry * stride] & 0xFF_FFFF)
            // Two byte strings can decode to one String (invalid UTF-8 is repaired): add, not set.
            result.add(key: String(decoding: keyBytes[start..<end], as: UTF8.self),
                       row: row)
        }
        return result
    }
}
