import ArgumentParser
import ConsentryModel
import ConsentryEngine
import ConsentryStore
import ConsentryReports

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List runs: id, start, duration, status, rows and inputs.")

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let db = try ResultsDatabase(path: database.path, create: false)
        Output.write(ReportRenderer.runs(try db.runs()))
    }
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case text, json, markdown, csv, html }

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Show the stored results of a run (default: the latest completed).")

    @OptionGroup var database: DatabaseOptions

    @Option(name: .customLong("run"), help: "Run id, latest (the newest completed run) or previous.")
    var runSelection: RunSelector = .latest

    @Option(name: .long, help: "text, json, markdown (for a ticket), csv (one row per policy, group and use) or html (one self-contained page with charts).")
    var format: ReportFormat = .text

    @Option(name: .long, help: "Write the report to PATH, replacing it atomically, instead of standard output.")
    var output: String?

    func run() throws {
        // Only a file needs the trap (to remove its temporary file); printing stops at once.
        let cancellation = Cancellation()
        let trap = output.map { SignalTrap(cancellation: cancellation, outcome: ScanInterrupted.outcome(writing: $0)) }
        defer { withExtendedLifetime(trap) {} }
        let db = try ResultsDatabase(path: database.path, create: false)
        let runID = try db.resolve(runSelection)
        let text: String
        switch format {
        case .text: text = ReportRenderer.text(try db.report(runID: runID))
        case .json: text = ReportRenderer.json(try db.report(runID: runID)) + "\n"
        case .markdown: text = MarkdownReport.render(try db.report(runID: runID))
        case .csv: text = CSVReport.render(try db.report(runID: runID))
        case .html: text = HTMLReport.render(try db.reportDocument(runID: runID))
        }
        try OutputFile.write(text, to: output, protecting: database.path, cancellation: cancellation)
    }
}
