import Foundation
import GRDB

/// What `consentry prune` deleted (or, in a dry run, would delete).
public struct PruneResult: Sendable, Equatable {
    /// Completed runs whose verdict and reject rows were deleted, oldest first.
    public var prunedRuns: [Int64] = []
    public var verdictRows = 0
    public var rejectRows = 0
    /// Database file size (main file plus WAL) before and after; equal in a dry run.
    public var bytesBefore: Int64 = 0
    public var bytesAfter: Int64 = 0
    /// Why the space could not be given back (the rows are deleted all the same).
    public var vacuumError: String?
}

/// Retention: deletes the per-track rows of old runs and keeps their statistics (issue 5).
///
/// `runs`, `run_inputs`, `run_policies`, `group_stats`, `group_exposure`, `run_reject_counts`
/// and `policy_transitions` stay, so `report`, `trend` and `runs` keep working for every run;
/// `diff`, `export` and `rejects` refuse a pruned run.
public enum Pruner {
    /// Deletes the verdict and reject rows of every completed run but the `keep` most recent
    /// ones, in one transaction, then gives the space back with `VACUUM` (whenever the file
    /// has free pages, so a prune killed during its VACUUM is finished by the next one).
    ///
    /// Takes the database lock like a scan, so it never runs while a scan writes.
    public static func prune(databasePath: String, keep: Int, dryRun: Bool = false, waitLock: Double = 0,
                             interruption: (() -> (any Error)?)? = nil) throws -> PruneResult {
        precondition(keep >= 0)
        let lock = try DatabaseLock(databasePath: databasePath, wait: waitLock, interruption: interruption)
        defer { withExtendedLifetime(lock) {} }
        let database = try ResultsDatabase(path: databasePath, create: false, holdingLock: true)
        var result = PruneResult()
        result.bytesBefore = fileBytes(databasePath)

        let work: (Database) throws -> Void = { db in
            let candidates = try Row.fetchAll(db, sql: """
                SELECT id, verdicts_first_rowid, verdicts_last_rowid FROM runs
                WHERE status = 'completed' AND pruned_at IS NULL
                  AND id NOT IN (SELECT id FROM runs WHERE status = 'completed' ORDER BY id DESC LIMIT ?)
                ORDER BY id
                """, arguments: [keep])
            let now = ResultsDatabase.now()
            for row in candidates {
                let id: Int64 = row[0]
                let first: Int64? = row[1]
                let last: Int64? = row[2]
                result.prunedRuns.append(id)
                let rows = VerdictRowRange(first: first, last: last)
                let verdictFilter = rows == .empty ? nil : rows.condition(runID: id)
                if dryRun {
                    if let verdictFilter {
                        result.verdictRows += try Int.fetchOne(db, sql: "SELECT count(*) FROM verdicts WHERE \(verdictFilter)") ?? 0
                    }
                    result.rejectRows += try Int.fetchOne(db, sql: "SELECT count(*) FROM rejects WHERE run_id = ?", arguments: [id]) ?? 0
                    continue
                }
                if let verdictFilter {
                    try db.execute(sql: "DELETE FROM verdicts WHERE \(verdictFilter)")
                    result.verdictRows += db.changesCount
                }
                try db.execute(sql: "DELETE FROM rejects WHERE run_id = ?", arguments: [id])
                result.rejectRows += db.changesCount
                try db.execute(sql: "UPDATE runs SET pruned_at = ? WHERE id = ?", arguments: [now, id])
            }
        }
        if dryRun {
            try database.read(work)
            result.bytesAfter = result.bytesBefore
            return result
        }
        try database.write { db in try db.inTransaction(.immediate) { try work(db); return .commit } }
        // Free pages also remain when an earlier prune was killed during its VACUUM.
        let freePages = try database.read { db in try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0 }
        if freePages > 0 {
            do {
                try database.write { db in
                    try db.execute(sql: "VACUUM")
                    try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                }
            } catch {
                result.vacuumError = (error as? any ConsentryError)?.message ?? "\(error)"
            }
        }
        result.bytesAfter = fileBytes(databasePath)
        return result
    }

    /// The size of the database file and its WAL.
    static func fileBytes(_ path: String) -> Int64 {
        [path, path + "-wal"].reduce(Int64(0)) { sum, file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value
            return sum + (size ?? 0)
        }
    }
}
