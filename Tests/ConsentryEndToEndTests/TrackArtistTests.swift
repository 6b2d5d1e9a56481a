import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// `consentry track` (contract §4.1): a track's artist is part of its history.
    @Suite struct TrackArtists {
        @Test func aChangedArtistIsAChangeThatTrackShows() throws {
            let tmp = try TempDir()
            let night1 = try tmp.write("n1.csv", "track_id,label_status,artist_id\nt1,independent,Ann Arbor\nt2,major,bob\n")
            let night2 = try tmp.write("n2.csv", "track_id,label_status,artist_id\nt1,independent,Cat Power\nt2,major,bob\n")
            for night in [night1, night2] {
                let r = try consentry(["scan", night, "--db", tmp.db])
                #expect(r.exitCode == 0, "\(r)")
            }
            // Same verdicts both nights: only the artist changed, and that is a new period.
            #expect(try SQLite(tmp.db, readOnly: true).lines("SELECT track_id FROM history_ends WHERE to_run = 2") == ["t1"])

            let text = try consentry(["track", "t1", "t2", "--db", tmp.db])
            #expect(text.exitCode == 0, "\(text)")
            let changes = text.stdout.split(separator: "\n").filter { $0.contains("→") }
            let t1 = changes.filter { $0.contains("artist \"Ann Arbor\"") || $0.contains("artist \"Cat Power\"") }
            #expect(t1.count == 2, "t1 appears in run 1 and changes in run 2: \(text.stdout)")
            #expect(t1.last?.contains("run 2 ") == true && t1.last.map { line in
                line.range(of: "Ann Arbor")!.lowerBound < line.range(of: "→")!.lowerBound
                    && line.range(of: "Cat Power")!.lowerBound > line.range(of: "→")!.lowerBound
            } == true, "the run-2 change reads Ann Arbor → Cat Power: \(text.stdout)")
            #expect(changes.filter { $0.contains("artist \"bob\"") }.count == 1, "t2 never changed: \(text.stdout)")

            let json = try consentry(["track", "t1", "--db", tmp.db, "--format", "json"])
            #expect(json.exitCode == 0, "\(json)")
            let doc = try JSON.parse(json.stdoutData)
            let policy = try #require(doc["tracks"]?.array?.first?["policies"]?.array?.first)
            let runs = policy["changes"]?.array ?? []
            #expect(runs.map { $0["run_id"]?.int } == [1, 2])
            #expect(runs.last?["before"]?["artist_id"]?.string == "Ann Arbor")
            #expect(runs.last?["after"]?["artist_id"]?.string == "Cat Power")
            #expect(runs.last?["before"]?["uses"] == runs.last?["after"]?["uses"])
            #expect(policy["latest"]?["artist_id"]?.string == "Cat Power")
        }

        @Test func afterPruningTrackSaysWhatItNoLongerKnows() throws {
            let tmp = try TempDir()
            let night = try tmp.write("n.csv", "track_id,label_status\nt1,independent\n")
            for _ in 0..<3 { #expect(try consentry(["scan", night, "--db", tmp.db]).exitCode == 0) }
            func policy() throws -> JSON? {
                let json = try consentry(["track", "t1", "--db", tmp.db, "--format", "json"])
                return try JSON.parse(json.stdoutData)["tracks"]?.array?.first?["policies"]?.array?.first
            }
            #expect(try policy()?["earlier_runs_pruned"]?.bool == false)
            #expect(try policy()?["exposed_since_run_id"]?.int == 1)
            #expect(try consentry(["prune", "--keep", "1", "--db", tmp.db]).exitCode == 0)

            // Exposed in every run: after pruning, since run 3 is all that is known.
            let text = try consentry(["track", "t1", "--db", tmp.db])
            #expect(text.exitCode == 0, "\(text)")
            #expect(text.stdout.contains("exposed to AI training since run 3 ("), "\(text.stdout)")
            #expect(text.stdout.contains(") or earlier: the runs before it were pruned"), "\(text.stdout)")
            let changes = text.stdout.split(separator: "\n").filter { $0.contains("→") }
            #expect(changes.count == 1 && changes[0].contains("run 3 ") && changes[0].contains(": unknown (earlier runs pruned) → independent"),
                    "not 'not in the run': it was, in the pruned runs: \(text.stdout)")
            #expect(try policy()?["earlier_runs_pruned"]?.bool == true)
            #expect(try policy()?["exposed_since_run_id"]?.int == 3)
        }

        @Test func afterPruningATrackThatCameLaterKeepsItsKnownStart() throws {
            let tmp = try TempDir()
            let before = try tmp.write("a.csv", "track_id,label_status\nt1,independent\n")
            let after = try tmp.write("b.csv", "track_id,label_status\nt1,independent\nt9,independent\n")
            for night in [before, before, after] { #expect(try consentry(["scan", night, "--db", tmp.db]).exitCode == 0) }
            #expect(try consentry(["prune", "--keep", "2", "--db", tmp.db]).exitCode == 0)
            // t9 came in run 3; run 2, kept, shows it absent: nothing about it is unknown.
            let t9 = try consentry(["track", "t9", "--db", tmp.db])
            #expect(t9.stdout.contains("run 3 ") && t9.stdout.contains(": not in the run → independent"), "\(t9.stdout)")
            #expect(!t9.stdout.contains("pruned"), "\(t9.stdout)")
            // t1 was in the pruned run 1 too: its start in run 2 is all that is known.
            let t1 = try consentry(["track", "t1", "--db", tmp.db])
            #expect(t1.stdout.contains("run 2 ") && t1.stdout.contains(": unknown (earlier runs pruned) → independent"), "\(t1.stdout)")
            #expect(t1.stdout.contains(") or earlier: the runs before it were pruned"), "\(t1.stdout)")
        }

        @Test func aTrackWithoutAnArtistSaysSo() throws {
            let tmp = try TempDir()
            let night = try tmp.write("n.csv", "track_id,label_status\nt1,independent\n")
            #expect(try consentry(["scan", night, "--db", tmp.db]).exitCode == 0)
            let text = try consentry(["track", "t1", "--db", tmp.db])
            #expect(text.stdout.contains("no artist"), "\(text.stdout)")
            let json = try JSON.parse(try consentry(["track", "t1", "--db", tmp.db, "--format", "json"]).stdoutData)
            #expect(json["tracks"]?.array?.first?["policies"]?.array?.first?["latest"]?["artist_id"]?.isNull == true)
        }
    }
}
