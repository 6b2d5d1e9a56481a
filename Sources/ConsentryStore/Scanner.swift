import ConsentryEngine
import ConsentryModel
import Foundation
import Logging

/// Runs a scan end to end — lock, run lifecycle, reading, duplicates, history and storage
/// (contract §4) — or records the merge of a set of shard results as the same run.
public enum Scanner {
    /// Scans and returns the stored report of the completed run.
    ///
    /// On any error the run is marked failed with the error's text and none of its rows stay.
    public static func run(_ request: ScanRequest, cancellation: Cancellation = Cancellation(),
                           progress: ScanProgress? = nil) throws -> RunReport {
        try record(request, cancellation: cancellation, inputs: request.inputs.joined(separator: " "),
                   labelMap: request.input.labelMap) { work in
            let paths = try InputResolver.expand(request.inputs)
            let databaseFiles = FileIdentity.ofDatabase(request.databasePath)
            for path in paths where path != "-" {
                var info = stat()
                if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && info.st_size == 0 {
                    throw InputError.emptyInput(path)
                }
                // Reading the database as an input would open and close it in this process,
                // which drops every lock SQLite holds on it: another process could then take
                // the run's live journal for a crashed one and roll it back under the scan.
                if let identity = FileIdentity(path), databaseFiles.contains(identity) {
                    throw InputError(.unreadable, "this input is the results database (or one of its journal files)", remedy: "pass the catalogue export, not the --db file", file: path)
                }
            }
            var options = request.input
            options.keepsArtists = request.store != .none
            let scan = CatalogueScan(
                paths: paths, policies: request.policies, options: options, jobs: request.jobs,
                keepRejects: request.keepRejects, workDirectory: work, cancellation: cancellation, progress: progress)
            return (scan, { try scan.read(rejects: $0) })
        }
    }

    /// Ends a new database's first run without the WAL (``ResultsDatabase/useWAL(attempts:timeout:)``);
    /// a failure leaves the switch to the next scan, which is said, not thrown: the run is
    /// already recorded. After a failed run it waits for readers once, not three times: the
    /// failure may have been a reader that kept the database.
    private static func switchToWAL(_ database: ResultsDatabase, logger: Logger, attempts: Int = 3) {
        do {
            try database.useWAL(attempts: attempts)
        } catch {
            logger.notice("the database stays without its WAL until the next scan's start: \(error)")
        }
    }

    /// Records a complete, consistent set of shard results (``ShardSet``) as one run, exactly
    /// as one `consentry scan` of the same inputs would have; returns its report.
    ///
    /// The set is checked before anything is recorded; the inputs must still be readable
    /// (duplicates are located in them for their rejects' lines and excerpts).
    public static func merge(_ set: ShardSet, request: ScanRequest, cancellation: Cancellation = Cancellation()) throws
        -> RunReport {
        try record(request, cancellation: cancellation, inputs: set.directory, labelMap: set.options.labelMap) { work in
            let readings = try set.results.map { try $0.reading(policyCount: set.policies.count) }
            let scan = try CatalogueScan(
                paths: set.paths, resuming: readings, policies: set.policies, options: set.options, jobs: request.jobs,
                keepRejects: set.keepRejects, workDirectory: work, cancellation: cancellation)
            return (scan, { sink in
                for result in set.results {
                    for (input, reject) in try result.rejects() {
                        try sink.rejected(input: input, path: set.paths[input], reject)
                    }
                }
            })
        }
    }

