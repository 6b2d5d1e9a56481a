import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

extension EndToEnd {
    /// The reading commands run by a user who may not write the database or its directory:
    /// the nightly job writes it as one user, an analyst reads it as another.
    ///
    /// The other user runs a copy of the binary (``AnotherUser``), wherever the repository
    /// is. Dropping to another user needs root, and the tests are skipped without it;
    /// elsewhere the core tests cover the read-only open (`ReadOnlyAccessTests`).
    @Suite struct ReaderAccess {
        @Test func readersWorkWithoutWriteAccess() throws {
            let nobody = try AnotherUser.nobody("readers")
            let sample = try nobody.stage(Paths.sample("nightly-2026-11-20.csv.gz"))
            let tmp = try TempDir()  // 0755, owned by root: nobody may read it, not write it
            chmod(tmp.path, 0o755)
            let scan = try consentry(["scan", Paths.sample("nightly-2026-11-20.csv.gz"), "--db", tmp.db, "--quiet"])
            #expect(scan.exitCode == 0, "\(scan)")
            let listing = try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted()

            let asRoot = try consentry(["report", "--db", tmp.db, "--format", "json"])
            let report = try nobody.run(["report", "--db", tmp.db, "--format", "json"])
            #expect(report.exitCode == 0 && report.stdout == asRoot.stdout, "\(report)")
            for command in [["runs"], ["trend"], ["rejects"], ["diff", "1", "1"], ["export", "--format", "csv"]] {
                let r = try nobody.run(command + ["--db", tmp.db])
                let root = try consentry(command + ["--db", tmp.db])
                #expect(r.exitCode == 0 && r.stderr.isEmpty && r.stdout == root.stdout, "\(command): \(r)")
            }
            // Nothing was created beside the database.
            #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted() == listing)
            // Writing a file there is refused with the reason; so is a scan.
            let output = try nobody.run(["report", "--db", tmp.db, "--output", tmp.file("r.html"), "--format", "html"])
            #expect(output.exitCode == 2 && output.stderr.contains("writable"), "\(output)")
            let refused = try nobody.run(["scan", sample, "--db", tmp.db])
            #expect(refused.exitCode == 2 && refused.stderr.contains(tmp.db), "\(refused)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).sorted() == listing)
        }

        /// A directory the reader may write, a file it may not: SQLite would open the file
        /// read-only by itself and create `-wal` and `-shm` files the reader owns, which the
        /// owner's next scan could not write.
        @Test func readersCreateNothingInADirectoryTheyMayWrite() throws {
            let nobody = try AnotherUser.nobody("readers")
            let shared = try nobody.writableDirectory("shared")
            chmod(shared, 0o1777)
            let db = shared + "/results.sqlite"
            let scan = try consentry(["scan", Paths.sample("nightly-2026-11-20.csv.gz"), "--db", db, "--quiet"])
            #expect(scan.exitCode == 0, "\(scan)")
            chmod(db, 0o644)
            let listing = try FileManager.default.contentsOfDirectory(atPath: shared).sorted()
            for command in [["runs"], ["report", "--format", "json"], ["track", "does-not-exist"]] {
                let r = try nobody.run(command + ["--db", db])
                #expect(r.exitCode == 0 || command[0] == "track", "\(command): \(r)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: shared).sorted() == listing, "\(command)")
            }
            let next = try consentry(["scan", Paths.sample("nightly-2026-11-20.csv.gz"), "--db", db, "--quiet"])
            #expect(next.exitCode == 0, "\(next)")
        }

        /// A first run killed in a sticky directory leaves a journal the reader may not
        /// remove, beside a file it may write: SQLite would roll the file back, then fail to
        /// delete the journal with an I/O error. The reader is told what the journal means;
        /// the owner's next scan rolls it back.
        @Test func aReaderThatCannotRemoveAKilledFirstRunsJournalIsToldWhy() throws {
            let nobody = try AnotherUser.nobody("readers")
            let shared = try nobody.writableDirectory("shared")
            chmod(shared, 0o1777)
            let db = shared + "/results.sqlite"
            let child = try KilledFirstRun.firstRunWritingTheFile(db)
            child.signal(SIGKILL)
            _ = child.finish(timeout: 10)
            // Writable by the reader, as a shared group's umask leaves them; only the sticky
            // directory keeps it from removing the journal.
            chmod(db, 0o666)
            chmod(db + "-journal", 0o666)
            let refused = try nobody.run(["runs", "--db", db])
            #expect(refused.exitCode == 75, "\(refused)")
            #expect(refused.stderr.contains("interrupted"), "\(refused.stderr)")
            #expect(FileManager.default.fileExists(atPath: db + "-journal"), "the reader left the journal")
            let next = try consentry(["scan", Paths.sample("nightly-2026-11-20.csv.gz"), "--db", db, "--quiet"])
            #expect(next.exitCode == 0, "\(next)")
            #expect(try SQLite(db, readOnly: true).lines("SELECT status || ' ' || coalesce(error, '') FROM runs ORDER BY id")
                    == ["failed interrupted", "completed "])
            let after = try nobody.run(["runs", "--db", db])
            #expect(after.exitCode == 0, "\(after)")
        }

        @Test func readersWorkWithoutWriteAccessDuringAScan() throws {
            let nobody = try AnotherUser.nobody("readers")
            let tmp = try TempDir()
            chmod(tmp.path, 0o755)
            let first = try consentry(["scan", Paths.sample("nightly-2026-11-20.csv.gz"), "--db", tmp.db, "--quiet"])
            #expect(first.exitCode == 0, "\(first)")
            let (child, run) = try LocksAndSignals().startBlockedScan(tmp)
            let during = try nobody.run(["runs", "--db", tmp.db])
            #expect(during.exitCode == 0 && during.stdout.contains("running") && during.stdout.contains("completed"), "\(during)")
            child.closeStdin()
            let finished = child.finish(timeout: 60)
            #expect(finished.exitCode == 0, "\(finished)")
            let after = try nobody.run(["report", "--run", "\(run)", "--db", tmp.db, "--format", "json"])
            #expect(after.exitCode == 0 && after.stdout.contains("\"status\":\"completed\""), "\(after)")
        }
    }
}
