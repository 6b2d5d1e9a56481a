import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
import PipelineTestSupport
import ScanTestSupport
import TestSupport

@Suite("contains_ai_stats: DDEX ContainsAI declarations per group, stored with the run (contract §1.5, §3)")
struct ContainsAIStatsTests {
    static let ddex = Paths.inRepository("Tests/Fixtures/ddex")

    @Test("a scan of the DDEX fixtures stores one row per group and declaration; they equal the scan's counts and add up to each group's tracks")
    func ddexRun() throws {
        let dir = try TempDir("containsai")
        let map = try dir.write("labels.csv", "label,label_status\nLowlight Records,independent\nAurora Sound,major\n")
        let policy = try BuiltInPolicies.policy("soundcloud-2025-05")
        let report = try storedBreakdownScan(dir.db, inputs: [Self.ddex], policies: [policy], labelMap: map)
        #expect(report.status == "completed")
        let rows = try SQLite(dir.db, readOnly: true).rows(
            "SELECT label_status, declared, tracks FROM contains_ai_stats WHERE run_id = \(report.runID)")
        #expect(rows.count == 5 * 4)
        var stored: [String: Int] = [:]
        for row in rows { stored["\(row["label_status"]?.string ?? "?") \(row["declared"]?.string ?? "?")"] = row["tracks"]?.int }

        // The same scan through the engine alone.
        var options = InputOptions()
        options.labelMap = try LabelMapLoader.load(file: map)
        let outcome = try scanTestRunPipeline(InputResolver.expand([Self.ddex]), policies: [policy], jobs: 1, options: options)
        for group in ReportGroup.allCases {
            var sum = 0
            for declared in [nil] + ContainsAI.allCases.map(Optional.some) {
                let key = "\(group.rawValue) \(declared?.key ?? "undeclared")"
                #expect(stored[key] == outcome.containsAI.count(label: group.labelStatus, declared: declared), "\(key)")
                sum += stored[key] ?? 0
            }
            let tracks = try SQLite(dir.db, readOnly: true).int("""
                SELECT tracks FROM group_exposure WHERE run_id = \(report.runID) AND label_status = '\(group.rawValue)'
                """)
            #expect(sum == tracks, "\(group.rawValue): the declarations add up to the group's tracks")
        }
        // The fixtures declare All, Partly (padded) and None once each; Mostly is no value.
        #expect(stored["all all"] == 1 && stored["all partly"] == 1 && stored["all none"] == 1)
        #expect(stored["independent all"] == 1, "Lowlight Records' tracks are independent by the map")
        // The report reads them back.
        let read = try #require(try ResultsDatabase(path: dir.db, create: false).report(runID: report.runID).containsAI)
        #expect(read == outcome.containsAI)
    }

    @Test("CSV and JSONL runs declare nothing: no rows, and the report has no contains_ai")
    func csvRun() throws {
        let dir = try TempDir("containsai")
        let csv = try dir.write("a.csv", "track_id,label_status,label\na,major,Sony\nb,independent,\n")
        let jsonl = try dir.write("b.jsonl", "{\"track_id\":\"c\",\"label_status\":\"unknown\",\"ContainsAI\":\"All\",\"contains_ai\":\"All\"}\n")
        let report = try scanTestScan(dir.db, inputs: [csv, jsonl], policies: [try BuiltInPolicies.policy("soundcloud-2025-05")])
        #expect(report.rowsScanned == 3)
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM contains_ai_stats") == 0)
        #expect(try ResultsDatabase(path: dir.db, create: false).report(runID: report.runID).containsAI == nil)
    }
}
