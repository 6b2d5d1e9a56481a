import Foundation
import Testing
@testable import ConsentryCore

// Store-test helpers; names start with `scanTest` / `ScanTest` (see Scan/ScanTestSupport.swift).

/// The error `body` throws, or nil.
func scanTestCatch<T>(_ body: () throws -> T) -> (any Error)? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// Runs one `consentry scan` through the library entry point.
@discardableResult
func scanTestScan(_ db: String, inputs: [String], policies: [Policy], store: StoreMode = .all, jobs: Int = 2,
                  chunkBytes: Int = 64, maxRecordBytes: Int = 1 << 20, waitLock: Double = 0) throws -> RunReport {
    var request = ScanRequest(inputs: inputs, policies: policies, databasePath: db)
    request.store = store
    request.jobs = jobs
    request.input.chunkBytes = chunkBytes
    request.input.maxRecordBytes = maxRecordBytes
    request.waitLock = waitLock
    request.commandLine = "consentry scan (unit test)"
    return try Scanner.run(request)
}

/// Writes through the sqlite3 command-line tool (for tampering with a database).
func scanTestSQLExec(_ database: String, _ sql: String) throws {
    let r = try scanTestRunTool("/usr/bin/sqlite3", [database, sql])
    guard r.status == 0 else { throw ScanTestFailure("sqlite3 failed (\(r.status)) on \(sql): \(r.stderr)") }
}

/// Row counts of every per-run table for one run.
func scanTestRunRowCounts(_ db: String, run: Int64) throws -> [String: Int] {
    var counts: [String: Int] = [:]
    for table in ["run_inputs", "run_policies", "policy_rules", "group_stats", "group_exposure", "run_reject_counts",
                  "verdicts", "rejects"] {
        counts[table] = try scanTestSQLInt(db, "SELECT count(*) FROM \(table) WHERE run_id = \(run)")
    }
    return counts
}

/// A policy where some tracks have no `exposed` verdict at all (for `--store exposed`).
let scanTestStrictPolicyYAML = """
    id: test-strict
    title: Test policy where some tracks have nothing exposed
    source: unit test
    uses:
      ai_generative_training:
        - id: labelled
          when: { label_status: [major, licensed] }
          verdict: blocked
        - id: opt-in
          when: { genai_opt_in: true }
          verdict: consented
        - id: opted-out
          when: { ai_opt_out: true }
          verdict: blocked
        - id: open
          verdict: exposed
      ai_training:
        - id: labelled
          when: { label_status: [major, licensed] }
          verdict: blocked
        - id: opted-out
          when: { ai_opt_out: true }
          verdict: blocked
        - id: open
          verdict: exposed
      ai_inference:
        - id: major
          when: { label_status: major }
          verdict: blocked
        - id: no-ai
          when: { no_ai_tag: true }
          verdict: blocked
        - id: open
          verdict: exposed
      data_mining:
        - id: closed
          verdict: blocked
    """

func scanTestStrictPolicy() throws -> Policy {
    try PolicyLoader.load(yaml: scanTestStrictPolicyYAML, origin: "test-strict.yaml")
}

/// Holds a lock so that another thread can drop it.
final class ScanTestLockBox: @unchecked Sendable {
    private let mutex = NSLock()
    private var lock: DatabaseLock?

    init(_ lock: DatabaseLock) { self.lock = lock }

    func release() {
        mutex.lock()
        lock = nil
        mutex.unlock()
    }
}

/// A row as text with its columns in name order (dictionary order is not stable).
func scanTestRowText(_ row: [String: Any]) -> String {
    row.keys.sorted().map { "\($0)=\(row[$0].map { "\($0)" } ?? "nil")" }.joined(separator: " ")
}
