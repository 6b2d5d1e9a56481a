import Foundation
import GRDB
import ConsentryModel
import ConsentryEngine

/// One track that differs between two runs, handed to `consentry diff`'s visitor.
public struct TrackChange: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// In both runs, with a different verdict for at least one use (or a different label status).
        case changed
        /// Only in the second run.
        case added
        /// Only in the first run.
        case removed
    }

    /// One run's view of the track: label status, and per use (``AIUse/rawValue``) the
    /// verdict and the deciding rule id.
    public struct Side: Sendable, Equatable {
        public var labelStatus: LabelStatus
        public var verdicts: [Verdict]
        public var rules: [String]
    }

    public var kind: Kind
    public var trackID: String
    public var a: Side?
    public var b: Side?

    /// The uses whose verdict differs (every use for an added or removed track).
    public var changedUses: [AIUse] {
        guard let a, let b else { return AIUse.allCases }
        return AIUse.allCases.filter { a.verdicts[$0.rawValue] != b.verdicts[$0.rawValue] }
    }
}

/// What changed between two runs under one policy (`consentry diff`).
public struct RunDiff: Sendable, Equatable {
    public var runA: Int64
    public var runB: Int64
    public var policyID: String
    /// The policy's text differs between the runs (its SHA-256), so a change may come from
    /// the policy rather than from the catalogue.
    public var policyChanged = false
    public var tracksA = 0
    public var tracksB = 0
    public var added = 0
    public var removed = 0
    /// Tracks in both runs with at least one use's verdict changed.
    public var changed = 0
    /// Tracks in both runs whose label status changed, with or without a verdict change;
    /// listed among the changes either way, since they move between groups.
    public var labelChanged = 0
    /// Tracks in both runs with the same verdict for every use.
    public var unchanged: Int { tracksA - removed - changed }
    /// `transitions[use][from][to]`: tracks in both runs, by their verdicts in A and B;
    /// the diagonal holds the ones that stayed.
    public var transitions: [[[Int]]] = Array(repeating: Array(repeating: [0, 0, 0], count: 3), count: 4)
    /// Tracks reported as changes: added, removed, and changed in verdict or label status.
    public var reported = 0
    /// The first changes in track-id order, at most the limit asked for.
    public var examples: [TrackChange] = []

    public init(runA: Int64, runB: Int64, policyID: String) {
        self.runA = runA
        self.runB = runB
        self.policyID = policyID
    }

    public func transitionCount(_ use: AIUse, from: Verdict, to: Verdict) -> Int {
        transitions[use.rawValue][Int(from.rawValue)][Int(to.rawValue)]
    }
}

extension ResultsDatabase {
    /// Compares two runs' verdicts under one policy, streaming: memory stays flat however
    /// many tracks the runs have.
    ///
    /// When `runB` is the next run after `runA` that stored this policy's verdicts, only the
    /// history's changes of `runB` are read (the periods that began or ended in it): the
    /// unchanged tracks follow from the runs' statistics. Otherwise both runs' tracks are
    /// merged in history order.
    ///
    /// - Parameters:
    ///   - policy: a policy both runs applied; nil picks the first of `runA`'s policies that
    ///     `runB` also applied.
    ///   - limit: how many changes to keep in ``RunDiff/examples``.
    ///   - stopAfter: stop after this many changes, leaving the counts partial (for a
    ///     listing that only wants the first changes).
    ///   - visit: called with every change in history order (e.g. to stream them as CSV).
    public func diff(runA: Int64, runB: Int64, policy: String?, limit: Int, stopAfter: Int? = nil,
                     visit: ((TrackChange) throws -> Void)? = nil) throws -> RunDiff {
        try readVerdicts { reader in
            var policyID = policy
            if policyID == nil {
                let a = try reader.source(run: runA, policy: nil), b = try reader.source(run: runB, policy: nil)
                guard let common = a.policyIDs.first(where: b.policyIDs.contains) else {
                    throw StoreError(
                        .runNotFound,
                        "runs \(runA) and \(runB) applied no policy in common (\(a.policyIDs.joined(separator: ", ")) vs \(b.policyIDs.joined(separator: ", ")))", remedy: "compare runs that applied the same policy (`consentry report --run N` lists a run's policies)",
                        file: path)
                }
                policyID = common
            }
            let a = try reader.source(run: runA, policy: policyID)
            let b = try reader.source(run: runB, policy: policyID)
            for source in [a, b] where source.storeMode != .all {
                throw StoreError(
                    .runNotFound,
                    "run \(source.runID) kept verdicts only for exposed tracks (--store \(source.storeMode.rawValue)), so a missing track cannot be told from an unchanged one", remedy: "diff needs runs scanned with --store all",
                    file: path)
            }
            var result = RunDiff(runA: runA, runB: runB, policyID: a.policyID)
            let hashes = try String.fetchAll(reader.db, sql: """
                SELECT policy_sha256 FROM run_policies WHERE run_id = ? AND policy_index = ?
                UNION ALL SELECT policy_sha256 FROM run_policies WHERE run_id = ? AND policy_index = ?
                """, arguments: [runA, a.policyIndex, runB, b.policyIndex])
            result.policyChanged = hashes.count == 2 && hashes[0] != hashes[1]
            var walk = DiffWalk(result: result, limit: limit, stopAfter: stopAfter, visit: visit)
            let between = try Int.fetchOne(reader.db, sql: """
                SELECT count(*) FROM history_runs WHERE policy_no = ? AND run_id > ? AND run_id < ?
                """, arguments: [a.policyNumber, runA, runB]) ?? 0
            if runA < runB && between == 0 {
                try diffConsecutive(reader.db, a, b, &walk)
            } else {
                try diffByMerge(reader, a, b, &walk)
            }
            return walk.result
        }
    }

