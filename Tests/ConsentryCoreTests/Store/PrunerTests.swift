import Foundation
import Testing
@testable import ConsentryCore

@Suite("prune: per-track rows of old runs go, statistics stay")
struct PrunerTests {
    static let csv = """
        track_id,label_status,genai_opt_in
        a,independent,
        b,major,
        c,independent,yes
        c,independent,
        d,signed,

        """

    /// Three completed runs (two rejects each), one failed run in between.
    static func runs(_ dir: ScanTestDir) throws {
        let input = try dir.write("n.csv", csv)
        let policies = try scanTestPolicies(["soundcloud-2025-05", "soundcloud-opt-out"])
        try scanTestScan(dir.db, inputs: [input], policies: policies)
        try scanTestScan(dir.db, inputs: [input], policies: policies)
        _ = scanTestCatch { try scanTestScan(dir.db, inputs: [dir.file("missing.csv")], policies: policies) }
        try scanTestScan(dir.db, inputs: [input], policies: policies)
    }

    @Test("--keep 1 deletes the verdict and reject rows of the older completed runs and nothing else")
    func keepOne() throws {
        let dir = try ScanTestDir("prune")
        try Self.runs(dir)
        let before = try ResultsDatabase(path: dir.db, create: false).report(runID: 1)
        let result = try Pruner.prune(databasePath: dir.db, keep: 1)
        #expect(result.prunedRuns == [1, 2])
        #expect(result.verdictRows == 2 * 3 * 2, "2 runs × 3 scanned tracks × 2 policies")
        #expect(result.rejectRows == 2 * 2)
        #expect(result.vacuumError == nil)
        for run in [1, 2] {
            #expect(try scanTestSQLInt(dir.db, "SELECT count(*) FROM verdicts WHERE run_id = \(run)") == 0)
            #expect(try scanTestSQLInt(dir.db, "SELECT count(*) FROM rejects WHERE run_id = \(run)") == 0)
            #expect(try scanTestSQLInt(dir.db, "SELECT pruned_at IS NOT NULL FROM runs WHERE id = \(run)") == 1)
        }
        #expect(try scanTestSQLInt(dir.db, "SELECT count(*) FROM verdicts WHERE run_id = 4") == 6)
        #expect(try scanTestSQLInt(dir.db, "SELECT count(*) FROM rejects WHERE run_id = 4") == 2)
        #expect(try scanTestSQLInt(dir.db, "SELECT pruned_at IS NULL FROM runs WHERE id = 4") == 1)
        // Statistics, transitions and trends stay.
        let db = try ResultsDatabase(path: dir.db, create: false)
        #expect(try db.report(runID: 1) == before)
        #expect(try db.trend(policyID: "soundcloud-2025-05", last: 10).count == 3)
        #expect(try scanTestSQLInt(dir.db, "SELECT count(*) FROM policy_transitions WHERE run_id = 1") > 0)
        #expect(try db.runs().first { $0.id == 1 }?.prunedAt != nil)
        #expect((try scanTestSQL(dir.db, "PRAGMA integrity_check")).first?.values.first as? String == "ok")
        // A pruned run cannot be diffed; the kept one still diffs with itself.
        let e = scanTestCatch { try db.diff(runA: 1, runB: 4, policy: nil, limit: 1) } as? StoreError
        #expect(e?.message.contains("consentry prune") == true)
        #expect(try db.diff(runA: 4, runB: 4, policy: nil, limit: 1).unchanged == 3)
        // Pruning again finds nothing; a later scan's rows stay contiguous and readable.
        #expect(try Pruner.prune(databasePath: dir.db, keep: 1).prunedRuns.isEmpty)
        try scanTestScan(dir.db, inputs: [dir.file("n.csv")], policies: try scanTestPolicies(["soundcloud-2025-05"]))
        #expect(try db.diff(runA: 4, runB: 5, policy: nil, limit: 1).unchanged == 3)
    }

