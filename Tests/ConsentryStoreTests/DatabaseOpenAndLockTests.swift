import Foundation
import GRDB
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
import ScanTestSupport
import TestSupport

@Suite("DatabaseLock: one scan at a time per database (contract §4)")
struct DatabaseLockTests {
    @Test("a second lock on the same database throws .locked naming the holder's pid")
    func secondLockThrows() throws {
        let dir = try TempDir("lock")
        let first = try DatabaseLock(databasePath: dir.db)
        let started = Date()
        let error = thrownError { try DatabaseLock(databasePath: dir.db) }
        let storeError = try #require(error as? StoreError, "\(String(describing: error))")
        #expect(storeError.kind == .locked)
        #expect(storeError.message.contains("pid \(getpid())"), "\(storeError.message)")
        #expect(storeError.file == dir.db)
        #expect(Date().timeIntervalSince(started) < 2, "wait 0 must not wait")
        // Another database is not affected.
        _ = try DatabaseLock(databasePath: dir.file("other.sqlite"))
        withExtendedLifetime(first) {}
    }

    @Test("a scan while another holds the lock fails with .locked and records no run")
    func scanWhileLocked() throws {
        let dir = try TempDir("lock")
        let input = try dir.write("a.csv", "track_id,label_status\na1,major\n")
        _ = try ResultsDatabase(path: dir.db, create: true)
        let holder = try DatabaseLock(databasePath: dir.db)
        let error = thrownError { try scanTestScan(dir.db, inputs: [input], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy)) }
        #expect((error as? StoreError)?.kind == .locked)
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM runs") == 0)
        withExtendedLifetime(holder) {}
    }

    @Test("with wait, the lock is taken once the holder releases it (dropped on another thread after 0.3 s)")
    func waitSucceeds() throws {
        let dir = try TempDir("lock")
        let box = ScanTestLockBox(try DatabaseLock(databasePath: dir.db))
        let started = Date()
        let releaser = Thread {
            Thread.sleep(forTimeInterval: 0.3)
            box.release()
        }
        releaser.start()
        let second = try DatabaseLock(databasePath: dir.db, wait: 10)
        let waited = Date().timeIntervalSince(started)
        #expect(waited >= 0.25, "took the lock after \(waited) s, before it was released")
        #expect(waited < 5, "waited \(waited) s")
        // Now the second holds it.
        let third = thrownError { try DatabaseLock(databasePath: dir.db, wait: 0.2) } as? StoreError
        #expect(third?.kind == .locked)
        withExtendedLifetime(second) {}
    }

    @Test("with a too short wait it still throws .locked, after about the wait")
    func waitTimesOut() throws {
        let dir = try TempDir("lock")
        let first = try DatabaseLock(databasePath: dir.db)
        let started = Date()
        let error = thrownError { try DatabaseLock(databasePath: dir.db, wait: 0.3) } as? StoreError
        let waited = Date().timeIntervalSince(started)
        #expect(error?.kind == .locked)
        #expect(waited >= 0.25 && waited < 3, "\(waited)")
        withExtendedLifetime(first) {}
    }

    @Test("a refused lock closes its descriptor once: files another thread opens meanwhile stay open")
    func refusedLockClosesOnce() throws {
        let dir = try TempDir("lockclose")
        let holder = try DatabaseLock(databasePath: dir.db)
        defer { withExtendedLifetime(holder) {} }
        // Another thread opens, reads and closes files all the while. A descriptor closed a
        // second time by a refused lock is, now and then, one of this thread's, which then
        // fails with EBADF.
        let stop = SharedFlag()
        let failures = SharedFlag()
        let done = DispatchSemaphore(value: 0)
        Thread {
            var byte: UInt8 = 0
            while !stop.isSet {
                let fd = open("/dev/zero", O_RDONLY | O_CLOEXEC)
                if fd < 0 { continue }
                if read(fd, &byte, 1) != 1 || close(fd) != 0 { failures.set() }
            }
            done.signal()
        }.start()
        for _ in 0..<20_000 {
            _ = try? DatabaseLock(databasePath: dir.db)
        }
        stop.set()
        done.wait()
        #expect(!failures.isSet, "a file of another thread was closed under it")
    }

    @Test("a lock whose file its holder removed is taken on a new file at the path, so it still keeps others out")
    func fileRemovedByHolder() throws {
        let dir = try TempDir("lockremoved")
        var holder: DatabaseLock? = try DatabaseLock(databasePath: dir.db)
        let taken = DispatchSemaphore(value: 0)
        // Written by the thread before it signals `taken`, read after the wait.
        final class Outcome: @unchecked Sendable {
            var lock: DatabaseLock?
            var error: (any Error)?
        }
        let outcome = Outcome()
        let db = dir.db
        Thread {
            do { outcome.lock = try DatabaseLock(databasePath: db, wait: 20) } catch { outcome.error = error }
            taken.signal()
        }.start()
        // Until the waiter has the file open too, the removal would test nothing.
        let lockPath = dir.db + ".lock"
        let opened = Date()
        while Self.descriptors(of: lockPath) < 2 && Date().timeIntervalSince(opened) < 20 {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(Self.descriptors(of: lockPath) == 2, "the waiter never opened the lock file")
        // The holder made the file and removes it, as a scan does when --db names no database.
        let refused = thrownError {
            try holder!.opening { throw StoreError(.notConsentry, "another program's database", file: dir.db) }
        } as? StoreError
        #expect(refused?.kind == .notConsentry)
        #expect(!FileManager.default.fileExists(atPath: dir.db + ".lock"))
        holder = nil
        #expect(taken.wait(timeout: .now() + 30) == .success)
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        #expect(outcome.lock != nil)
        #expect(FileManager.default.fileExists(atPath: dir.db + ".lock"), "the waiter holds a file no longer at the path")
        let third = thrownError { try DatabaseLock(databasePath: dir.db) } as? StoreError
        #expect(third?.kind == .locked, "two locks held at once: \(String(describing: third))")
        withExtendedLifetime(outcome) {}
    }

    /// How many of this process's descriptors are open on `path`.
    private static func descriptors(of path: String) -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == path }.count
    }

    @Test("a lock file that is a symbolic link to no file gets its target made, as before it could be removed")
    func danglingLink() throws {
        let dir = try TempDir("locklink")
        let target = dir.file("elsewhere.lock")
        try FileManager.default.createSymbolicLink(atPath: dir.db + ".lock", withDestinationPath: target)
        // On another thread: a lock that retried for ever would hang the test run otherwise.
        final class Outcome: @unchecked Sendable { var error: (any Error)?; var taken = false }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let db = dir.db
        Thread {
            do { _ = try DatabaseLock(databasePath: db); outcome.taken = true } catch { outcome.error = error }
            done.signal()
        }.start()
        #expect(done.wait(timeout: .now() + 20) == .success, "the lock kept trying")
        #expect(outcome.taken, "\(String(describing: outcome.error))")
        #expect(FileManager.default.fileExists(atPath: target))
    }

    @Test("a lock file that was there before is left when the database is refused")
    func existingFileKept() throws {
        let dir = try TempDir("lockkept")
        do { _ = try DatabaseLock(databasePath: dir.db) }
        let lock = try DatabaseLock(databasePath: dir.db)
        _ = thrownError { try lock.opening { throw StoreError(.missing, "no database", file: dir.db) } }
        #expect(FileManager.default.fileExists(atPath: lock.path))
        // Other errors never remove it either.
        let fresh = try DatabaseLock(databasePath: dir.file("other.sqlite"))
        _ = thrownError { try fresh.opening { throw StoreError(.readOnly, "read-only", file: dir.file("other.sqlite")) } }
        #expect(FileManager.default.fileExists(atPath: fresh.path))
    }

    @Test("dropping a lock releases it at once")
    func released() throws {
        let dir = try TempDir("lock")
        do { _ = try DatabaseLock(databasePath: dir.db) }
        let again = try DatabaseLock(databasePath: dir.db)
        withExtendedLifetime(again) {}
    }
}

