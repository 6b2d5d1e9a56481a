import GRDB
import ConsentryModel
import ConsentryEngine

/// One completed run's stored verdicts under one of its policies, checked to be readable.
///
/// Made by ``VerdictReader/source(run:policy:)``, which refuses a run that cannot be read
/// with an error saying what to do instead; a ``VerdictCursor`` then steps through its tracks.
public struct VerdictSource: Sendable {
    public let runID: Int64
    /// The policy's position in the scan (`run_policies.policy_index`).
    public let policyIndex: Int
    public let policyID: String
    /// Every policy the run applied, in scan order.
    public let policyIDs: [String]
    /// `exposed`: only tracks exposed under some policy have rows.
    public let storeMode: StoreMode
    public let rowsScanned: Int
    /// Rule ids by use (``AIUse/rawValue``) and rule index, as the packed verdicts refer to them.
    public let ruleIDs: [[String?]]
    /// The policy's history number.
    let policyNumber: Int64
    /// Per use: the run's rule index of each history rule number.
    let ruleIndexes: [[Int: Int]]

    /// The id of the rule that decided `use`, or nil when the index is not one of the policy's.
    public func ruleID(_ use: AIUse, _ index: Int) -> String? {
        let rules = ruleIDs[use.rawValue]
        return rules.indices.contains(index) ? rules[index] : nil
    }
}

/// Opens ``VerdictCursor``s inside one read transaction of the results database.
///
/// Every cursor of one reader sees the same snapshot, so two runs can be read side by side
/// (a merge join) while a scan or a prune writes. Cursors are closed when the reader's
/// ``ResultsDatabase/readVerdicts(_:)`` call returns and must not be used after it.
public final class VerdictReader {
    let db: Database
    let database: ResultsDatabase

    init(db: Database, database: ResultsDatabase) {
        self.db = db
        self.database = database
    }

    /// Checks that a run's verdicts can be read and loads what decoding them needs.
    ///
    /// - Parameters:
    ///   - run: a run id, or nil for the latest completed run.
    ///   - policy: a policy id the run applied, or nil for the first one it applied.
    public func source(run: Int64?, policy: String?) throws -> VerdictSource {
        let path = database.path
        let id = try database.resolveRun(db, run)
        let name = run == nil ? "run \(id) (the latest completed run)" : "run \(id)"
        guard let row = try Row.fetchOne(db, sql: """
            SELECT status, error, store_mode, rows_scanned, pruned_at FROM runs WHERE id = ?
            """, arguments: [id]) else {
            throw StoreError(.runNotFound, "there is no run \(id)", remedy: "`consentry runs` lists them", file: path)
        }
        let status: String = row["status"]
        switch status {
        case "completed":
            break
        case "running":
            throw StoreError(.runNotFound, "\(name) is still running and has no verdicts yet", remedy: "wait for the scan to finish or pick a completed run (`consentry runs` lists them)", file: path)
        default:
            let error: String? = row["error"]
            throw StoreError(.runNotFound, "\(name) \(status == "failed" ? "failed" : "is \(status)")\(error.map { " (\($0))" } ?? ""), so none of its verdicts were kept", remedy: "pick a completed run (`consentry runs` lists them)", file: path)
        }
        if let pruned: String = row["pruned_at"] {
            throw StoreError(.runNotFound, "the verdict rows of \(name) were deleted by `consentry prune` at \(pruned); only its statistics remain (`consentry report --run \(id)`)", remedy: "rescan its inputs with --store all to get per-track verdicts", file: path)
        }
        let modeName: String = row["store_mode"]
        guard let mode = StoreMode(rawValue: modeName) else {
            throw StoreError(.other, "\(name) has an unknown store mode '\(modeName)'; was the database written by another tool?", remedy: "use another --db", file: path)
        }
        if mode == .none {
            throw StoreError(.runNotFound, "\(name) was scanned with --store none, so it kept statistics but no per-track verdicts", remedy: "rescan with --store all to keep them", file: path)
        }

        let policies = try String.fetchAll(db, sql: "SELECT policy_id FROM run_policies WHERE run_id = ? ORDER BY policy_index", arguments: [id])
        guard !policies.isEmpty else {
            throw StoreError(.other, "\(name) is completed but lists no policies; the database was changed by another tool", remedy: "rescan into another --db", file: path)
        }
        let policyIndex: Int
        if let policy {
            guard let index = policies.firstIndex(of: policy) else {
                throw StoreError(.runNotFound, "\(name) did not apply policy '\(policy)'; it applied \(policies.joined(separator: ", "))", remedy: "pass one of them to --policy", file: path)
            }
            policyIndex = index
        } else {
            policyIndex = 0
        }

        var rules: [[String?]] = Array(repeating: [], count: AIUse.allCases.count)
        for rule in try Row.fetchAll(db, sql: """
            SELECT use_index, rule_index, rule_id FROM policy_rules WHERE run_id = ? AND policy_index = ?
            """, arguments: [id, policyIndex]) {
            let use: Int = rule[0], index: Int = rule[1]
            guard rules.indices.contains(use), (0...Policy.maxRulesPerUse).contains(index) else { continue }
            if rules[use].count <= index { rules[use] += Array(repeating: nil, count: index + 1 - rules[use].count) }
            rules[use][index] = rule[2]
        }

        guard let number = try Int64.fetchOne(db, sql: """
            SELECT r.policy_no FROM history_runs r JOIN history_policies p ON p.policy_no = r.policy_no
            WHERE r.run_id = ? AND p.policy_id = ?
            """, arguments: [id, policies[policyIndex]]) else {
            throw StoreError(.runNotFound, "the history holds no verdicts of \(name) under \(policies[policyIndex])", remedy: "rescan its inputs with --store all to get per-track verdicts", file: path)
        }
        var indexes: [[Int: Int]] = Array(repeating: [:], count: AIUse.allCases.count)
        for rule in try Row.fetchAll(db, sql: """
            SELECT h.use_index, h.rule_no, p.rule_index FROM history_rules h
            JOIN policy_rules p ON p.run_id = ? AND p.policy_index = ? AND p.use_index = h.use_index AND p.rule_id = h.rule_id
            WHERE h.policy_no = ?
            """, arguments: [id, policyIndex, number]) {
            let use: Int = rule[0]
            guard indexes.indices.contains(use) else { continue }
            indexes[use][rule[1]] = rule[2]
        }
        return VerdictSource(
            runID: id, policyIndex: policyIndex, policyID: policies[policyIndex], policyIDs: policies, storeMode: mode,
            rowsScanned: row["rows_scanned"] ?? 0, ruleIDs: rules, policyNumber: number, ruleIndexes: indexes)
    }

