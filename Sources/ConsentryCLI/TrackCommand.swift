import ArgumentParser
import ConsentryModel
import ConsentryReports
import ConsentryStore

enum TrackFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

struct TrackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Is this track exposed, since when, and why: its state and history under each policy.",
        discussion: """
            Per policy: the track's latest label status, verdicts and deciding rules, since which \
            run it has been exposed to AI training, and every run in which its state changed \
            (absences included). Reads the history by the track's hash: milliseconds whatever \
            the catalogue's size. A track in no stored run is reported as such (exit 0).
            """)

    @Argument(help: "One or more track ids.")
    var trackIDs: [String]

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: "Only this policy (default: every policy the history holds).")
    var policy: String?

    @Option(name: .long, help: "text or json.")
    var format: TrackFormat = .text

    func validate() throws {
        if trackIDs.isEmpty { throw ValidationError("name at least one track id") }
    }

    func run() throws {
        let db = try ResultsDatabase(path: database.path, create: false)
        let histories = try trackIDs.map { try db.trackHistory($0, policy: policy) }
        switch format {
        case .text: Output.write(TrackRenderer.text(histories))
        case .json: Output.write(TrackRenderer.json(histories) + "\n")
        }
    }
}
