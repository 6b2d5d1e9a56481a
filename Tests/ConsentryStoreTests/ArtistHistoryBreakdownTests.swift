import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
import ScanTestSupport
import TestSupport

@Suite("By-artist breakdowns of older runs come from the history (contract §3, §4.1)")
struct ArtistHistoryBreakdownTests {
    static let policyIDs = ["soundcloud-2025-05", "soundcloud-opt-out"]

    /// Night 2 of the generated catalogue with some artists changed: every 13th line's artist
    /// renamed, every 31st's removed, every 97th's replaced by a name JSON must escape (a
    /// quote, a backslash, a tab, non-ASCII). The generator keeps every track's artist from
    /// night to night. Returns how many lines were changed.
    static func changeArtists(_ path: String) throws -> Int {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var changed = 0
        for i in lines.indices where lines[i].contains("\"artist_id\": \"user-") {
            let line = lines[i]
            if i % 97 == 11 {
                lines[i] = line.replacing(/"artist_id": "user-[0-9]+"/, with: #""artist_id": "Zoë \"Q\" \\ \tTwo""#)
            } else if i % 31 == 7 {
                lines[i] = line.replacing(/"artist_id": "user-[0-9]+"/, with: #""artist_id": null"#)
            } else if i % 13 == 4 {
                lines[i] = line.replacingOccurrences(of: "\"artist_id\": \"user-", with: "\"artist_id\": \"moved-user-")
            } else {
                continue
            }
            changed += lines[i] == line ? 0 : 1
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return changed
    }

    /// An independent count of run `run`'s tracks by artist, straight from the history tables:
    /// the pack entries of runs up to `run`, minus the periods that ended by it, with each
    /// entry's combination under each policy of the run. `key tracks/exposed` lines per policy.
    static func recount(_ db: String, run: Int64) throws -> [String: [String]] {
        let rows = try SQLite(db, readOnly: true).rows("""
            WITH live AS (
                SELECT json_extract(e.value, '$[0]') AS track_id,
                       json_extract(e.value, '$[1]') AS combo,
                       coalesce(json_extract(e.value, '$[2]'), '') AS artist
                FROM history_packs p, json_each(p.entries) e
                WHERE p.from_run <= \(run)
                  AND NOT EXISTS (SELECT 1 FROM history_ends x
                                  WHERE x.from_run = p.from_run AND x.track_id = json_extract(e.value, '$[0]')
                                    AND x.to_run <= \(run))
            )
            SELECT hp.policy_id AS policy, live.artist AS artist, count(*) AS tracks,
                   sum(((c.state >> 2) & 3) = 0 OR ((c.state >> 17) & 3) = 0) AS exposed
            FROM live
            JOIN history_runs hr ON hr.run_id = \(run)
            JOIN history_policies hp ON hp.policy_no = hr.policy_no
            JOIN history_combos c ON c.combo = live.combo AND c.policy_no = hr.policy_no
            GROUP BY hp.policy_id, live.artist
            """)
        var out: [String: [String]] = [:]
        for row in rows {
            out[row["policy"]?.string ?? "?", default: []].append(
                "\(row["artist"]?.string ?? "?") \(row["tracks"]?.int ?? -1)/\(row["exposed"]?.int ?? -1)")
        }
        return out.mapValues { $0.sorted() }
    }

    @Test("two nights with artists changed: each run's by-artist breakdown equals a SQL recount over the history and the oracle of its night")
    func twoNights() throws {
        let dir = try TempDir("artists")
        let night1 = dir.file("night1.jsonl"), night2 = dir.file("night2.jsonl")
        try generateCatalogue(["--tracks", "20000", "--seed", "11", "--night", "1", "-o", night1])
        try generateCatalogue(["--tracks", "20000", "--seed", "11", "--night", "2", "-o", night2])
        let changed = try Self.changeArtists(night2)
        #expect(changed > 1500, "\(changed) artists changed")
        let policies = try Self.policyIDs.map(BuiltInPolicies.policy)
        let first = try storedBreakdownScan(dir.db, inputs: [night1], policies: policies)
        let database = try ResultsDatabase(path: dir.db, create: false)
        let before = try database.breakdown(runID: first.runID, by: .artist)
        let second = try storedBreakdownScan(dir.db, inputs: [night2], policies: policies)
        #expect(first.status == "completed" && second.status == "completed")

        // A changed artist begins a new period: the second run ended at least that many.
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM history_ends WHERE to_run = \(second.runID)") >= changed)

        for (run, night) in [(first.runID, night1), (second.runID, night2)] {
            let stored = try database.breakdown(runID: run, by: .artist)
            let recount = try Self.recount(dir.db, run: run)
            let oracle = try referenceScan([night, "--no-rejects", "--by", "artist"] + Self.policyIDs.flatMap { ["--policy", $0] })
            for policy in Self.policyIDs {
                let lines = storedBreakdownLines(stored, policy: policy)
                let expected = recount[policy] ?? []
                #expect(expected.count > 1000)
                #expect(lines.sorted() == expected, "run \(run) \(policy) vs SQL: \(storedBreakdownFirstDifference(lines.sorted(), expected))")
                let reference = referenceBreakdownLines(oracle, policy: policy, field: "by_artist")
                #expect(lines == reference, "run \(run) \(policy) vs oracle: \(storedBreakdownFirstDifference(lines, reference))")
            }
        }
        // The older run reads exactly as it did before the newer one was stored.
        #expect(try database.breakdown(runID: first.runID, by: .artist) == before)
        let escaped = storedBreakdownLines(try database.breakdown(runID: second.runID, by: .artist), policy: Self.policyIDs[0])
        #expect(escaped.contains { $0.hasPrefix("Zoë \"Q\" \\ \tTwo ") }, "a name with a quote, backslash and tab is kept as written")
        #expect(!storedBreakdownLines(before, policy: Self.policyIDs[0]).contains { $0.hasPrefix("moved-") })
    }
}
