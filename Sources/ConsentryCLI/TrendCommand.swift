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

    @Option(name: .long, help: "Policy id.")
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
