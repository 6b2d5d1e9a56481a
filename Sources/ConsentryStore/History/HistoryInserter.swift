import ConsentryEngine
import ConsentryModel
import Foundation
import GRDB

/// Inserts a run's history changes from ``HistoryFiles`` into the history tables, a
/// partition at a time and in partition order (hash order), inside the run's transaction.
///
/// A scan inserts each partition as soon as the resolver has written it, while the resolver
/// threads go on with the next ones: SQLite's one writer then works beside them instead of
/// after them.
final class HistoryInserter {
    private let files: HistoryFiles
    private let runID: Int64
    private let db: Database
    private let packs: PreparedStatement
    private let ends: PreparedStatement
    /// The next partition to insert.
    private var next = 0
    private var packCount = 0
    private var trackCount = 0
    /// Removes the inserted partitions' files while SQLite's one writer goes on: this thread
    /// is a first night's slowest, and a core is idle beside it once the resolver is done.
    private let removal = DispatchQueue(label: "consentry.history-removal", qos: .utility)
    private let removals = DispatchGroup()

    init(files: HistoryFiles, runID: Int64, db: Database, path: String) throws {
        self.files = files
        self.runID = runID
        self.db = db
        packs = try PreparedStatement(db, sql: """
            INSERT INTO history_packs (from_run, first_hash, last_hash, tracks, entries) VALUES (?, ?, ?, ?, ?)
            """, path: path)
        ends = try PreparedStatement(db, sql: """
            INSERT INTO history_ends (to_run, from_run, hash, track_id, combo) VALUES (?, ?, ?, ?, ?)
            """, path: path)
        packs.bind(1, runID)
        ends.bind(1, runID)
    }

    deinit {
        packs.close()
        ends.close()
        // A failed run's work folder is removed next: not while files in it still go.
        removals.wait()
    }

    /// Inserts the packs and ends of partition `p`, which must be the next one in order.
    func insert(partition p: Int) throws {
        precondition(p == next, "history partitions are inserted in order")
        next += 1
        if FileManager.default.fileExists(atPath: files.packsPath(p)) {
            let reader = try WorkFileReader(path: files.packsPath(p))
            while let hash = try reader.read(UInt64.self) {
                guard let last = try reader.read(UInt64.self), let tracks = try reader.read(UInt32.self),
                      let length = try reader.read(UInt32.self), let text = try reader.read(Int(length)) else {
                    throw HistoryInserter.damaged(files.packsPath(p))
                }
                packs.bind(2, Int64(hash))
                packs.bind(3, Int64(last))
                packs.bind(4, Int64(tracks))
                packs.bindText(5, text)
                try packs.step()
                packCount += 1
                trackCount += Int(tracks)
            }
        }
        if FileManager.default.fileExists(atPath: files.endsPath(p)) {
            let reader = try WorkFileReader(path: files.endsPath(p))
            while let fromRun = try reader.read(Int64.self) {
                guard let hash = try reader.read(UInt64.self), let combo = try reader.read(UInt32.self),
                      let length = try reader.read(UInt16.self), let id = try reader.read(Int(length)) else {
                    throw HistoryInserter.damaged(files.endsPath(p))
                }
                ends.bind(2, fromRun)
                ends.bind(3, Int64(hash))
                ends.bindText(4, id)
                ends.bind(5, Int64(combo))
                try ends.step()
            }
        }
        let done = [files.packsPath(p), files.endsPath(p)]
        removal.async(group: removals) {
            for file in done { unlink(file) }
        }
    }

    /// Inserts the partitions not inserted yet, then the run's segment: how many packs and
    /// tracks it stored.
    func finish() throws {
        while next < HistoryPlan.partitionCount { try insert(partition: next) }
        removals.wait()
        if packCount > 0 {
            try db.execute(sql: "INSERT INTO history_segments VALUES (?, ?, ?)", arguments: [runID, packCount, trackCount])
        }
    }

    private static func damaged(_ file: String) -> WorkFileError {
        WorkFileError(.damaged, "a history work file ends in the middle of a record",
                      remedy: "it was changed while consentry ran; run the scan again", file: file)
    }
}
