import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
import PipelineTestSupport
import ScanTestSupport
import TestSupport

@Suite("Scanner + ResultsDatabase: run lifecycle and stored rows (contract §4)")
struct ScannerStoreTests {
    static let csv = """
        track_id,label_status,genai_opt_in,ai_opt_out,no_ai_tag,title
        s1,independent,,,,one
        s2,major,yes,,,"two
        lines"
        s3,licensed,,yes,,three
        s4,unknown,yes,yes,yes,four
        s5,bogus,,,,rejected label
        s1,major,,,,duplicate
        s6,Unsigned,no,yes,,six
        s7,independent,maybe,,,bad boolean

        """

    static let jsonl = """
        {"track_id":"j1","label_status":"independent","genai_opt_in":true}
        {"track_id":"s2","label_status":"independent"}
        not json
        {"track_id":"j2","label_status":"major","ai_opt_out":"yes"}
        {"track_id":"s5","label_status":"licensed"}

        """

    let policyIDs = ["soundcloud-2025-05", "soundcloud-opt-out"]

    func inputs(_ dir: TempDir) throws -> [String] {
        [try dir.write("a.csv", csvHeaderFixed(Self.csv)),
         try dir.write("b.jsonl.gz", try gzip(Array(Self.jsonl.utf8)))]
    }

