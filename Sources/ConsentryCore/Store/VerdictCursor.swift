import GRDB
import GRDBSQLite

/// Where one run's verdict rows are, as the scan recorded it (`runs.verdicts_first_rowid`
/// and `verdicts_last_rowid`, schema v2).
///
/// A run's rows are inserted in one transaction by the one scan holding the lock, so they
/// are one contiguous rowid range: reading or deleting them is a range scan, where `run_id`
/// alone (there is no index on it) would scan every run's rows.
enum VerdictRowRange: Equatable {
    case rows(ClosedRange<Int64>)
    /// The run stored no verdict rows (`first > last`).
    case empty
    /// A run from before the ranges were recorded: found by `run_id`.
    case unknown

    init(first: Int64?, last: Int64?) {
        guard let first, let last else { self = .unknown; return }
        self = first <= last ? .rows(first...last) : .empty
    }

    /// An SQL condition on `verdicts` that selects exactly the run's rows.
    func condition(runID: Int64) -> String {
        switch self {
        case .rows(let range): return "rowid BETWEEN \(range.lowerBound) AND \(range.upperBound) AND run_id = \(runID)"
        case .empty: return "0"
        case .unknown: return "run_id = \(runID)"
        }
    }
}

/// One completed run's stored verdict rows under one of its policies, checked to be readable.
///
/// Made by ``VerdictReader/source(run:policy:)``, which refuses a run that cannot be read
/// with an error saying what to do instead; a ``VerdictCursor`` then steps through its rows.
public struct VerdictSource: Sendable {
    public let runID: Int64
    /// The policy's position in the scan (`run_policies.policy_index`).
    public let policyIndex: Int
    public let policyID: String
    /// Every policy the run applied, in scan order.
    public let policyIDs: [String]
    /// `exposed`: only tracks exposed under some policy have rows.
    public let storeMode: StoreMode
    public let rowsScanned: Int
    /// Rule ids by use (``AIUse/rawValue``) and rule index, as the packed verdicts refer to them.
    public let ruleIDs: [[String?]]
    /// Where the run's verdict rows are.
    let rows: VerdictRowRange

    /// The id of the rule that decided `use`, or nil when the index is not one of the policy's.
    public func ruleID(_ use: AIUse, _ index: Int) -> String? {
        let rules = ruleIDs[use.rawValue]
        return rules.indices.contains(index) ? rules[index] : nil
    }
}

/// Opens ``VerdictCursor``s inside one read transaction of the results database.
///
/// Every cursor of one reader sees the same snapshot, so two runs can be read side by side
/// (a merge join) while a scan or a prune writes. Cursors are closed when the reader's
/// ``ResultsDatabase/readVerdicts(_:)`` call returns and must not be used after it.
public final class VerdictReader {
    let db: Database
    let database: ResultsDatabase
    private var cursors: [VerdictCursor] = []

    init(db: Database, database: ResultsDatabase) {
        self.db = db
        self.database = database
    }

