import ArgumentParser
import ConsentryModel
import ConsentryEngine
import ConsentryStore
import ConsentryReports
import Foundation

enum DiffFormat: String, ExpressibleByArgument, CaseIterable { case text, json, csv }

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Tracks whose verdict changed between two runs: counts per use and transition, added and removed tracks.",
        discussion: """
            RUN_A and RUN_B are run ids, or `latest` (the latest completed run) and `previous` \
            (the completed run before it). Both runs must have been scanned with --store all. \
            text and json list the first --limit changes (default 20 and 100); csv lists every \
            change unless --limit is given.
            """)

    @Argument(help: "The earlier run: an id, latest or previous.")
    var runA: RunSelector

    @Argument(help: "The later run: an id, latest or previous.")
    var runB: RunSelector

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: "A policy both runs applied (default: the first of RUN_A's policies that RUN_B also applied).")
    var policy: String?

    @Option(name: .long, help: "text, json or csv.")
    var format: DiffFormat = .text

    @Option(name: .long, help: "How many changed tracks to list.")
    var limit: Int?

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
    }

    func run() throws {
        let db = try ResultsDatabase(path: database.path, create: false)
        let a = try db.resolve(runA), b = try db.resolve(runB)
        switch format {
        case .text:
            Output.write(DiffRenderer.text(try db.diff(runA: a, runB: b, policy: policy, limit: limit ?? 20)))
        case .json:
            Output.write(DiffRenderer.json(try db.diff(runA: a, runB: b, policy: policy, limit: limit ?? 100)) + "\n")
        case .csv:
            let out = OutputFile.standardOutput()
            try out.write(DiffRenderer.csvHeader)
            _ = try db.diff(runA: a, runB: b, policy: policy, limit: 0, stopAfter: limit) { change in
                try out.write(DiffRenderer.csvRows(change))
            }
            try out.flush()
        }
    }
}
