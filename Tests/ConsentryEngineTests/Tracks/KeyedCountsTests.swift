import Foundation
import Testing
import ConsentryModel
@testable import ConsentryEngine
import TestSupport

@Suite("KeyedCounts: tracks and exposed tracks per label or artist, by the key's bytes")
struct KeyedCountsTests {
    @Test("random keys — the empty key, keys sharing prefixes, thousands to make the table grow — count as a dictionary would")
    func countsLikeADictionary() {
        var rng = SeededRNG(seed: 0xC0FFEE)
        let policies = 3
        var counts = KeyedCounts(policyCount: policies)
        var expected: [[UInt8]: [Int]] = [:]
        let pool: [[UInt8]] = (0..<5000).map { i in
            switch i % 5 {
            case 0: return []
            case 1: return Array("user-\(i)".utf8)
            case 2: return Array("user-\(i)".utf8) + [0x20]
            case 3: return Array("Ω-\(i % 97)".utf8)
            default: return Array(String(repeating: "x", count: i % 40).utf8)
            }
        }
        for _ in 0..<40_000 {
            let key = pool[Int.random(in: 0..<pool.count, using: &rng)]
            let decided: [KeyedCounts.Decided] = (0..<policies).map { _ in [.notDecided, .unexposed, .exposed][Int.random(in: 0..<3, using: &rng)] }
            key.withUnsafeBytes { counts.add(key: $0) { decided[$0] } }
            var row = expected[key, default: Array(repeating: 0, count: 2 * policies)]
            for (p, d) in decided.enumerated() {
                if d != .notDecided { row[2 * p] += 1 }
                if d == .exposed { row[2 * p + 1] += 1 }
            }
            expected[key] = row
        }
        #expect(counts.keyCount == expected.count)
        let breakdown = counts.breakdown()
        for p in 0..<policies {
            var want: [String: (Int, Int)] = [:]
            for (key, row) in expected where row[2 * p] > 0 { want[String(decoding: key, as: UTF8.self)] = (row[2 * p], row[2 * p + 1]) }
            let got = breakdown.rows(policy: p)
            #expect(got.count == want.count, "policy \(p)")
            for r in got {
                #expect(want[r.key]?.0 == r.tracks && want[r.key]?.1 == r.anyTrainingExposed, "policy \(p) key \(r.key.debugDescription)")
            }
        }
    }

    @Test("keys differing only in case or padding stay apart: folding is the breakdown's job, for labels only")
    func exactBytes() {
        var counts = KeyedCounts(policyCount: 1)
        for key in ["Sony", "SONY", "Sony ", "Sony", ""] {
            Array(key.utf8).withUnsafeBytes { counts.add(key: $0) { _ in .exposed } }
        }
        #expect(counts.keyCount == 4)
        let rows = counts.breakdown().rows(policy: 0)
        #expect(rows.map(\.key) == ["Sony", "", "SONY", "Sony "])
        #expect(rows.first?.tracks == 2)
    }
}