    /// Both runs' tracks merged in history order.
    private func diffByMerge(_ reader: VerdictReader, _ a: VerdictSource, _ b: VerdictSource, _ walk: inout DiffWalk) throws {
        let left = try reader.cursor(a)
        let right = try reader.cursor(b)
        var hasLeft = try left.next(), hasRight = try right.next()
        func side(_ cursor: VerdictCursor, _ source: VerdictSource) throws -> TrackChange.Side {
            var verdicts: [Verdict] = []
            var rules: [String] = []
            for use in AIUse.allCases {
                guard let verdict = cursor.verdict(use), let rule = source.ruleID(use, cursor.ruleIndex(use)) else {
                    throw StoreError(.other, "run \(source.runID) has a damaged verdict (track '\(cursor.trackIDString)', \(use.name)); the database was changed by another tool", remedy: "rescan into another --db", file: path)
                }
                verdicts.append(verdict)
                rules.append(rule)
            }
            return TrackChange.Side(labelStatus: cursor.labelStatus, verdicts: verdicts, rules: rules)
        }
        while hasLeft || hasRight {
            if walk.stopped { break }
            let order = hasLeft && hasRight
                ? LiveTracks.compare(left.hash, left.trackID, right.hash, right.trackID) : (hasLeft ? -1 : 1)
            if order < 0 {
                walk.result.tracksA += 1
                try walk.removed(left.trackIDString, try side(left, a))
                hasLeft = try left.next()
            } else if order > 0 {
                walk.result.tracksB += 1
                try walk.added(right.trackIDString, try side(right, b))
                hasRight = try right.next()
            } else {
                walk.result.tracksA += 1
                walk.result.tracksB += 1
                let before = try side(left, a), after = try side(right, b)
                try walk.both(left.trackIDString, before, after)
                hasLeft = try left.next()
                hasRight = try right.next()
            }
        }
    }

