import ConsentryModel
import Glibc

/// Tracks, and training-exposed tracks under each policy, per key — a label's or an artist's
/// bytes — for a ``Breakdown``.
///
/// An open-addressing table over the keys' bytes: a breakdown adds millions of tracks to a
/// few hundred thousand labels or a million artists, and a `String` per track (to look a
/// `Dictionary` up) would cost an allocation each.
public struct KeyedCounts: Sendable {
    public let policyCount: Int
    /// Per slot: the key hash's top 32 bits, then entry number + 1 in the low 32 bits; 0 is
    /// empty. The slot count is a power of two. The hash bits let a probe skip other keys
    /// without reading their entries: with a million artists every read is a cache miss.
    private var slots: [UInt64]
    private var hashes: [UInt64] = []
    private var keyEnds: [Int] = []
    private var keyBytes: [UInt8] = []
    /// Per entry and policy: tracks, then exposed tracks.
    private var counts: [Int] = []
    /// The entry of the empty key, once it has one.
    private var emptyEntry = -1

    public init(policyCount: Int) {
        self.policyCount = policyCount
        slots = Array(repeating: 0, count: 1024)
    }

    /// Distinct keys so far.
    public var keyCount: Int { hashes.count }

    /// How one policy decided a track, for ``add(key:decided:)``.
    public enum Decided {
        case notDecided, unexposed, exposed
    }

    /// Counts one track under `key`; `decided(p)` says whether policy `p` decided it and left
    /// it exposed to AI training.
    @inline(__always)
    public mutating func add(key: UnsafeRawBufferPointer, decided: (Int) -> Decided) {
        let base = entry(for: key) * 2 * policyCount
        for p in 0..<policyCount {
            switch decided(p) {
            case .notDecided: break
            case .unexposed: counts[base + 2 * p] += 1
            case .exposed:
                counts[base + 2 * p] += 1
                counts[base + 2 * p + 1] += 1
            }
        }
    }

    /// The entry of `key`, added when new.
    @inline(__always)
    private mutating func entry(for key: UnsafeRawBufferPointer) -> Int {
        // Most tracks of many catalogues have no label: the empty key skips the table.
        if key.count == 0 {
            if emptyEntry < 0 { emptyEntry = lookUp(key) }
            return emptyEntry
        }
        return lookUp(key)
    }

    private mutating func lookUp(_ key: UnsafeRawBufferPointer) -> Int {
        let hash = TrackHash.of(key.assumingMemoryBound(to: UInt8.self))
        let tag = hash & 0xFFFF_FFFF_0000_0000
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let taken = slots[slot]
            if taken == 0 { break }
            let entry = Int(taken & 0xFFFF_FFFF) - 1
            if taken & 0xFFFF_FFFF_0000_0000 == tag && hashes[entry] == hash && keyMatches(entry, key) { return entry }
            slot = (slot + 1) & mask
        }
        let entry = hashes.count
        hashes.append(hash)
        keyBytes.append(contentsOf: key)
        keyEnds.append(keyBytes.count)
        counts.append(contentsOf: repeatElement(0, count: 2 * policyCount))
        slots[slot] = tag | UInt64(entry + 1)
        if hashes.count * 2 > slots.count { grow() }
        return entry
    }

    @inline(__always)
    private func keyMatches(_ entry: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = entry == 0 ? 0 : keyEnds[entry - 1]
        guard keyEnds[entry] - start == key.count else { return false }
        return keyBytes.withUnsafeBytes { bytes in
            key.count == 0 || memcmp(bytes.baseAddress! + start, key.baseAddress!, key.count) == 0
        }
    }

    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (entry, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(entry + 1)
        }
    }

    /// The counts as a breakdown by key text.
    public func breakdown() -> Breakdown {
        var result = Breakdown(policyCount: policyCount)
        result.reserveCapacity(hashes.count)
        let stride = 2 * policyCount
        for entry in hashes.indices {
            let row = Array(counts[(entry * stride)..<((entry + 1) * stride)])
            guard row.contains(where: { $0 != 0 }) else { continue }
            let start = entry == 0 ? 0 : keyEnds[entry - 1]
            // Two byte strings can decode to one String (invalid UTF-8 is repaired): add, not set.
            result.add(key: String(decoding: keyBytes[start..<keyEnds[entry]], as: UTF8.self), row: row)
        }
        return result
    }
}
