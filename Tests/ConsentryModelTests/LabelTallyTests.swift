import Testing
@testable import ConsentryModel
import TestSupport

@Suite("LabelTally: a scan's labels case folded, in the byte order of their names, ready to store")
struct LabelTallyTests {
    @Test("a label tally made from keys and their case groups equals the keys' rows added and folded, in the names' byte order, keys without tracks left out")
    func fromCaseGroups() {
        // Distinct bytes, some of them the same Unicode text (é composed and decomposed), some
        // differing in case or spaces only.
        let spellings = ["Sony Music", "SONY MUSIC", " sony music", "Indie", "indie", "Caf\u{E9}", "Cafe\u{301}", "CAF\u{C9}",
                         "\u{212A}ing", "king", "x\u{37E}", "X;", "東京", "", "alone"]
        var rng = SeededRNG(seed: 0xCA5E)
        for round in 0..<300 {
            let policies = 1 + round % 3
            let keys = spellings.shuffled(using: &rng).prefix(Int.random(in: 0...spellings.count, using: &rng)).map { $0 }
            let rows: [[Int]?] = keys.map { _ in
                Bool.random(using: &rng) ? nil : randomRow(policies: policies, using: &rng)
            }
            var added = Breakdown(policyCount: policies)
            for (key, row) in zip(keys, rows) { if let row { added.add(key: key, row: row) } }
            let tallied = tally(policyCount: policies, keys: keys, rows: rows)
            let made = tallied.breakdown
            #expect(made == foldedCase(added), "round \(round)")
            // Named in the byte order of the names, each row the breakdown's.
            let names = (0..<tallied.count).map { Array(tallied.name($0).utf8) }
            #expect(names == names.sorted { $0.lexicographicallyPrecedes($1) })
            for i in 0..<tallied.count {
                let row = (0..<policies).flatMap { [tallied.tracks(i, policy: $0), tallied.exposed(i, policy: $0)] }
                #expect(made.counts[tallied.name(i)] == row)
            }
            #expect(made.counts.keys.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
                    == foldedCase(added).counts.keys.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) })
        }
        let groups = Breakdown.CaseGroups(keys: ["A", "b", " a", "B ", "c"])
        #expect(groups.group == [0, 1, 0, 1, 2])
        #expect(groups.count == 3)
    }
}
