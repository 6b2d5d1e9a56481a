import ConsentryEngine
import ConsentryModel
import GRDB

/// Writes a run's kept rejects into `rejects` as the scan hands them over, inside the run's
/// transaction.
final class RejectWriter: RejectSink {
    private let insert: PreparedStatement

    init(db: Database, path: String, runID: Int64) throws {
        insert = try PreparedStatement(db, sql: """
            INSERT INTO rejects (run_id, input, line, byte_offset, code, "column", message, excerpt, input_index)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, path: path)
        insert.bind(1, runID)
    }

    func rejected(input: Int, path: String, _ reject: RejectedRecord) throws {
        insert.bindText(2, path)
        insert.bind(3, Int64(reject.line))
        insert.bind(4, Int64(reject.offset))
        insert.bindText(5, reject.code.rawValue)
        if let column = reject.column { insert.bindText(6, column) } else { insert.bindNull(6) }
        insert.bindText(7, reject.message)
        insert.bindText(8, reject.excerpt)
        insert.bind(9, Int64(input))
        try insert.step()
    }

    func close() {
        insert.close()
    }
}
