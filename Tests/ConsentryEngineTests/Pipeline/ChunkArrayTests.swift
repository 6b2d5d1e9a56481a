import Testing
@testable import ConsentryEngine
import TestSupport

@Suite("ChunkArray")
struct ChunkArrayTests {
    @Test("appended bytes are the source's, at every length and alignment, across growth")
    func appendsBytes() {
        var rng = SeededRNG(seed: 0xC4A)
        let source: [UInt8] = (0..<256).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var array = ChunkArray<UInt8>(capacity: 3)
        var expected: [UInt8] = []
        for length in 0...40 {
            for start in [0, 1, 7, 256 - length] {
                source.withUnsafeBufferPointer { array.append(contentsOf: UnsafeBufferPointer(rebasing: $0[start..<start + length])) }
                expected += source[start..<start + length]
                // The byte after the new end must not be one of the copy's.
                array.append(0xA5)
                expected.append(0xA5)
            }
        }
        #expect(Array(array.buffer) == expected)
    }

    @Test("appended words (a track's decisions) are the source's, in order, across growth")
    func appendsWords() {
        var array = ChunkArray<UInt32>(capacity: 2)
        var expected: [UInt32] = []
        for length in 0...5 {
            for round in 0..<7 {
                let words = (0..<length).map { UInt32(round * 100 + $0) }
                words.withUnsafeBufferPointer { array.append(contentsOf: $0) }
                expected += words
            }
        }
        #expect(Array(array.buffer) == expected)
    }
}
