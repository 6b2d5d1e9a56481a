import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
import ScanTestSupport
import TestSupport

@Suite("prune: what only old runs need goes, statistics stay")
struct PrunerTests {
    static let csv = """
        track_id,label_status,genai_opt_in
        a,independent,
        b,major,
        c,independent,yes
        c,independent,
        d,signed,

        """

    /// Three completed runs of the same catalogue (two rejects each), one failed run in between.
    static func runs(_ dir: TempDir) throws {
        let input = try dir.write("n.csv", csv)
        let policies = try ["soundcloud-2025-05", "soundcloud-opt-out"].map(BuiltInPolicies.policy)
        try scanTestScan(dir.db, inputs: [input], policies: policies)
        try scanTestScan(dir.db, inputs: [input], policies: policies)
        _ = thrownError { try scanTestScan(dir.db, inputs: [dir.file("missing.csv")], policies: policies) }
        try scanTestScan(dir.db, inputs: [input], policies: policies)
    }

    static func viewRows(_ db: String, run: Int) throws -> [String] {
        try SQLite(db, readOnly: true).lines("""
            SELECT policy_id, track_id, label_status, use, verdict, rule_id FROM verdicts_readable WHERE run_id = \(run)
            ORDER BY policy_id, track_id, use
            """)
    }

