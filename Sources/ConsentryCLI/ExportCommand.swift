import ArgumentParser
import ConsentryModel
import ConsentryEngine
import ConsentryStore
import ConsentryReports
import Foundation

extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run's per-track verdicts as CAWG assertions, IPTC Data Mining values or CSV.",
        discussion: """
            cawg: one JSON line per track with a cawg.training-mining assertion (entries \
            cawg.ai_generative_training, cawg.ai_training, cawg.ai_inference, cawg.data_mining; \
            use allowed for exposed or consented, notAllowed for blocked). iptc: one JSON line per \
            track with its plus:DataMining value (and plus:OtherConstraints text when needed). \
            Both end with the track's artist_id (null when it has none). \
            csv: track_id,policy_id,label_status,use,verdict,rule_id,artist_id, one row per track and use. \
            Tracks come in history order (by a hash of the track id, the same in every run). Exit codes: 0 written; 2 database or output problem, or a run \
            without stored verdicts; 64 usage error; 130/143 interrupted (no --output file is left).
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(name: .customLong("run"), help: "Run id, latest (the newest completed run) or previous.")
    var runSelection: RunSelector = .latest

    @Option(name: .long, help: "One of the run's policies (default: the first it applied).")
    var policy: String?

    @Option(name: .long, help: "cawg, iptc or csv.")
    var format: ExportFormat

    @Option(name: .long, help: "Write here (replaced atomically when complete) instead of standard output.")
    var output: String?

    func validate() throws {
        if output?.isEmpty == true { throw ValidationError("--output needs a file path") }
    }

    func run() throws {
        let cancellation = Cancellation()
        let trap = SignalTrap(cancellation: cancellation, outcome: ScanInterrupted.outcome(writing: output))
        defer { withExtendedLifetime(trap) {} }
        let db = try ResultsDatabase(path: database.path, create: false)
        let summary = try VerdictExporter.export(
            database: db, run: try db.resolve(runSelection), policy: policy, format: format, outputPath: output,
            cancellation: cancellation)
        if summary.storeMode == .exposed {
            Output.warn("run \(summary.runID) was scanned with --store exposed, which kept only tracks exposed to some AI use under one of its policies: \(summary.tracks) of \(summary.rowsScanned) scanned tracks exported; rescan with --store all for every track")
        }
    }
}
