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
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress ?? UnsafeRawPointer(("" as StaticString).utf8Start)
            sqlite3_bind_text(handle, index, base.assumingMemoryBound(to: CChar.self), Int32(raw.count), PreparedStatement.transient)
        }
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
}