    /// A cursor over `source`'s tracks; valid until the reader's call returns.
    public func cursor(_ source: VerdictSource) throws -> VerdictCursor {
        try VerdictCursor(db: db, path: database.path, source: source)
    }
}

extension ResultsDatabase {
    /// Runs `body` in one read transaction with a reader for verdict cursors.
    public func readVerdicts<T>(_ body: (VerdictReader) throws -> T) throws -> T {
        try read { db in
            try body(VerdictReader(db: db, database: self))
        }
    }
}

/// Steps through one run's tracks under one policy, in history order (by ``TrackHash``,
/// then id bytes), straight from the history: memory stays flat however many tracks the
/// run has.
///
/// The history holds each track's rule numbers; the cursor gives the run's rule indexes
/// (``VerdictSource/ruleID(_:_:)``), so the packed decisions read like the scan's own. It
/// also gives the track's `artist_id`, which history keeps with each period (a new artist
/// begins a new period), so it is the artist the run itself read.
public final class VerdictCursor {
    public let source: VerdictSource
    /// The database file, for error messages.
    public let path: String
    private let live: LiveTracks
    /// The policy's state in each combination that has one.
    private var states: [UInt32: UInt64] = [:]
    private var id: [UInt8] = []
    private var artistBytes: [UInt8] = []

    public private(set) var hash: UInt64 = 0
    public private(set) var labelStatus: LabelStatus = .unknown
    /// The four uses' decisions, 8 bits each: verdict in the low 2, rule index in the high 6
    /// (``PackedDecisions``); the index 63 stands for a rule the run's policy does not have.
    public private(set) var packed: UInt32 = 0

    init(db: Database, path: String, source: VerdictSource) throws {
        self.path = path
        self.source = source
        live = try LiveTracks(db: db, path: path, at: source.runID)
        for row in try Row.fetchAll(db, sql: "SELECT combo, state FROM history_combos WHERE policy_no = ?",
                                    arguments: [source.policyNumber]) {
            let combo: Int64 = row[0], state: Int64 = row[1]
            states[UInt32(combo)] = UInt64(state)
        }
    }

    /// Moves to the next track; false after the last one.
    public func next() throws -> Bool {
        while let entry = try live.next() {
            guard let state = states[entry.combo] else { continue }
            id = entry.id
            artistBytes = entry.artist
            hash = entry.hash
            labelStatus = StableDecisions.label(state)
            // Raw codes, checked by the reader (a damaged database may hold any).
            var decisions: UInt32 = 0
            for use in AIUse.allCases {
                let code = UInt32(StableDecisions.verdictCode(state, use))
                let index = UInt32(source.ruleIndexes[use.rawValue][StableDecisions.ruleNumber(state, use)] ?? 63)
                decisions |= (code | index << 2) << (8 * UInt32(use.rawValue))
            }
            packed = decisions
            return true
        }
        return false
    }

    /// The current track's id bytes, as stored.
    public var trackID: [UInt8] { id }

    /// Calls `body` with the current track's id bytes, without copying them.
    public func withTrackID<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try id.withUnsafeBufferPointer(body)
    }

    /// The current track's id as a String (invalid UTF-8 repaired).
    public var trackIDString: String { String(decoding: id, as: UTF8.self) }

    /// The current track's `artist_id` bytes, as stored (trimmed, at most 1,024 bytes);
    /// empty when it has none — and for every track of a run scanned before artists were
    /// kept (schema v5).
    public var artist: [UInt8] { artistBytes }

    /// Calls `body` with the current track's artist bytes (empty: none), without copying them.
    public func withArtist<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try artistBytes.withUnsafeBufferPointer(body)
    }

    /// The current track's artist as a String (invalid UTF-8 repaired; empty: none).
    public var artistString: String { String(decoding: artistBytes, as: UTF8.self) }

    /// The current track's verdict for `use`.
    public func verdict(_ use: AIUse) -> Verdict? {
        Verdict(rawValue: UInt8(truncatingIfNeeded: packed >> (8 * UInt32(use.rawValue))) & 3)
    }

    /// The current track's deciding rule index for `use` (see ``VerdictSource/ruleID(_:_:)``).
    public func ruleIndex(_ use: AIUse) -> Int {
        Int((packed >> (8 * UInt32(use.rawValue) + 2)) & 63)
    }
}
