import Foundation
import GRDB
import ConsentryModel
import ConsentryEngine

/// What `consentry prune` deleted (or, in a dry run, would delete).
public struct PruneResult: Sendable, Equatable {
    /// Completed runs whose verdicts and reject rows were deleted, oldest first.
    public var prunedRuns: [Int64] = []
    /// History periods deleted: periods that only pruned runs needed.
    public var periods = 0
    public var rejectRows = 0
    /// Database file size (main file plus WAL) before and after; equal in a dry run.
    public var bytesBefore: Int64 = 0
    public var bytesAfter: Int64 = 0
    /// Whether the file had free pages to give back, so that a `VACUUM` ran.
    public var vacuumed = false
    /// Why the space could not be given back (the rows are deleted all the same).
    public var vacuumError: String?
}

/// Retention: deletes what only old runs need — their history periods and reject rows — and
/// keeps their statistics (contract §4.1).
///
/// `runs`, `run_inputs`, `run_policies`, `group_stats`, `group_exposure`, `run_reject_counts`
/// and `policy_transitions` stay, so `report`, `trend` and `runs` keep working for every run;
/// `diff`, `export`, `track` and `rejects` have nothing of a pruned run, and
/// `verdicts_readable` no rows.
public enum Pruner {
    /// Deletes the verdict and reject rows of every completed run but the `keep` most recent
    /// ones, in one transaction, then gives the space back with `VACUUM` (whenever the file
    /// has free pages, so a prune killed during its VACUUM is finished by the next one) and a
    /// WAL checkpoint, after which the file's size is the one reported.
    ///
    /// Takes the database lock like a scan, so it never runs while a scan writes.
    public static func prune(databasePath: String, keep: Int, dryRun: Bool = false, waitLock: Double = 0,
                             interruption: (() -> (any Error)?)? = nil) throws -> PruneResult {
        precondition(keep >= 0)
        let lock = try DatabaseLock(databasePath: databasePath, wait: waitLock, interruption: interruption)
        defer { withExtendedLifetime(lock) {} }
        let database = try lock.opening { try ResultsDatabase(path: databasePath, create: false, holdingLock: true) }
        var result = PruneResult()
        result.bytesBefore = fileBytes(databasePath)

        let work: (Database) throws -> Void = { db in
            let kept = try Int64.fetchAll(db, sql: "SELECT id FROM runs WHERE status = 'completed' ORDER BY id DESC LIMIT ?",
                                          arguments: [keep])
            let candidates = try Int64.fetchAll(db, sql: """
                SELECT id FROM runs WHERE status = 'completed' AND pruned_at IS NULL AND id < ? ORDER BY id
                """, arguments: [kept.min() ?? Int64.max])
            result.prunedRuns = candidates
            // A period is needed by a kept run unless it ended by the oldest of them.
            let oldestKept = kept.min() ?? Int64.max
            result.periods = try Int.fetchOne(db, sql: "SELECT count(*) FROM history_ends WHERE to_run <= ?",
                                              arguments: [oldestKept]) ?? 0
            if kept.isEmpty {
                result.periods += try Int.fetchOne(db, sql: "SELECT coalesce(sum(tracks), 0) FROM history_packs") ?? 0
                result.periods -= try Int.fetchOne(db, sql: "SELECT count(*) FROM history_ends") ?? 0
            }
            for id in candidates {
                result.rejectRows += try Int.fetchOne(db, sql: "SELECT count(*) FROM rejects WHERE run_id = ?", arguments: [id]) ?? 0
            }
            if dryRun { return }
            if kept.isEmpty {
                // No run needs any period: the history is emptied, and its state with it.
                for table in ["history_packs", "history_ends", "history_segments", "history_runs"] {
                    try db.execute(sql: "DELETE FROM \(table)")
                }
                try db.execute(sql: "DELETE FROM history_meta WHERE key = 'state_token'")
            } else {
                try removeEndedPeriods(db, endedBy: oldestKept, path: databasePath)
                try db.execute(sql: "DELETE FROM history_runs WHERE run_id < ?", arguments: [oldestKept])
            }
            let now = ResultsDatabase.now()
            for id in candidates {
                try db.execute(sql: "DELETE FROM rejects WHERE run_id = ?", arguments: [id])
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
        do {
            try database.write { db in
                if freePages > 0 {
                    try db.execute(sql: "VACUUM")
                    result.vacuumed = true
                }
                // The deletion, and the VACUUM's copy, are in the WAL until a checkpoint folds
                // them into the file: the size reported after is the file's once they are.
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            }
        } catch {
            result.vacuumError = (error as? any ConsentryError)?.message ?? "\(error)"
        }
        result.bytesAfter = fileBytes(databasePath)
        return result
    }

    /// Deletes the periods that ended by run `run`: their `history_ends` rows and their
    /// entries in the packs of the runs that began them (a pack left empty goes too).
    static func removeEndedPeriods(_ db: Database, endedBy run: Int64, path: String) throws {
        let segments = try Int64.fetchAll(db, sql: "SELECT DISTINCT from_run FROM history_ends WHERE to_run <= ? ORDER BY from_run",
                                          arguments: [run])
        for segment in segments {
            let ends = try Row.fetchCursor(db, sql: """
                SELECT hash, track_id FROM history_ends WHERE from_run = ? AND to_run <= ? ORDER BY hash, track_id
                """, arguments: [segment, run])
            var end: (hash: UInt64, id: [UInt8])?
            func nextEnd() throws {
                if let row = try ends.next() {
                    let hash: Int64 = row[0], id: String = row[1]
                    end = (UInt64(hash), Array(id.utf8))
                } else {
                    end = nil
                }
            }
            try nextEnd()
            let packs = try Int64.fetchAll(db, sql: "SELECT id FROM history_packs WHERE from_run = ? ORDER BY first_hash",
                                           arguments: [segment])
            var removedTracks = 0, removedPacks = 0
            for pack in packs {
                guard end != nil else { break }
                let text = try String.fetchOne(db, sql: "SELECT entries FROM history_packs WHERE id = ?", arguments: [pack]) ?? "[]"
                let entries = try HistoryPack.decode(Array(text.utf8), path: path)
                var keptText: [UInt8] = [UInt8(ascii: "[")]
                var kept = 0, firstHash: UInt64 = 0, lastHash: UInt64 = 0
                for entry in entries {
                    let id = entry.id
                    let hash = TrackHash.of(id)
                    while let e = end, LiveTracks.compare(e.hash, e.id, hash, id) < 0 { try nextEnd() }
                    if let e = end, LiveTracks.compare(e.hash, e.id, hash, id) == 0 {
                        try nextEnd()
                        continue
                    }
                    if kept == 0 { firstHash = hash }
                    lastHash = hash
                    id.withUnsafeBytes { id in
                        entry.artist.withUnsafeBytes { artist in
                            HistoryPack.append(id: id, combo: entry.combo, artist: artist, first: kept == 0, to: &keptText)
                        }
                    }
                    kept += 1
                }
                guard kept < entries.count else { continue }
                removedTracks += entries.count - kept
                if kept == 0 {
                    try db.execute(sql: "DELETE FROM history_packs WHERE id = ?", arguments: [pack])
                    removedPacks += 1
                } else {
                    keptText.append(UInt8(ascii: "]"))
                    try db.execute(sql: "UPDATE history_packs SET first_hash = ?, last_hash = ?, tracks = ?, entries = ? WHERE id = ?",
                                   arguments: [Int64(firstHash), Int64(lastHash), kept, String(decoding: keptText, as: UTF8.self), pack])
                }
            }
            try db.execute(sql: "UPDATE history_segments SET packs = packs - ?, tracks = tracks - ? WHERE from_run = ?",
                           arguments: [removedPacks, removedTracks, segment])
            try db.execute(sql: "DELETE FROM history_segments WHERE from_run = ? AND packs <= 0", arguments: [segment])
        }
        try db.execute(sql: "DELETE FROM history_ends WHERE to_run <= ?", arguments: [run])
    }

    /// The size of the database file and its WAL.
    static func fileBytes(_ path: String) -> Int64 {
        [path, path + "-wal"].reduce(Int64(0)) { sum, file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value
            return sum + (size ?? 0)
        }
    }
}
