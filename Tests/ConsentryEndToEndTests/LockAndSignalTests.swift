import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension EndToEnd {
    /// Tests 8, 9 and 10: one scan per database, killed runs, and SIGINT / SIGTERM.
    @Suite struct LocksAndSignals {
        static let header = "track_id,label_status,genai_opt_in\n"

        static func rows(_ prefix: String, _ count: Int) -> String {
            let labels = ["major", "independent", "licensed", "unknown"]
            return (0..<count).map { "\(prefix)-\($0),\(labels[$0 % 4]),\($0 % 3 == 0 ? "yes" : "no")\n" }.joined()
                + "\(prefix)-bad,notalabel,no\n"
        }

        /// The id of the database's `running` run, if there is one (and the file exists yet).
        func runningRun(_ db: String) -> Int? {
            guard FileManager.default.fileExists(atPath: db) else { return nil }
            return try? SQLite(db).rows("SELECT id FROM runs WHERE status = 'running'").first?["id"]?.int
        }

        /// Starts `scan -` on the test's database with a stdin pipe that stays open, feeds it
        /// some rows, and waits until its run is `running` (so it holds the lock and has its
        /// signal handlers installed). The database has a completed run first, as on every
        /// night but the first: a new database's first run keeps readers out until it ends
        /// (DATABASE.md; `KilledFirstRun`).
        func startBlockedScan(_ tmp: TempDir) throws -> (child: Child, run: Int) {
            let seed = try tmp.write("seed.csv", Self.header + Self.rows("seed", 3))
            let seeded = try consentry(["scan", seed, "--db", tmp.db, "--quiet"])
            guard seeded.exitCode == 0 else { throw TestFailure("the seeding scan failed: \(seeded)") }
            let child = try startConsentry(["scan", "-", "--db", tmp.db, "--jobs", "2"])
            child.send(Self.header + Self.rows("s", 300))
            var run: Int? = nil
            _ = eventually(timeout: 20) {
                run = runningRun(tmp.db)
                return run != nil || !child.isRunning
            }
            guard let run, child.isRunning else {
                child.closeStdin()
                throw TestFailure("the blocked scan did not start: \(child.finish(timeout: 10))")
            }
            usleep(300_000)  // let it read and process what was sent
            return (child, run)
        }

        @Test func aSecondScanExits75AtOnceAndWaitLockWaitsForTheFirst() throws {
            let tmp = try TempDir()
            let small = try tmp.write("small.csv", Self.header + Self.rows("w", 10))
            let (first, firstRun) = try startBlockedScan(tmp)
            defer { first.closeStdin() }

            let refused = try consentry(["scan", small, "--db", tmp.db], timeout: 30)
            #expect(refused.exitCode == 75, "\(refused)")
            #expect(refused.elapsed < 5, "exit 75 must come at once, took \(refused.elapsed) s")
            #expect(refused.stderr.contains("\(first.pid)"), "the message should name the holder's pid \(first.pid): \(refused.stderr)")

            // Reading commands do not need the scan lock.
            let listing = try consentry(["runs", "--db", tmp.db], timeout: 30)
            #expect(listing.exitCode == 0, "\(listing)")
            #expect(listing.stdout.contains("running"), "\(listing.stdout)")

            // A wait that runs out gives up after about that long.
            let expired = try consentry(["scan", small, "--db", tmp.db, "--wait-lock", "1"], timeout: 30)
            #expect(expired.exitCode == 75 || expired.exitCode == 2, "\(expired)")
            #expect(expired.elapsed >= 0.9 && expired.elapsed < 6, "--wait-lock 1 took \(expired.elapsed) s")

            // A long enough wait succeeds once the first scan is done.
            let waiting = try Child(executable: try consentryPath(), ["scan", small, "--db", tmp.db, "--wait-lock", "30"])
            usleep(1_000_000)
            #expect(waiting.isRunning, "--wait-lock 30 must wait while the lock is held")
            first.closeStdin()
            let firstResult = first.finish(timeout: 20)
            #expect(firstResult.exitCode == 0, "\(firstResult)")
            let waited = waiting.finish(timeout: 40)
            #expect(waited.exitCode == 0, "\(waited)")

            let runs = try SQLite(tmp.db).rows("SELECT id, status, rows_read FROM runs WHERE id >= \(firstRun) ORDER BY id")
            #expect(runs.count == 2, "the refused scans must not add runs: \(runs)")
            #expect(runs.allSatisfy { $0["status"]?.string == "completed" }, "\(runs)")
            #expect(runs.first?["id"]?.int == firstRun)
            #expect(runs.first?["rows_read"]?.int == 301)
            #expect(runs.last?["rows_read"]?.int == 11)
        }

        @Test func aKilledRunIsMarkedInterruptedByTheNextScan() throws {
            let tmp = try TempDir()
            let (child, run) = try startBlockedScan(tmp)
            child.signal(SIGKILL)
            let killed = child.finish(timeout: 10)
            #expect(killed.signaled && killed.status == SIGKILL, "\(killed)")
            let db = SQLite(tmp.db)
            #expect(try db.run(run)["status"]?.string == "running")

            let small = try tmp.write("small.csv", Self.header + Self.rows("k", 10))
            let next = try consentry(["scan", small, "--db", tmp.db], timeout: 30)
            #expect(next.exitCode == 0, "\(next)")
            let row = try db.run(run)
            #expect(row["status"]?.string == "failed")
            #expect(row["error"]?.string == "interrupted")
            #expect(row["finished_at"]?.string?.isEmpty == false)
            for (table, n) in try db.rowCounts(run: run) where table != "run_inputs" && table != "run_policies" {
                #expect(n == 0, "the killed run left \(n) rows in \(table)")
            }
            #expect(try db.lines("SELECT status FROM runs WHERE id <> \(run)") == ["completed", "completed"])
            #expect(try db.lines("PRAGMA integrity_check") == ["ok"])
        }

        @Test(arguments: zip([SIGINT, SIGTERM], [Int32(130), Int32(143)]))
        func aSignalStopsABlockedScanAndFailsTheRun(signal: Int32, code: Int32) throws {
            let tmp = try TempDir()
            let name = signal == SIGINT ? "SIGINT" : "SIGTERM"
            let (child, run) = try startBlockedScan(tmp)
            child.signal(signal)
            let prompt = child.wait(upTo: 2)
            #expect(prompt != nil, "\(name) did not stop `scan -` within 2 s while its standard input stayed open")
            let result: ProcessResult
            if let prompt {
                result = prompt
            } else {
                child.closeStdin()
                result = child.finish(timeout: 15)
            }
            #expect(result.exitCode == code, "\(name): \(result)")
            #expect(!result.signaled, "\(name) must be handled, not kill the process: \(result)")
            #expect(result.stderr.contains(name) || result.stderr.lowercased().contains("interrupt"), "\(result)")

            let db = SQLite(tmp.db)
            let row = try db.run(run)
            #expect(row["status"]?.string == "failed", "\(row)")
            #expect(row["error"]?.string?.contains(name) == true, "the error should mention \(name): \(row)")
            for (table, n) in try db.rowCounts(run: run) where table != "run_inputs" && table != "run_policies" {
                #expect(n == 0, "the interrupted run left \(n) rows in \(table)")
            }

            // The next scan works, and the interrupted run keeps its own error.
            let small = try tmp.write("small.csv", Self.header + Self.rows("n", 5))
            let next = try consentry(["scan", small, "--db", tmp.db], timeout: 30)
            #expect(next.exitCode == 0, "\(next)")
            #expect(try db.run(run)["error"]?.string?.contains(name) == true)
            #expect(try db.lines("PRAGMA integrity_check") == ["ok"])
        }
    }
}
