import ArgumentParser
import ConsentryModel
import ConsentryEngine
import ConsentryStore
import ConsentryReports
import Foundation

extension StoreMode: ExpressibleByArgument {}

enum ScanFormat: String, ExpressibleByArgument, CaseIterable { case text, json }
enum FormatChoice: String, ExpressibleByArgument, CaseIterable { case auto, csv, jsonl, ddex }
enum ProgressChoice: String, ExpressibleByArgument, CaseIterable { case auto, always, never }

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan catalogue exports and store verdicts and statistics.",
        discussion: """
            Exit codes: 0 completed within thresholds; 1 completed but a threshold was exceeded; \
            2 failed (input, gzip, column, database); 64 usage error; 75 another scan holds the \
            database; 130/143 interrupted by SIGINT/SIGTERM.
            """)

    @Argument(help: "Files, directories (their .csv/.jsonl/.ndjson/.xml[.gz] files in name order) or - for standard input.")
    var inputs: [String] = []

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: "Policy id or YAML file; repeat to apply several in the same pass (default: soundcloud-2025-05).")
    var policy: [String] = []

    @Option(name: .long, help: "Verdict rows to keep: all, exposed (tracks exposed under some policy), none (statistics only).")
    var store: StoreMode = .all

    @Option(name: .customLong("input-format"), help: "auto, csv, jsonl or ddex (DDEX ERN XML).")
    var inputFormat: FormatChoice = .auto

    @Option(name: .customLong("label-map"), help: "CSV (label,label_status) or YAML (label: status) giving the status of tracks whose record names a label but no status.")
    var labelMap: String?

    @Option(name: .long, help: "CSV delimiter: one character, or \\t for tab.")
    var delimiter: String = ","

    @Option(name: .long, help: "Map a field to another column header or JSON key: FIELD=NAME (repeatable).")
    var column: [String] = []

    @Option(name: .long, help: "Worker threads; each inflates an input or parses chunks (default: all cores).")
    var jobs: Int?

    @Option(name: .customLong("max-record-bytes"), help: "Longer records are rejected as record_too_long (at most 1 GiB).")
    var maxRecordBytes: Int = 1 << 20

    @OptionGroup var output: RunOutputOptions

    @Option(name: .customLong("wait-lock"), help: "Wait up to SECONDS for another scan of the same database instead of exiting 75.")
    var waitLock: Double = 0

    @Option(name: .customLong("keep-rejects"), help: "Store the first N rejects of each input and code (or all); counts stay exact.")
    var keepRejects: KeepRejects = .count(1000)

    @Option(name: .customLong("temp-dir"), help: "Where spill files go (default: beside the database).")
    var tempDir: String?

    @Option(name: .long, help: "Scan only shard K of N (K/N, 0 ≤ K < N), or auto: from the batch engine's task variables. Needs --shard-dir.")
    var shard: String?

    @Option(name: .customLong("shard-count"), help: "With --shard auto: the number of shards, where the engine does not give it (Kubernetes).")
    var shardCount: Int?

    @Option(name: .customLong("shard-dir"), help: "Where a shard writes its result, for `consentry merge` (a folder every task shares).")
    var shardDir: String?

    @OptionGroup var logging: LoggingOptions

    @Option(name: .customLong("chunk-bytes"), help: .hidden)
    var chunkBytes: Int = 1 << 20

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("name at least one input: a file, a directory or - for standard input") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if maxRecordBytes < 1 { throw ValidationError("--max-record-bytes must be at least 1") }
        if maxRecordBytes > InputOptions.maxRecordBytesLimit {
            throw ValidationError("--max-record-bytes must be at most \(InputOptions.maxRecordBytesLimit) (1 GiB)")
        }
        if chunkBytes < 16 { throw ValidationError("--chunk-bytes must be at least 16") }
        if chunkBytes > InputOptions.chunkBytesLimit {
            throw ValidationError("--chunk-bytes must be at most \(InputOptions.chunkBytesLimit) (256 MiB)")
        }
        if !(waitLock >= 0) { throw ValidationError("--wait-lock must be a number of seconds, 0 or more") }
        if let tempDir, tempDir.isEmpty { throw ValidationError("--temp-dir needs a directory") }
        if (shard == nil) != (shardDir == nil) {
            throw ValidationError("--shard and --shard-dir go together: a shard writes its result into the shard folder")
        }
        if shardCount != nil && shard == nil { throw ValidationError("--shard-count needs --shard auto") }
        if let shardCount, shardCount < 1 { throw ValidationError("--shard-count must be at least 1") }
        if shard != nil && inputs.contains("-") {
            throw ValidationError("a shard cannot read standard input: every shard must be given the same input files")
        }
        if let shardDir, shardDir.isEmpty { throw ValidationError("--shard-dir needs a directory") }
        if let labelMap, labelMap.isEmpty { throw ValidationError("--label-map needs a file") }
        _ = try delimiterByte()
        let overrides = try columnOverrides()
        let required = RecordField.requiredColumns(labelMap: labelMap != nil)
        for (field, taker) in FieldNames.displaced(by: overrides) where required.contains(field) {
            throw ValidationError("--column \(taker.name)=\(overrides[taker]!) gives \(field.name)'s own column to \(taker.name), leaving \(field.name), which every record needs, with none; map it as well: --column \(field.name)=NAME")
        }
    }

    func delimiterByte() throws -> UInt8 {
        let text = delimiter == "\\t" || delimiter == "tab" ? "\t" : delimiter
        guard text.utf8.count == 1, let byte = text.utf8.first, byte != UInt8(ascii: "\""),
              byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else {
            throw ValidationError("--delimiter must be one ASCII character other than a quote or line break (e.g. ';', '|', '\\t')")
        }
        return byte
    }

    func columnOverrides() throws -> [RecordField: String] {
        var result: [RecordField: String] = [:]
        for mapping in column {
            let parts = mapping.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw ValidationError("--column takes FIELD=NAME, e.g. --column track_id=isrc; got '\(mapping)'")
            }
            guard let field = RecordField(name: parts[0]) else {
                throw ValidationError("--column: unknown field '\(parts[0])'; fields: \(RecordField.allCases.map(\.name).joined(separator: ", "))")
            }
            result[field] = parts[1]
        }
        return result
    }

    func run() throws {
        let policies = try (policy.isEmpty ? [BuiltInPolicies.defaultID] : policy).map(PolicyLoader.resolve)
        var seen = Set<String>()
        for p in policies where !seen.insert(p.id).inserted {
            throw PolicyError(.duplicate, "the policy id '\(p.id)' is given twice", remedy: "give each --policy its own id", file: p.origin)
        }
        var request = ScanRequest(inputs: inputs, policies: policies, databasePath: database.path)
        request.store = store
        request.jobs = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        request.waitLock = waitLock
        request.keepRejects = keepRejects.limit
        request.temporaryDirectory = tempDir
        request.commandLine = CommandLine.arguments.joined(separator: " ")
        request.logger = logging.makeLogger()
        request.input.format = inputFormat == .auto ? nil : InputFormat(rawValue: inputFormat.rawValue)
        request.input.delimiter = try delimiterByte()
        request.input.columns = try columnOverrides()
        request.input.maxRecordBytes = maxRecordBytes
        request.input.labelMap = try labelMap.map(LabelMapLoader.load(file:))
        request.input.chunkBytes = chunkBytes

        let cancellation = Cancellation()
        let progressCounters = ScanProgress()
        if let shard, let shardDir {
            let selection = try ShardSelection.resolve(shard, count: shardCount, environment: ProcessInfo.processInfo.environment)
            try runShard(selection, directory: shardDir, request: request, cancellation: cancellation, progress: progressCounters)
            return
        }
        try output.record(database: database.path, cancellation: cancellation, progress: progressCounters) {
            try Scanner.run(request, cancellation: cancellation, progress: progressCounters)
        }
    }

    /// Scans one shard into the shard folder: no database, no lock.
    private func runShard(_ selection: ShardSelection, directory: String, request: ScanRequest, cancellation: Cancellation,
                          progress: ScanProgress) throws {
        var shardScan = ShardScan(inputs: request.inputs, policies: request.policies, shard: selection.shard,
                                  count: selection.count, directory: directory)
        shardScan.options = request.input
        shardScan.jobs = request.jobs
        shardScan.keepRejects = request.keepRejects
        let signals = SignalTrap(cancellation: cancellation, outcome: "no shard result was left")
        let display = output.progressDisplay(progress)
        let result: ShardResult
        do {
            defer { display?.stop() }
            result = try shardScan.run(cancellation: cancellation, progress: progress)
        }
        withExtendedLifetime(signals) {}
        switch output.format {
        case .json: Output.write(ShardRenderer.json(result) + "\n")
        case .text: if !output.quiet { Output.write(ShardRenderer.text(result)) }
        }
    }
}

/// `--keep-rejects N|all`.
enum KeepRejects: ExpressibleByArgument, Equatable {
    case count(Int)
    case all

    init?(argument: String) {
        if argument == "all" {
            self = .all
        } else if let n = Int(argument), n >= 0 {
            self = .count(n)
        } else {
            return nil
        }
    }

    /// The limit per input and code; nil keeps every reject.
    var limit: Int? {
        switch self {
        case .count(let n): return n
        case .all: return nil
        }
    }

    var defaultValueDescription: String {
        switch self {
        case .count(let n): return String(n)
        case .all: return "all"
        }
    }
}

/// Turns SIGINT and SIGTERM into a cancellation the command notices; `outcome` says in the
/// error what the interruption left (see ``ScanInterrupted``).
final class SignalTrap {
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "consentry.signals")

    init(cancellation: Cancellation, outcome: String = ScanInterrupted.runMarkedFailed) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { cancellation.cancel(ScanInterrupted(signal: sig, outcome: outcome)) }
            source.resume()
            sources.append(source)
        }
    }
}
