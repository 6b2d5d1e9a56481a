import GRDB
import GRDBSQLite

/// Writes one run's verdict and reject rows through prepared statements, as the merger
/// hands them over.
///
/// The hot loop binds with `sqlite3_bind_*` on the statements' handles: GRDB's argument
/// binding costs twice as much in a bulk insert. It runs inside the run's transaction.
final class RunWriter: ScanSink {
    private let db: Database
    private let path: String
    private let mode: StoreMode
    private let verdictStatement: Statement
    private let rejectStatement: Statement
    private let runID: Int64

    init(db: Database, path: String, runID: Int64, mode: StoreMode) throws {
        self.db = db
        self.path = path
        self.mode = mode
        self.runID = runID
        verdictStatement = try db.makeStatement(sql: """
            INSERT INTO verdicts (run_id, policy_index, track_id, label_status, verdicts) VALUES (?, ?, ?, ?, ?)
            """)
        rejectStatement = try db.makeStatement(sql: """
            INSERT INTO rejects (run_id, input, line, byte_offset, code, "column", message, excerpt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        sqlite3_bind_int64(verdictStatement.sqliteStatement, 1, runID)
        sqlite3_bind_int64(rejectStatement.sqliteStatement, 1, runID)
    }

    private func step(_ handle: OpaquePointer) throws {
        let rc = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard rc == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            throw ResultsDatabase.translate(DatabaseError(resultCode: ResultCode(rawValue: rc), message: message), path: path)
        }
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
        let handle = verdictStatement.sqliteStatement
        // SQLITE_STATIC (nil): the bytes stay put until the step below has copied them.
        sqlite3_bind_text(handle, 3, UnsafeRawPointer(trackID.baseAddress!).assumingMemoryBound(to: CChar.self),
                          Int32(trackID.count), nil)
        sqlite3_bind_int(handle, 4, Int32(label.rawValue))
        for (index, packed) in verdicts.enumerated() {
            sqlite3_bind_int(handle, 2, Int32(index))
            sqlite3_bind_int64(handle, 5, Int64(packed))
            try step(handle)
        }
    }

    func rejected(input: String, _ reject: RejectedRecord) throws {
        let handle = rejectStatement.sqliteStatement
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        sqlite3_bind_text(handle, 2, input, -1, transient)
        sqlite3_bind_int64(handle, 3, Int64(reject.line))
        sqlite3_bind_int64(handle, 4, Int64(reject.offset))
        sqlite3_bind_text(handle, 5, reject.code.rawValue, -1, transient)
        if let column = reject.column {
            sqlite3_bind_text(handle, 6, column, -1, transient)
        } else {
            sqlite3_bind_null(handle, 6)
        }
        sqlite3_bind_text(handle, 7, reject.message, -1, transient)
        sqlite3_bind_text(handle, 8, reject.excerpt, -1, transient)
        try step(handle)
    }

    /// Drops the bindings so no statement keeps a pointer into freed chunk memory.
    func close() {
        sqlite3_clear_bindings(verdictStatement.sqliteStatement)
        sqlite3_clear_bindings(rejectStatement.sqliteStatement)
    }
}
