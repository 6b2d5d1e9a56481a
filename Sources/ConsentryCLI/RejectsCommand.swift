import ArgumentParser
import ConsentryModel
import ConsentryStore
import ConsentryReports

struct RejectsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rejects", abstract: "List a run's rejected records: file:line, code, message and excerpt.")

    @OptionGroup var database: DatabaseOptions

    @Option(name: .customLong("run"), help: "Run id, latest (the newest completed run) or previous.")
    var runSelection: RunSelector = .latest

    @Option(name: .long, help: "Only this reject code, e.g. invalid_boolean.")
    var code: String?

    @Option(name: .long, help: "At most this many.")
    var limit: Int?

    func validate() throws {
        if let code, RejectCode(rawValue: code) == nil {
            throw ValidationError("unknown reject code '\(code)'; codes: \(RejectCode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let db = try ResultsDatabase(path: database.path, create: false)
        let (_, rejects) = try db.rejects(runID: try db.resolve(runSelection), code: code, limit: limit)
        Output.write(TrendRenderer.rejects(rejects))
    }
}
