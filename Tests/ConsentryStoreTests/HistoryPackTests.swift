import Foundation
import Testing
@testable import ConsentryStore
import TestSupport

@Suite("HistoryPack: pack text written entry by entry reads back exactly, and is JSON SQLite can read")
struct HistoryPackTests {
    /// Ids and artists of every kind a pack must hold: plain, quotes, backslashes, control
    /// characters and DEL (artists may hold them), non-ASCII, and lengths around the 8-byte
    /// words the escape search reads.
    private static func text(_ rng: inout SeededRNG) -> [UInt8] {
        let alphabet: [[UInt8]] = [
            Array("a".utf8), Array("Z".utf8), Array("7".utf8), Array(" ".utf8), Array("\"".utf8), Array("\\".utf8),
            [0x00], [0x09], [0x1F], [0x7F], Array("é".utf8), Array("漢".utf8), Array("🎵".utf8), Array("/".utf8),
        ]
        let length = Int.random(in: 0...40, using: &rng)
        var bytes: [UInt8] = []
        for _ in 0..<length {
            // Mostly plain letters, so that many words hold no byte to escape.
            let pick = Int.random(in: 0..<10, using: &rng) < 7 ? Int.random(in: 0..<3, using: &rng)
                : Int.random(in: 0..<alphabet.count, using: &rng)
            bytes += alphabet[pick]
        }
        return bytes
    }

    @Test("random ids, combinations and artists round-trip through append and decode")
    func roundTrip() throws {
        var rng = SeededRNG(seed: 0x9ACC)
        for _ in 0..<300 {
            let entries: [HistoryPack.Entry] = (0..<Int.random(in: 1...20, using: &rng)).map { _ in
                var id = HistoryPackTests.text(&rng)
                if id.isEmpty { id = Array("t".utf8) }
                return HistoryPack.Entry(id: id, combo: UInt32.random(in: 0...UInt32.max, using: &rng),
                                         artist: Int.random(in: 0..<4, using: &rng) == 0 ? [] : HistoryPackTests.text(&rng))
            }
            var text: [UInt8] = [UInt8(ascii: "[")]
            for (k, entry) in entries.enumerated() {
                entry.id.withUnsafeBytes { id in
                    entry.artist.withUnsafeBytes { artist in
                        HistoryPack.append(id: id, combo: entry.combo, artist: artist, first: k == 0, to: &text)
                    }
                }
            }
            text.append(UInt8(ascii: "]"))
            let decoded = try HistoryPack.decode(text, path: "test")
            #expect(decoded.map(\.id) == entries.map(\.id))
            #expect(decoded.map(\.combo) == entries.map(\.combo))
            #expect(decoded.map(\.artist) == entries.map(\.artist))
            // Foundation's parser agrees: the text is JSON, as SQLite's json_each needs.
            let parsed = try JSONSerialization.jsonObject(with: Data(text)) as? [[Any]]
            #expect(parsed?.count == entries.count)
            #expect(parsed?.map { $0[0] as? String } == entries.map { String(decoding: $0.id, as: UTF8.self) })
        }
    }

    @Test("the first byte to escape is found at every offset, whatever its word")
    func firstEscaped() {
        var rng = SeededRNG(seed: 0xE5C)
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...33, using: &rng)).map { _ -> UInt8 in
                Int.random(in: 0..<6, using: &rng) == 0 ? UInt8.random(in: 0...255, using: &rng)
                    : UInt8.random(in: 0x23...0x5B, using: &rng)
            }
            let from = bytes.isEmpty ? 0 : Int.random(in: 0...bytes.count, using: &rng)
            let expected = bytes.indices.first { $0 >= from && (bytes[$0] < 0x20 || [0x22, 0x5C, 0x7F].contains(bytes[$0])) }
            let found = bytes.withUnsafeBytes { HistoryPack.firstEscaped($0, from: from) }
            #expect(found == expected ?? bytes.count, "\(bytes) from \(from)")
        }
    }

    @Test("a byte to escape before `from` flags nothing after it, in the last word's overlap too")
    func escapedBeforeFrom() {
        // A control character, a quote or a backslash just escaped, then bytes that a borrow
        // from it could flag (a space is 0x20, the bound for control characters).
        for escaped: UInt8 in [0x01, 0x1F, 0x22, 0x5C, 0x7F] {
            for prefix in 0...12 {
                let bytes = Array(repeating: UInt8(ascii: "a"), count: prefix) + [escaped, 0x20, 0x21, 0x23, 0x5D, 0x80]
                let found = bytes.withUnsafeBytes { HistoryPack.firstEscaped($0, from: prefix + 1) }
                #expect(found == bytes.count, "\(bytes) from \(prefix + 1)")
                #expect(bytes.withUnsafeBytes { HistoryPack.firstEscaped($0, from: 0) } == prefix)
            }
        }
    }
}