    /// Only the history's changes in `b`: periods that began in it, and periods that ended in
    /// it. Between two consecutive runs of a policy every other track kept its state, so the
    /// counts of unchanged tracks follow from the runs' statistics.
    private func diffConsecutive(_ db: Database, _ a: VerdictSource, _ b: VerdictSource, _ walk: inout DiffWalk) throws {
        var states: [UInt32: UInt64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT combo, state FROM history_combos WHERE policy_no = ?",
                                    arguments: [a.policyNumber]) {
            let combo: Int64 = row[0], state: Int64 = row[1]
            states[UInt32(combo)] = UInt64(state)
        }
        var ruleIDs: [[Int: String]] = Array(repeating: [:], count: AIUse.allCases.count)
        for row in try Row.fetchAll(db, sql: "SELECT use_index, rule_no, rule_id FROM history_rules WHERE policy_no = ?",
                                    arguments: [a.policyNumber]) {
            let use: Int = row[0]
            if ruleIDs.indices.contains(use) { ruleIDs[use][row[1]] = row[2] }
        }
        func side(_ combo: UInt32, _ id: [UInt8]) throws -> TrackChange.Side? {
            guard let state = states[combo] else { return nil }
            var rules: [String] = []
            for use in AIUse.allCases {
                guard let rule = ruleIDs[use.rawValue][StableDecisions.ruleNumber(state, use)] else {
                    throw StoreError(.other, "the history of track '\(String(decoding: id, as: UTF8.self))' names a rule it does not have; the database was changed by another tool", remedy: "rescan into another --db", file: path)
                }
                rules.append(rule)
            }
            let verdicts = AIUse.allCases.compactMap { StableDecisions.verdict(state, $0) }
            guard verdicts.count == AIUse.allCases.count else {
                throw StoreError(.other, "the history of track '\(String(decoding: id, as: UTF8.self))' holds a verdict code no scan writes; the database was changed by another tool", remedy: "rescan into another --db", file: path)
            }
            return TrackChange.Side(labelStatus: StableDecisions.label(state), verdicts: verdicts, rules: rules)
        }
        let began = try LiveTracks.Segment(db: db, path: path, fromRun: b.runID, endedBy: 0)
        let ends = try Row.fetchCursor(db, sql: """
            SELECT hash, track_id, combo FROM history_ends WHERE to_run = ? ORDER BY hash, track_id
            """, arguments: [b.runID])
        var end: (hash: UInt64, id: [UInt8], combo: UInt32)?
        func nextEnd() throws {
            if let row = try ends.next() {
                let hash: Int64 = row[0], id: String = row[1], combo: Int64 = row[2]
                end = (UInt64(hash), Array(id.utf8), UInt32(combo))
            } else {
                end = nil
            }
        }
        try nextEnd()
        // Counts of A's tracks per use and verdict: the ones not met below stayed as they were.
        var inA = try statisticsCounts(db, runID: a.runID, policyID: a.policyID)
        walk.result.tracksA = inA.tracks
        walk.result.tracksB = try statisticsCounts(db, runID: b.runID, policyID: b.policyID).tracks
        while began.current != nil || end != nil {
            if walk.stopped { break }
            let order: Int
            if let s = began.current, let e = end {
                order = LiveTracks.compare(e.hash, e.id, s.hash, s.id)
            } else {
                order = end != nil ? -1 : 1
            }
            if order <= 0, let e = end {
                let before = try side(e.combo, e.id)
                var after: TrackChange.Side?
                if order == 0, let s = began.current {
                    after = try side(s.combo, s.id)
                    try began.advance()
                }
                try nextEnd()
                let name = String(decoding: e.id, as: UTF8.self)
                switch (before, after) {
                case (let x?, let y?):
                    for use in 0..<4 { inA.uses[use][Int(x.verdicts[use].rawValue)] -= 1 }
                    try walk.both(name, x, y)
                case (let x?, nil):
                    for use in 0..<4 { inA.uses[use][Int(x.verdicts[use].rawValue)] -= 1 }
                    try walk.removed(name, x)
                case (nil, let y?):
                    try walk.added(name, y)
                case (nil, nil):
                    break
                }
            } else if let s = began.current {
                let after = try side(s.combo, s.id)
                let name = String(decoding: s.id, as: UTF8.self)
                try began.advance()
                if let after { try walk.added(name, after) }
            }
        }
        if !walk.stopped {
            // Every track of A not met was in B with the same verdicts.
            for use in 0..<4 {
                for verdict in 0..<3 { walk.result.transitions[use][verdict][verdict] += inA.uses[use][verdict] }
            }
        }
    }

    /// A run's tracks under a policy, and per use and verdict, from its statistics.
    private func statisticsCounts(_ db: Database, runID: Int64, policyID: String) throws -> GroupStatistics {
        var counts = GroupStatistics()
        for row in try Row.fetchAll(db, sql: """
            SELECT use, tracks, exposed, consented, blocked FROM group_stats
            WHERE run_id = ? AND policy_id = ? AND label_status = 'all'
            """, arguments: [runID, policyID]) {
            guard let use = AIUse(name: row[0]) else { continue }
            counts.tracks = row[1]
            counts.uses[use.rawValue] = [row[2], row[3], row[4]]
        }
        return counts
    }
}

/// The running totals of a diff, and where its changes go.
struct DiffWalk {
    var result: RunDiff
    let limit: Int
    let stopAfter: Int?
    let visit: ((TrackChange) throws -> Void)?

    var stopped: Bool { stopAfter.map { result.reported >= $0 } ?? false }

    private mutating func report(_ change: TrackChange) throws {
        result.reported += 1
        if result.examples.count < limit { result.examples.append(change) }
        try visit?(change)
    }

    mutating func removed(_ id: String, _ side: TrackChange.Side) throws {
        result.removed += 1
        try report(TrackChange(kind: .removed, trackID: id, a: side, b: nil))
    }

    mutating func added(_ id: String, _ side: TrackChange.Side) throws {
        result.added += 1
        try report(TrackChange(kind: .added, trackID: id, a: nil, b: side))
    }

    /// A track in both runs (``RunDiff/tracksA`` and `tracksB` are counted by the caller).
    mutating func both(_ id: String, _ before: TrackChange.Side, _ after: TrackChange.Side) throws {
        var differs = false
        for use in 0..<4 {
            let from = Int(before.verdicts[use].rawValue), to = Int(after.verdicts[use].rawValue)
            result.transitions[use][from][to] += 1
            if from != to { differs = true }
        }
        let labelMoved = before.labelStatus != after.labelStatus
        if labelMoved { result.labelChanged += 1 }
        if differs { result.changed += 1 }
        if differs || labelMoved {
            try report(TrackChange(kind: .changed, trackID: id, a: before, b: after))
        }
    }
}
