import Foundation
import Logging

/// A command stopped by a signal (SPEC §6: exit 130 or 143).
public struct ScanInterrupted: ConsentryError {
    public let signal: Int32
    /// What the interruption left, for the message: a scan's run is marked failed, an
    /// export's or report's output file is left as it was.
    public let outcome: String
    public var code: String { "interrupted" }
    public var message: String {
        "interrupted by signal \(signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : String(signal)); \(outcome)"
    }
    public var file: String? { nil }
    public var line: Int? { nil }

    /// A scan's outcome: its run is marked failed.
    public static let runMarkedFailed = "the run was marked failed"

    public init(signal: Int32, outcome: String = runMarkedFailed) {
        self.signal = signal
        self.outcome = outcome
    }

    /// What an interrupted command that writes to `output` (nil: standard output) leaves.
    public static func outcome(writing output: String?) -> String {
        output.map { "\($0) was not changed" } ?? "the output is incomplete"
    }
}

/// Everything one `consentry scan` needs.
public struct ScanRequest: Sendable {
    public var inputs: [String]
    public var policies: [Policy]
    public var databasePath: String
    public var store: StoreMode = .all
    public var input = InputOptions()
    public var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    public var waitLock: Double = 0
    public var toolVersion: String = ConsentryVersion.current
    public var commandLine: String = ""
    /// Run lifecycle at `info` (start, each input, completion or failure), recovery at `notice`.
    public var logger = Logger(label: "consentry")

    public init(inputs: [String], policies: [Policy], databasePath: String) {
        self.inputs = inputs
        self.policies = policies
        self.databasePath = databasePath
    }
}

/// Runs a scan end to end: lock, run lifecycle, pipeline, storage (SPEC §4).
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
        do {
            let paths = try InputResolver.expand(request.inputs)
            for path in paths where path != "-" {
                var info = stat()
                if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && info.st_size == 0 {
                    throw emptyInput(path)
                }
            }
            let outcome = try database.completeRun(runID) { db in
                let writer = try RunWriter(db: db, path: request.databasePath, runID: runID, mode: request.store)
                defer { writer.close() }
                let pipeline = ScanPipeline(
                    paths: paths, policies: request.policies, options: request.input, jobs: request.jobs,
                    cancellation: cancellation, progress: progress)
                let outcome = try pipeline.run(sink: writer)
                if let reason = cancellation.error { throw reason }
                if let empty = outcome.inputs.first(where: { $0.bytes == 0 }) { throw emptyInput(empty.path) }
                for input in outcome.inputs {
                    logger.info("input scanned", metadata: [
                        "path": "\(input.path)", "format": "\(input.format.rawValue)", "compression": "\(input.compression)",
                        "bytes": "\(input.bytes)", "rows": "\(input.rowsRead)", "sha256": "\(input.sha256)",
                    ])
                }
                try database.saveOutcome(db, runID: runID, policies: request.policies, outcome: outcome,
                                         verdictRows: try writer.verdictRows())
                return outcome
            }
            logger.info("run \(runID) completed", metadata: [
                "seconds": "\(String(format: "%.2f", Date().timeIntervalSince(started)))", "read": "\(outcome.rowsRead)",
                "scanned": "\(outcome.rowsScanned)", "rejected": "\(outcome.rowsRejected)",
            ])
        } catch {
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
            "the input is empty (0 bytes): the export failed or is still being written; re-export it, or leave it out of the scan",
            file: path)
    }
}

/// The version recorded in `runs.tool_version`.
public enum ConsentryVersion {
    public static let current = "0.1.0"
}