    @Test("--keep 1 prunes the older completed runs: no view rows, no rejects, statistics kept")
    func keepOne() throws {
        let dir = try TempDir("prune")
        try Self.runs(dir)
        let before = try ResultsDatabase(path: dir.db, create: false).report(runID: 1)
        let kept = try Self.viewRows(dir.db, run: 4)
        #expect(kept.count == 3 * 2 * 4)
        let result = try Pruner.prune(databasePath: dir.db, keep: 1)
        #expect(result.prunedRuns == [1, 2])
        #expect(result.periods == 0, "the same catalogue every night: no period ended")
        #expect(result.rejectRows == 2 * 2)
        #expect(result.vacuumError == nil)
        for run in [1, 2] {
            #expect(try Self.viewRows(dir.db, run: run).isEmpty)
            #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM rejects WHERE run_id = \(run)") == 0)
            #expect(try SQLite(dir.db, readOnly: true).int("SELECT pruned_at IS NOT NULL FROM runs WHERE id = \(run)") == 1)
        }
        #expect(try Self.viewRows(dir.db, run: 4) == kept)
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM rejects WHERE run_id = 4") == 2)
        // Statistics, transitions and trends stay.
        let db = try ResultsDatabase(path: dir.db, create: false)
        #expect(try db.report(runID: 1) == before)
        #expect(try db.trend(policyID: "soundcloud-2025-05", last: 10).count == 3)
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM policy_transitions WHERE run_id = 1") > 0)
        #expect(try db.runs().first { $0.id == 1 }?.prunedAt != nil)
        #expect((try SQLite(dir.db, readOnly: true).rows("PRAGMA integrity_check")).first?.values.first?.string == "ok")
        // A pruned run cannot be diffed; the kept one still diffs with itself and the next.
        let e = thrownError { try db.diff(runA: 1, runB: 4, policy: nil, limit: 1) } as? StoreError
        #expect(e?.message.contains("consentry prune") == true, "\(String(describing: e))")
        #expect(try db.diff(runA: 4, runB: 4, policy: nil, limit: 1).unchanged == 3)
        #expect(try Pruner.prune(databasePath: dir.db, keep: 1).prunedRuns.isEmpty)
        try scanTestScan(dir.db, inputs: [dir.file("n.csv")], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy))
        #expect(try db.diff(runA: 4, runB: 5, policy: nil, limit: 1).unchanged == 3)
    }

    @Test("periods that ended by the oldest kept run go; every kept run reads exactly as before")
    func endedPeriodsGo() throws {
        let dir = try TempDir("pruneperiods")
        let policies = try ["soundcloud-2025-05"].map(BuiltInPolicies.policy)
        let night1 = try dir.write("n1.csv", "track_id,label_status,genai_opt_in\na,independent,\nb,major,\nc,independent,\ne,unknown,\n")
        let night2 = try dir.write("n2.csv", "track_id,label_status,genai_opt_in\na,independent,\nb,independent,\nd,major,\ne,unknown,\n")
        let night3 = try dir.write("n3.csv", "track_id,label_status,genai_opt_in\na,independent,yes\nb,independent,\nd,major,\nc,licensed,\n")
        for night in [night1, night2, night3] { try scanTestScan(dir.db, inputs: [night], policies: policies) }
        let run2 = try Self.viewRows(dir.db, run: 2), run3 = try Self.viewRows(dir.db, run: 3)
        // Ended by run 2: b (changed) and c (gone). e ended in run 3, a too (changed).
        let result = try Pruner.prune(databasePath: dir.db, keep: 2)
        #expect(result.prunedRuns == [1])
        #expect(result.periods == 2)
        #expect(try Self.viewRows(dir.db, run: 1).isEmpty)
        #expect(try Self.viewRows(dir.db, run: 2) == run2)
        #expect(try Self.viewRows(dir.db, run: 3) == run3)
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM history_ends") == 2)
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT coalesce(sum(tracks), 0) FROM history_packs") == 6)
        let db = try ResultsDatabase(path: dir.db, create: false)
        #expect(try db.diff(runA: 2, runB: 3, policy: nil, limit: 10).reported == 3, "a changed, c added, e removed")
        // The next night still finds its changes against the state.
        try scanTestScan(dir.db, inputs: [night3], policies: policies)
        #expect(try Self.viewRows(dir.db, run: 4) == run3)
    }

    @Test("--dry-run counts without deleting; --keep 0 empties the history; keep larger than the runs prunes none")
    func dryRunAndBounds() throws {
        let dir = try TempDir("prunedry")
        try Self.runs(dir)
        let dry = try Pruner.prune(databasePath: dir.db, keep: 0, dryRun: true)
        #expect(dry.prunedRuns == [1, 2, 4])
        #expect(dry.periods == 3)
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM runs WHERE pruned_at IS NOT NULL") == 0)
        #expect(try Self.viewRows(dir.db, run: 4).count == 24)
        #expect(try Pruner.prune(databasePath: dir.db, keep: 5).prunedRuns.isEmpty)
        let all = try Pruner.prune(databasePath: dir.db, keep: 0)
        #expect(all.prunedRuns == [1, 2, 4])
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM history_packs") == 0)
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM verdicts_readable") == 0)
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM rejects") == 0)
        // The next scan starts the history afresh.
        let report = try scanTestScan(dir.db, inputs: [dir.file("n.csv")], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy))
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT history_began FROM runs WHERE id = \(report.runID)") == 3)
        #expect(try Self.viewRows(dir.db, run: Int(report.runID)).count == 12)
    }

    @Test("a --store none run leaves the history as it was; pruning it deletes its rejects only")
    func storeNone() throws {
        let dir = try TempDir("prunenone")
        let input = try dir.write("n.csv", Self.csv)
        let policies = try ["soundcloud-2025-05"].map(BuiltInPolicies.policy)
        try scanTestScan(dir.db, inputs: [input], policies: policies)
        try scanTestScan(dir.db, inputs: [try dir.write("other.csv", "track_id,label_status\nz,major\n")], policies: policies, store: .none)
        try scanTestScan(dir.db, inputs: [input], policies: policies)
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT history_began FROM runs WHERE id = 3") == 0)
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM history_ends") == 0)
        let result = try Pruner.prune(databasePath: dir.db, keep: 1)
        #expect(result.prunedRuns == [1, 2] && result.periods == 0 && result.rejectRows == 2)
        #expect(try Self.viewRows(dir.db, run: 3).count == 12)
    }

    @Test("the space is given back: the file shrinks after pruning many periods")
    func vacuum() throws {
        let dir = try TempDir("prunevacuum")
        var first = "track_id,label_status,title\n", second = first
        for i in 0..<20_000 {
            first += "track-\(i),independent,\(String(repeating: "x", count: 40))\n"
            second += "other-\(i),independent,\(String(repeating: "x", count: 40))\n"
        }
        let policies = try ["soundcloud-2025-05"].map(BuiltInPolicies.policy)
        try scanTestScan(dir.db, inputs: [try dir.write("a.csv", first)], policies: policies, chunkBytes: 1 << 16)
        try scanTestScan(dir.db, inputs: [try dir.write("b.csv", second)], policies: policies, chunkBytes: 1 << 16)
        let result = try Pruner.prune(databasePath: dir.db, keep: 1)
        #expect(result.periods == 20_000)
        #expect(result.bytesAfter < result.bytesBefore * 3 / 4, "\(result.bytesBefore) → \(result.bytesAfter)")
        #expect(result.vacuumed)
        #expect(try Self.viewRows(dir.db, run: 2).count == 80_000)
    }

    @Test("the size after is the file's with its WAL checkpointed, also when nothing was left to VACUUM")
    func sizeAfter() throws {
        let dir = try TempDir("prunesize")
        // A night that changed a few tracks, then the first night again: pruning rewrites a
        // few packs in place and frees no page, so there is nothing to VACUUM.
        var first = "track_id,label_status\n"
        for i in 0..<2_000 { first += "t\(i),independent\n" }
        let second = first.replacingOccurrences(of: "t7,independent", with: "t7,major")
        let policies = try ["soundcloud-2025-05"].map(BuiltInPolicies.policy)
        for text in [first, second, first] { try scanTestScan(dir.db, inputs: [try dir.write("n.csv", text)], policies: policies) }
        // Scans leave free pages now and then; without any, the prune has nothing to VACUUM.
        try SQLite(dir.db).execute("VACUUM")
        #expect(try SQLite(dir.db, readOnly: true).int("PRAGMA freelist_count") == 0)
        let result = try Pruner.prune(databasePath: dir.db, keep: 1)
        #expect(result.prunedRuns == [1, 2] && result.periods == 2)
        #expect(!result.vacuumed, "the case this test is for: nothing to VACUUM, so no checkpoint came with one")
        let wal = (try? FileManager.default.attributesOfItem(atPath: dir.db + "-wal")[.size] as? NSNumber)?.int64Value ?? 0
        #expect(wal == 0)
        let file = (try FileManager.default.attributesOfItem(atPath: dir.db)[.size] as? NSNumber)?.int64Value
        #expect(result.bytesAfter == file)
    }

    @Test("prune takes the scan lock: a held lock gives `locked`")
    func lock() throws {
        let dir = try TempDir("prunelock")
        try Self.runs(dir)
        let held = try DatabaseLock(databasePath: dir.db)
        let error = thrownError { try Pruner.prune(databasePath: dir.db, keep: 1) } as? StoreError
        #expect(error?.kind == .locked)
        withExtendedLifetime(held) {}
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM runs WHERE pruned_at IS NOT NULL") == 0)
    }
}