    @Test("--dry-run counts without deleting; --keep 0 prunes every run; keep larger than the runs prunes none")
    func dryRunAndBounds() throws {
        let dir = try ScanTestDir("prunedry")
        try Self.runs(dir)
        let dry = try Pruner.prune(databasePath: dir.db, keep: 0, dryRun: true)
        #expect(dry.prunedRuns == [1, 2, 4])
        #expect(dry.verdictRows == 18)
        #expect(try scanTestSQLInt(dir.db, "SELECT count(*) FROM verdicts") == 18)
        #expect(try scanTestSQLInt(dir.db, "SELECT count(*) FROM runs WHERE pruned_at IS NOT NULL") == 0)
        #expect(try Pruner.prune(databasePath: dir.db, keep: 5).prunedRuns.isEmpty)
        let all = try Pruner.prune(databasePath: dir.db, keep: 0)
        #expect(all.prunedRuns == [1, 2, 4])
        #expect(try scanTestSQLInt(dir.db, "SELECT count(*) FROM verdicts") == 0)
        #expect(try scanTestSQLInt(dir.db, "SELECT count(*) FROM rejects") == 0)
    }

    @Test("a run without verdict rows records an empty range: prune and diff never fall back to run_id")
    func emptyRange() throws {
        let dir = try ScanTestDir("pruneempty")
        let input = try dir.write("n.csv", Self.csv)
        try scanTestScan(dir.db, inputs: [input], policies: try scanTestPolicies(["soundcloud-2025-05"]), store: .none)
        try scanTestScan(dir.db, inputs: [input], policies: try scanTestPolicies(["soundcloud-2025-05"]))
        #expect(try scanTestSQLInt(dir.db, "SELECT verdicts_first_rowid > verdicts_last_rowid FROM runs WHERE id = 1") == 1)
        #expect(try scanTestSQLInt(dir.db, "SELECT verdicts_last_rowid - verdicts_first_rowid + 1 FROM runs WHERE id = 2") == 3)
        let result = try Pruner.prune(databasePath: dir.db, keep: 1)
        #expect(result.prunedRuns == [1] && result.verdictRows == 0 && result.rejectRows == 2)
        #expect(try scanTestSQLInt(dir.db, "SELECT count(*) FROM verdicts WHERE run_id = 2") == 3)
    }

    @Test("the space is given back: the file shrinks after pruning many rows")
    func vacuum() throws {
        let dir = try ScanTestDir("prunevacuum")
        var text = "track_id,label_status,title\n"
        for i in 0..<20_000 { text += "track-\(i),independent,\(String(repeating: "x", count: 40))\n" }
        let input = try dir.write("big.csv", text)
        try scanTestScan(dir.db, inputs: [input], policies: try scanTestPolicies(["soundcloud-2025-05"]), chunkBytes: 1 << 16)
        try scanTestScan(dir.db, inputs: [input], policies: try scanTestPolicies(["soundcloud-2025-05"]), chunkBytes: 1 << 16)
        let result = try Pruner.prune(databasePath: dir.db, keep: 1)
        #expect(result.verdictRows == 20_000)
        #expect(result.bytesAfter < result.bytesBefore * 3 / 4, "\(result.bytesBefore) → \(result.bytesAfter)")
    }

    @Test("prune takes the scan lock: a held lock gives `locked`")
    func lock() throws {
        let dir = try ScanTestDir("prunelock")
        try Self.runs(dir)
        let held = try DatabaseLock(databasePath: dir.db)
        let error = scanTestCatch { try Pruner.prune(databasePath: dir.db, keep: 1) } as? StoreError
        #expect(error?.kind == .locked)
        withExtendedLifetime(held) {}
        #expect(try scanTestSQLInt(dir.db, "SELECT count(*) FROM runs WHERE pruned_at IS NOT NULL") == 0)
    }
}
