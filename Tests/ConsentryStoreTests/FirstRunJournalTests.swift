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

    @Test("a scan into a new database writes its run in the rollback journal, and leaves the database in WAL mode")
    func firstRunWithoutWAL() throws {
        let dir = try TempDir("journal")
        let database = try ResultsDatabase(path: dir.db, create: true, holdingLock: true)
        let run = try database.startRun(toolVersion: "test", storeMode: .all, commandLine: "test")
        let (mode, synchronous) = try database.completeRun(run) { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(mode == "delete")
        #expect(synchronous == 2, "FULL: the rollback journal is safe from power cuts only with it")
        #expect(database.useWAL())
        #expect(try Self.journalMode(dir.db) == "wal")
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
        _ = try ResultsDatabase(path: dir.db, create: true, holdingLock: true)
        let busy = DatabaseError(resultCode: .SQLITE_BUSY, message: "database is locked")
        let plain = try #require(ResultsDatabase.translate(busy, path: dir.db) as? StoreError)
        #expect(plain.kind == .locked && !plain.message.contains("first run"), "\(plain.message)")

        // The journal SQLite keeps beside the file while a first run writes it.
        _ = try dir.write("results.sqlite-journal", "")
        let waiting = try #require(ResultsDatabase.translate(busy, path: dir.db) as? StoreError)
        #expect(waiting.kind == .locked)
        #expect(waiting.message.contains("a scan is writing its first run"), "\(waiting.message)")
        let refused = try #require(thrownError { _ = try ResultsDatabase(readOnly: dir.db) } as? StoreError)
        #expect(refused.kind == .locked)
        #expect(refused.message.contains("first run"), "\(refused.message)")
        try FileManager.default.removeItem(atPath: dir.db + "-journal")
        _ = try ResultsDatabase(readOnly: dir.db)
    }
}
