import GRDB
import GRDBSQLite

/// Writes one run's verdict and reject rows through prepared statements, as the merge
/// hands them over.
///
/// The hot loop binds with `sqlite3_bind_*` on the statements' handles: GRDB's argument
/// binding costs twice as much in a bulk insert. It runs inside the run's transaction.
final class RunWriter: ScanSink {
    private let db: Database
    private let path: String
    private let mode: StoreMode
    private let verdictStatement: Statement
    private let batchStatement: Statement
    private let rejectStatement: Statement
    private let runID: Int64
    /// Rows waiting for the batch statement; their track-id bytes stay valid until `flush`.
    private var pending: [(id: UnsafeBufferPointer<UInt8>, packed: Int64)] = []

    /// Rows per multi-row INSERT: one step inserts them all, which halves the per-row cost
    /// of the statement machinery.
    static let batchRows = 64

    /// The largest verdict rowid before this run wrote any: its rows follow it contiguously.
    private let rowidBefore: Int64

    init(db: Database, path: String, runID: Int64, mode: StoreMode) throws {
        self.db = db
        rowidBefore = try Int64.fetchOne(db, sql: "SELECT coalesce(max(rowid), 0) FROM verdicts") ?? 0
        self.path = path
        self.mode = mode
        self.runID = runID
        verdictStatement = try db.makeStatement(sql: """
            INSERT INTO verdicts (run_id, track_id, packed) VALUES (?, ?, ?)
            """)
        let row = "(\(runID), ?, ?)"
        batchStatement = try db.makeStatement(sql: """
            INSERT INTO verdicts (run_id, track_id, packed) VALUES
            \(Array(repeating: row, count: RunWriter.batchRows).joined(separator: ", "))
            """)
        rejectStatement = try db.makeStatement(sql: """
            INSERT INTO rejects (run_id, input, line, byte_offset, code, "column", message, excerpt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        sqlite3_bind_int64(verdictStatement.sqliteStatement, 1, runID)
        sqlite3_bind_int64(rejectStatement.sqliteStatement, 1, runID)
        pending.reserveCapacity(RunWriter.batchRows)
    }

    private func step(_ handle: OpaquePointer) throws {
        let rc = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard rc == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            throw ResultsDatabase.translate(DatabaseError(resultCode: ResultCode(rawValue: rc), message: message), path: path)
        }
    }

    @inline(__always)
    private static func bindText(_ handle: OpaquePointer, _ index: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        // SQLITE_STATIC (nil): the bytes stay put until the statement has been stepped.
        sqlite3_bind_text(handle, index, UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self),
                          Int32(bytes.count), nil)
    }

    func scanned(trackID: UnsafeBufferPointer<UInt8>, label: LabelStatus, verdicts: UnsafeBufferPointer<UInt32>) throws {
        switch mode {
        case .none:
            return
        case .exposed:
            guard verdicts.contains(where: PolicyEvaluator.anyExposed) else { return }
        case .all:
            break
        }
        for (index, decisions) in verdicts.enumerated() {
            pending.append((trackID, VerdictRowCode.encode(decisions: decisions, label: label, policy: index)))
            if pending.count == RunWriter.batchRows { try flushBatch() }
        }
    }

    private func flushBatch() throws {
        let handle = batchStatement.sqliteStatement
        for (k, row) in pending.enumerated() {
            let base = Int32(k * 2)
            RunWriter.bindText(handle, base + 1, row.id)
            sqlite3_bind_int64(handle, base + 2, row.packed)
        }
        pending.removeAll(keepingCapacity: true)
        try step(handle)
    }

    /// Writes the rows still pending; the merge calls it before the chunk holding their
    /// bytes is recycled.
    func flush() throws {
        let handle = verdictStatement.sqliteStatement
        for row in pending {
            RunWriter.bindText(handle, 2, row.id)
            sqlite3_bind_int64(handle, 3, row.packed)
            try step(handle)
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Binds `text` with its byte length (SQLITE_TRANSIENT: SQLite copies it). A length of -1
    /// would cut the text at its first NUL, and an excerpt of a record with NUL bytes has them.
    private static func bindString(_ handle: OpaquePointer, _ index: Int32, _ text: String) {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        var text = text
        text.withUTF8 { bytes in
            if let base = bytes.baseAddress, bytes.count > 0 {
                _ = sqlite3_bind_text(handle, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self),
                                      Int32(bytes.count), transient)
            } else {
                _ = sqlite3_bind_text(handle, index, "", 0, transient)
            }
        }
    }

    func rejected(input: String, _ reject: RejectedRecord) throws {
        let handle = rejectStatement.sqliteStatement
        RunWriter.bindString(handle, 2, input)
        sqlite3_bind_int64(handle, 3, Int64(reject.line))
        sqlite3_bind_int64(handle, 4, Int64(reject.offset))
        RunWriter.bindString(handle, 5, reject.code.rawValue)
        if let column = reject.column {
            RunWriter.bindString(handle, 6, column)
        } else {
            sqlite3_bind_null(handle, 6)
        }
        RunWriter.bindString(handle, 7, reject.message)
        RunWriter.bindString(handle, 8, reject.excerpt)
        try step(handle)
    }

    /// The first and last rowid of the verdict rows this run wrote; `first > last` when it
    /// wrote none (recorded too, so that a run without rows is not taken for one from before
    /// the ranges were recorded). Call after `flush`.
    func verdictRows() throws -> (first: Int64, last: Int64) {
        let last = try Int64.fetchOne(db, sql: "SELECT coalesce(max(rowid), 0) FROM verdicts") ?? 0
        return (rowidBefore + 1, max(last, rowidBefore))
    }

    /// Drops the bindings so no statement keeps a pointer into freed chunk memory.
    func close() {
        sqlite3_clear_bindings(verdictStatement.sqliteStatement)
        sqlite3_clear_bindings(batchStatement.sqliteStatement)
        sqlite3_clear_bindings(rejectStatement.sqliteStatement)
    }
}
