import ArgumentParser
import ConsentryEngine
import ConsentryModel
import ConsentryStore
import Foundation

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Record the results of `scan --shard` tasks as one run, exactly as one scan of the same inputs.",
        discussion: """
            DIR is the --shard-dir every shard wrote into. The set must be complete and \
            consistent (every shard K of N once; the same inputs, sizes, policies and options), \
            and the inputs must still be where the shards read them; otherwise the merge exits 2 \
            naming the shard or input and records nothing, so it is safe to run again. Duplicates \
            across shards are decided in global input order. Exit codes as for scan.
            """)

    @Argument(help: "The shard folder (the shards' --shard-dir).")
    var directory: String

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: "Verdict rows to keep: all, exposed (tracks exposed under some policy), none (statistics only).")
    var store: StoreMode = .all

    @Option(name: .long, help: "Worker threads for sorting and resolving (default: all cores).")
    var jobs: Int?

    @OptionGroup var output: RunOutputOptions

    @Option(name: .customLong("wait-lock"), help: "Wait up to SECONDS for a scan of the same database instead of exiting 75.")
    var waitLock: Double = 0

    @Option(name: .customLong("temp-dir"), help: "Where work files go (default: beside the database).")
    var tempDir: String?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if !(waitLock >= 0) { throw ValidationError("--wait-lock must be a number of seconds, 0 or more") }
        if let tempDir, tempDir.isEmpty { throw ValidationError("--temp-dir needs a directory") }
    }

    func run() throws {
        let set = try ShardSet.load(directory)
        var request = ScanRequest(inputs: set.paths, policies: set.policies, databasePath: database.path)
        request.store = store
        request.jobs = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        request.waitLock = waitLock
        request.temporaryDirectory = tempDir
        request.keepRejects = set.keepRejects
        request.input = set.options
        request.commandLine = CommandLine.arguments.joined(separator: " ")
        request.logger = logging.makeLogger()
        let cancellation = Cancellation()
        try output.record(database: database.path, cancellation: cancellation) {
            try Scanner.merge(set, request: request, cancellation: cancellation)
        }
    }
}
