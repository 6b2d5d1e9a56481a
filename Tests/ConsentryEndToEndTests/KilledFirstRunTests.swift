import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension EndToEnd {
    /// A new database's first run writes into the file itself, in SQLite's rollback journal
    /// (DATABASE.md): killed after it has written pages there, it must leave no trace but its
    /// `running` row, for readers and for the next scan.
    @Suite struct KilledFirstRun {
        /// Starts the first run of the new database `db` and returns once it has written
        /// pages into the file, its transaction still open: rejects are written while the
        /// input is read, and kept they fill the file while the scan waits for more input.
        static func firstRunWritingTheFile(_ db: String) throws -> Child {
            let child = try Child(executable: try consentryPath(),
                                  ["scan", "-", "--db", db, "--keep-rejects", "all", "--jobs", "2"],
                                  keepStdinOpen: true)
            let padding = String(repeating: "x", count: 120)
            child.send("track_id,label_status\n" + (0..<60_000).map { "k\($0),bogus-\(padding)\n" }.joined())
            // A new database's schema takes about 1.3 MB; the rejects, some 10 MB.
            let writing = eventually(timeout: 60) {
                let size = (try? FileManager.default.attributesOfItem(atPath: db)[.size] as? NSNumber)?.int64Value ?? 0
                return (FileManager.default.fileExists(atPath: db + "-journal") && size > 6 << 20) || !child.isRunning
            }
            guard writing, child.isRunning else {
                child.closeStdin()
                throw TestFailure("the first run did not write its rejects into the file: \(child.finish(timeout: 10))")
            }
            return child
        }

        @Test func aFirstRunKilledWhileWritingTheFileIsUndoneAndTheNextScanCompletes() throws {
            let tmp = try TempDir()
            let child = try Self.firstRunWritingTheFile(tmp.db)
            #expect(!FileManager.default.fileExists(atPath: tmp.db + "-wal"), "a first run writes without the WAL")
            // Readers wait for it, then give up saying why (after the 10 s busy timeout).
            let waiting = try consentry(["runs", "--db", tmp.db], timeout: 60)
            #expect(waiting.exitCode == 75, "\(waiting)")
            #expect(waiting.stderr.contains("being written without its WAL"), "\(waiting.stderr)")
            child.signal(SIGKILL)
            let killed = child.finish(timeout: 10)
            #expect(killed.signaled && killed.status == SIGKILL, "\(killed)")
            #expect(FileManager.default.fileExists(atPath: tmp.db + "-journal"), "the kill leaves the journal")

            // A reader that may write the file undoes the run's pages and sees it running.
            let runs = try consentry(["runs", "--db", tmp.db])
            #expect(runs.exitCode == 0, "\(runs)")
            #expect(runs.stdout.contains("running"), "\(runs.stdout)")
            #expect(!FileManager.default.fileExists(atPath: tmp.db + "-journal"))
            #expect(try SQLite(tmp.db, readOnly: true).int("SELECT count(*) FROM rejects") == 0)

            let input = try tmp.write("small.csv", "track_id,label_status\nn1,major\n")
            let next = try consentry(["scan", input, "--db", tmp.db])
            #expect(next.exitCode == 0, "\(next)")
            let db = SQLite(tmp.db, readOnly: true)
            #expect(try db.lines("SELECT id || ' ' || status || ' ' || coalesce(error, '') FROM runs ORDER BY id")
                    == ["1 failed interrupted", "2 completed "])
            #expect(try db.lines("PRAGMA integrity_check") == ["ok"])
            #expect(try db.lines("PRAGMA journal_mode") == ["wal"])
            #expect(try db.int("SELECT count(*) FROM rejects") == 0)
        }
    }
}
