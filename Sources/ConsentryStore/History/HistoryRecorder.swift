import ConsentryEngine
import ConsentryModel
import Foundation
import GRDB
import Logging

/// Prepares a run's history (the plan the resolver needs) and stores it once resolved,
/// inside the run's transaction.
final class HistoryRecorder {
    let plan: HistoryPlan
    private let runID: Int64
    private let state: StateDirectory
    private let inserter: HistoryInserter

    /// Numbers the run's policies and rules, and finds the previous state: the files beside
    /// the database when they match it, else rebuilt from the database.
    init(db: Database, path: String, runID: Int64, policies: [Policy], exposedOnly: Bool, state: StateDirectory,
         work: String, logger: Logger) throws {
        self.runID = runID
        self.state = state
        let numbering = try HistoryTables.numbering(db, policies: policies, path: path)
        let token = try HistoryTables.stateToken(db)
        var previous = state.files(token: token)
        if previous == nil, try Int.fetchOne(db, sql: "SELECT count(*) FROM history_segments") ?? 0 > 0 {
            logger.notice("the history state beside the database is missing or out of date; rebuilding it from the database")
            let rebuilt = work + "/rebuilt-state"
            try FileManager.default.createDirectory(atPath: rebuilt, withIntermediateDirectories: true)
            try StateDirectory.rebuild(db, path: path, into: rebuilt)
            previous = (0..<HistoryPlan.partitionCount).map { rebuilt + "/" + HistoryPlan.stateFileName(partition: $0) }
        }
        let files = HistoryFiles(directory: work + "/history")
        try FileManager.default.createDirectory(atPath: files.directory, withIntermediateDirectories: true)
        plan = HistoryPlan(
            runID: runID, policyNumbers: numbering.policyNumbers, ruleNumbers: numbering.ruleNumbers,
            exposedOnly: exposedOnly, combos: try HistoryTables.combos(db), previousState: previous,
            newStateDirectory: try state.prepareNext(), output: files)
        inserter = try HistoryInserter(files: files, runID: runID, db: db, path: path)
    }

    /// Stores the changes of partition `p`, which the resolver has written (in partition
    /// order).
    func insert(partition p: Int) throws {
        try inserter.insert(partition: p)
    }

    /// Stores the changes not stored yet and seals the new state under a new token.
    func commit(_ db: Database) throws {
        try inserter.finish()
        try HistoryTables.saveNewCombos(db, plan.combos)
        try HistoryTables.recordRun(db, runID: runID, policyNumbers: plan.policyNumbers)
        let token = StateDirectory.newToken()
        try state.seal(token: token)
        try HistoryTables.setStateToken(db, token)
    }
}
