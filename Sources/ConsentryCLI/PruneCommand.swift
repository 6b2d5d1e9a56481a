import ArgumentParser
import ConsentryModel
import ConsentryEngine
import ConsentryStore
import ConsentryReports
import Foundation

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete the per-track rows of all but the N most recent completed runs; their statistics stay.",
        discussion: """
            Deletes the verdict and reject rows of older completed runs in one transaction, then \
            gives the space back (VACUUM; needs free disk about the database's size). report, \
            trend and runs keep working for pruned runs; diff, export and rejects refuse them. \
            Takes the scan lock: exits 75 while a scan runs (or waits, with --wait-lock).
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: "How many of the most recent completed runs keep their verdict and reject rows.")
    var keep: Int

    @Flag(name: .customLong("dry-run"), help: "Only say what would be deleted.")
    var dryRun = false

    @Option(name: .customLong("wait-lock"), help: "Wait up to SECONDS for a running scan instead of exiting 75.")
    var waitLock: Double = 0

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if keep < 0 { throw ValidationError("--keep must be 0 or more") }
        if !(waitLock >= 0) { throw ValidationError("--wait-lock must be a number of seconds, 0 or more") }
    }

    func run() throws {
        let logger = logging.makeLogger()
        // No signal trap: SIGINT/SIGTERM end the process at once, and SQLite rolls the
        // unfinished transaction back, so an interrupted prune deletes nothing.
        let result = try Pruner.prune(databasePath: database.path, keep: keep, dryRun: dryRun, waitLock: waitLock)
        logger.info("prune finished", metadata: ["runs": "\(result.prunedRuns.count)", "periods": "\(result.periods)"])
        Output.write(PruneCommand.summary(result, dryRun: dryRun, keep: keep))
        if let reason = result.vacuumError {
            Output.warn("\(database.path): the rows are deleted but the space was not given back: \(reason); run `sqlite3 \(database.path) VACUUM` when there is free disk")
        }
    }

    static func summary(_ r: PruneResult, dryRun: Bool, keep: Int) -> String {
        guard !r.prunedRuns.isEmpty else {
            return "Nothing to prune: at most \(keep) completed run\(keep == 1 ? "" : "s") still hold verdict rows.\n"
        }
        let runs = r.prunedRuns.map(String.init).joined(separator: ", ")
        let mb = { (b: Int64) in String(format: "%.1f MB", Double(b) / 1_000_000) }
        if dryRun {
            return "Would prune \(r.prunedRuns.count) run(s) (\(runs)): \(r.periods) history periods and \(r.rejectRows) reject rows; database now \(mb(r.bytesBefore)).\n"
        }
        return "Pruned \(r.prunedRuns.count) run(s) (\(runs)): deleted \(r.periods) history periods and \(r.rejectRows) reject rows; database \(mb(r.bytesBefore)) → \(mb(r.bytesAfter)).\n"
    }
}