    /// Checks that a run's verdicts can be read and loads what decoding them needs.
    ///
    /// - Parameters:
    ///   - run: a run id, or nil for the latest completed run.
    ///   - policy: a policy id the run applied, or nil for the first one it applied.
    public func source(run: Int64?, policy: String?) throws -> VerdictSource {
        let path = database.path
        let id = try database.resolveRun(db, run)
        let name = run == nil ? "run \(id) (the latest completed run)" : "run \(id)"
        guard let row = try Row.fetchOne(db, sql: """
            SELECT status, error, store_mode, rows_scanned, pruned_at, verdicts_first_rowid, verdicts_last_rowid
            FROM runs WHERE id = ?
            """, arguments: [id]) else {
            throw StoreError(.runNotFound, "there is no run \(id); `consentry runs` lists them", file: path)
        }
        let status: String = row["status"]
        switch status {
        case "completed":
            break
        case "running":
            throw StoreError(.runNotFound, "\(name) is still running and has no verdicts yet; wait for the scan to finish or pick a completed run (`consentry runs` lists them)", file: path)
        default:
            let error: String? = row["error"]
            throw StoreError(.runNotFound, "\(name) \(status == "failed" ? "failed" : "is \(status)")\(error.map { " (\($0))" } ?? ""), so none of its verdicts were kept; pick a completed run (`consentry runs` lists them)", file: path)
        }
        if let pruned: String = row["pruned_at"] {
            throw StoreError(.runNotFound, "the verdict rows of \(name) were deleted by `consentry prune` at \(pruned); only its statistics remain (`consentry report --run \(id)`) — rescan its inputs with --store all to get per-track verdicts", file: path)
        }
        let modeName: String = row["store_mode"]
        guard let mode = StoreMode(rawValue: modeName) else {
            throw StoreError(.other, "\(name) has an unknown store mode '\(modeName)'; was the database written by another tool? Use another --db", file: path)
        }
        if mode == .none {
            throw StoreError(.runNotFound, "\(name) was scanned with --store none, so it kept statistics but no per-track verdicts; rescan with --store all to keep them", file: path)
        }

        let policies = try String.fetchAll(db, sql: "SELECT policy_id FROM run_policies WHERE run_id = ? ORDER BY policy_index", arguments: [id])
        guard !policies.isEmpty else {
            throw StoreError(.other, "\(name) is completed but lists no policies; the database was changed by another tool — rescan into another --db", file: path)
        }
        let policyIndex: Int
        if let policy {
            guard let index = policies.firstIndex(of: policy) else {
                throw StoreError(.runNotFound, "\(name) did not apply policy '\(policy)'; it applied \(policies.joined(separator: ", ")) — pass one of them to --policy", file: path)
            }
            policyIndex = index
        } else {
            policyIndex = 0
        }

        var rules: [[String?]] = Array(repeating: [], count: AIUse.allCases.count)
        for rule in try Row.fetchAll(db, sql: """
            SELECT use_index, rule_index, rule_id FROM policy_rules WHERE run_id = ? AND policy_index = ?
            """, arguments: [id, policyIndex]) {
            let use: Int = rule[0], index: Int = rule[1]
            guard rules.indices.contains(use), (0...Policy.maxRulesPerUse).contains(index) else { continue }
            if rules[use].count <= index { rules[use] += Array(repeating: nil, count: index + 1 - rules[use].count) }
            rules[use][index] = rule[2]
        }

        let first: Int64? = row["verdicts_first_rowid"], last: Int64? = row["verdicts_last_rowid"]
        return VerdictSource(
            runID: id, policyIndex: policyIndex, policyID: policies[policyIndex], policyIDs: policies, storeMode: mode,
            rowsScanned: row["rows_scanned"] ?? 0, ruleIDs: rules,
            rows: VerdictRowRange(first: first, last: last))
    }

    /// A cursor over `source`'s rows in `order`; it is closed when the reader's call returns.
    public func cursor(_ source: VerdictSource, order: VerdictCursor.Order = .input) throws -> VerdictCursor {
        let cursor = try VerdictCursor(db: db, path: database.path, source: source, order: order)
        cursors.append(cursor)
        return cursor
    }

    func closeAll() {
        for cursor in cursors { cursor.close() }
        cursors.removeAll()
    }
}

extension ResultsDatabase {
    /// Runs `body` in one read transaction with a reader for verdict cursors.
    public func readVerdicts<T>(_ body: (VerdictReader) throws -> T) throws -> T {
        try read { db in
            let reader = VerdictReader(db: db, database: self)
            defer { reader.closeAll() }
            return try body(reader)
        }
    }
}

