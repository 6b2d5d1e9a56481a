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

extension Breakdown.Field: ExpressibleByArgument {}

/// `--top N|all`.
enum TopCount: ExpressibleByArgument, Equatable {
    case count(Int)
    case all

    init?(argument: String) {
        if argument == "all" {
            self = .all
        } else if let n = Int(argument), n >= 1 {
            self = .count(n)
        } else {
            return nil
        }
    }

    var limit: Int? {
        if case .count(let n) = self { return n }
        return nil
    }
}

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

    @Option(name: .long, help: "Instead of the summary: the run's tracks by label or by artist (artist_id), per policy, largest first.")
    var by: Breakdown.Field?

    @Option(name: .long, help: "With --by: how many groups per policy, or all (default: 20 for text, markdown and html; all for json and csv).")
    var top: TopCount?

    func validate() throws {
        if top != nil && by == nil { throw ValidationError("--top goes with --by label or --by artist") }
    }

    func run() throws {
        // Only a file needs the trap (to remove its temporary file); printing stops at once.
        let cancellation = Cancellation()
        let trap = output.map { SignalTrap(cancellation: cancellation, outcome: ScanInterrupted.outcome(writing: $0)) }
        defer { withExtendedLifetime(trap) {} }
        let db = try ResultsDatabase(path: database.path, create: false)
        let runID = try db.resolve(runSelection)
        let text: String
        if let by {
            let breakdown = try db.breakdown(runID: runID, by: by)
            let limit = (top ?? (format == .json || format == .csv ? .all : .count(20))).limit
            switch format {
            case .text: text = BreakdownRenderer.text(breakdown, top: limit)
            case .json: text = BreakdownRenderer.json(breakdown, top: limit)
            case .markdown: text = BreakdownRenderer.markdown(breakdown, top: limit)
            case .csv: text = BreakdownRenderer.csv(breakdown, top: limit)
            case .html: text = BreakdownRenderer.html(breakdown, top: limit)
            }
            try OutputFile.write(text, to: output, protecting: database.path, cancellation: cancellation)
            return
        }
        switch format {
        case .text: text = ReportRenderer.text(try db.report(runID: runID))
        case .json: text = ReportRenderer.json(try db.report(runID: runID)) + "\n"
        case .markdown: text = MarkdownReport.render(try db.report(runID: runID))
        case .csv: text = CSVReport.render(try db.report(runID: runID))
        case .html: text = HTMLReport.render(try db.reportDocument(runID: runID, breakdowns: true))
        }
        try OutputFile.write(text, to: output, protecting: database.path, cancellation: cancellation)
    }
}
