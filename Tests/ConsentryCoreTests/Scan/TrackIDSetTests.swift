import Foundation
import Testing
@testable import ConsentryCore

@Suite("TrackIDSet (duplicate detection, SPEC §1.4)")
struct TrackIDSetTests {
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { TrackIDSet.hash($0) }
    }

    static func hash(_ text: String) -> UInt64 { hash(Array(text.utf8)) }

    @Test("insert returns true for a new hash and false for one already present")
    func insertSemantics() {
        var set = TrackIDSet()
        #expect(set.count == 0)
        do { let inserted = set.insert(42); #expect(inserted) }
        #expect(set.count == 1)
        do { let inserted = set.insert(42); #expect(!inserted) }
        #expect(set.count == 1)
        do { let inserted = set.insert(43); #expect(inserted) }
        do { let inserted = set.insert(UInt64.max); #expect(inserted) }
        do { let inserted = set.insert(UInt64.max); #expect(!inserted) }
        do { let inserted = set.insert(43); #expect(!inserted) }
        #expect(set.count == 3)
    }

    @Test("hash value 0 (the empty-slot marker) can be inserted and is found again, also after growth")
    func zeroHash() {
        var set = TrackIDSet(capacity: 1)
        do { let inserted = set.insert(0); #expect(inserted) }
        #expect(set.count == 1)
        do { let inserted = set.insert(0); #expect(!inserted) }
        #expect(set.count == 1)
        // Force several growths, then look 0 up again.
        for v in 2..<5_000 as Range<UInt64> { do { let inserted = set.insert(v &* 0x9E37_79B9_7F4A_7C15); #expect(inserted) } }
        do { let inserted = set.insert(0); #expect(!inserted) }
        #expect(set.count == 4_999)
    }

    @Test("hashes that collide on the table index (same low bits) are kept apart")
    func probing() {
        var set = TrackIDSet(capacity: 16)
        // Same low 16 bits and same (h >> 29) low bits: they all start probing at one slot.
        let values: [UInt64] = (1...2_000).map { UInt64($0) << 48 | 0x1234 }
        for v in values { do { let inserted = set.insert(v); #expect(inserted) } }
        for v in values { do { let inserted = set.insert(v); #expect(!inserted) } }
        #expect(set.count == values.count)
    }

    @Test("200 000 distinct ids: every first insert succeeds through growth, every second one fails")
    func growth() {
        var set = TrackIDSet(capacity: 1)
        let initialBytes = set.memoryBytes
        var hashes: [UInt64] = []
        hashes.reserveCapacity(200_000)
        for i in 0..<200_000 { hashes.append(Self.hash("trk-\(i)")) }
        #expect(Set(hashes).count == hashes.count, "the hash itself must not collide on these ids")
        var firstFailures = 0
        for h in hashes where !set.insert(h) { firstFailures += 1 }
        #expect(firstFailures == 0)
        #expect(set.count == 200_000)
        var secondSuccesses = 0
        for h in hashes where set.insert(h) { secondSuccesses += 1 }
        #expect(secondSuccesses == 0)
        #expect(set.count == 200_000)
        #expect(set.memoryBytes > initialBytes)
        // At most 3/4 full, and not wildly oversized (8 bytes a slot, power of two).
        #expect(set.memoryBytes / 8 * 3 >= set.count * 4)
        #expect(set.memoryBytes <= 8 * 4 * 200_000)
    }

    @Test("ids that differ in a single byte hash differently, at every position and length")
    func singleByteDifferences() {
        var seen: [UInt64: [UInt8]] = [:]
        var collisions: [String] = []
        for length in 1...40 {
            let base = (0..<length).map { UInt8(ascii: "a") + UInt8($0 % 26) }
            for position in 0..<length {
                for delta: UInt8 in [1, 0x20, 0x80] {
                    var variant = base
                    variant[position] = variant[position] &+ delta
                    let h = Self.hash(variant)
                    if let other = seen[h], other != variant {
                        collisions.append("\(variant) vs \(other)")
                    }
                    seen[h] = variant
                }
            }
            let h = Self.hash(base)
            if let other = seen[h], other != base { collisions.append("\(base) vs \(other)") }
            seen[h] = base
        }
        #expect(collisions.isEmpty, "\(collisions.prefix(5))")
        #expect(Self.hash("D-001") != Self.hash("d-001"))
        #expect(Self.hash("42") != Self.hash("43"))
    }

    @Test("the hash is length-aware: an id and the same id with trailing NUL bytes differ",
          arguments: ["", "a", "ab", "abcdefg", "abcdefgh", "abcdefghi", "0123456789abcdef", "é"])
    func lengthExtension(prefix: String) {
        let bytes = Array(prefix.utf8)
        var hashes: [UInt64] = []
        for extra in 0...9 { hashes.append(Self.hash(bytes + [UInt8](repeating: 0, count: extra))) }
        #expect(Set(hashes).count == hashes.count, "\(prefix.debugDescription) + NULs: \(hashes)")
    }

    @Test("the hash is deterministic and depends only on the bytes, not on where they lie")
    func deterministic() {
        let id = Array("track-000123-with-a-longer-tail".utf8)
        let a = Self.hash(id)
        // The same bytes at an unaligned address inside a larger buffer.
        let padded = [UInt8](repeating: 0xFF, count: 3) + id + [UInt8](repeating: 0xEE, count: 5)
        let b = padded.withUnsafeBufferPointer { TrackIDSet.hash(UnsafeBufferPointer(rebasing: $0[3..<(3 + id.count)])) }
        #expect(a == b)
        #expect(Self.hash(id) == a)
        #expect(Self.hash([UInt8]()) == Self.hash([UInt8]()))
    }
}
