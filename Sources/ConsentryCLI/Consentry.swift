import ArgumentParser
import ConsentryEngine
import ConsentryModel
import ConsentryStore
import Foundation
import ConsentryReports

/// The root command: its subcommands are the commands of the command line.
struct Consentry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consentry",
        abstract: "Scan music-catalogue exports for AI-training exposure under a platform's terms.",
        version: VersionText.line,
        subcommands: [ScanCommand.self, ReportCommand.self, RunsCommand.self, TrendCommand.self, DiffCommand.self,
                      ExportCommand.self, RejectsCommand.self, TrackCommand.self, MergeCommand.self, PruneCommand.self,
                      PolicyCommand.self])
}

/// Options every database command shares.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "Results database (default: $CONSENTRY_DB, else ./consentry.sqlite).")
    var db: String?

    var path: String { Self.path(db: db, environment: ProcessInfo.processInfo.environment) }

    /// `--db`, else a non-empty `CONSENTRY_DB` in `environment`, else ./consentry.sqlite.
    static func path(db: String?, environment: [String: String]) -> String {
        db ?? environment["CONSENTRY_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "consentry.sqlite"
    }
}

extension RunSelector: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public static var defaultCompletionKind: CompletionKind { .list(["latest", "previous"]) }
}
