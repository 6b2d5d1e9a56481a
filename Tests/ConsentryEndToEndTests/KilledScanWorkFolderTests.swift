import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension EndToEnd {
    /// A scan killed with SIGKILL leaves its work folder; the next scan removes it, wherever
    /// `--temp-dir` put it (contract §4, run lifecycle).
    @Suite struct KilledScanWorkFolders {
        /// The scan work folders of the database `results.sqlite` in `directory`.
        static func workFolders(in directory: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
                .filter { $0.hasPrefix(".results.sqlite.work-") }.map { directory + "/" + $0 }
        }

        @Test func theNextScanWithoutTempDirRemovesTheFolderAKilledScanLeftUnderItsTempDir() throws {
            let tmp = try TempDir()
            let spill = try tmp.makeDirectory("spill")
            let elsewhere = try tmp.makeDirectory("elsewhere")
            // A relative database path and --temp-dir, from the test's directory: the run
            // records where the folder is, so the next scan finds it from anywhere.
            let child = try Child(executable: try consentryPath(),
                                  ["scan", "-", "--db", "results.sqlite", "--temp-dir", "spill", "--jobs", "2"],
                                  keepStdinOpen: true, directory: tmp.path)
            child.send("track_id,label_status,artist_id\n" + (0..<500).map { "k\($0),independent,a\($0 % 7)\n" }.joined())
            var folders: [String] = []
            // The folder is made once the run is recorded `running` (a first run keeps readers
            // out until it ends, so the folder is what shows it started).
            let started = eventually(timeout: 20) {
                folders = Self.workFolders(in: spill)
                return folders.count == 1 || !child.isRunning
            }
            guard started, child.isRunning else {
                child.closeStdin()
                throw TestFailure("the scan did not start: \(child.finish(timeout: 10))")
            }
            child.signal(SIGKILL)
            let killed = child.finish(timeout: 10)
            #expect(killed.signaled && killed.status == SIGKILL, "\(killed)")
            #expect(Self.workFolders(in: spill) == folders, "a killed scan cannot clean up")
            let recorded = try SQLite(tmp.db, readOnly: true).lines("SELECT work_dir FROM runs WHERE id = 1")
            #expect(recorded == [URL(fileURLWithPath: folders[0]).standardizedFileURL.path], "the run records the folder's absolute path")

            // The next scan, from another directory, without --temp-dir: its own folder is beside the database.
            let input = try tmp.write("small.csv", "track_id,label_status\nn1,major\n")
            let next = try consentry(["scan", input, "--db", tmp.db], directory: elsewhere)
            #expect(next.exitCode == 0, "\(next)")
            #expect(Self.workFolders(in: spill).isEmpty, "the killed scan's folder is removed")
            #expect(Self.workFolders(in: tmp.path).isEmpty, "the next scan removed its own folder")
            let run = try SQLite(tmp.db, readOnly: true).run(1)
            #expect(run["status"]?.string == "failed" && run["error"]?.string == "interrupted", "\(run)")
            // The spill directory itself, and what else is in it, stay.
            #expect(FileManager.default.fileExists(atPath: spill))
        }

        @Test func aRecordedFolderWithAnotherNameIsNeverRemoved() throws {
            let tmp = try TempDir()
            let precious = try tmp.makeDirectory("precious")
            try tmp.write("precious/keep.txt", "keep")
            let input = try tmp.write("small.csv", "track_id,label_status\nn1,major\n")
            #expect(try consentry(["scan", input, "--db", tmp.db]).exitCode == 0)
            // A run left running that names a folder that is not a scan work folder.
            try SQLite(tmp.db).execute("""
                INSERT INTO runs (started_at, status, tool_version, store_mode, command_line, work_dir)
                VALUES ('2026-01-01T00:00:00Z', 'running', 'x', 'all', 'consentry scan', '\(precious)')
                """)
            #expect(try consentry(["scan", input, "--db", tmp.db]).exitCode == 0)
            #expect(FileManager.default.fileExists(atPath: precious + "/keep.txt"))
            #expect(try SQLite(tmp.db, readOnly: true).lines("SELECT status FROM runs ORDER BY id") == ["completed", "failed", "completed"])
        }
    }
}
