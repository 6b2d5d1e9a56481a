import Foundation
import GRDB
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
import ScanTestSupport
import TestSupport

@Suite("The journal: a new database's first run without the WAL, every other run and reader with it")
struct FirstRunJournalTests {
    static func journalMode(_ db: String) throws -> String {
        try SQLite(db, readOnly: true).lines("PRAGMA journal_mode").joined()
    }

    /// A connection that gives up at once when the database is locked.
    static func impatientReader(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .immediateError
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    @Test("a reader that holds the database when the first run ends leaves the switch to WAL to the next writer")
    func switchLeftToTheNextWriter() throws {
        let dir = try TempDir("journal")
        let database = try ResultsDatabase(path: dir.db, create: true, holdingLock: true)
        let run = try database.startRun(toolVersion: "test", storeMode: .all, commandLine: "test")
        try database.completeRun(run) { _ in }
        let reader = try Self.impatientReader(dir.db)
        let error = try reader.inDatabase { db in
            try db.execute(sql: "BEGIN")
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM runs")
            defer { try? db.execute(sql: "COMMIT") }
            return thrownError { try database.useWAL(attempts: 2, timeout: 0.05) }
        }
        #expect((error as? StoreError)?.kind == .locked, "\(String(describing: error))")
        #expect(try Self.journalMode(dir.db) == "delete")
        // Read-only readers read it with locks.
        #expect(try ResultsDatabase(readOnly: dir.db).runs().count == 1)
        _ = try ResultsDatabase(path: dir.db, create: true, holdingLock: true)
        #expect(try Self.journalMode(dir.db) == "wal")
    }

    @Test("a scan refuses the results database, or a journal file beside it, as an input")
    func databaseAsInput() throws {
        let dir = try TempDir("journal")
        let input = try dir.write("a.csv", "track_id,label_status\na1,major\n")
        let policies = try ["soundcloud-2025-05"].map(BuiltInPolicies.policy)
        try scanTestScan(dir.db, inputs: [input], policies: policies)
        let link = dir.file("link.csv")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: dir.db)
        for path in [dir.db, link] {
            let error = thrownError { try scanTestScan(dir.db, inputs: [path], policies: policies) } as? InputError
            #expect(error?.kind == .unreadable && error?.message.contains("results database") == true, "\(String(describing: error))")
        }
        #expect(try SQLite(dir.db, readOnly: true).lines("SELECT status FROM runs ORDER BY id") == ["completed", "failed", "failed"])
    }

    @Test("a scan into a new database writes its run in the rollback journal, and leaves the database in WAL mode")
    func firstRunWithoutWAL() throws {
        let dir = try TempDir("journal")
        let database = try ResultsDatabase(path: dir.db, create: true, holdingLock: true)
        let run = try database.startRun(toolVersion: "test", storeMode: .all, commandLine: "test")
        let (mode, synchronous, otherReader) = try database.completeRun(run) { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
             thrownError { try Self.impatientReader(dir.db).read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM runs") } })
        }
        #expect(mode == "delete")
        #expect(synchronous == 2, "FULL: the rollback journal is safe from power cuts only with it")
        // The run holds the database from its start, before it has written anything.
        #expect((otherReader as? DatabaseError)?.resultCode == .SQLITE_BUSY, "\(String(describing: otherReader))")
        #expect(ResultsDatabase.usesRollbackJournal(dir.db))
        try database.useWAL()
        #expect(try Self.journalMode(dir.db) == "wal")
        #expect(!ResultsDatabase.usesRollbackJournal(dir.db))
        #expect(try database.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 1, "NORMAL in WAL mode")
        #expect(!FileManager.default.fileExists(atPath: dir.db + "-journal"))

        // And through the scanner, with the history written.
        let other = dir.file("scanned.sqlite")
        let input = try dir.write("a.csv", "track_id,label_status\na1,major\na2,independent\n")
        _ = try scanTestScan(other, inputs: [input], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy))
        #expect(try Self.journalMode(other) == "wal")
        #expect(try SQLite(other, readOnly: true).int("SELECT count(*) FROM runs WHERE status = 'completed'") == 1)
    }

    @Test("a database that has a run is written through the WAL, and a reader leaves the mode as it finds it")
    func laterRunsWithWAL() throws {
        let dir = try TempDir("journal")
        let input = try dir.write("a.csv", "track_id,label_status\na1,major\n")
        _ = try scanTestScan(dir.db, inputs: [input], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy))
        // As a first run leaves it when a reader kept it from switching.
        try SQLite(dir.db).execute("PRAGMA journal_mode = DELETE")
        #expect(try Self.journalMode(dir.db) == "delete")
        _ = try ResultsDatabase(path: dir.db, create: false).runs()
        #expect(try Self.journalMode(dir.db) == "delete", "a reader does not change the journal")
        let writer = try ResultsDatabase(path: dir.db, create: true, holdingLock: true)
        #expect(try Self.journalMode(dir.db) == "wal")
        let run = try writer.startRun(toolVersion: "test", storeMode: .all, commandLine: "test")
        #expect(try writer.completeRun(run) { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")

        // A run that failed counts: its database is no longer new.
        let failed = dir.file("failed.sqlite")
        let first = try ResultsDatabase(path: failed, create: true, holdingLock: true)
        try first.failRun(try first.startRun(toolVersion: "test", storeMode: .all, commandLine: "test"), error: "boom")
        #expect(try Self.journalMode(failed) == "delete")
        _ = try ResultsDatabase(path: failed, create: true, holdingLock: true)
        #expect(try Self.journalMode(failed) == "wal")
    }

    @Test("while a first run holds the database, a reader is told why it waits, and a reader without write access is refused")
    func readersDuringAFirstRun() throws {
        let dir = try TempDir("journal")
        let busy = DatabaseError(resultCode: .SQLITE_BUSY, message: "database is locked")
        // In WAL mode, another process's lock is just that.
        let input = try dir.write("a.csv", "track_id,label_status\na1,major\n")
        let scanned = dir.file("scanned.sqlite")
        try scanTestScan(scanned, inputs: [input], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy))
        let plain = try #require(ResultsDatabase.translate(busy, path: scanned) as? StoreError)
        #expect(plain.kind == .locked && !plain.message.contains("WAL"), "\(plain.message)")

        // A new database, before its first run has written anything.
        _ = try ResultsDatabase(path: dir.db, create: true, holdingLock: true)
        let first = try #require(ResultsDatabase.translate(busy, path: dir.db) as? StoreError)
        #expect(first.message.contains("being written without its WAL"), "\(first.message)")

        // The journal SQLite keeps beside the file while a first run writes it.
        _ = try dir.write("results.sqlite-journal", "")
        let waiting = try #require(ResultsDatabase.translate(busy, path: dir.db) as? StoreError)
        #expect(waiting.kind == .locked)
        #expect(waiting.message.contains("being written without its WAL"), "\(waiting.message)")
        let refused = try #require(thrownError { _ = try ResultsDatabase(readOnly: dir.db) } as? StoreError)
        #expect(refused.kind == .locked)
        #expect(refused.message.contains("being written without its WAL"), "\(refused.message)")
        try FileManager.default.removeItem(atPath: dir.db + "-journal")
        _ = try ResultsDatabase(readOnly: dir.db)
    }
}
