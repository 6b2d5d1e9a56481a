import ConsentryEngine
import ConsentryModel
import Foundation
import GRDB

/// One track's history under each policy (`consentry track`): its latest state, since when it
/// is exposed, and every change from run to run, absences included.
public struct TrackHistory: Sendable, Equatable {
    /// The track's label status, and per use (``AIUse/rawValue``) the verdict and deciding
    /// rule; its artist (empty: none).
    public struct State: Sendable, Equatable {
        public var labelStatus: LabelStatus
        public var verdicts: [Verdict]
        public var rules: [String]
        public var artist: String

        /// Whether `ai_generative_training` or `ai_training` is exposed.
        public var trainingExposed: Bool { verdicts[0] == .exposed || verdicts[1] == .exposed }
    }

    /// A run in which the track's state differs from the previous run's (nil: absent).
    public struct Change: Sendable, Equatable {
        public var runID: Int64
        public var startedAt: String
        public var before: State?
        public var after: State?
    }

    public struct PolicyHistory: Sendable, Equatable {
        public var policyID: String
        /// The newest run that stored this policy's verdicts, and the track's state in it
        /// (nil: not in that run).
        public var latestRun: Int64?
        public var latestStartedAt: String?
        public var latest: State?
        /// The first run of the unbroken series up to the latest in which the track was
        /// exposed to AI training; nil when it is not exposed now.
        public var exposedSince: (runID: Int64, startedAt: String)?
        public var changes: [Change]
        /// Whether the first change is in the oldest run the history still has for the policy,
        /// and earlier runs that applied it were pruned: what the track was before that run is
        /// no longer known, and an exposure that began there may be older.
        public var earlierRunsPruned: Bool

        public static func == (a: PolicyHistory, b: PolicyHistory) -> Bool {
            a.policyID == b.policyID && a.latestRun == b.latestRun && a.latest == b.latest
                && a.exposedSince?.runID == b.exposedSince?.runID && a.changes == b.changes
                && a.earlierRunsPruned == b.earlierRunsPruned
        }
    }

    public var trackID: String
    public var policies: [PolicyHistory]
    /// Whether any stored run has the track.
    public var known: Bool { policies.contains { !$0.changes.isEmpty } }
}

extension ResultsDatabase {
    /// The history of `trackID` under `policy` (nil: every policy the history holds).
    ///
    /// It reads the track's periods by their hash — one pack and one end lookup per run that
    /// began periods — so it takes milliseconds whatever the catalogue's size.
    public func trackHistory(_ trackID: String, policy: String?) throws -> TrackHistory {
        try read { db in
            let id = Array(trackID.utf8)
            let hash = Int64(TrackHash.of(id))
            // The track's periods: (from, to) and state.
            var periods: [(from: Int64, to: Int64?, combo: UInt32, artist: [UInt8])] = []
            for segment in try Int64.fetchAll(db, sql: "SELECT from_run FROM history_segments ORDER BY from_run") {
                guard let text = try String.fetchOne(db, sql: """
                    SELECT entries FROM history_packs WHERE from_run = ? AND first_hash <= ? ORDER BY first_hash DESC LIMIT 1
                    """, arguments: [segment, hash]) else { continue }
                guard let entry = try HistoryPack.decode(Array(text.utf8), path: path).first(where: { $0.id == id }) else { continue }
                let end = try Int64.fetchOne(db, sql: """
                    SELECT to_run FROM history_ends WHERE from_run = ? AND hash = ? AND track_id = ?
                    """, arguments: [segment, hash, trackID])
                periods.append((segment, end, entry.combo, entry.artist))
            }
            var policies = try Row.fetchAll(db, sql: "SELECT policy_no, policy_id FROM history_policies ORDER BY policy_no")
                .map { (number: $0[0] as Int64, id: $0[1] as String) }
            if let policy {
                policies = policies.filter { $0.id == policy }
                guard !policies.isEmpty else {
                    throw StoreError(.runNotFound, "no stored run applied policy '\(policy)'",
                                     remedy: "`consentry report` lists the policies of the latest run", file: path)
                }
            }
            var history = TrackHistory(trackID: trackID, policies: [])
            for (number, policyID) in policies {
                var states: [UInt32: UInt64] = [:]
                for combo in Set(periods.map(\.combo)) {
                    if let state = try Int64.fetchOne(db, sql: "SELECT state FROM history_combos WHERE combo = ? AND policy_no = ?",
                                                       arguments: [Int64(combo), number]) {
                        states[combo] = UInt64(state)
                    }
                }
                var ruleIDs: [[Int: String]] = Array(repeating: [:], count: AIUse.allCases.count)
                for row in try Row.fetchAll(db, sql: "SELECT use_index, rule_no, rule_id FROM history_rules WHERE policy_no = ?",
                                            arguments: [number]) {
                    let use: Int = row[0]
                    if ruleIDs.indices.contains(use) { ruleIDs[use][row[1]] = row[2] }
                }
                func state(at run: Int64) throws -> TrackHistory.State? {
                    guard let period = periods.first(where: { $0.from <= run && ($0.to.map { run < $0 } ?? true) }),
                          let packed = states[period.combo] else { return nil }
                    let verdicts = AIUse.allCases.compactMap { StableDecisions.verdict(packed, $0) }
                    guard verdicts.count == AIUse.allCases.count else {
                        throw StoreError(.other, "the history of track '\(trackID)' holds a verdict code no scan writes; the database was changed by another tool",
                                         remedy: "rescan into another --db", file: path)
                    }
                    return TrackHistory.State(
                        labelStatus: StableDecisions.label(packed),
                        verdicts: verdicts,
                        rules: AIUse.allCases.map { ruleIDs[$0.rawValue][StableDecisions.ruleNumber(packed, $0)] ?? "?" },
                        artist: String(decoding: period.artist, as: UTF8.self))
                }
                let runs = try Row.fetchAll(db, sql: """
                    SELECT h.run_id, r.started_at FROM history_runs h JOIN runs r ON r.id = h.run_id
                    WHERE h.policy_no = ? ORDER BY h.run_id
                    """, arguments: [number]).map { (id: $0[0] as Int64, startedAt: $0[1] as String) }
                guard let first = runs.first, let last = runs.last else { continue }
                var entry = TrackHistory.PolicyHistory(
                    policyID: policyID, latestRun: last.id, latestStartedAt: last.startedAt, latest: try state(at: last.id),
                    exposedSince: nil, changes: [], earlierRunsPruned: false)
                var previous: TrackHistory.State? = nil
                var exposedFrom: (Int64, String)? = nil
                for run in runs {
                    let now = try state(at: run.id)
                    if now != previous {
                        entry.changes.append(TrackHistory.Change(runID: run.id, startedAt: run.startedAt, before: previous, after: now))
                    }
                    if now?.trainingExposed == true {
                        if exposedFrom == nil { exposedFrom = (run.id, run.startedAt) }
                    } else {
                        exposedFrom = nil
                    }
                    previous = now
                }
                entry.exposedSince = exposedFrom.map { (runID: $0.0, startedAt: $0.1) }
                // A change in a later run has a known state before it: the kept run before.
                if entry.changes.first?.runID == first.id {
                    entry.earlierRunsPruned = try Bool.fetchOne(db, sql: """
                        SELECT EXISTS (SELECT 1 FROM runs r JOIN run_policies p ON p.run_id = r.id
                                       WHERE r.id < ? AND r.pruned_at IS NOT NULL AND r.store_mode != 'none' AND p.policy_id = ?)
                        """, arguments: [first.id, policyID]) ?? false
                }
                history.policies.append(entry)
            }
            return history
        }
    }
}
