import ConsentryModel
import ConsentryEngine
import Foundation

/// Runs a scan end to end: lock, run lifecycle, reading, duplicates, history and storage
/// (contract §4).
public enum Scanner {
    /// Scans and returns the stored report of the completed run.
    ///
    /// On any error the run is marked failed with the error's text and none of its rows stay.
    public static func run(_ request: ScanRequest, cancellation: Cancellation = Cancellation(),
                           progress: ScanProgress? = nil) throws -> RunReport {
        let logger = request.logger
        logger.debug("taking the database lock", metadata: ["db": "\(request.databasePath)", "wait_seconds": "\(request.waitLock)"])
        let lock = try DatabaseLock(databasePath: request.databasePath, wait: request.waitLock,
                                    interruption: { cancellation.error })
        defer { withExtendedLifetime(lock) {} }
        let database = try ResultsDatabase(path: request.databasePath, create: true, holdingLock: true)
        for id in try database.markInterruptedRuns() {
            logger.notice("run \(id) was left running by a process that died; marked failed (interrupted)")
        }
        let runID = try database.startRun(
            toolVersion: request.toolVersion, storeMode: request.store, commandLine: request.commandLine)
        let started = Date()
        logger.info("run \(runID) started", metadata: [
            "inputs": "\(request.inputs.joined(separator: " "))", "policies": "\(request.policies.map(\.id).joined(separator: ","))",
            "store": "\(request.store.rawValue)", "jobs": "\(request.jobs)",
        ])
        let work = WorkDirectory(databasePath: request.databasePath, temporaryDirectory: request.temporaryDirectory)
        let state = StateDirectory(databasePath: request.databasePath)
        defer { work.remove() }
        do {
            let paths = try InputResolver.expand(request.inputs)
            for path in paths where path != "-" {
                var info = stat()
                if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && info.st_size == 0 {
                    throw emptyInput(path)
                }
            }
            try work.create()
            let scan = CatalogueScan(
                paths: paths, policies: request.policies, options: request.input, jobs: request.jobs,
                keepRejects: request.keepRejects, workDirectory: work.path, cancellation: cancellation, progress: progress)
            var wroteHistory = false
            let outcome = try database.completeRun(runID) { db in
                let rejects = try RejectWriter(db: db, path: request.databasePath, runID: runID)
                defer { rejects.close() }
                try scan.read(rejects: rejects)
                if let reason = cancellation.error { throw reason }
                if let empty = scan.outcome.inputs.first(where: { $0.bytes == 0 }) { throw emptyInput(empty.path) }
                for input in scan.outcome.inputs {
                    logger.info("input scanned", metadata: [
                        "path": "\(input.path)", "format": "\(input.format.rawValue)", "compression": "\(input.compression)",
                        "bytes": "\(input.bytes)", "rows": "\(input.rowsRead)", "sha256": "\(input.sha256)",
                    ])
                }
                let history = try request.store == .none ? nil : HistoryRecorder(
                    db: db, path: request.databasePath, runID: runID, policies: request.policies,
                    exposedOnly: request.store == .exposed, state: state, work: work.path, logger: logger)
                try scan.resolve(plan: history?.plan)
                if let history {
                    try history.commit(db)
                    wroteHistory = true
                }
                try scan.emitDuplicates(to: rejects)
                if let reason = cancellation.error { throw reason }
                try database.saveOutcome(db, runID: runID, policies: request.policies, outcome: scan.outcome,
                                         rejectsNotKept: scan.rejectsNotKept,
                                         history: history == nil ? nil : scan.historyChanges)
                return scan.outcome
            }
            if wroteHistory {
                // The run is committed with the new state's token; a failure here leaves next/,
                // which the next scan promotes.
                try? state.promote()
            }
            logger.info("run \(runID) completed", metadata: [
                "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))", "read": "\(outcome.rowsRead)",
                "scanned": "\(outcome.rowsScanned)", "rejected": "\(outcome.rowsRejected)",
                "periods_began": "\(scan.historyChanges.began)", "periods_ended": "\(scan.historyChanges.ended)",
            ])
        } catch {
            state.discardNext()
            let stored = (error as? any ConsentryError)?.description ?? "\(error)"
            // The CLI prints the error itself; the log only records how the run ended.
            logger.info("run \(runID) failed; its rows were rolled back", metadata: ["error": "\(stored)"])
            try? database.failRun(runID, error: stored)
            throw error
        }
        return try database.report(runID: runID)
    }

    /// A 0-byte input is a failed export, not an empty catalogue: fatal, so that no run
    /// looks complete without it (an empty CSV has no header anyway; an empty JSONL would
    /// otherwise scan to zero rows).
    static func emptyInput(_ path: String) -> InputError {
        InputError(
            .empty,
            "the input is empty (0 bytes): the export failed or is still being written", remedy: "re-export it, or leave it out of the scan",
            file: path)
    }
}
