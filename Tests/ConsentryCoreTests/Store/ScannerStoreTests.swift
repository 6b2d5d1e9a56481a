import Foundation
import Testing
@testable import ConsentryCore

@Suite("Scanner + ResultsDatabase: run lifecycle and stored rows (SPEC §4)")
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

    func inputs(_ dir: ScanTestDir) throws -> [String] {
        [try dir.write("a.csv", ScanTestInputs.csvHeaderFixed(Self.csv)),
         try dir.write("b.jsonl.gz", try scanTestGzip(Array(Self.jsonl.utf8)))]
    }

    @Test("a completed run: runs, run_inputs, run_policies, group_stats, verdicts and rejects rows; report equals the computation")
    func completedRun() throws {
        let dir = try ScanTestDir("store")
        let paths = try inputs(dir)
        let policies = try scanTestPolicies(policyIDs)
        let report = try scanTestScan(dir.db, inputs: paths, policies: policies)
        let computed = try scanTestRunPipeline(paths, policies: policies, jobs: 1, chunkBytes: 1 << 20)

        // runs
        let runs = try scanTestSQL(dir.db, "SELECT * FROM runs")
        #expect(runs.count == 1)
        let run = try #require(runs.first)
        #expect((run["id"] as? NSNumber)?.int64Value == report.runID)
        #expect(run["status"] as? String == "completed")
        #expect(run["error"] is NSNull)
        #expect(scanTestInt(run["rows_read"]) == computed.rowsRead)
        #expect(scanTestInt(run["rows_scanned"]) == computed.rowsScanned)
        #expect(scanTestInt(run["rows_rejected"]) == computed.rowsRejected)
        #expect(computed.rowsRead == 13 && computed.rowsRejected == 5)
        #expect(run["tool_version"] as? String == ConsentryVersion.current)
        let isoUTC = try Regex(#"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"#)
        let started = try #require(run["started_at"] as? String)
        let finished = try #require(run["finished_at"] as? String)
        #expect(started.wholeMatch(of: isoUTC) != nil, "\(started)")
        #expect(finished.wholeMatch(of: isoUTC) != nil, "\(finished)")
        #expect(started <= finished)

        // run_inputs: raw (compressed) bytes and their sha256
        let inputRows = try scanTestSQL(dir.db, "SELECT * FROM run_inputs WHERE run_id = \(report.runID) ORDER BY input_index")
        #expect(inputRows.count == 2)
        for (row, path) in zip(inputRows, paths) {
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
            #expect(row["path"] as? String == path)
            #expect(scanTestInt(row["bytes"]) == size)
            #expect(row["sha256"] as? String == (try scanTestSHA256(path)))
        }
        #expect(inputRows.map { $0["format"] as? String } == ["csv", "jsonl"])
        #expect(inputRows.map { $0["compression"] as? String } == ["none", "gzip"])

        // run_policies
        let policyRows = try scanTestSQL(dir.db, "SELECT * FROM run_policies WHERE run_id = \(report.runID) ORDER BY policy_index")
        #expect(policyRows.map { $0["policy_id"] as? String } == policyIDs)
        for (row, policy) in zip(policyRows, policies) {
            #expect(row["policy_sha256"] as? String == policy.sha256)
            #expect(row["policy_source"] as? String == policy.yaml)
        }

        // group_stats: every policy × group (all included) × use, with the computed counts
        let stats = try scanTestSQL(dir.db, "SELECT * FROM group_stats WHERE run_id = \(report.runID)")
        #expect(stats.count == policies.count * ReportGroup.allCases.count * AIUse.allCases.count)
        for (p, policy) in policies.enumerated() {
            for group in ReportGroup.allCases {
                let expected = computed.statistics.group(policy: p, label: group.labelStatus)
                for use in AIUse.allCases {
                    let row = stats.first { $0["policy_id"] as? String == policy.id && $0["label_status"] as? String == group.rawValue && $0["use"] as? String == use.name }
                    #expect(row != nil, "\(policy.id) \(group.rawValue) \(use.name)")
                    guard let row else { continue }
                    #expect(scanTestInt(row["tracks"]) == expected.tracks)
                    #expect(scanTestInt(row["exposed"]) == expected.count(use, .exposed))
                    #expect(scanTestInt(row["consented"]) == expected.count(use, .consented))
                    #expect(scanTestInt(row["blocked"]) == expected.count(use, .blocked))
                }
            }
        }

        // verdicts and rejects
        #expect(try scanTestSQLInt(dir.db, "SELECT count(*) FROM verdicts WHERE run_id = \(report.runID)") == computed.rowsScanned * policies.count)
        let storedIDs = try scanTestSQL(dir.db, "SELECT DISTINCT track_id FROM verdicts WHERE run_id = \(report.runID)").compactMap { $0["track_id"] as? String }
        #expect(Set(storedIDs) == Set(computed.tracks.map(\.id)))
        let rejectRows = try scanTestSQL(dir.db, "SELECT input, line, byte_offset, code, \"column\", excerpt FROM rejects WHERE run_id = \(report.runID) ORDER BY rowid")
        #expect(rejectRows.map { "\($0["input"] as? String ?? "?"):\(scanTestInt($0["line"]) ?? -1)@\(scanTestInt($0["byte_offset"]) ?? -1) \($0["code"] as? String ?? "?") \($0["column"] as? String ?? "-")" }
                == scanTestOutcomeRejects(computed))
        #expect(rejectRows.map { $0["excerpt"] as? String } == computed.rejects.map(\.excerpt))

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
        let dir = try ScanTestDir("store")
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
        let rows = try scanTestSQL(dir.db, "SELECT track_id, packed >> 34 AS policy_index FROM verdicts WHERE run_id = \(report.runID)")
        let ids = Set(rows.compactMap { $0["track_id"] as? String })
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
        #expect(try scanTestSQL(dir.db, "SELECT store_mode FROM runs WHERE id = \(report.runID)").first?["store_mode"] as? String == mode.rawValue)
        // Statistics and rejects do not depend on the store mode.
        #expect(report.rowsScanned == 9 && report.rowsRejected == 2)
        #expect(try scanTestSQLInt(dir.db, "SELECT count(*) FROM rejects WHERE run_id = \(report.runID)") == 2)
        let all = report.policies[0].group(.all)
        #expect(all.tracks == 9)
        #expect(all.anyTrainingExposed == 2) // i1 (both trainings) and i3 (ai_training)
        #expect(all.count(.aiInference, .exposed) == 4) // l1, i1, i3, u1

        // With a second policy that exposes inference for everyone, `exposed` keeps every
        // track, with all of its policies' rows.
        let dir2 = try ScanTestDir("store")
        let path2 = try dir2.write("s.csv", csv)
        let two = try scanTestScan(dir2.db, inputs: [path2], policies: [strict, try BuiltInPolicies.policy("soundcloud-2025-05")], store: mode)
        let count2 = try scanTestSQLInt(dir2.db, "SELECT count(*) FROM verdicts WHERE run_id = \(two.runID)")
        #expect(count2 == (mode == .none ? 0 : 18))
    }

    @Test("report(runID: nil) is the latest completed run; unknown ids and empty databases are runNotFound")
    func latestCompleted() throws {
        let dir = try ScanTestDir("store")
        let empty = try ResultsDatabase(path: dir.db, create: true)
        let none = scanTestCatch { try empty.report(runID: nil) } as? StoreError
        #expect(none?.kind == .runNotFound)

        let a = try dir.write("a.csv", "track_id,label_status\na1,independent\n")
        let b = try dir.write("b.csv", "track_id,label_status\nb1,major\nb2,independent\n")
        let first = try scanTestScan(dir.db, inputs: [a], policies: try scanTestPolicies(["soundcloud-2025-05"]))
        let second = try scanTestScan(dir.db, inputs: [b], policies: try scanTestPolicies(["soundcloud-2025-05"]))
        // A failed run after them is not "latest completed".
        let missing = dir.file("missing.csv")
        #expect(scanTestCatch { try scanTestScan(dir.db, inputs: [missing], policies: try scanTestPolicies(["soundcloud-2025-05"])) } is InputError)
        let database = try ResultsDatabase(path: dir.db, create: false)
        let latest = try database.report(runID: nil)
        #expect(latest.runID == second.runID)
        #expect(latest == second)
        #expect(try database.report(runID: first.runID) == first)
        #expect(first.runID < second.runID)
        #expect(try database.runs().map(\.status) == ["failed", "completed", "completed"])
        let unknown = scanTestCatch { try database.report(runID: 999) } as? StoreError
        #expect(unknown?.kind == .runNotFound)
    }

    @Test("a truncated gzip input fails the run: status failed with the error text, no rows of it, earlier runs untouched",
          arguments: [false, true])
    func failedRun(truncatedFirst: Bool) throws {
        let dir = try ScanTestDir("store")
        let policies = try scanTestPolicies(policyIDs)
        let good = try dir.write("good.csv", ScanTestInputs.csvHeaderFixed(Self.csv))
        let earlier = try scanTestScan(dir.db, inputs: [good], policies: policies)
        let earlierCounts = try scanTestRunRowCounts(dir.db, run: earlier.runID)
        let earlierRun = try scanTestSQL(dir.db, "SELECT * FROM runs WHERE id = \(earlier.runID)").map(scanTestRowText)

        var big = "track_id,label_status,genai_opt_in,title\n"
        for i in 0..<3_000 { big += "g\(i),\(ScanTestInputs.labels[i % 4]),\(i % 3 == 0 ? "yes" : "bad"),title \(i)\n" }
        let gz = try scanTestGzip(Array(big.utf8))
        let truncated = try dir.write("cut.csv.gz", Array(gz.dropLast(10)))
        let other = try dir.write("other.csv", "track_id,label_status\nz1,major\n")
        let inputs = truncatedFirst ? [truncated, other] : [other, truncated]

        let error = scanTestCatch { try scanTestScan(dir.db, inputs: inputs, policies: policies, chunkBytes: 256) }
        let inputError = try #require(error as? InputError, "\(String(describing: error))")
        #expect(inputError.file == truncated)
        #expect([InputError.Code.gzipTruncated, .gzipCorrupt].contains(inputError.kind), "\(inputError.kind)")

        let runs = try scanTestSQL(dir.db, "SELECT * FROM runs ORDER BY id")
        #expect(runs.count == 2)
        let failed = try #require(runs.last)
        let failedID = try #require((failed["id"] as? NSNumber)?.int64Value)
        #expect(failed["status"] as? String == "failed")
        #expect(failed["error"] as? String == inputError.description)
        #expect((failed["error"] as? String)?.contains("cut.csv.gz") == true)
        #expect(!(failed["finished_at"] is NSNull))
        let counts = try scanTestRunRowCounts(dir.db, run: failedID)
        #expect(counts.values.allSatisfy { $0 == 0 }, "\(counts)")
        #expect(try scanTestRunRowCounts(dir.db, run: earlier.runID) == earlierCounts)
        #expect(try scanTestSQL(dir.db, "SELECT * FROM runs WHERE id = \(earlier.runID)").map(scanTestRowText) == earlierRun)
        let database = try ResultsDatabase(path: dir.db, create: false)
        #expect(try database.report(runID: nil) == earlier)
        let failedReport = try database.report(runID: failedID)
        #expect(failedReport.status == "failed")
        #expect(failedReport.policies.isEmpty)
    }

    @Test("an interrupted scan (cancelled) is marked failed with the signal's message and keeps no rows")
    func cancelledScan() throws {
        let dir = try ScanTestDir("store")
        let a = try dir.write("a.csv", ScanTestInputs.csvHeaderFixed(Self.csv))
        let earlier = try scanTestScan(dir.db, inputs: [a], policies: try scanTestPolicies(policyIDs))
        let cancellation = Cancellation()
        cancellation.cancel(ScanInterrupted(signal: SIGINT))
        var request = ScanRequest(inputs: [a], policies: try scanTestPolicies(policyIDs), databasePath: dir.db)
        request.jobs = 2
        request.input.chunkBytes = 16
        let error = scanTestCatch { try Scanner.run(request, cancellation: cancellation) }
        let interrupted = try #require(error as? ScanInterrupted, "\(String(describing: error))")
        #expect(interrupted.signal == SIGINT)
        let runs = try scanTestSQL(dir.db, "SELECT id, status, error FROM runs ORDER BY id")
        #expect(runs.count == 2)
        #expect(runs.last?["status"] as? String == "failed")
        #expect((runs.last?["error"] as? String)?.contains("SIGINT") == true)
        let failedID = try #require((runs.last?["id"] as? NSNumber)?.int64Value)
        #expect(try scanTestRunRowCounts(dir.db, run: failedID).values.allSatisfy { $0 == 0 })
        #expect(try ResultsDatabase(path: dir.db, create: false).report(runID: nil) == earlier)
    }

    @Test("markInterruptedRuns marks a run left running as failed 'interrupted'; the next scan does it too")
    func interrupted() throws {
        let dir = try ScanTestDir("store")
        let a = try dir.write("a.csv", "track_id,label_status\na1,independent\n")
        let completed = try scanTestScan(dir.db, inputs: [a], policies: try scanTestPolicies(["soundcloud-2025-05"]))
        do {
            let database = try ResultsDatabase(path: dir.db, create: false)
            let running = try database.startRun(toolVersion: "test", storeMode: .all, commandLine: "killed")
            #expect(try scanTestSQL(dir.db, "SELECT status FROM runs WHERE id = \(running)").first?["status"] as? String == "running")
            let again = try ResultsDatabase(path: dir.db, create: false)
            #expect(try again.markInterruptedRuns() == [running])
            let row = try #require(try scanTestSQL(dir.db, "SELECT * FROM runs WHERE id = \(running)").first)
            #expect(row["status"] as? String == "failed")
            #expect(row["error"] as? String == "interrupted")
            #expect(!(row["finished_at"] is NSNull))
            #expect(try again.markInterruptedRuns() == [])
        }
        // A leftover `running` row is marked by the next scan.
        let database = try ResultsDatabase(path: dir.db, create: false)
        let leftover = try database.startRun(toolVersion: "test", storeMode: .none, commandLine: "killed too")
        let next = try scanTestScan(dir.db, inputs: [a], policies: try scanTestPolicies(["soundcloud-2025-05"]))
        let statuses = try scanTestSQL(dir.db, "SELECT id, status, error FROM runs ORDER BY id")
        #expect(statuses.map { $0["status"] as? String } == ["completed", "failed", "failed", "completed"])
        #expect(statuses.compactMap { $0["error"] as? String } == ["interrupted", "interrupted"])
        #expect((statuses[2]["id"] as? NSNumber)?.int64Value == leftover)
        #expect(try database.report(runID: completed.runID) == completed)
        #expect(next.status == "completed")
    }
}

extension ScanTestInputs {
    /// Multi-line string literals in these tests have no indentation problems; this only
    /// guarantees the text ends with a line break.
    static func csvHeaderFixed(_ text: String) -> String { text.hasSuffix("\n") ? text : text + "\n" }
}
