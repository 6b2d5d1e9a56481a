import ArgumentParser
import ConsentryModel
import ConsentryEngine
import ConsentryStore
import ConsentryReports

enum TrendFormat: String, ExpressibleByArgument, CaseIterable { case text, json, csv }

struct TrendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trend",
        abstract: "Headline figures of the last completed runs under one policy, with the change from run to run.")

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: "Policy id (default: soundcloud-2025-05).")
    var policy: String = BuiltInPolicies.defaultID

    @Option(name: .long, help: "How many of the latest completed runs.")
    var last: Int = 30

    @Option(name: .long, help: "text, json or csv.")
    var format: TrendFormat = .text

    func validate() throws {
        if last < 1 { throw ValidationError("--last must be at least 1") }
    }

    func run() throws {
        let db = try ResultsDatabase(path: database.path, create: false)
        let points = try db.trend(policyID: policy, last: last)
        switch format {
        case .text: Output.write(TrendRenderer.text(points, policyID: policy))
        case .json: Output.write(TrendRenderer.json(points, policyID: policy) + "\n")
        case .csv: Output.write(TrendRenderer.csv(points, policyID: policy))
        }
    }
}

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
