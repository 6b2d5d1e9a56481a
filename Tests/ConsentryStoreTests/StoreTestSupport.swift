import ConsentryModel
import Foundation
import GRDB
import Testing
import TestSupport
@testable import ConsentryStore

// Helpers of the store tests. The scans into a database (``scanTestScan``) and the strict
// policy are in ScanTestSupport: the report tests use them too.

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

/// A row as `column=value` text with its columns in name order.
func scanTestRowText(_ row: JSON) -> String {
    row.orderedKeys.sorted().map { "\($0)=\(row[$0]?.text ?? "nil")" }.joined(separator: " ")
}

/// Creates the database `dir.db` with the schema as migration `version` left it — what an
/// older consentry wrote — for the upgrade tests to fill and open.
func scanTestDatabase(_ dir: TempDir, schema version: String) throws {
    let queue = try DatabaseQueue(path: dir.db)
    try Schema.migrator(databasePath: dir.db).migrate(queue, upTo: version)
}
