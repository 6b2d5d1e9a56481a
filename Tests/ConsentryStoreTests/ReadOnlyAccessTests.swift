import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
import ScanTestSupport
import TestSupport

/// A reader without write access (an analyst reading what the nightly job writes as another
/// user) opens the database read-only. The tests run as root, which may write anything, so
/// they open it read-only directly; the end-to-end tests run the commands as another user.
@Suite("readers without write access")
struct ReadOnlyAccessTests {
    static let csv = "track_id,label_status,genai_opt_in\na1,independent,\na2,major,yes\na1,major,\n"

    private func listing(_ dir: TempDir) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    @Test("a closed database is read without creating -wal or -shm, and reads as a writer reads it")
    func closedDatabase() throws {
        let dir = try TempDir("ro")
        let input = try dir.write("a.csv", Self.csv)
        let run = try scanTestScan(dir.db, inputs: [input], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy)).runID
        let before = try listing(dir)
        #expect(!before.contains { $0.hasSuffix("-wal") || $0.hasSuffix("-shm") })
        let expected = try {
            let writer = try ResultsDatabase(path: dir.db, create: false)
            return (try writer.runs(), try writer.report(runID: run))
        }()
        #expect(try listing(dir) == before)
        let reader = try ResultsDatabase(readOnly: dir.db)
        #expect(try reader.runs() == expected.0)
        #expect(try reader.report(runID: run) == expected.1)
        let exported = try reader.readVerdicts { verdicts in
            let cursor = try verdicts.cursor(try verdicts.source(run: nil, policy: nil))
            var ids: [String] = []
            while try cursor.next() { ids.append(cursor.trackIDString) }
            return ids
        }
        #expect(exported.sorted() == ["a1", "a2"])
        #expect(try listing(dir) == before)
        // It cannot write.
        let error = thrownError { try reader.startRun(toolVersion: "test", storeMode: .all, commandLine: "test") } as? StoreError
        #expect(error?.kind == .readOnly)
    }

    @Test("a database written after a read-only reader opened it immutably refuses the next read, asking to run again")
    func writtenMeanwhile() throws {
        let dir = try TempDir("ro")
        let input = try dir.write("a.csv", Self.csv)
        let policies = try ["soundcloud-2025-05"].map(BuiltInPolicies.policy)
        try scanTestScan(dir.db, inputs: [input], policies: policies)
        let reader = try ResultsDatabase(readOnly: dir.db)
        #expect(try reader.runs().count == 1)
        try scanTestScan(dir.db, inputs: [input], policies: policies)
        let error = thrownError { try reader.runs() } as? StoreError
        #expect(error?.kind == .locked)
        #expect(error?.description.contains("run the command again") == true, "\(String(describing: error))")
        // Opened again, it reads the new state.
        #expect(try ResultsDatabase(readOnly: dir.db).runs().count == 2)
    }

    @Test("while a writer has the database open, a read-only reader reads through its WAL and sees each commit")
    func duringAWriter() throws {
        let dir = try TempDir("ro")
        let input = try dir.write("a.csv", Self.csv)
        let policies = try ["soundcloud-2025-05"].map(BuiltInPolicies.policy)
        try scanTestScan(dir.db, inputs: [input], policies: policies)
        let writer = try ResultsDatabase(path: dir.db, create: false)
        #expect(try writer.runs().count == 1)
        #expect(try listing(dir).contains("results.sqlite-wal"))
        let reader = try ResultsDatabase(readOnly: dir.db)
        try scanTestScan(dir.db, inputs: [input], policies: policies)
        #expect(try reader.runs().count == 2)
        withExtendedLifetime(writer) {}
    }

    @Test("an old schema needs write access to upgrade; a newer one is refused as from a writer")
    func schemas() throws {
        let dir = try TempDir("ro")
        try scanTestDatabase(dir, schema: "v2")
        let old = thrownError { try ResultsDatabase(readOnly: dir.db) } as? StoreError
        #expect(old?.kind == .readOnly)
        #expect(old?.message.contains("needs an upgrade, which needs write access") == true, "\(String(describing: old))")
        _ = try ResultsDatabase(path: dir.db, create: false)
        try SQLite(dir.db).execute("INSERT INTO grdb_migrations (identifier) VALUES ('v999-from-the-future')")
        #expect((thrownError { try ResultsDatabase(readOnly: dir.db) } as? StoreError)?.kind == .newerSchema)
    }

    @Test("a file that is not SQLite is refused as not a database")
    func notADatabase() throws {
        let dir = try TempDir("ro")
        let path = try dir.write("x.sqlite", String(repeating: "track_id,label_status\n", count: 100))
        #expect((thrownError { try ResultsDatabase(readOnly: path) } as? StoreError)?.kind == .notADatabase)
    }
}