    @Test("a completed run: runs, run_inputs, run_policies, group_stats, verdicts and rejects rows; report equals the computation")
    func completedRun() throws {
        let dir = try TempDir("store")
        let paths = try inputs(dir)
        let policies = try policyIDs.map(BuiltInPolicies.policy)
        let report = try scanTestScan(dir.db, inputs: paths, policies: policies)
        let computed = try scanTestRunPipeline(paths, policies: policies, jobs: 1, chunkBytes: 1 << 20)

        // runs
        let runs = try SQLite(dir.db, readOnly: true).rows("SELECT * FROM runs")
        #expect(runs.count == 1)
        let run = try #require(runs.first)
        #expect(run["id"]?.int64 == report.runID)
        #expect(run["status"]?.string == "completed")
        #expect(run["error"]?.isNull == true)
        #expect(run["rows_read"]?.int == computed.rowsRead)
        #expect(run["rows_scanned"]?.int == computed.rowsScanned)
        #expect(run["rows_rejected"]?.int == computed.rowsRejected)
        #expect(computed.rowsRead == 13 && computed.rowsRejected == 5)
        #expect(run["tool_version"]?.string == ConsentryVersion.current)
        let isoUTC = try Regex(#"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"#)
        let started = try #require(run["started_at"]?.string)
        let finished = try #require(run["finished_at"]?.string)
        #expect(started.wholeMatch(of: isoUTC) != nil, "\(started)")
        #expect(finished.wholeMatch(of: isoUTC) != nil, "\(finished)")
        #expect(started <= finished)

        // run_inputs: raw (compressed) bytes and their sha256
        let inputRows = try SQLite(dir.db, readOnly: true).rows("SELECT * FROM run_inputs WHERE run_id = \(report.runID) ORDER BY input_index")
        #expect(inputRows.count == 2)
        for (row, path) in zip(inputRows, paths) {
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
            #expect(row["path"]?.string == path)
            #expect(row["bytes"]?.int == size)
            #expect(row["sha256"]?.string == (try sha256sum(path)))
        }
        #expect(inputRows.map { $0["format"]?.string } == ["csv", "jsonl"])
        #expect(inputRows.map { $0["compression"]?.string } == ["none", "gzip"])

        // run_policies
        let policyRows = try SQLite(dir.db, readOnly: true).rows("SELECT * FROM run_policies WHERE run_id = \(report.runID) ORDER BY policy_index")
        #expect(policyRows.map { $0["policy_id"]?.string } == policyIDs)
        for (row, policy) in zip(policyRows, policies) {
            #expect(row["policy_sha256"]?.string == policy.sha256)
            #expect(row["policy_source"]?.string == policy.yaml)
        }

        // group_stats: every policy × group (all included) × use, with the computed counts
        let stats = try SQLite(dir.db, readOnly: true).rows("SELECT * FROM group_stats WHERE run_id = \(report.runID)")
        #expect(stats.count == policies.count * ReportGroup.allCases.count * AIUse.allCases.count)
        for (p, policy) in policies.enumerated() {
            for group in ReportGroup.allCases {
                let expected = computed.statistics.group(policy: p, label: group.labelStatus)
                for use in AIUse.allCases {
                    let row = stats.first { $0["policy_id"]?.string == policy.id && $0["label_status"]?.string == group.rawValue && $0["use"]?.string == use.name }
                    #expect(row != nil, "\(policy.id) \(group.rawValue) \(use.name)")
                    guard let row else { continue }
                    #expect(row["tracks"]?.int == expected.tracks)
                    #expect(row["exposed"]?.int == expected.count(use, .exposed))
                    #expect(row["consented"]?.int == expected.count(use, .consented))
                    #expect(row["blocked"]?.int == expected.count(use, .blocked))
                }
            }
        }

        // verdicts and rejects
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM verdicts_readable WHERE run_id = \(report.runID)") == computed.rowsScanned * policies.count * 4)
        let storedIDs = try SQLite(dir.db, readOnly: true).rows("SELECT DISTINCT track_id FROM verdicts_readable WHERE run_id = \(report.runID)").compactMap { $0["track_id"]?.string }
        #expect(Set(storedIDs) == Set(computed.tracks.map(\.id)))
        let rejectRows = try SQLite(dir.db, readOnly: true).rows("SELECT input, line, byte_offset, code, \"column\", excerpt FROM rejects WHERE run_id = \(report.runID) ORDER BY input_index, byte_offset")
        #expect(rejectRows.map { "\($0["input"]?.string ?? "?"):\($0["line"]?.int ?? -1)@\($0["byte_offset"]?.int ?? -1) \($0["code"]?.string ?? "?") \($0["column"]?.string ?? "-")" }
                == scanTestOutcomeRejects(computed))
        #expect(rejectRows.map { $0["excerpt"]?.string } == computed.rejects.map(\.excerpt))

        // the report
        #expect(report.status == "completed")
        #expect(report.error == nil)
        #expect(report.rowsRead == computed.rowsRead)
        #expect(report.rowsScanned == computed.rowsScanned)
        #expect(report.rowsRejected == computed.rowsRejected)
        #expect(report.rejectsByCode == computed.rejectsByCode)
        #expect(report.inputs == computed.inputs)
        #expect(report.policies.map(\.id) == policyIDs)
        for (p, policyReport) in report.policies.enumerated() {
            let headline = Headline(statistics: computed.statistics, policy: p)
            #expect(policyReport.independentExposedShare == headline.independent)
            #expect(policyReport.labelledExposedShare == headline.labelled)
            #expect(policyReport.exposureGap == headline.gap)
            #expect(policyReport.title == policies[p].title)
            for group in ReportGroup.allCases {
                #expect(policyReport.group(group) == computed.statistics.group(policy: p, label: group.labelStatus),
                        "\(policyReport.id) \(group.rawValue)")
            }
        }
        let database = try ResultsDatabase(path: dir.db, create: false)
        #expect(try database.report(runID: report.runID) == report)
        #expect(try database.report(runID: nil) == report)
    }

    @Test("--store all / exposed / none keeps the right verdict rows and the same statistics", arguments: StoreMode.allCases)
    func storeModes(mode: StoreMode) throws {
        let dir = try TempDir("store")
        let csv = """
            track_id,label_status,genai_opt_in,ai_opt_out,no_ai_tag
            m1,major,,,
            m2,major,yes,yes,yes
            l1,licensed,,,
            l2,licensed,,,yes
            i1,independent,,,
            i2,independent,,yes,yes
            i3,independent,yes,,
            u1,unknown,,yes,
            u2,,,yes,yes
            x1,nope,,,
            i1,major,,,

            """
        let path = try dir.write("s.csv", csv)
        let strict = try scanTestStrictPolicy()
        let report = try scanTestScan(dir.db, inputs: [path], policies: [strict], store: mode)
        let rows = try SQLite(dir.db, readOnly: true).rows("SELECT DISTINCT track_id, policy_id FROM verdicts_readable WHERE run_id = \(report.runID)")
        let ids = Set(rows.compactMap { $0["track_id"]?.string })
        switch mode {
        case .all:
            #expect(rows.count == 9)
            #expect(ids == ["m1", "m2", "l1", "l2", "i1", "i2", "i3", "u1", "u2"])
        case .exposed:
            #expect(rows.count == 4)
            #expect(ids == ["l1", "i1", "i3", "u1"])
        case .none:
            #expect(rows.isEmpty)
        }
        #expect(try SQLite(dir.db, readOnly: true).rows("SELECT store_mode FROM runs WHERE id = \(report.runID)").first?["store_mode"]?.string == mode.rawValue)
        // Statistics and rejects do not depend on the store mode.
        #expect(report.rowsScanned == 9 && report.rowsRejected == 2)
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM rejects WHERE run_id = \(report.runID)") == 2)
        let all = report.policies[0].group(.all)
        #expect(all.tracks == 9)
        #expect(all.anyTrainingExposed == 2) // i1 (both trainings) and i3 (ai_training)
        #expect(all.count(.aiInference, .exposed) == 4) // l1, i1, i3, u1

        // With a second policy that exposes inference for everyone, `exposed` keeps every
        // track, with all of its policies' rows.
        let dir2 = try TempDir("store")
        let path2 = try dir2.write("s.csv", csv)
        let two = try scanTestScan(dir2.db, inputs: [path2], policies: [strict, try BuiltInPolicies.policy("soundcloud-2025-05")], store: mode)
        let count2 = try SQLite(dir2.db, readOnly: true).int("SELECT count(*) FROM (SELECT DISTINCT track_id, policy_id FROM verdicts_readable WHERE run_id = \(two.runID))")
        #expect(count2 == (mode == .none ? 0 : 18))
    }

    @Test("report(runID: nil) is the latest completed run; unknown ids and empty databases are runNotFound")
    func latestCompleted() throws {
        let dir = try TempDir("store")
        let empty = try ResultsDatabase(path: dir.db, create: true)
        let none = thrownError { try empty.report(runID: nil) } as? StoreError
        #expect(none?.kind == .runNotFound)

        let a = try dir.write("a.csv", "track_id,label_status\na1,independent\n")
        let b = try dir.write("b.csv", "track_id,label_status\nb1,major\nb2,independent\n")
        let first = try scanTestScan(dir.db, inputs: [a], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy))
        let second = try scanTestScan(dir.db, inputs: [b], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy))
        // A failed run after them is not "latest completed".
        let missing = dir.file("missing.csv")
        #expect(thrownError { try scanTestScan(dir.db, inputs: [missing], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy)) } is InputError)
        let database = try ResultsDatabase(path: dir.db, create: false)
        let latest = try database.report(runID: nil)
        #expect(latest.runID == second.runID)
        #expect(latest == second)
        #expect(try database.report(runID: first.runID) == first)
        #expect(first.runID < second.runID)
        #expect(try database.runs().map(\.status) == ["failed", "completed", "completed"])
        let unknown = thrownError { try database.report(runID: 999) } as? StoreError
        #expect(unknown?.kind == .runNotFound)
    }

    @Test("a truncated gzip input fails the run: status failed with the error text, no rows of it, earlier runs untouched",
          arguments: [false, true])
    func failedRun(truncatedFirst: Bool) throws {
        let dir = try TempDir("store")
        let policies = try policyIDs.map(BuiltInPolicies.policy)
        let good = try dir.write("good.csv", csvHeaderFixed(Self.csv))
        let earlier = try scanTestScan(dir.db, inputs: [good], policies: policies)
        let earlierCounts = try SQLite(dir.db, readOnly: true).rowCounts(run: earlier.runID)
        let earlierRun = try SQLite(dir.db, readOnly: true).rows("SELECT * FROM runs WHERE id = \(earlier.runID)").map(scanTestRowText)

        var big = "track_id,label_status,genai_opt_in,title\n"
        for i in 0..<3_000 { big += "g\(i),\(["independent", "major", "licensed", "unknown"][i % 4]),\(i % 3 == 0 ? "yes" : "bad"),title \(i)\n" }
        let gz = try gzip(Array(big.utf8))
        let truncated = try dir.write("cut.csv.gz", Array(gz.dropLast(10)))
        let other = try dir.write("other.csv", "track_id,label_status\nz1,major\n")
        let inputs = truncatedFirst ? [truncated, other] : [other, truncated]

        let error = thrownError { try scanTestScan(dir.db, inputs: inputs, policies: policies, chunkBytes: 256) }
        let inputError = try #require(error as? InputError, "\(String(describing: error))")
        #expect(inputError.file == truncated)
        #expect([InputError.Code.gzipTruncated, .gzipCorrupt].contains(inputError.kind), "\(inputError.kind)")

        let runs = try SQLite(dir.db, readOnly: true).rows("SELECT * FROM runs ORDER BY id")
        #expect(runs.count == 2)
        let failed = try #require(runs.last)
        let failedID = try #require(failed["id"]?.int64)
        #expect(failed["status"]?.string == "failed")
        #expect(failed["error"]?.string == inputError.description)
        #expect((failed["error"]?.string)?.contains("cut.csv.gz") == true)
        #expect(failed["finished_at"]?.isNull == false)
        let counts = try SQLite(dir.db, readOnly: true).rowCounts(run: failedID)
        #expect(counts.values.allSatisfy { $0 == 0 }, "\(counts)")
        #expect(try SQLite(dir.db, readOnly: true).rowCounts(run: earlier.runID) == earlierCounts)
        #expect(try SQLite(dir.db, readOnly: true).rows("SELECT * FROM runs WHERE id = \(earlier.runID)").map(scanTestRowText) == earlierRun)
        let database = try ResultsDatabase(path: dir.db, create: false)
        #expect(try database.report(runID: nil) == earlier)
        let failedReport = try database.report(runID: failedID)
        #expect(failedReport.status == "failed")
        #expect(failedReport.policies.isEmpty)
    }

    @Test("an interrupted scan (cancelled) is marked failed with the signal's message and keeps no rows")
    func cancelledScan() throws {
        let dir = try TempDir("store")
        let a = try dir.write("a.csv", csvHeaderFixed(Self.csv))
        let earlier = try scanTestScan(dir.db, inputs: [a], policies: try policyIDs.map(BuiltInPolicies.policy))
        let cancellation = Cancellation()
        cancellation.cancel(ScanInterrupted(signal: SIGINT))
        var request = ScanRequest(inputs: [a], policies: try policyIDs.map(BuiltInPolicies.policy), databasePath: dir.db)
        request.jobs = 2
        request.input.chunkBytes = 16
        let error = thrownError { try Scanner.run(request, cancellation: cancellation) }
        let interrupted = try #require(error as? ScanInterrupted, "\(String(describing: error))")
        #expect(interrupted.signal == SIGINT)
        let runs = try SQLite(dir.db, readOnly: true).rows("SELECT id, status, error FROM runs ORDER BY id")
        #expect(runs.count == 2)
        #expect(runs.last?["status"]?.string == "failed")
        #expect((runs.last?["error"]?.string)?.contains("SIGINT") == true)
        let failedID = try #require(runs.last?["id"]?.int64)
        #expect(try SQLite(dir.db, readOnly: true).rowCounts(run: failedID).values.allSatisfy { $0 == 0 })
        #expect(try ResultsDatabase(path: dir.db, create: false).report(runID: nil) == earlier)
    }

    @Test("markInterruptedRuns marks a run left running as failed 'interrupted'; the next scan does it too")
    func interrupted() throws {
        let dir = try TempDir("store")
        let a = try dir.write("a.csv", "track_id,label_status\na1,independent\n")
        let completed = try scanTestScan(dir.db, inputs: [a], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy))
        do {
            let database = try ResultsDatabase(path: dir.db, create: false)
            let running = try database.startRun(toolVersion: "test", storeMode: .all, commandLine: "killed")
            #expect(try SQLite(dir.db, readOnly: true).rows("SELECT status FROM runs WHERE id = \(running)").first?["status"]?.string == "running")
            let again = try ResultsDatabase(path: dir.db, create: false)
            #expect(try again.markInterruptedRuns() == [running])
            let row = try #require(try SQLite(dir.db, readOnly: true).rows("SELECT * FROM runs WHERE id = \(running)").first)
            #expect(row["status"]?.string == "failed")
            #expect(row["error"]?.string == "interrupted")
            #expect(row["finished_at"]?.isNull == false)
            #expect(try again.markInterruptedRuns() == [])
        }
        // A leftover `running` row is marked by the next scan.
        let database = try ResultsDatabase(path: dir.db, create: false)
        let leftover = try database.startRun(toolVersion: "test", storeMode: .none, commandLine: "killed too")
        let next = try scanTestScan(dir.db, inputs: [a], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy))
        let statuses = try SQLite(dir.db, readOnly: true).rows("SELECT id, status, error FROM runs ORDER BY id")
        #expect(statuses.map { $0["status"]?.string } == ["completed", "failed", "failed", "completed"])
        #expect(statuses.compactMap { $0["error"]?.string } == ["interrupted", "interrupted"])
        #expect(statuses[2]["id"]?.int64 == leftover)
        #expect(try database.report(runID: completed.runID) == completed)
        #expect(next.status == "completed")
    }
}

/// Multi-line string literals in these tests have no indentation problems; this only
/// guarantees the text ends with a line break.
private func csvHeaderFixed(_ text: String) -> String { text.hasSuffix("\n") ? text : text + "\n" }
