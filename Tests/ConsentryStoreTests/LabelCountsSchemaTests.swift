import Foundation
import Testing
import ConsentryEngine
@testable import ConsentryStore
import TestSupport

@Suite("Schema v6 and v7: labels numbered once, a row per run and label, label_stats a view (contract §4)")
struct LabelCountsSchemaTests {
    @Test("v5 label_stats rows upgrade to label_counts and read back unchanged through the label_stats view, a policy that counted none of a label's tracks included")
    func upgradeKeepsEveryRow() throws {
        let dir = try TempDir("dbv6")
        try scanTestDatabase(dir, schema: "v5")
        let rows = """
            INSERT INTO runs (id, started_at, finished_at, status, rows_read, rows_scanned, rows_rejected, tool_version, store_mode, command_line)
                VALUES (1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 'completed', 3, 3, 0, '0.1.0', 'all', 'consentry scan'),
                       (2, '2026-01-02T00:00:00Z', '2026-01-02T00:00:01Z', 'completed', 3, 3, 0, '0.1.0', 'all', 'consentry scan');
            INSERT INTO run_policies VALUES (1, 0, 'p', 'sha', 'yaml', 'P', 'p.yaml', 1.0, NULL, NULL),
                (1, 1, 'q', 'sha', 'yaml', 'Q', 'q.yaml', 1.0, NULL, NULL),
                (2, 0, 'q', 'sha', 'yaml', 'Q', 'q.yaml', 1.0, NULL, NULL);
            INSERT INTO label_stats VALUES (1, 'p', 'Tiny', 2, 1), (1, 'p', '', 1, 1), (1, 'q', 'Tiny', 2, 0),
                (2, 'q', 'Tiny', 1, 1), (2, 'q', 'Big, Inc.', 2, 0);
            """
        try SQLite(dir.db).execute(rows)
        let query = "SELECT run_id, policy_id, label, tracks, any_training_exposed FROM label_stats ORDER BY 1, 2, 3"
        let before = try SQLite(dir.db, readOnly: true).lines(query)
        #expect(before.count == 5)

        _ = try ResultsDatabase(path: dir.db, create: false)
        let sqlite = SQLite(dir.db, readOnly: true)
        #expect(try sqlite.lines(query) == before)
        // Each label's text once, whatever the runs and policies that counted it.
        #expect(try sqlite.lines("SELECT quote(label) FROM labels ORDER BY label") == ["''", "'Big, Inc.'", "'Tiny'"])
        // One row per run and label; run 1's policy q counted no track without a label.
        #expect(try sqlite.lines("""
            SELECT c.run_id, l.label, c.tracks, c.exposed FROM label_counts c JOIN labels l ON l.id = c.label_id ORDER BY 1, 2
            """) == ["1\t\t1\t[1,null]", "1\tTiny\t2\t[1,0]", "2\tBig, Inc.\t2\t[0]", "2\tTiny\t1\t[1]"])
        #expect(try sqlite.lines("SELECT type FROM sqlite_schema WHERE name = 'label_stats'") == ["view"])
    }
}

@Suite("Stored labels: any bytes, numbered once across nights (contract §3, §4)")
struct StoredLabelTextTests {
    /// A night's JSONL: `tracks(label)` tracks of each label, ids unique within the night.
    static func night(_ labels: [Int], tracks: (Int) -> Int) -> String {
        var lines = ""
        var id = 0
        for label in labels {
            for _ in 0..<tracks(label) {
                id += 1
                lines += #"{"track_id":"\#(id)","label_status":"independent","label":"L\#(label)"}"# + "\n"
            }
        }
        return lines
    }

    @Test("hundreds of labels over two nights, known and new ones mixed, are numbered once in byte order and counted, even once the ids run out")
    func manyLabels() throws {
        let dir = try TempDir("labelmany")
        let policies = [try BuiltInPolicies.policy("soundcloud-2025-05")]
        let tracks = { (label: Int) in 1 + label % 3 }
        // 450 labels, then 300 of them again with 300 new ones: several statements' worth
        // each, and a last one not full.
        try storedBreakdownScan(dir.db, inputs: [try dir.write("1.jsonl", Self.night(Array(0..<450), tracks: tracks))],
                                policies: policies, store: .none)
        try storedBreakdownScan(dir.db, inputs: [try dir.write("2.jsonl", Self.night(Array(150..<750), tracks: tracks))],
                                policies: policies, store: .none)
        // Night 3, once a label holds the largest id possible: SQLite numbers new rows at
        // random from then on.
        try SQLite(dir.db).execute("INSERT INTO labels (id, label) VALUES (9223372036854775807, 'zz')")
        try storedBreakdownScan(dir.db, inputs: [try dir.write("3.jsonl", Self.night(Array(700..<1000), tracks: tracks))],
                                policies: policies, store: .none)
        let sqlite = SQLite(dir.db, readOnly: true)
        let numbered = try sqlite.lines("SELECT label FROM labels WHERE id <= 750 ORDER BY id")
        let inByteOrder = { (range: Range<Int>) in range.map { "L\($0)" }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) } }
        #expect(numbered == inByteOrder(0..<450) + inByteOrder(450..<750))
        #expect(try sqlite.lines("SELECT count(*), count(DISTINCT label) FROM labels") == ["1001\t1001"])
        for (run, range) in [(1, 0..<450), (2, 150..<750), (3, 700..<1000)] {
            let stored = try sqlite.lines("""
                SELECT l.label, c.tracks FROM label_counts c JOIN labels l ON l.id = c.label_id WHERE c.run_id = \(run) ORDER BY 1
                """)
            #expect(stored == range.map { "L\($0)\t\(tracks($0))" }.sorted(), "run \(run)")
        }
    }

    @Test("new labels are numbered in byte order also where their first eight bytes agree: longer, shorter, NUL, non-ASCII")
    func byteOrderBeyondEightBytes() throws {
        let dir = try TempDir("labelorder")
        var rng = SeededRNG(seed: 0x0B7E)
        // Labels from few pieces, so that many share long prefixes or are prefixes of others.
        let pieces = ["Records", "Record", "R", "é", "\\u0000", "-", "Z", "a"]
        var labels = Set<String>()
        while labels.count < 300 {
            labels.insert((0..<Int.random(in: 1...5, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined())
        }
        let lines = labels.enumerated().map { #"{"track_id":"\#($0.offset)","label_status":"independent","label":"\#($0.element)"}"# }
        let input = try dir.write("o.jsonl", lines.joined(separator: "\n") + "\n")
        try storedBreakdownScan(dir.db, inputs: [input], policies: [try BuiltInPolicies.policy("soundcloud-2025-05")], store: .none)
        let numbered = try SQLite(dir.db, readOnly: true).lines("SELECT hex(label) FROM labels ORDER BY id")
        let bytes = numbered.map { hex in stride(from: 0, to: hex.count, by: 2).map { UInt8(hex.dropFirst($0).prefix(2), radix: 16)! } }
        #expect(bytes.count == labels.count)
        let misplaced = zip(bytes, bytes.dropFirst()).first { !$0.0.lexicographicallyPrecedes($0.1) }
        #expect(misplaced == nil, "numbered out of byte order: \(String(describing: misplaced))")
    }

    @Test("a label whose every track was a duplicate is not left numbered, unless an earlier night numbered it; one spelt two ways is stored once")
    func labelsWithoutTracks() throws {
        let dir = try TempDir("labelgone")
        let policies = [try BuiltInPolicies.policy("soundcloud-2025-05")]
        let night = { (name: String, lines: [String]) in
            try dir.write(name, lines.map { #"{"track_id":"\#($0.prefix(1))","label_status":"independent","label":"\#($0.dropFirst(2))"}"# }
                .joined(separator: "\n") + "\n")
        }
        // Night 1: "Gone" only on a duplicate of track 1; "Kept" and "kept" one group.
        try storedBreakdownScan(dir.db, inputs: [try night("1.jsonl", ["1 Kept", "1 Gone", "2 kept", "3 Old"])],
                                policies: policies, store: .none)
        let sqlite = SQLite(dir.db, readOnly: true)
        #expect(try sqlite.lines("SELECT label FROM labels ORDER BY label") == ["Kept", "Old"])
        // Night 2: "Old", which night 1 numbered, only on a duplicate: it stays for run 1.
        try storedBreakdownScan(dir.db, inputs: [try night("2.jsonl", ["1 Kept", "1 Old", "2 New"])],
                                policies: policies, store: .none)
        #expect(try sqlite.lines("SELECT label FROM labels ORDER BY label") == ["Kept", "New", "Old"])
        #expect(try sqlite.lines("""
            SELECT c.run_id, l.label, c.tracks FROM label_counts c JOIN labels l ON l.id = c.label_id ORDER BY 1, 2
            """) == ["1\tKept\t2", "1\tOld\t1", "2\tKept\t1", "2\tNew\t1"])
    }

    @Test("labels that hold a NUL byte, or differ only after one, are stored apart and found again on the next night")
    func labelsWithNULBytes() throws {
        let dir = try TempDir("labelnul")
        let jsonl = try dir.write("n.jsonl", #"""
            {"track_id":"1","label_status":"independent","label":"A\u0000B"}
            {"track_id":"2","label_status":"independent","label":"A"}
            {"track_id":"3","label_status":"independent","label":"A\u0000C"}
            {"track_id":"4","label_status":"independent","label":"A\u0000B"}

            """#)
        let policies = [try BuiltInPolicies.policy("soundcloud-2025-05")]
        for _ in 0..<2 { try storedBreakdownScan(dir.db, inputs: [jsonl], policies: policies, store: .none) }
        let sqlite = SQLite(dir.db, readOnly: true)
        #expect(try sqlite.lines("SELECT hex(label) FROM labels ORDER BY 1") == ["41", "410042", "410043"])
        #expect(try sqlite.lines("""
            SELECT c.run_id, hex(l.label), c.tracks FROM label_counts c JOIN labels l ON l.id = c.label_id ORDER BY 1, 2
            """) == ["1\t41\t1", "1\t410042\t2", "1\t410043\t1", "2\t41\t1", "2\t410042\t2", "2\t410043\t1"])
    }

    @Test("a label's exposed counts are written as the JSON array the view reads, null for a policy that counted none")
    func exposedText() {
        #expect(Schema.exposedText([]) == "[]")
        #expect(Schema.exposedText([nil, 0, 7, 1_234_567_890_123, -5, nil]) == "[null,0,7,1234567890123,-5,null]")
        var rng = SeededRNG(seed: 0xE7E7)
        var text: [UInt8] = Array("left over".utf8)
        for _ in 0..<2_000 {
            let exposed: [Int?] = (0..<Int.random(in: 0..<6, using: &rng)).map { _ in
                Int.random(in: 0..<5, using: &rng) == 0 ? nil : Int.random(in: -1...Int.max, using: &rng) >> Int.random(in: 0..<63, using: &rng)
            }
            let expected = "[" + exposed.map { $0.map(String.init) ?? "null" }.joined(separator: ",") + "]"
            text.removeAll(keepingCapacity: true)
            Schema.appendExposedText(exposed, to: &text)
            #expect(String(decoding: text, as: UTF8.self) == expected)
        }
    }
}
