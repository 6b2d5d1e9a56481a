import ArgumentParser
import ConsentryCore

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "List runs: id, start, duration, status, rows and inputs.")

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        do {
            let db = try ResultsDatabase(path: database.path, create: false)
            Output.write(ReportRenderer.runs(try db.runs()))
        } catch {
            Failure.report(error)
        }
    }
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Show the stored results of a run (default: the latest completed).")

    @OptionGroup var database: DatabaseOptions

    @Option(name: .customLong("run"), help: "Run id, or latest.")
    var runSelector: String = "latest"

    @Option(name: .long, help: "text or json.")
    var format: ReportFormat = .text

    func run() throws {
        var runID: Int64? = nil
        if runSelector != "latest" {
            guard let id = Int64(runSelector) else { throw ValidationError("--run takes a run id or 'latest'") }
            runID = id
        }
        do {
            let db = try ResultsDatabase(path: database.path, create: false)
            let report = try db.report(runID: runID)
            Output.write(format == .json ? ReportRenderer.json(report) + "\n" : ReportRenderer.text(report))
        } catch {
            Failure.report(error)
        }
    }
}
