import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// `consentry trend` and `consentry rejects` over runs of the two nightly samples.
    @Suite struct TrendAndRejects {
        /// Scans night 1, night 2 and dirty.csv under two policies; returns the scans' JSON.
        static func threeRuns(_ tmp: TempDir) throws -> [JSON] {
            var summaries: [JSON] = []
            for file in ["nightly-2026-11-20.csv.gz", "nightly-2026-11-21.csv.gz", "dirty.csv"] {
                let r = try consentry(["scan", Paths.sample(file), "--db", tmp.db, "--policy", "soundcloud-opt-out",
                                       "--policy", "soundcloud-2025-05", "--max-record-bytes", "300", "--format", "json"])
                #expect(r.exitCode == 0, "\(r)")
                summaries.append(try JSON.parse(r.stdout))
            }
            return summaries
        }

        @Test func trendListsEachCompletedRunWithItsChange() throws {
            let tmp = try TempDir()
            let scans = try Self.threeRuns(tmp)
            // A failed run between them must not appear.
            #expect(try consentry(["scan", tmp.file("missing.csv"), "--db", tmp.db]).exitCode == 2)
            let r = try consentry(["trend", "--db", tmp.db, "--policy", "soundcloud-opt-out", "--format", "json"])
            #expect(r.exitCode == 0, "\(r)")
            let runs = try #require(try JSON.parse(r.stdout)["runs"]?.array)
            #expect(runs.count == 3)
            for (point, scan) in zip(runs, scans) {
                let policy = scan["policies"]?["soundcloud-opt-out"]
                #expect(point["run_id"] == scan["run_id"])
                #expect(point["independent_exposed_share"] == policy?["independent_exposed_share"])
                #expect(point["labelled_exposed_share"] == policy?["labelled_exposed_share"])
                #expect(point["exposure_gap"] == policy?["exposure_gap"])
                #expect(point["tracks"] == scan["rows"]?["scanned"])
            }
            #expect(runs[0]["independent_change"] == .null)
            let first = try #require(runs[0]["independent_exposed_share"]?.double)
            let second = try #require(runs[1]["independent_exposed_share"]?.double)
            let change = try #require(runs[1]["independent_change"]?.double)
            #expect(abs(change - (second - first)) < 1e-12)

            let last = try consentry(["trend", "--db", tmp.db, "--policy", "soundcloud-opt-out", "--last", "2", "--format", "csv"])
            let lines = last.stdout.split(separator: "\n")
            #expect(lines.count == 3, "header and two runs: \(last.stdout)")
            #expect(lines.first?.hasPrefix("run_id,started_at,policy_id,tracks,") == true)
            #expect(lines[1].hasPrefix("2,"), "the two latest runs, oldest first: \(last.stdout)")

            let text = try consentry(["trend", "--db", tmp.db, "--policy", "soundcloud-opt-out"])
            #expect(text.exitCode == 0 && text.stdout.contains("pts"), "\(text)")
            let none = try consentry(["trend", "--db", tmp.db, "--policy", "no-such-policy"])
            #expect(none.exitCode == 0 && none.stdout.contains("No completed run"), "\(none)")
        }

        @Test func rejectsListsFileLineCodeAndExcerpt() throws {
            let tmp = try TempDir()
            _ = try Self.threeRuns(tmp)
            let all = try consentry(["rejects", "--db", tmp.db])
            #expect(all.exitCode == 0, "\(all)")
            let stored = try SQLite(tmp.db).int("SELECT count(*) FROM rejects WHERE run_id = 3")
            let lines = all.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == stored && stored > 0, "latest run's rejects, one line each")
            #expect(lines.allSatisfy { $0.hasPrefix(Paths.sample("dirty.csv") + ":") })

            let dups = try consentry(["rejects", "--db", tmp.db, "--run", "3", "--code", "duplicate_track_id", "--limit", "2"])
            let dupLines = dups.stdout.split(separator: "\n").map(String.init)
            #expect(dupLines.count == 2, "\(dups)")
            let first = try #require(try SQLite(tmp.db).rows(
                "SELECT line, excerpt FROM rejects WHERE run_id = 3 AND code = 'duplicate_track_id' ORDER BY rowid LIMIT 1").first)
            let line = Int(try #require(first["line"]?.double))
            #expect(dupLines[0].hasPrefix("\(Paths.sample("dirty.csv")):\(line): duplicate_track_id [track_id]: "), "\(dupLines[0])")

            #expect(try consentry(["rejects", "--db", tmp.db, "--run", "1"]).stdout.isEmpty, "run 1 has no rejects")
            #expect(try consentry(["rejects", "--db", tmp.db, "--code", "bogus"]).exitCode == 64)
            #expect(try consentry(["rejects", "--db", tmp.db, "--run", "99"]).exitCode == 2)
        }
    }
}
