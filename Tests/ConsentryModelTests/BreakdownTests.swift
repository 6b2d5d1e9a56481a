import Foundation
import Testing
@testable import ConsentryModel
import TestSupport

/// The order the contract (§3, breakdowns) and the HTML report want, written out
/// independently of the code under test: larger first by `x`, then by `y`, then keys by their
/// UTF-8 bytes (not by Swift's `String` order, which compares normalised scalars).
private func referenceOrder(_ rows: [Breakdown.Row], _ order: Breakdown.Order) -> [Breakdown.Row] {
    rows.sorted { a, b in
        let (xa, xb, ya, yb) = order == .largest
            ? (a.tracks, b.tracks, a.anyTrainingExposed, b.anyTrainingExposed)
            : (a.anyTrainingExposed, b.anyTrainingExposed, a.tracks, b.tracks)
        if xa != xb { return xa > xb }
        if ya != yb { return ya > yb }
        return Array(a.key.utf8).lexicographicallyPrecedes(Array(b.key.utf8))
    }
}

/// `b` with its keys' case folded, as a scan folds its labels' (every key with tracks).
func foldedCase(_ b: Breakdown) -> Breakdown {
    let keys = Array(b.counts.keys)
    let rows = Array(b.counts.values)
    return tally(policyCount: b.policyCount, keys: keys, rows: rows).breakdown
}

/// The tally of `keys` whose rows are `rows` (nil: no tracks), case folded; the keys' byte
/// order sorted here, as the engine sorts a scan's.
func tally(policyCount: Int, keys: [String], rows: [[Int]?]) -> LabelTally {
    let order = keys.indices.sorted { Array(keys[$0].utf8).lexicographicallyPrecedes(Array(keys[$1].utf8)) }.map { Int32($0) }
    let flat = rows.flatMap { $0 ?? Array(repeating: 0, count: 2 * policyCount) }
    return LabelTally(policyCount: policyCount, texts: keys, groups: Breakdown.CaseGroups(keys: keys), order: order, rows: flat)
}

/// A random row of `policies`: per policy 1 to 3 tracks and up to as many exposed.
func randomRow(policies: Int, using rng: inout SeededRNG) -> [Int] {
    (0..<policies).flatMap { _ in
        let tracks = Int.random(in: 1...3, using: &rng)
        return [tracks, Int.random(in: 0...tracks, using: &rng)]
    }
}

private func row(_ key: String, _ tracks: Int, _ exposed: Int) -> Breakdown.Row {
    Breakdown.Row(key: key, tracks: tracks, anyTrainingExposed: exposed)
}

@Suite("Breakdown: groups by label or artist, their orders, top N, case folding (contract §3)")
struct BreakdownTests {
    /// One policy's rows as `key tracks/exposed` text.
    static func text(_ rows: [Breakdown.Row]) -> [String] { rows.map { "\($0.key) \($0.tracks)/\($0.anyTrainingExposed)" } }