@Suite("ResultsDatabase: opening refuses what it cannot use (contract §4, §6)")
struct ResultsDatabaseOpenTests {
    @Test("a database with a migration this version does not know is refused with .newerSchema")
    func newerSchema() throws {
        let dir = try TempDir("db")
        do { _ = try ResultsDatabase(path: dir.db, create: true) }
        let known = try SQLite(dir.db, readOnly: true).rows("SELECT identifier FROM grdb_migrations").compactMap { $0["identifier"]?.string }
        #expect(known == ["v1", "v2", "v3", "v4", "v5", "v6", "v7"])
        try SQLite(dir.db).execute("INSERT INTO grdb_migrations (identifier) VALUES ('v999-from-the-future')")
        for create in [false, true] {
            let error = thrownError { try ResultsDatabase(path: dir.db, create: create) }
            let storeError = try #require(error as? StoreError, "\(String(describing: error))")
            #expect(storeError.kind == .newerSchema)
            #expect(storeError.message.contains("newer"))
        }
        // A scan is refused too, and leaves no run behind.
        let input = try dir.write("a.csv", "track_id,label_status\na1,major\n")
        let scanError = thrownError { try scanTestScan(dir.db, inputs: [input], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy)) }
        #expect((scanError as? StoreError)?.kind == .newerSchema)
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM runs") == 0)
    }

    @Test("another program's SQLite database is refused by scans and readers alike, and left exactly as it was")
    func foreignDatabase() throws {
        let dir = try TempDir("foreign")
        // A table named as one of ours: half a migration must not happen either.
        try SQLite(dir.db).execute("CREATE TABLE runs (x); CREATE TABLE notes (y); INSERT INTO notes VALUES ('keep me')")
        let before = try SQLite(dir.db, readOnly: true).lines("SELECT type || ' ' || name FROM sqlite_master ORDER BY name")
        let mode = try SQLite(dir.db, readOnly: true).lines("PRAGMA journal_mode")
        for open in [{ _ = try ResultsDatabase(path: dir.db, create: true) }, { _ = try ResultsDatabase(path: dir.db, create: false) },
                     { _ = try ResultsDatabase(readOnly: dir.db) }] {
            let error = thrownError(open) as? StoreError
            #expect(error?.kind == .notConsentry, "\(String(describing: error))")
            #expect(error?.message.contains("'notes', 'runs'") == true, "\(String(describing: error))")
        }
        let input = try dir.write("a.csv", "track_id,label_status\na1,major\n")
        let scanError = thrownError { try scanTestScan(dir.db, inputs: [input], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy)) }
        #expect((scanError as? StoreError)?.kind == .notConsentry)
        #expect(!FileManager.default.fileExists(atPath: dir.db + ".lock"), "the scan's lock file was left beside it")
        #expect(try SQLite(dir.db, readOnly: true).lines("SELECT type || ' ' || name FROM sqlite_master ORDER BY name") == before)
        #expect(try SQLite(dir.db, readOnly: true).lines("PRAGMA journal_mode") == mode)
        #expect(try SQLite(dir.db, readOnly: true).lines("SELECT y FROM notes") == ["keep me"])

        // Another GRDB program's database: its first migration is named v1 too.
        let other = dir.file("other.sqlite")
        try SQLite(other).execute("""
            CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY); INSERT INTO grdb_migrations VALUES ('v1');
            CREATE TABLE runs (id INTEGER PRIMARY KEY, note TEXT)
            """)
        let otherError = thrownError { _ = try ResultsDatabase(path: other, create: false) } as? StoreError
        #expect(otherError?.kind == .notConsentry, "\(String(describing: otherError))")
        #expect(try SQLite(other, readOnly: true).lines("SELECT identifier FROM grdb_migrations") == ["v1"])
    }

    @Test("a v1 database is upgraded in place to history: its verdicts read the same, runs keep their figures")
    func upgradeFromV1() throws {
        let dir = try TempDir("dbv1")
        try scanTestDatabase(dir, schema: "v1")
        try SQLite(dir.db).execute("""
            INSERT INTO runs (id, started_at, finished_at, status, rows_read, rows_scanned, rows_rejected, tool_version, store_mode, command_line)
                VALUES (1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 'completed', 2, 2, 0, '0.1.0', 'all', 'consentry scan');
            INSERT INTO run_policies VALUES (1, 0, 'p', 'sha', 'yaml', 'P', 'p.yaml', 1.0, NULL, NULL);
            INSERT INTO policy_rules VALUES (1, 0, 0, 0, 'r0', 'exposed'), (1, 0, 1, 0, 'r1', 'blocked'),
                (1, 0, 2, 0, 'r2', 'consented'), (1, 0, 3, 0, 'r3', 'blocked');
            INSERT INTO verdicts (rowid, run_id, policy_index, track_id, label_status, verdicts)
                VALUES (7, 1, 0, 't1', 2, \(0x02_01_02_00)), (9, 1, 0, 't2', 0, \(0x02_01_02_00));
            """)
        // While a scan holds the lock, a reader does not upgrade behind its back.
        do {
            let scan = try DatabaseLock(databasePath: dir.db)
            let refused = thrownError { try ResultsDatabase(path: dir.db, create: false) } as? StoreError
            #expect(refused?.kind == .locked && refused?.message.contains("upgrade") == true, "\(String(describing: refused))")
            #expect(try SQLite(dir.db, readOnly: true).rows("SELECT identifier FROM grdb_migrations").count == 1)
            withExtendedLifetime(scan) {}
        }
        let db = try ResultsDatabase(path: dir.db, create: false)
        let known = try SQLite(dir.db, readOnly: true).rows("SELECT identifier FROM grdb_migrations").compactMap { $0["identifier"]?.string }
        #expect(known == ["v1", "v2", "v3", "v4", "v5", "v6", "v7"])
        #expect(try SQLite(dir.db, readOnly: true).rows("SELECT track_id, label_status, use, verdict, rule_id FROM verdicts_readable WHERE track_id = 't1' ORDER BY use").map(scanTestRowText) == [
            "label_status=independent rule_id=r0 track_id=t1 use=ai_generative_training verdict=exposed",
            "label_status=independent rule_id=r2 track_id=t1 use=ai_inference verdict=consented",
            "label_status=independent rule_id=r1 track_id=t1 use=ai_training verdict=blocked",
            "label_status=independent rule_id=r3 track_id=t1 use=data_mining verdict=blocked",
        ])
        #expect(try db.runs().first?.rowsScanned == 2)
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM verdicts_readable") == 8)
    }

    @Test("a v2 database is upgraded in place to history: verdicts_readable and the cursors read the same")
    func upgradeFromV2() throws {
        let dir = try TempDir("dbv2")
        try scanTestDatabase(dir, schema: "v2")
        // Two policies; every label status; rule index 63 on data_mining (bit 31 set).
        let topRule: UInt32 = 63 << 26 | 2 << 24
        try SQLite(dir.db).execute("""
            INSERT INTO runs (id, started_at, finished_at, status, rows_read, rows_scanned, rows_rejected, tool_version,
                              store_mode, command_line, verdicts_first_rowid, verdicts_last_rowid)
                VALUES (1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 'completed', 4, 4, 0, '0.1.0', 'all', 'consentry scan', 3, 10);
            INSERT INTO run_policies VALUES (1, 0, 'p', 'sha', 'yaml', 'P', 'p.yaml', 1.0, NULL, NULL),
                (1, 1, 'q', 'sha', 'yaml', 'Q', 'q.yaml', 1.0, NULL, NULL);
            INSERT INTO policy_rules VALUES (1, 0, 0, 0, 'p0', 'exposed'), (1, 0, 1, 0, 'p1', 'blocked'),
                (1, 0, 2, 0, 'p2', 'consented'), (1, 0, 3, 0, 'p3', 'blocked'), (1, 0, 3, 63, 'p3-last', 'blocked'),
                (1, 1, 0, 0, 'q0', 'exposed'), (1, 1, 0, 1, 'q0b', 'consented'), (1, 1, 1, 0, 'q1', 'exposed'),
                (1, 1, 2, 0, 'q2', 'exposed'), (1, 1, 3, 0, 'q3', 'exposed');
            INSERT INTO verdicts (id, run_id, policy_index, track_id, label_status, verdicts) VALUES
                (3, 1, 0, 't0', 0, \(0x02_01_02_00)), (4, 1, 1, 't0', 0, \(0x00_00_00_05)),
                (5, 1, 0, 't1', 1, \(topRule | 0x01_02_00)), (6, 1, 1, 't1', 1, 0),
                (7, 1, 0, 't2', 2, \(0x02_01_02_00)), (8, 1, 1, 't2', 2, \(0x00_00_00_05)),
                (9, 1, 0, 't3', 3, \(topRule)), (10, 1, 1, 't3', 3, 0);
            """)
        let viewSQL = "SELECT * FROM verdicts_readable ORDER BY track_id, policy_id, use"
        let before = try SQLite(dir.db, readOnly: true).rows(viewSQL).map(scanTestRowText)
        #expect(before.count == 4 * 2 * 4)
        #expect(before.contains("label_status=unknown policy_id=p rule_id=p3-last run_id=1 track_id=t3 use=data_mining verdict=blocked"))

        let db = try ResultsDatabase(path: dir.db, create: false)
        let known = try SQLite(dir.db, readOnly: true).rows("SELECT identifier FROM grdb_migrations").compactMap { $0["identifier"]?.string }
        #expect(known == ["v1", "v2", "v3", "v4", "v5", "v6", "v7"])
        let tables = try SQLite(dir.db, readOnly: true).rows("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap { $0["name"]?.string }
        #expect(!tables.contains("verdicts") && tables.contains("history_packs"))
        #expect(try SQLite(dir.db, readOnly: true).rows(viewSQL).map(scanTestRowText) == before)
        // The cursors decode the same rows.
        let read = try db.readVerdicts { reader in
            var lines: [String] = []
            for policy in ["p", "q"] {
                let cursor = try reader.cursor(try reader.source(run: 1, policy: policy))
                while try cursor.next() {
                    lines.append("\(policy) \(cursor.trackIDString) \(cursor.labelStatus.name) \(String(cursor.packed, radix: 16))")
                }
            }
            return lines.sorted()
        }
        #expect(read == [
            "p t0 major 2010200", "p t1 licensed fe010200", "p t2 independent 2010200", "p t3 unknown fe000000",
            "q t0 major 5", "q t1 licensed 0", "q t2 independent 5", "q t3 unknown 0",
        ])
    }

    @Test("an I/O error names SQLite's extended code, which says which operation failed")
    func ioErrorCode() {
        let error = ResultsDatabase.translate(
            DatabaseError(resultCode: ResultCode(rawValue: 4874), message: "disk I/O error"), path: "x.sqlite") as? StoreError
        #expect(error?.kind == .io)
        #expect(error?.description.hasPrefix("x.sqlite: I/O error on the database (disk I/O error, SQLite code 4874); ") == true,
                "\(String(describing: error))")
    }

    @Test("a file that is not SQLite is refused with .notADatabase and left unchanged", arguments: [false, true])
    func notADatabase(create: Bool) throws {
        let dir = try TempDir("db")
        let text = String(repeating: "this is a CSV export, not a database: track_id,label_status\n", count: 80)
        let path = try dir.write("notes.sqlite", text)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let error = thrownError { try ResultsDatabase(path: path, create: create) }
        let storeError = try #require(error as? StoreError, "\(String(describing: error))")
        #expect(storeError.kind == .notADatabase)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        // Through a scan as well.
        let input = try dir.write("a.csv", "track_id,label_status\na1,major\n")
        var request = ScanRequest(inputs: [input], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy), databasePath: path)
        request.jobs = 1
        let scanError = thrownError { try Scanner.run(request) }
        #expect((scanError as? StoreError)?.kind == .notADatabase)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(!FileManager.default.fileExists(atPath: path + ".lock"), "the scan's lock file was left beside it")
    }

    @Test("a missing database with create: false is .missing and is not created")
    func missing() throws {
        let dir = try TempDir("db")
        let error = thrownError { try ResultsDatabase(path: dir.db, create: false) }
        let storeError = try #require(error as? StoreError, "\(String(describing: error))")
        #expect(storeError.kind == .missing)
        #expect(storeError.file == dir.db)
        #expect(!FileManager.default.fileExists(atPath: dir.db))
        // prune, which takes the scan lock first, leaves no lock file where no database is.
        let pruneError = thrownError { try Pruner.prune(databasePath: dir.db, keep: 1) } as? StoreError
        #expect(pruneError?.kind == .missing)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test("create: true makes a fresh database with the contract §4 tables and the verdicts_readable view")
    func creates() throws {
        let dir = try TempDir("db")
        do { _ = try ResultsDatabase(path: dir.db, create: true) }
        let objects = try SQLite(dir.db, readOnly: true).rows("SELECT name, type FROM sqlite_master").compactMap { row -> String? in
            guard let name = row["name"]?.string, let type = row["type"]?.string else { return nil }
            return "\(type):\(name)"
        }
        for table in ["runs", "run_inputs", "run_policies", "group_stats", "history_packs", "history_ends", "rejects"] {
            #expect(objects.contains("table:\(table)"), "\(table)")
        }
        #expect(objects.contains("view:verdicts_readable"))
        let columns: [String: [String]] = [
            "runs": ["id", "started_at", "finished_at", "status", "error", "rows_read", "rows_scanned", "rows_rejected", "tool_version"],
            "run_inputs": ["run_id", "path", "format", "compression", "bytes", "sha256"],
            "run_policies": ["run_id", "policy_id", "policy_sha256", "policy_source"],
            "group_stats": ["run_id", "policy_id", "label_status", "use", "tracks", "exposed", "consented", "blocked"],
            "rejects": ["run_id", "input", "line", "byte_offset", "code", "column", "message", "excerpt"],
            "verdicts_readable": ["run_id", "policy_id", "track_id", "label_status", "use", "verdict", "rule_id"],
        ]
        for (table, wanted) in columns {
            let have = Set(try SQLite(dir.db, readOnly: true).rows("SELECT name FROM pragma_table_info('\(table)')").compactMap { $0["name"]?.string })
            #expect(Set(wanted).isSubset(of: have), "\(table): missing \(Set(wanted).subtracting(have))")
        }
        // Opening again (now existing) works without create.
        _ = try ResultsDatabase(path: dir.db, create: false)
    }

    @Test("a new database gets 32 KiB pages; one created with SQLite's 4 KiB pages keeps them and scans into them")
    func pageSize() throws {
        let dir = try TempDir("pages")
        _ = try ResultsDatabase(path: dir.db, create: true)
        #expect(try SQLite(dir.db).int("PRAGMA page_size") == 32768)
        // An older database: the file exists with 4 KiB pages before consentry first opens it.
        let older = dir.file("older.sqlite")
        try DatabaseQueue(path: older).writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = 4096; CREATE TABLE placeholder (x); DROP TABLE placeholder")
        }
        let input = try dir.write("a.csv", "track_id,label_status\na1,major\na2,independent\n")
        _ = try ResultsDatabase(path: older, create: true)
        _ = try scanTestScan(older, inputs: [input], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy))
        #expect(try SQLite(older).int("PRAGMA page_size") == 4096)
        #expect(try SQLite(older, readOnly: true).int("SELECT count(*) FROM runs WHERE status = 'completed'") == 1)
        #expect(try SQLite(older).lines("PRAGMA integrity_check") == ["ok"])
    }
}

/// A flag set once, read from other threads.
final class SharedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