    /// The run lifecycle around one scan: `prepare` makes it in the work folder and says how
    /// its reading hands over rejects (the scan's own reading, or the shards' rejects).
    private static func record(
        _ request: ScanRequest, cancellation: Cancellation, inputs: String, labelMap: LabelMap?,
        prepare: (_ work: String) throws -> (CatalogueScan, (RejectSink) throws -> Void)
    ) throws -> RunReport {
        let logger = request.logger
        logger.debug("taking the database lock", metadata: ["db": "\(request.databasePath)", "wait_seconds": "\(request.waitLock)"])
        let lock = try DatabaseLock(databasePath: request.databasePath, wait: request.waitLock,
                                    interruption: { cancellation.error })
        defer { withExtendedLifetime(lock) {} }
        let database = try lock.opening { try ResultsDatabase(path: request.databasePath, create: true, holdingLock: true) }
        let work = WorkDirectory(databasePath: request.databasePath, temporaryDirectory: request.temporaryDirectory)
        for (id, folder) in try database.markInterruptedRunsWithWork() {
            logger.notice("run \(id) was left running by a process that died; marked failed (interrupted)")
            // Its work folder may be under another --temp-dir than this scan's.
            if let folder { work.removeSibling(folder) }
        }
        let runID = try database.startRun(
            toolVersion: request.toolVersion, storeMode: request.store, commandLine: request.commandLine,
            workDirectory: work.path)
        let started = Date()
        logger.info("run \(runID) started", metadata: [
            "inputs": "\(inputs)", "policies": "\(request.policies.map(\.id).joined(separator: ","))",
            "store": "\(request.store.rawValue)", "jobs": "\(request.jobs)",
        ])
        let state = StateDirectory(databasePath: request.databasePath)
        defer { work.remove() }
        do {
            try work.create()
            let (scan, read) = try prepare(work.path)
            var wroteHistory = false
            let outcome = try database.completeRun(runID) { db in
                let rejects = try RejectWriter(db: db, path: request.databasePath, runID: runID)
                defer { rejects.close() }
                try read(rejects)
                if let reason = cancellation.error { throw reason }
                if let empty = scan.outcome.inputs.first(where: { $0.bytes == 0 }) { throw InputError.emptyInput(empty.path) }
                for input in scan.outcome.inputs {
                    logger.info("input scanned", metadata: [
                        "path": "\(input.path)", "format": "\(input.format.rawValue)", "compression": "\(input.compression)",
                        "bytes": "\(input.bytes)", "rows": "\(input.rowsRead)", "sha256": "\(input.sha256)",
                    ])
                }
                let history = try request.store == .none ? nil : HistoryRecorder(
                    db: db, path: request.databasePath, runID: runID, policies: scan.policies,
                    exposedOnly: request.store == .exposed, state: state, work: work.path, logger: logger)
                // Each stage's wall time, for telling where a slow night went.
                var stageStart = Date()
                func stageDone(_ stage: String) {
                    logger.debug("\(stage) done", metadata: ["seconds": "\(String(format: "%.3f", Date().timeIntervalSince(stageStart)))"])
                    stageStart = Date()
                }
                // Each partition's history goes into the database while later ones resolve, and
                // so do the labels, as soon as their case groups are known.
                var numbered: ResultsDatabase.NumberedLabels? = nil
                try scan.resolve(plan: history?.plan, grouped: { labels in
                    numbered = try database.numberLabels(db, texts: scan.labelTexts, numbers: labels)
                }) { partition in try history?.insert(partition: partition) }
                stageDone("resolving")
                if let history {
                    try history.commit(db)
                    wroteHistory = true
                    stageDone("history")
                }
                try scan.emitDuplicates(to: rejects)
                stageDone("duplicates")
                if let reason = cancellation.error { throw reason }
                try database.saveOutcome(db, runID: runID, policies: scan.policies, outcome: scan.outcome,
                                         rejectsNotKept: scan.rejectsNotKept,
                                         history: history == nil ? nil : scan.historyChanges,
                                         labelMap: labelMap, numbered: numbered)
                stageDone("statistics")
                return scan.outcome
            }
            if wroteHistory {
                // The run is committed with the new state's token; a failure here leaves next/,
                // which the next scan promotes.
                try? state.promote()
            }
            switchToWAL(database, logger: logger)
            logger.info("run \(runID) completed", metadata: [
                "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))", "read": "\(outcome.rowsRead)",
                "scanned": "\(outcome.rowsScanned)", "rejected": "\(outcome.rowsRejected)",
                "periods_began": "\(scan.historyChanges.began)", "periods_ended": "\(scan.historyChanges.ended)",
            ])
        } catch {
            state.discardNext()
            // As the CLI prints it: the message may quote the input, and a NUL in it would cut
            // the stored text when it is read back.
            let stored = VisibleText.of((error as? any ConsentryError)?.description ?? "\(error)")
            // The CLI prints the error itself; the log only records how the run ended.
            logger.info("run \(runID) failed; its rows were rolled back", metadata: ["error": "\(stored)"])
            try? database.failRun(runID, error: stored)
            switchToWAL(database, logger: logger, attempts: 1)
            throw error
        }
        return try database.report(runID: runID)
    }
}
