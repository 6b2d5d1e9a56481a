import GRDB
import GRDBSQLite

/// One prepared statement, bound and stepped through SQLite's C API: GRDB's argument binding
/// costs about twice as much per row in a bulk insert, and runs insert millions of values.
///
/// Text and blobs are bound transiently (SQLite copies them), so no pointer outlives the
/// call that binds it.
final class PreparedStatement {
    private let db: Database
    private let statement: Statement
    private let path: String
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ db: Database, sql: String, path: String) throws {
        self.db = db
        self.path = path
        statement = try db.makeStatement(sql: sql)
    }

    private var handle: OpaquePointer { statement.sqliteStatement }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    func bindNull(_ index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    /// Binds UTF-8 bytes as text, with their length (a NUL inside is kept).
    func bindText(_ index: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { bindText(index, $0) }
    }

    /// Binds UTF-8 bytes as text, with their length (a NUL inside is kept); SQLite copies them.
    func bindText(_ index: Int32, _ raw: UnsafeRawBufferPointer) {
        let base = raw.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)
        sqlite3_bind_text(handle, index, base.assumingMemoryBound(to: CChar.self), Int32(raw.count), PreparedStatement.transient)
    }

    func bindText(_ index: Int32, _ text: String) {
        var text = text
        text.withUTF8 { bytes in
            let base = bytes.baseAddress.map(UnsafeRawPointer.init) ?? UnsafeRawPointer(("" as StaticString).utf8Start)
            sqlite3_bind_text(handle, index, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count), PreparedStatement.transient)
        }
    }

    /// Runs the statement with what is bound, then resets it.
    func step() throws {
        let rc = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard rc == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            throw ResultsDatabase.translate(DatabaseError(resultCode: ResultCode(rawValue: rc), message: message), path: path)
        }
    }

    /// Runs the statement with what is bound and returns its first row's first column, nil
    /// when it gives no row; then resets it.
    func firstInt64() throws -> Int64? {
        let rc = sqlite3_step(handle)
        let value = rc == SQLITE_ROW ? sqlite3_column_int64(handle, 0) : nil
        sqlite3_reset(handle)
        guard rc == SQLITE_ROW || rc == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            throw ResultsDatabase.translate(DatabaseError(resultCode: ResultCode(rawValue: rc), message: message), path: path)
        }
        return value
    }

    func close() {
        sqlite3_clear_bindings(handle)
    }

    /// Rows per statement of ``insertInBatches(_:path:into:columns:count:bind:inserted:)``.
    static let batchRows = 200

    /// Inserts `count` rows into `table` (with its column list, if any), many to a
    /// statement: a statement's own work spread over 200 rows took the labels of a
    /// 20,000-label scan from 0.07 s to 0.05 s. `bind` binds row `row`'s values from
    /// parameter `first` on; `inserted` runs after each statement with the rows it inserted.
    static func insertInBatches(_ db: Database, path: String, into table: String, columns: Int, count: Int,
                                bind: (PreparedStatement, _ row: Int, _ first: Int32) -> Void,
                                inserted: (Range<Int>) throws -> Void = { _ in }) throws {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        func statement(rows: Int) throws -> PreparedStatement {
            try PreparedStatement(
                db, sql: "INSERT INTO \(table) VALUES " + Array(repeating: row, count: rows).joined(separator: ", "), path: path)
        }
        var full: PreparedStatement? = nil
        defer { full?.close() }
        var start = 0
        while start < count {
            let rows = min(batchRows, count - start)
            let insert: PreparedStatement
            if rows == batchRows {
                insert = try full ?? statement(rows: rows)
                full = insert
            } else {
                insert = try statement(rows: rows)
            }
            defer { if insert !== full { insert.close() } }
            for k in 0..<rows { bind(insert, start + k, Int32(k * columns + 1)) }
            try insert.step()
            try inserted(start..<(start + rows))
            start += rows
        }
    }
}
