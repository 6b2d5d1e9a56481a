import Foundation
import ConsentryEngine
import ConsentryModel
import GRDB

/// A run's tracks by label or by artist, per policy (contract §3, breakdowns).
public struct RunBreakdown: Sendable, Equatable {
    public var runID: Int64
    public var field: Breakdown.Field
    /// The run's policies, in scan order: the breakdown's policy indexes.
    public var policyIDs: [String]
    public var breakdown: Breakdown
}

extension ResultsDatabase {
    /// The breakdown of a run (nil: the latest completed) by `field`.
    ///
    /// By label it is read from the run's statistics. By artist it is computed from the run's
    /// stored verdicts (its history), which needs a run scanned with `--store all` and not
    /// pruned: every live track is read once, so it takes seconds for millions of tracks and
    /// costs the database nothing per night.
    public func breakdown(runID: Int64?, by field: Breakdown.Field) throws -> RunBreakdown {
        try read { db in
            switch field {
            case .label:
                let id = try resolveRun(db, runID)
                let status = try String.fetchOne(db, sql: "SELECT status FROM runs WHERE id = ?", arguments: [id])
                guard status == "completed" else {
                    throw StoreError(.runNotFound, "run \(id) is \(status ?? "unknown"), so it has no statistics",
                                     remedy: "pick a completed run (`consentry runs` lists them)", file: path)
                }
                let policies = try String.fetchAll(
                    db, sql: "SELECT policy_id FROM run_policies WHERE run_id = ? ORDER BY policy_index", arguments: [id])
                var breakdown = Breakdown(policyCount: policies.count)
                let index = Dictionary(policies.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
                // The label as a blob: read as text, it would end at a NUL byte, which a label
                // may hold (two labels differing after it would read as one).
                for row in try Row.fetchAll(db, sql: """
                    SELECT policy_id, CAST(label AS BLOB), tracks, any_training_exposed FROM label_stats WHERE run_id = ?
                    """, arguments: [id]) {
                    guard let p = index[row[0] as String] else { continue }
                    let label = (row[1] as Data?).map { String(decoding: $0, as: UTF8.self) } ?? ""
                    breakdown.add(key: label, policy: p, tracks: row[2], exposed: row[3])
                }
                return RunBreakdown(runID: id, field: field, policyIDs: policies, breakdown: breakdown)
            case .artist:
                let reader = VerdictReader(db: db, database: self)
                let first = try reader.source(run: runID, policy: nil)
                if first.storeMode == .exposed {
                    throw StoreError(
                        .runNotFound,
                        "run \(first.runID) was scanned with --store exposed: its stored verdicts leave out the tracks no policy exposes, so they cannot be counted by artist",
                        remedy: "scan with --store all (the default) for the by-artist breakdown", file: path)
                }
                let sources = try first.policyIDs.map { try reader.source(run: first.runID, policy: $0) }
                let breakdown = try ResultsDatabase.artistBreakdown(db, path: path, sources: sources)
                return RunBreakdown(runID: first.runID, field: field, policyIDs: first.policyIDs, breakdown: breakdown)
            }
        }
    }

    /// Counts the tracks live in the sources' run by artist: each segment of history once
    /// (no merge across segments is needed, a track is live in at most one period).
    static func artistBreakdown(_ db: Database, path: String, sources: [VerdictSource]) throws -> Breakdown {
        let run = sources[0].runID
        var counts = KeyedCounts(policyCount: sources.count)
        // Per combination: how each policy of the run decided its tracks.
        var decided: [UInt32: [KeyedCounts.Decided]] = [:]
        let states = try db.makeStatement(sql: "SELECT policy_no, state FROM history_combos WHERE combo = ?")
        func decisions(_ combo: UInt32) throws -> [KeyedCounts.Decided] {
            if let known = decided[combo] { return known }
            var byPolicy: [Int64: UInt64] = [:]
            for row in try Row.fetchAll(states, arguments: [Int64(combo)]) { byPolicy[row[0]] = UInt64(row[1] as Int64) }
            let result: [KeyedCounts.Decided] = sources.map { source in
                guard let state = byPolicy[source.policyNumber] else { return .notDecided }
                let exposed = StableDecisions.verdict(state, .aiGenerativeTraining) == .exposed
                    || StableDecisions.verdict(state, .aiTraining) == .exposed
                return exposed ? .exposed : .unexposed
            }
            decided[combo] = result
            return result
        }
        let segments = try Int64.fetchAll(
            db, sql: "SELECT from_run FROM history_segments WHERE from_run <= ? ORDER BY from_run", arguments: [run])
        for fromRun in segments {
            let segment = try LiveTracks.Segment(db: db, path: path, fromRun: fromRun, endedBy: run)
            try segment.forEachRemaining { _, combo, artist in
                let policies = try decisions(combo)
                counts.add(key: artist) { policies[$0] }
            }
        }
        return counts.breakdown()
    }
}
