import ConsentryEngine
import ConsentryModel
import Foundation
import GRDB

/// Turns the per-run verdict rows of a schema-v3 database into history (schema v4).
///
/// The stored runs are replayed in order through the scan's own resolution: each run's rows
/// become tracks, merged with the state the previous run left, so the history is exactly what
/// nightly scans with history storage would have written. Pruned runs had no rows and stay
/// without. No state files are kept: the first scan after the upgrade rebuilds them from the
/// history.
enum HistoryMigration {
    static func convert(_ db: Database, databasePath: String) throws {
        let runs = try Row.fetchAll(db, sql: """
            SELECT id, verdicts_first_rowid, verdicts_last_rowid FROM runs
            WHERE status = 'completed' AND pruned_at IS NULL AND store_mode <> 'none' ORDER BY id
            """)
        guard !runs.isEmpty else { return }
        let work = databasePath + ".upgrade"
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let combos = try HistoryTables.combos(db)
        var previousState: [String]?
        for (step, row) in runs.enumerated() {
            let runID: Int64 = row[0]
            let policies = try Row.fetchAll(db, sql: """
                SELECT policy_index, policy_id FROM run_policies WHERE run_id = ? ORDER BY policy_index
                """, arguments: [runID])
            guard !policies.isEmpty else { continue }
            var described: [(id: String, ruleIDs: [[String?]])] = []
            for policy in policies {
                var uses: [[String?]] = Array(repeating: [], count: AIUse.allCases.count)
                for rule in try Row.fetchAll(db, sql: """
                    SELECT use_index, rule_index, rule_id FROM policy_rules WHERE run_id = ? AND policy_index = ?
                    """, arguments: [runID, policy[0] as Int]) {
                    let use: Int = rule[0], index: Int = rule[1]
                    guard uses.indices.contains(use), (0...Policy.maxRulesPerUse).contains(index) else { continue }
                    if uses[use].count <= index { uses[use] += Array(repeating: nil, count: index + 1 - uses[use].count) }
                    uses[use][index] = rule[2]
                }
                described.append((policy[1], uses))
            }
            let numbering = try HistoryTables.numbering(db, policies: described, path: databasePath)
            let stepDirectory = work + "/run-\(step)"
            try FileManager.default.createDirectory(atPath: stepDirectory + "/state", withIntermediateDirectories: true)
            let files = HistoryFiles(directory: stepDirectory + "/history")
            try FileManager.default.createDirectory(atPath: files.directory, withIntermediateDirectories: true)
            let replay = try TrackReplay(policyCount: policies.count, workDirectory: stepDirectory,
                                         jobs: ProcessInfo.processInfo.activeProcessorCount)
            try replayRows(db, runID: runID, first: row[1], last: row[2], policyCount: policies.count, into: replay)
            let plan = HistoryPlan(
                runID: runID, policyNumbers: numbering.policyNumbers, ruleNumbers: numbering.ruleNumbers,
                exposedOnly: false, combos: combos, previousState: previousState,
                newStateDirectory: stepDirectory + "/state", output: files)
            let changes = try replay.resolve(plan: plan)
            try HistoryInserter(files: files, runID: runID, db: db, path: databasePath).finish()
            try HistoryTables.recordRun(db, runID: runID, policyNumbers: numbering.policyNumbers)
            try db.execute(sql: "UPDATE runs SET history_began = ?, history_ended = ? WHERE id = ?",
                           arguments: [changes.began, changes.ended, runID])
            if step > 0 { try? FileManager.default.removeItem(atPath: work + "/run-\(step - 1)") }
            previousState = (0..<HistoryPlan.partitionCount).map {
                stepDirectory + "/state/" + HistoryPlan.stateFileName(partition: $0)
            }
        }
        try HistoryTables.saveNewCombos(db, combos)
    }

    /// Hands a run's v3 rows to `replay`, a track at a time. A v3 scan wrote each track's rows
    /// (one per policy) one after another, in input order.
    private static func replayRows(_ db: Database, runID: Int64, first: Int64?, last: Int64?, policyCount: Int,
                                   into replay: TrackReplay) throws {
        let filter = first != nil && last != nil ? "id BETWEEN \(first!) AND \(last!) AND run_id = ?" : "run_id = ?"
        let rows = try Row.fetchCursor(db, sql: "SELECT track_id, packed FROM verdicts WHERE \(filter) ORDER BY id",
                                       arguments: [runID])
        var trackID: [UInt8]? = nil
        var label = LabelStatus.unknown
        var verdicts = [UInt32](repeating: 0, count: policyCount)
        var seen = 0
        func flush() throws {
            if let id = trackID, seen == policyCount {
                try replay.append(trackID: id, label: label, verdicts: verdicts)
            }
        }
        while let row = try rows.next() {
            let id: String = row[0]
            let packed: Int64 = row[1]
            let bytes = Array(id.utf8)
            let policy = Int(packed >> 34)
            if bytes != trackID || policy == 0 {
                try flush()
                trackID = bytes
                seen = 0
            }
            guard policy < policyCount else { continue }
            label = LabelStatus(rawValue: UInt8((packed >> 32) & 3))!
            verdicts[policy] = UInt32(truncatingIfNeeded: packed)
            seen += 1
        }
        try flush()
    }
}
