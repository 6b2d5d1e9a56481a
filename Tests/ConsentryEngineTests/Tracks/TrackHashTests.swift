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
