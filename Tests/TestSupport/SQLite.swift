import Foundation
import Testing

/// Reads and writes a database with the system `sqlite3` command-line tool, independently of
/// the code under test.
package struct SQLite {
    package let path: String
    /// Opens the database with `-readonly` (the tool then never creates or checkpoints a WAL).
    package let readOnly: Bool

    package init(_ path: String, readOnly: Bool = false) {
        self.path = path
        self.readOnly = readOnly
    }

    private func sqlite3(_ options: [String], _ sql: String) throws -> ProcessResult {
        let tool = try #require(Paths.sqlite3, "the sqlite3 command-line tool is needed")
        // A hang guard, not a time limit: a recount over every history pack of a test
        // catalogue takes seconds alone, and minutes on a machine busy with other work.
        let r = try runProgram(tool, ["-bail"] + (readOnly ? ["-readonly"] : []) + options + [path, sql], timeout: 600)
        guard r.exitCode == 0 else { throw TestFailure("sqlite3 \(path) \(sql) failed: \(r)") }
        return r
    }

    /// Rows as JSON objects (`sqlite3 -json`), columns in the query's order.
    package func rows(_ sql: String) throws -> [JSON] {
        let text = try sqlite3(["-json"], sql).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return [] }
        guard case .array(let rows) = try JSON.parse(text) else {
            throw TestFailure("sqlite3 -json printed no array: \(text.prefix(200))")
        }
        return rows
    }

    /// Lines of tab-separated values, for large result sets.
    package func lines(_ sql: String) throws -> [String] {
        try sqlite3(["-noheader", "-list", "-separator", "\t"], sql).stdout
            .split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// Runs statements (e.g. to tamper with a database).
    package func execute(_ sql: String) throws {
        _ = try sqlite3([], sql)
    }

    /// The single integer a query returns (one row, first column).
    package func int(_ sql: String) throws -> Int {
        let rows = try rows(sql)
        guard rows.count == 1, let n = rows[0].values.first?.int else {
            throw TestFailure("expected one integer from \(sql), got \(rows)")
        }
        return n
    }

    /// The tables a run writes besides its `runs` row, all at its end.
    package static let perRunTables = ["run_inputs", "run_policies", "policy_rules", "group_stats", "group_exposure",
                                       "run_reject_counts", "rejects", "history_runs"]

    /// Row counts of every per-run table for one run, and of the history a run writes: the
    /// periods it began (`history_packs`) and ended (`history_ends`), and its tracks in
    /// `verdicts_readable`.
    package func rowCounts(run: some BinaryInteger) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in Self.perRunTables {
            counts[table] = try int("SELECT count(*) AS n FROM \(table) WHERE run_id = \(run)")
        }
        counts["history_packs"] = try int("SELECT count(*) AS n FROM history_packs WHERE from_run = \(run)")
        counts["history_ends"] = try int("SELECT count(*) AS n FROM history_ends WHERE to_run = \(run)")
        counts["verdicts_readable"] = try int("SELECT count(*) AS n FROM verdicts_readable WHERE run_id = \(run)")
        return counts
    }

    /// The `runs` row of run `id`.
    package func run(_ id: some BinaryInteger) throws -> [String: JSON] {
        let rows = try rows("SELECT * FROM runs WHERE id = \(id)")
        guard rows.count == 1, let o = rows[0].object else { throw TestFailure("no run \(id)") }
        return o
    }
}
