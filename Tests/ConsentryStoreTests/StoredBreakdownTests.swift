import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
import ScanTestSupport
import TestSupport

/// Scans `inputs` into `db` through `Scanner.run` with a label map, in large chunks (the
/// catalogues here have tens of thousands of tracks).
@discardableResult
func storedBreakdownScan(_ db: String, inputs: [String], policies: [Policy], labelMap: String? = nil,
                         store: StoreMode = .all) throws -> RunReport {
    var request = ScanRequest(inputs: inputs, policies: policies, databasePath: db)
    request.store = store
    request.jobs = 2
    request.input.chunkBytes = 1 << 16
    request.input.labelMap = try labelMap.map(LabelMapLoader.load(file:))
    request.commandLine = "consentry scan (unit test)"
    return try Scanner.run(request)
}

/// A breakdown's rows under one policy as `key tracks/exposed` lines, in its order.
func storedBreakdownLines(_ breakdown: RunBreakdown, policy: String) -> [String] {
    guard let index = breakdown.policyIDs.firstIndex(of: policy) else { return ["(policy \(policy) missing)"] }
    return breakdown.breakdown.rows(policy: index).map { "\($0.key) \($0.tracks)/\($0.anyTrainingExposed)" }
}

/// Where two lists of lines first differ, for failure messages.
func storedBreakdownFirstDifference(_ a: [String], _ b: [String]) -> String {
    for i in 0..<max(a.count, b.count) {
        let x = i < a.count ? a[i] : "(none)", y = i < b.count ? b[i] : "(none)"
        if x != y { return "#\(i): \(x.debugDescription) vs \(y.debugDescription) (\(a.count) vs \(b.count) rows)" }
    }
    return "(no difference)"
}

@Suite("Stored breakdowns by label and by artist agree with the oracle (contract §3)")
struct StoredBreakdownTests {
    static let policyIDs = ["soundcloud-2025-05", "soundcloud-opt-out", "soundcloud-2024-02"]

