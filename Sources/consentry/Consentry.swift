import ArgumentParser
import ConsentryCore
import Foundation
import Logging

@main
struct Consentry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consentry",
        abstract: "Scan music-catalogue exports for AI-training exposure under a platform's terms.",
        version: ConsentryVersion.current,
        subcommands: [ScanCommand.self, ReportCommand.self, RunsCommand.self, TrendCommand.self, DiffCommand.self, ExportCommand.self,
                      RejectsCommand.self, PruneCommand.self, PolicyCommand.self])
}

/// Options every database command shares.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "Results database (default: $CONSENTRY_DB, else ./consentry.sqlite).")
    var db: String?

    var path: String {
        db ?? ProcessInfo.processInfo.environment["CONSENTRY_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "consentry.sqlite"
    }
}

extension RunSelector: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public static var defaultCompletionKind: CompletionKind { .list(["latest", "previous"]) }
}

/// Prints an error as `consentry: error: <file>:<line>: <message>` and maps it to SPEC §6's exit code.
enum Failure {
    static func exitCode(for error: any Error) -> Int32 {
        switch error {
        case let e as ScanInterrupted: return e.signal == SIGTERM ? 143 : 130
        case let e as StoreError: return e.kind == .locked ? 75 : 2
        case is PolicyError: return 64
        case is InputError: return 2
        default: return 2
        }
    }

    static func report(_ error: any Error) -> Never {
        let text = (error as? any ConsentryError)?.description ?? "\(error)"
        FileHandle.standardError.write(Data("consentry: error: \(text)\n".utf8))
        exit(exitCode(for: error))
    }
}

enum Output {
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func warn(_ text: String) {
        FileHandle.standardError.write(Data("consentry: warning: \(text)\n".utf8))
    }
}
