import Testing
import TestSupport

@testable import ConsentryEngine

/// The track hash is part of the database's and the shard results' formats: it must never
/// change, however it is computed.
@Suite struct TrackHashTests {
    /// Values computed apart from this code, by a Python transcription of the hash's
    /// definition (a multiply-fold per 8-byte little-endian word, the last 1–7 bytes as one
    /// zero-padded word, then the finalizer).
    @Test(arguments: [
        ("", 0x4e50_3378_d255_9775 as UInt64),
        ("1", 0x4178_d7d4_95c1_52d8),
        ("1000000001", 0x0291_7ad8_f6aa_03f5),
        ("isrc:GBAYE0601498", 0x3afc_51d1_8128_2d05),
        ("user-875472188", 0x0fd2_4519_7754_5483),
        ("Ω-trk-é", 0x3f46_c230_0d87_5c04),
    ])
    func knownValues(id: String, hash: UInt64) {
        let bytes = Array(id.utf8)
        #expect(bytes.withUnsafeBufferPointer { TrackHash.of($0) } == hash)
    }

    @Test func bytesOneToTwentyThree() {
        let bytes = (1...23).map { UInt8($0) }
        #expect(bytes.withUnsafeBufferPointer { TrackHash.of($0) } == 0x2f3e_881c_30da_92fe)
    }

    /// The last bytes are read as one word ending with the id where the id is at least a word
    /// long: the same value as byte by byte, at every length. Each id has memory of its own,
    /// exactly its size, so that a read past either end is one (under AddressSanitizer).
    @Test func everyLength() {
        var rng = SeededRNG(seed: 0x7A5)
        for length in 0...64 {
            for _ in 0..<8 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
                let id = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: length)
                defer { id.deallocate() }
                _ = id.initialize(from: bytes)
                let expected = reference(UnsafeBufferPointer(id))
                #expect(TrackHash.of(UnsafeBufferPointer(id)) == expected, "\(bytes)")
                if length > 0 {
                    #expect(TrackHash.of(UnsafePointer(id.baseAddress!), count: length) == expected, "\(bytes)")
                }
            }
        }
    }

    /// The history's order of ids (`TrackOrder.compareIDs`, SQLite's BINARY collation)
    /// agrees in sign with a byte-at-a-time comparison at every length, on common prefixes
    /// of every length and with differences at every place, each id in memory of its own
    /// exactly its size.
    @Test func idOrderEveryLength() {
        var rng = SeededRNG(seed: 0x1D5)
        func reference(_ a: [UInt8], _ b: [UInt8]) -> Int {
            for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
            return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
        }
        func compared(_ a: [UnsafeMutableRawBufferPointer]) -> Int {
            TrackOrder.compareIDs(UnsafeRawBufferPointer(a[0]), UnsafeRawBufferPointer(a[1])).signum()
        }
        var pairs = 0
        for length in 0...40 {
            for other in [length, length + 1, max(0, length - 1), length + 9, 0] {
                for changes in 0..<6 {
                    let x = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    // A copy of x's prefix, then bytes of its own, with up to four bytes
                    // changed at random places (several in one word: their order decides),
                    // or, once in six, bytes of its own throughout.
                    var y = Array(x.prefix(other)) + (0..<max(0, other - length)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    if changes == 5 { y = y.map { _ in UInt8.random(in: 0...255, using: &rng) } }
                    for _ in 0..<(y.isEmpty ? 0 : changes) {
                        let at = Int.random(in: 0..<y.count, using: &rng)
                        y[at] = UInt8.random(in: 0...255, using: &rng)
                    }
                    let buffers = [x, y].map { bytes -> UnsafeMutableRawBufferPointer in
                        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
                        memory.copyBytes(from: bytes)
                        return memory
                    }
                    defer { buffers.forEach { $0.deallocate() } }
                    #expect(compared(buffers) == reference(x, y), "\(x) \(y)")
                    #expect(compared(buffers.reversed()) == reference(y, x), "\(y) \(x)")
                    pairs += 1
                }
            }
        }
        #expect(pairs == 41 * 5 * 6)
    }

    /// The definition, a byte at a time.
    private func reference(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let r = a.multipliedFullWidth(by: b)
            return r.high ^ r.low
        }
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        func word(_ range: Range<Int>) -> UInt64 {
            range.reversed().reduce(0) { $0 << 8 | UInt64(bytes[$1]) }
        }
        var i = 0
        while i + 8 <= bytes.count {
            h = mix(h ^ word(i..<(i + 8)), 0xBF58_476D_1CE4_E5B9)
            i += 8
        }
        if i < bytes.count {
            h = mix(h ^ word(i..<bytes.count) ^ 0xA076_1D64_78BD_642F, 0x94D0_49BB_1331_11EB)
        }
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h >> 1
    }
}