    @Test("largest first: most tracks, then most exposed, then key bytes; keys with no track under the policy are left out")
    func largestFirst() {
        var b = Breakdown(policyCount: 2)
        b.add(key: "small", policy: 0, tracks: 1, exposed: 1)
        b.add(key: "big", policy: 0, tracks: 9, exposed: 0)
        b.add(key: "tie-more-exposed", policy: 0, tracks: 5, exposed: 4)
        b.add(key: "tie-less-exposed", policy: 0, tracks: 5, exposed: 2)
        // Equal counts: byte order. "e" + combining acute (65 CC 81) sorts before "f" (66) by
        // bytes, after it as a normalised String ("é" is U+00E9).
        b.add(key: "f", policy: 0, tracks: 3, exposed: 3)
        b.add(key: "e\u{301}", policy: 0, tracks: 3, exposed: 3)
        b.add(key: "B", policy: 0, tracks: 3, exposed: 3)
        b.add(key: "", policy: 0, tracks: 3, exposed: 3)
        // Only under the second policy.
        b.add(key: "other-policy", policy: 1, tracks: 100, exposed: 100)
        #expect(Self.text(b.rows(policy: 0)) == [
            "big 9/0", "tie-more-exposed 5/4", "tie-less-exposed 5/2", " 3/3", "B 3/3", "e\u{301} 3/3", "f 3/3", "small 1/1",
        ])
        #expect(Self.text(b.rows(policy: 1)) == ["other-policy 100/100"])
        #expect(b.count == 9)
    }

    @Test("most exposed first: most exposed tracks, then most tracks, then key bytes")
    func mostExposedFirst() {
        var b = Breakdown(policyCount: 1)
        b.add(key: "big-but-safe", policy: 0, tracks: 1000, exposed: 0)
        b.add(key: "open", policy: 0, tracks: 10, exposed: 10)
        b.add(key: "open-larger", policy: 0, tracks: 12, exposed: 10)
        b.add(key: "b", policy: 0, tracks: 4, exposed: 3)
        b.add(key: "a", policy: 0, tracks: 4, exposed: 3)
        #expect(Self.text(b.rows(policy: 0, order: .mostExposed)) == [
            "open-larger 12/10", "open 10/10", "a 4/3", "b 4/3", "big-but-safe 1000/0",
        ])
        #expect(Self.text(b.rows(policy: 0, order: .mostExposed, top: 2)) == ["open-larger 12/10", "open 10/10"])
        #expect(Self.text(b.rows(policy: 0, order: .largest, top: 1)) == ["big-but-safe 1000/0"])
    }

    @Test("add accumulates per key and policy; exposed share is exposed over tracks, nil for none")
    func addAccumulates() {
        var b = Breakdown(policyCount: 2)
        b.add(key: "x", policy: 0, tracks: 2, exposed: 1)
        b.add(key: "x", policy: 0, tracks: 3, exposed: 3)
        b.add(key: "x", policy: 1, tracks: 5, exposed: 0)
        #expect(b.counts["x"] == [5, 4, 5, 0])
        #expect(b.rows(policy: 0).first?.exposedShare == 0.8)
        #expect(b.rows(policy: 1).first?.exposedShare == 0.0)
        #expect(row("empty", 0, 0).exposedShare == nil)
    }

    @Test("top N: the first N of the full order, for random rows of many sizes with many ties, in both orders")
    func topNIsTheSortPrefix() {
        var rng = SeededRNG(seed: 0x7e57_b00c)
        var checked = 0
        for size in Array(0...40) + [63, 64, 65, 127, 128, 129, 500, 2000] {
            // Narrow value ranges make ties on both counts common; wide ones make them rare.
            for spread in [1, 3, 1000] {
                var rows: [Breakdown.Row] = []
                for i in 0..<size {
                    let tracks = Int.random(in: 1...spread, using: &rng)
                    let exposed = Int.random(in: 0...tracks, using: &rng)
                    // Unique keys whose byte order is not their creation order.
                    let key = String(Int.random(in: 0..<1_000_000, using: &rng), radix: 36) + "-\(i)"
                    rows.append(row(key, tracks, exposed))
                }
                rows.shuffle(using: &rng)
                var tops: Set<Int> = [0, 1, 2, max(0, size - 1), size, size + 1]
                tops.insert(Int.random(in: 0...(size + 2), using: &rng))
                for order in [Breakdown.Order.largest, .mostExposed] {
                    let full = referenceOrder(rows, order)
                    #expect(Breakdown.first(nil, of: rows, order: order) == full, "size \(size) spread \(spread) all")
                    for top in tops.sorted() {
                        let got = Breakdown.first(top, of: rows, order: order)
                        if got != Array(full.prefix(top)) {
                            Issue.record("size \(size) spread \(spread) top \(top) \(order): \(Self.text(got)) != \(Self.text(Array(full.prefix(top))))")
                        }
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 500)
    }

    @Test("rows(top:) of a breakdown equals the prefix of rows() for every N")
    func rowsTopAgreesWithRows() {
        var rng = SeededRNG(seed: 42)
        var b = Breakdown(policyCount: 2)
        for i in 0..<300 {
            let key = "artist-\(Int.random(in: 0..<10_000, using: &rng))-\(i)"
            let tracks = Int.random(in: 1...4, using: &rng)
            b.add(key: key, policy: i % 2, tracks: tracks, exposed: Int.random(in: 0...tracks, using: &rng))
        }
        for policy in 0..<2 {
            for order in [Breakdown.Order.largest, .mostExposed] {
                let all = b.rows(policy: policy, order: order)
                #expect(all.count == 150)
                for top in [1, 7, 149, 150, 151] {
                    #expect(b.rows(policy: policy, order: order, top: top) == Array(all.prefix(top)), "policy \(policy) top \(top)")
                }
            }
        }
    }

    @Test("folding case: spellings that differ in case or surrounding spaces are one group named by the spelling with the most tracks")
    func foldingCase() {
        var b = Breakdown(policyCount: 2)
        for p in 0..<2 {
            b.add(key: "Sony Music", policy: p, tracks: 10, exposed: 1)
            b.add(key: "SONY MUSIC", policy: p, tracks: 2, exposed: 2)
            b.add(key: "sony music ", policy: p, tracks: 1, exposed: 0)
            // Non-ASCII letters fold too.
            b.add(key: "Bureau Ω", policy: p, tracks: 1, exposed: 1)
            b.add(key: "BUREAU ω", policy: p, tracks: 3, exposed: 0)
            b.add(key: "Élan", policy: p, tracks: 2, exposed: 2)
            b.add(key: "éLAN", policy: p, tracks: 1, exposed: 1)
            b.add(key: "", policy: p, tracks: 4, exposed: 4)
            b.add(key: "Alone", policy: p, tracks: 1, exposed: 1)
        }
        let folded = foldedCase(b)
        #expect(folded.count == 5)
        for p in 0..<2 {
            #expect(Self.text(folded.rows(policy: p)) == ["Sony Music 13/3", " 4/4", "BUREAU ω 4/1", "Élan 3/3", "Alone 1/1"])
        }
        // The total is kept.
        let before = b.rows(policy: 0).reduce(0) { $0 + $1.tracks }
        #expect(folded.rows(policy: 0).reduce(0) { $0 + $1.tracks } == before)
    }

    @Test("folding case: a tie on tracks is named by the spelling first in byte order")
    func foldingCaseTies() {
        var b = Breakdown(policyCount: 1)
        b.add(key: "indie", policy: 0, tracks: 2, exposed: 1)
        b.add(key: "Indie", policy: 0, tracks: 2, exposed: 2)
        b.add(key: "INDIE", policy: 0, tracks: 2, exposed: 0)
        b.add(key: "mañana", policy: 0, tracks: 1, exposed: 0)
        b.add(key: "MAÑANA", policy: 0, tracks: 1, exposed: 1)
        let rows = foldedCase(b).rows(policy: 0)
        #expect(Self.text(rows) == ["INDIE 6/3", "MAÑANA 2/1"])
        // Folding is idempotent, and a breakdown with one spelling per label is unchanged.
        #expect(foldedCase(foldedCase(b)) == foldedCase(b))
        var single = Breakdown(policyCount: 1)
        single.add(key: "One", policy: 0, tracks: 1, exposed: 0)
        single.add(key: "Two", policy: 0, tracks: 2, exposed: 1)
        #expect(foldedCase(single) == single)
    }

    @Test("folding case on random breakdowns equals a reference that groups every key by its key from the label map's bytes")
    func foldingCaseMatchesReference() {
        let spellings = ["Sony Music", "SONY MUSIC", " sony music", "sony music\t", "Indie", "INDIE", "indie", "Bureau Ω", "BUREAU ω",
                         "\u{212A}ing Records", "king records", "KING RECORDS", "Caf\u{E9}", "CAF\u{C9}", "Cafe\u{301}", "", " ", "x", "X",
                         "東京", "Mañana", "MAÑANA", "alone", "Alone"]
        var rng = SeededRNG(seed: 0xF01D)
        for round in 0..<300 {
            let policies = 1 + round % 3
            var b = Breakdown(policyCount: policies)
            for _ in 0..<Int.random(in: 0..<30, using: &rng) {
                let row = randomRow(policies: policies, using: &rng)
                b.add(key: spellings[Int.random(in: 0..<spellings.count, using: &rng)], row: row)
            }
            // The reference: per group of keys from bytes, the sum, named by the spelling with
            // the most tracks over all policies, ties by bytes.
            var groups: [String: [(key: String, row: [Int])]] = [:]
            for (key, row) in b.counts { groups[LabelMap.normalized(Array(key.utf8)), default: []].append((key, row)) }
            var expected: [String: [Int]] = [:]
            for members in groups.values {
                func tracks(_ row: [Int]) -> Int { stride(from: 0, to: row.count, by: 2).reduce(0) { $0 + row[$1] } }
                let name = members.min { a, b in
                    tracks(a.row) != tracks(b.row) ? tracks(a.row) > tracks(b.row)
                        : Array(a.key.utf8).lexicographicallyPrecedes(Array(b.key.utf8))
                }!.key
                expected[name] = members.reduce(into: Array(repeating: 0, count: 2 * policies)) { sum, m in
                    for i in sum.indices { sum[i] += m.row[i] }
                }
            }
            let folded = foldedCase(b)
            #expect(folded.counts == expected, "round \(round)")
            #expect(folded.counts.keys.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
                    == expected.keys.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) })
        }
    }

    @Test("spellings that are the same Unicode text in other bytes are one group named by the first in byte order, whatever their order")
    func canonicallyEquivalentSpellings() {
        let composed = "Caf\u{E9} Records"        // é as one code point: C3 A9
        let decomposed = "Cafe\u{301} Records"    // e and a combining accent: 65 CC 81, first in byte order
        for order in [[composed, decomposed], [decomposed, composed]] {
            var rows = Breakdown(policyCount: 1)
            var perPolicy = Breakdown(policyCount: 1)
            for (i, key) in order.enumerated() {
                rows.add(key: key, row: [i + 1, 1])
                perPolicy.add(key: key, policy: 0, tracks: i + 1, exposed: 1)
            }
            for b in [rows, perPolicy] {
                #expect(b.count == 1)
                #expect(b.counts.keys.map { Array($0.utf8) } == [Array(decomposed.utf8)])
                #expect(b.counts.values.first == [3, 2])
            }
        }
    }

    @Test("the fields a breakdown groups by are the label and artist_id record fields")
    func fields() {
        #expect(Breakdown.Field.label.recordField == .label)
        #expect(Breakdown.Field.artist.recordField == .artistID)
        #expect(Breakdown.Field.allCases.map(\.rawValue) == ["label", "artist"])
    }
}
