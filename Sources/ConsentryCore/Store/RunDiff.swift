import Foundation
import GRDB

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
    /// Compares two runs' verdicts under one policy with a merge join of both runs' rows in
    /// track-id order, streaming: memory stays flat however many tracks the runs have.
    ///
    /// - Parameters:
    ///   - policy: a policy both runs applied; nil picks the first of `runA`'s policies that
    ///     `runB` also applied.
    ///   - limit: how many changes to keep in ``RunDiff/examples``.
    ///   - stopAfter: stop after this many changes, leaving the counts partial (for a
    ///     listing that only wants the first changes).
    ///   - visit: called with every change in track-id order (e.g. to stream them as CSV).
    public func diff(runA: Int64, runB: Int64, policy: String?, limit: Int, stopAfter: Int? = nil,
                     visit: ((TrackChange) throws -> Void)? = nil) throws -> RunDiff {
        try readVerdicts { reader in
            var policyID = policy
            if policyID == nil {
                let a = try reader.source(run: runA, policy: nil), b = try reader.source(run: runB, policy: nil)
                guard let common = a.policyIDs.first(where: b.policyIDs.contains) else {
                    throw StoreError(
                        .runNotFound,
                        "runs \(runA) and \(runB) applied no policy in common (\(a.policyIDs.joined(separator: ", ")) vs \(b.policyIDs.joined(separator: ", "))); compare runs that applied the same policy (`consentry report --run N` lists a run's policies)",
                        file: path)
                }
                policyID = common
            }
            let a = try reader.source(run: runA, policy: policyID)
            let b = try reader.source(run: runB, policy: policyID)
            for source in [a, b] where source.storeMode != .all {
                throw StoreError(
                    .runNotFound,
                    "run \(source.runID) kept verdict rows only for exposed tracks (--store \(source.storeMode.rawValue)), so a missing track cannot be told from an unchanged one; diff needs runs scanned with --store all",
                    file: path)
            }
            var result = RunDiff(runA: runA, runB: runB, policyID: a.policyID)
            let hashes = try String.fetchAll(reader.db, sql: """
                SELECT policy_sha256 FROM run_policies WHERE run_id = ? AND policy_index = ?
                UNION ALL SELECT policy_sha256 FROM run_policies WHERE run_id = ? AND policy_index = ?
                """, arguments: [runA, a.policyIndex, runB, b.policyIndex])
            result.policyChanged = hashes.count == 2 && hashes[0] != hashes[1]

            let left = try reader.cursor(a, order: .trackID)
            let right = try reader.cursor(b, order: .trackID)
            var hasLeft = try left.next(), hasRight = try right.next()
            func side(_ cursor: VerdictCursor, _ source: VerdictSource) throws -> TrackChange.Side {
                var verdicts: [Verdict] = []
                var rules: [String] = []
                for use in AIUse.allCases {
                    guard let verdict = cursor.verdict(use), let rule = source.ruleID(use, cursor.ruleIndex(use)) else {
                        throw StoreError(.other, "run \(source.runID) has a damaged verdict row (track '\(cursor.trackIDString)', \(use.name)); the database was changed by another tool — rescan into another --db", file: path)
                    }
                    verdicts.append(verdict)
                    rules.append(rule)
                }
                return TrackChange.Side(labelStatus: cursor.labelStatus, verdicts: verdicts, rules: rules)
            }
            func report(_ change: TrackChange) throws {
                result.reported += 1
                if result.examples.count < limit { result.examples.append(change) }
                try visit?(change)
            }
            while hasLeft || hasRight {
                if let stopAfter, result.reported >= stopAfter { break }
                let order = hasLeft && hasRight ? RunDiff.compare(left.trackID, right.trackID) : (hasLeft ? -1 : 1)
                if order < 0 {
                    result.tracksA += 1
                    result.removed += 1
                    try report(TrackChange(kind: .removed, trackID: left.trackIDString, a: try side(left, a), b: nil))
                    hasLeft = try left.next()
                } else if order > 0 {
                    result.tracksB += 1
                    result.added += 1
                    try report(TrackChange(kind: .added, trackID: right.trackIDString, a: nil, b: try side(right, b)))
                    hasRight = try right.next()
                } else {
                    result.tracksA += 1
                    result.tracksB += 1
                    let before = left.packed, after = right.packed
                    var differs = false
                    for use in 0..<4 {
                        let shift = UInt32(8 * use)
                        let from = Int((before >> shift) & 3), to = Int((after >> shift) & 3)
                        if from < 3 && to < 3 { result.transitions[use][from][to] += 1 }
                        if from != to { differs = true }
                    }
                    let labelMoved = left.labelStatus != right.labelStatus
                    if labelMoved { result.labelChanged += 1 }
                    if differs { result.changed += 1 }
                    if differs || labelMoved {
                        try report(TrackChange(kind: .changed, trackID: left.trackIDString, a: try side(left, a), b: try side(right, b)))
                    }
                    hasLeft = try left.next()
                    hasRight = try right.next()
                }
            }
            return result
        }
    }
}

extension RunDiff {
    /// SQLite's BINARY collation: bytes compared as unsigned, a prefix first.
    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let n = min(a.count, b.count)
        if n > 0, let pa = a.baseAddress, let pb = b.baseAddress {
            let c = memcmp(pa, pb, n)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }
}