/// Steps through one run's verdict rows under one policy, one row at a time, straight from
/// SQLite: memory stays flat however many tracks the run has.
///
/// A run's rows are found by their rowid range when the scan recorded it (a range scan, no
/// index needed) and by `run_id` otherwise. Two orders:
///
/// - ``Order/input``: rowid order, which is the scan's input order (what `consentry export`
///   writes).
/// - ``Order/trackID``: `ORDER BY track_id`, SQLite's byte order (memcmp; a prefix sorts
///   first). Track ids are unique within a run, so two cursors in this order can be merged
///   like sorted lists — `consentry diff` joins two runs that way. SQLite sorts with a
///   temporary b-tree that spills to temporary files, so memory stays bounded, at the cost
///   of a sort before the first row.
///
/// The current row's fields are valid until the next call to ``next()``; ``trackID`` points
/// into SQLite's memory.
public final class VerdictCursor {
    public enum Order: Sendable {
        case input, trackID
    }

    public let source: VerdictSource
    public let order: Order
    private let connection: OpaquePointer
    /// The database file, for error messages.
    let path: String
    private var statement: OpaquePointer?

    /// The current row's track id as UTF-8 bytes (as stored); valid until the next ``next()``.
    public private(set) var trackID = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    public private(set) var labelStatus: LabelStatus = .unknown
    /// The four uses' verdicts, 8 bits each: verdict in the low 2, rule index in the high 6.
    public private(set) var packed: UInt32 = 0

    init(db: Database, path: String, source: VerdictSource, order: Order) throws {
        guard let connection = db.sqliteConnection else {
            throw StoreError(.other, "the database connection is closed; run the command again", file: path)
        }
        self.connection = connection
        self.path = path
        self.source = source
        self.order = order
        let filter = source.rows.condition(runID: source.runID) + " AND \(VerdictRowCode.policySQL) = ?1"
        let sql = "SELECT track_id, packed FROM verdicts WHERE \(filter) ORDER BY \(order == .input ? "rowid" : "track_id")"
        var handle: OpaquePointer?
        let rc = sqlite3_prepare_v2(connection, sql, -1, &handle, nil)
        guard rc == SQLITE_OK, let handle else {
            let error = failure(rc)
            sqlite3_finalize(handle)
            throw error
        }
        statement = handle
        sqlite3_bind_int64(handle, 1, Int64(source.policyIndex))
    }

    deinit { close() }

    private func failure(_ rc: Int32) -> any Error {
        let message = String(cString: sqlite3_errmsg(connection))
        return ResultsDatabase.translate(DatabaseError(resultCode: ResultCode(rawValue: rc), message: message), path: path)
    }

    /// Moves to the next row; false after the last one.
    public func next() throws -> Bool {
        guard let statement else { return false }
        let rc = sqlite3_step(statement)
        guard rc == SQLITE_ROW else {
            let error = rc == SQLITE_DONE ? nil : failure(rc)
            close()
            if let error { throw error }
            return false
        }
        // Text before bytes: asking for the text may convert the value, which changes its length.
        let text = sqlite3_column_text(statement, 0)
        trackID = UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, 0)))
        let row = sqlite3_column_int64(statement, 1)
        labelStatus = VerdictRowCode.label(row)
        packed = VerdictRowCode.decisions(row)
        return true
    }

    /// The current row's track id as a String (invalid UTF-8 repaired).
    public var trackIDString: String { String(decoding: trackID, as: UTF8.self) }

    /// The current row's verdict for `use`; nil for a code no scan writes.
    public func verdict(_ use: AIUse) -> Verdict? {
        Verdict(rawValue: UInt8(truncatingIfNeeded: packed >> (8 * UInt32(use.rawValue))) & 3)
    }

    /// The current row's deciding rule index for `use` (see ``VerdictSource/ruleID(_:_:)``).
    public func ruleIndex(_ use: AIUse) -> Int {
        Int((packed >> (8 * UInt32(use.rawValue) + 2)) & 63)
    }

    /// Finalizes the statement; ``next()`` returns false from then on.
    func close() {
        if let statement {
            sqlite3_finalize(statement)
            self.statement = nil
        }
        trackID = UnsafeBufferPointer(start: nil, count: 0)
    }
}