    /// Checks the run's `label_stats` rows and both breakdowns against the oracle's.
    static func checkAgainstOracle(db: String, run: Int64, oracle: JSON, policies: [String],
                                   sourceLocation: SourceLocation = #_sourceLocation) throws {
        let database = try ResultsDatabase(path: db, create: false)
        let labels = try database.breakdown(runID: run, by: .label)
        let artists = try database.breakdown(runID: run, by: .artist)
        #expect(labels.policyIDs == policies && artists.policyIDs == policies, sourceLocation: sourceLocation)
        #expect(labels.runID == run && artists.runID == run, sourceLocation: sourceLocation)
        for policy in policies {
            let expectedLabels = referenceBreakdownLines(oracle, policy: policy, field: "by_label")
            let expectedArtists = referenceBreakdownLines(oracle, policy: policy, field: "by_artist")
            #expect(expectedLabels.count > 20 && expectedArtists.count > 1000, "the oracle lists labels and artists",
                    sourceLocation: sourceLocation)
            // The stored rows, read independently of the code under test.
            let rows = try SQLite(db, readOnly: true).rows("""
                SELECT label, tracks, any_training_exposed FROM label_stats WHERE run_id = \(run) AND policy_id = '\(policy)'
                """).map { "\($0["label"]?.string ?? "?") \($0["tracks"]?.int ?? -1)/\($0["any_training_exposed"]?.int ?? -1)" }
            #expect(rows.sorted() == expectedLabels.sorted(), "\(policy) label_stats: \(storedBreakdownFirstDifference(rows.sorted(), expectedLabels.sorted()))",
                    sourceLocation: sourceLocation)
            let byLabel = storedBreakdownLines(labels, policy: policy)
            #expect(byLabel == expectedLabels, "\(policy) by label: \(storedBreakdownFirstDifference(byLabel, expectedLabels))",
                    sourceLocation: sourceLocation)
            let byArtist = storedBreakdownLines(artists, policy: policy)
            #expect(byArtist == expectedArtists, "\(policy) by artist: \(storedBreakdownFirstDifference(byArtist, expectedArtists))",
                    sourceLocation: sourceLocation)
        }
    }

    @Test("a generated catalogue of 30,000 tracks under three policies: label_stats and both breakdowns equal the oracle's")
    func generatedCatalogue() throws {
        let dir = try TempDir("breakdowns")
        let input = dir.file("catalogue.csv")
        try generateCatalogue(["--tracks", "30000", "--seed", "7", "-o", input])
        let policies = try Self.policyIDs.map(BuiltInPolicies.policy)
        let report = try storedBreakdownScan(dir.db, inputs: [input], policies: policies)
        #expect(report.status == "completed" && report.rowsScanned == 30_000)
        let oracle = try referenceScan([input, "--no-rejects", "--by", "label", "--by", "artist"]
                                       + Self.policyIDs.flatMap { ["--policy", $0] })
        try Self.checkAgainstOracle(db: dir.db, run: report.runID, oracle: oracle, policies: Self.policyIDs)
        // Labels spelt in another case or padded in the export are one group: no key with
        // surrounding spaces (but a long one cut at 1,024 bytes may end in one), one key per
        // label whatever its case.
        let keys = try SQLite(dir.db, readOnly: true).lines("SELECT DISTINCT label FROM label_stats")
        #expect(keys.filter { $0.utf8.count < 1000 }.allSatisfy { $0.trimmingCharacters(in: .whitespaces) == $0 })
        #expect(Set(keys.map { $0.lowercased() }).count == keys.count, "one group per label whatever its case")
        // The long pasted-notice label is cut at 1,024 bytes on a character boundary.
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT max(length(CAST(label AS BLOB))) FROM label_stats") <= 1024)
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT max(length(CAST(label AS BLOB))) FROM label_stats") > 1000)
    }

    @Test("an export without label_status and its label map: statuses and breakdowns equal the oracle's; the run records the map")
    func labelMapCatalogue() throws {
        let dir = try TempDir("labelmap")
        let input = dir.file("catalogue.jsonl")
        // CSV: the generated YAML map is not YAML that libyaml reads — it writes the
        // catalogue's 1,100-byte label as a plain key, and YAML limits those to 1,024 characters.
        let map = dir.file("labels.csv")
        try generateCatalogue(["--tracks", "20000", "--seed", "3", "--no-label-status", "--write-label-map", map, "-o", input])
        let ids = Array(Self.policyIDs.prefix(2))
        let report = try storedBreakdownScan(dir.db, inputs: [input], policies: try ids.map(BuiltInPolicies.policy), labelMap: map)
        #expect(report.status == "completed" && report.rowsScanned == 20_000)
        let oracle = try referenceScan([input, "--no-rejects", "--label-map", map, "--by", "label", "--by", "artist"]
                                       + ids.flatMap { ["--policy", $0] })
        try Self.checkAgainstOracle(db: dir.db, run: report.runID, oracle: oracle, policies: ids)
        // The map gave the label statuses: the groups are the oracle's.
        let stored = try ResultsDatabase(path: dir.db, create: false).report(runID: report.runID)
        for policy in stored.policies {
            for group in ReportGroup.allCases {
                let expected = oracle["policies"]?[policy.id]?["groups"]?[group.rawValue]
                #expect(policy.group(group).tracks == expected?["tracks"]?.int, "\(policy.id) \(group.rawValue)")
                #expect(policy.group(group).anyTrainingExposed == expected?["any_training_exposed"]?.int, "\(policy.id) \(group.rawValue)")
            }
            #expect(policy.group(.major).tracks > 0 && policy.group(.licensed).tracks > 0, "the map named major and licensed labels")
        }
        let run = try SQLite(dir.db, readOnly: true).run(report.runID)
        #expect(run["label_map"]?.string == map)
        #expect(run["label_map_sha256"]?.string == (try sha256sum(map)))
    }

    @Test("labels that differ only after a NUL byte stay apart when the breakdown is read back")
    func nulInLabels() throws {
        let dir = try TempDir("nullabel")
        let input = try dir.write("n.csv", "track_id,label_status,label\n1,independent,x\n2,independent,x\u{0}y\n3,major,x\u{0}z\n")
        try storedBreakdownScan(dir.db, inputs: [input], policies: [try BuiltInPolicies.policy("soundcloud-2025-05")])
        let labels = try ResultsDatabase(path: dir.db, create: false).breakdown(runID: nil, by: .label)
        #expect(Set(storedBreakdownLines(labels, policy: "soundcloud-2025-05")) == ["x 1/1", "x\u{0}y 1/1", "x\u{0}z 1/0"])
    }
}
