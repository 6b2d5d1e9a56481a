import ConsentryModel
import Foundation

/// One scan of a catalogue's inputs, in three steps a caller drives: read the inputs
/// (``read(rejects:)``), resolve duplicates and history (``resolve(plan:)``), then hand over
/// the duplicates' rejects (``emitDuplicates(to:)``). ``outcome`` is final after the last.
///
/// A shard reads only its share of the inputs (``init(paths:readingOnly:…)``) and stops
/// after the first step; the merge resumes from every shard's reading
/// (``init(paths:resuming:…)``) with the other two.
///
/// Memory stays bounded: records stream through the pipeline, scanned tracks go to spill
/// files in `workDirectory`, and partitions are sorted within `sortBudgetBytes` per thread.
/// The caller owns `workDirectory` and removes it.
public final class CatalogueScan {
    /// Every input of the scan, by input number.
    public let paths: [String]
    /// The input numbers this scan reads (a shard's share; every input otherwise).
    private let readInputs: [Int]
    public let policies: [Policy]
    private let options: InputOptions
    private let jobs: Int
    private let keepRejects: Int?
    private let workDirectory: String
    private let cancellation: Cancellation
    private let progress: ScanProgress?
    private let layout: TrackRecordLayout

    /// Memory each resolver thread may use to sort a partition.
    public var sortBudgetBytes = 48 << 20

    public private(set) var outcome: ScanOutcome
    private var keeper: RejectKeeper
    /// Spill files per partition: this scan's, or every shard's.
    private var partitionFiles: [[String]] = []
    /// What the spill files' label numbers mean.
    private var labels = RunLabels(texts: [])
    private var resolution: TrackResolution?

    /// `paths` are the inputs as expanded (``InputResolver``); `keepRejects` nil keeps all.
    /// A shard reads only the inputs `readingOnly` numbers.
    public init(paths: [String], readingOnly: [Int]? = nil, policies: [Policy], options: InputOptions, jobs: Int,
                keepRejects: Int?, workDirectory: String, cancellation: Cancellation, progress: ScanProgress? = nil) {
        self.paths = paths
        readInputs = readingOnly ?? Array(paths.indices)
        self.policies = policies
        self.options = options
        self.jobs = max(1, jobs)
        self.keepRejects = keepRejects
        self.workDirectory = workDirectory
        self.cancellation = cancellation
        self.progress = progress
        layout = TrackRecordLayout(policyCount: policies.count)
        outcome = ScanOutcome(statistics: RunStatistics(policyCount: policies.count))
        keeper = RejectKeeper(limit: keepRejects)
    }

    /// Resumes from the readings of every shard of a scan of `paths`: their summed outcome,
    /// spill files and labels (``ShardReading``), ready for ``resolve(plan:)``.
    public convenience init(paths: [String], resuming shards: [ShardReading], policies: [Policy], options: InputOptions,
                            jobs: Int, keepRejects: Int?, workDirectory: String, cancellation: Cancellation) throws {
        self.init(paths: paths, readingOnly: [], policies: policies, options: options, jobs: jobs, keepRejects: keepRejects,
                  workDirectory: workDirectory, cancellation: cancellation)
        var inputs: [(Int, InputSummary)] = []
        partitionFiles = Array(repeating: [], count: TrackSpill.partitionCount)
        for shard in shards {
            outcome.rowsRead += shard.outcome.rowsRead
            outcome.rowsRejected += shard.outcome.rowsRejected
            outcome.statistics.merge(shard.outcome.statistics)
            inputs += zip(shard.inputNumbers, shard.outcome.inputs).map { ($0, $1) }
            keeper.absorb(byCode: shard.outcome.rejectsByCode, notKept: shard.rejectsNotKept)
            for p in 0..<TrackSpill.partitionCount { partitionFiles[p].append(shard.spillFiles[p]) }
        }
        labels = try RunLabels(shards: shards.map { shard in
            (shard.inputNumbers, { try ShardLabels.read(shard.labelsFile ?? "", count: shard.labelCount) })
        }, inputCount: paths.count)
        outcome.inputs = inputs.sorted { $0.0 < $1.0 }.map(\.1)
        outcome.rejectsByCode = keeper.byCode
    }

    /// Where standard input's raw bytes are copied, so duplicates can be located in it later.
    private var standardInputCopy: String { workDirectory + "/stdin.raw" }

    /// Reads this scan's inputs; the rejects it keeps go to `sink`, in input order.
    public func read(rejects sink: RejectSink) throws {
        let spill = TrackSpill(directory: workDirectory, layout: layout)
        let readPaths = readInputs.map { paths[$0] }
        let numbers = LabelNumbers()
        let pipeline = ScanPipeline(
            paths: readPaths, inputNumbers: readInputs, policies: policies, options: options, jobs: jobs,
            cancellation: cancellation, progress: progress, rawCopy: readPaths.contains("-") ? standardInputCopy : nil,
            labelNumbers: numbers)
        let (scanned, keeper) = try pipeline.run(sink: sink, spill: spill, keepRejects: keepRejects)
        partitionFiles = try spill.finish().map { [$0] }
        labels = RunLabels(texts: numbers.labels)
        outcome = scanned
        self.keeper = keeper
    }

    /// What this scan read, for a shard's result: outcome, rejects not kept, spill files and
    /// how many labels they number (``labelTexts``).
    public var reading: ShardReading {
        ShardReading(inputNumbers: readInputs, outcome: outcome, rejectsNotKept: keeper.notKept,
                     spillFiles: partitionFiles.map { $0.first ?? "" }, labelsFile: nil, labelCount: labels.texts.count)
    }

    /// The labels this scan's spill records number, by number; the first is the empty one.
    public var labelTexts: [String] { labels.texts }

    /// Sorts the scanned tracks, decides duplicates, and with `plan` turns the tracks into
    /// history changes and a new state. `resolved(p)` is called on this thread for each
    /// partition in order once its changes are written, while later ones are resolved;
    /// `grouped(labels)` once, as soon as the numbers (in ``labelTexts``) of the labels that
    /// will name their row of ``ScanOutcome/labels`` if they have tracks are known (those
    /// alone in their case group, in the byte order of their texts).
    public func resolve(plan: HistoryPlan?, grouped: ((_ labels: [Int]) throws -> Void)? = nil,
                        resolved: (_ partition: Int) throws -> Void = { _ in }) throws {
        let resolver = TrackResolver(
            layout: layout, partitionFiles: partitionFiles, labels: labels, plan: plan, jobs: jobs,
            budgetBytes: sortBudgetBytes, workDirectory: workDirectory, cancellation: cancellation)
        let resolution = try resolver.run(consume: resolved, grouped: grouped)
        outcome.statistics.merge(resolution.statistics)
        outcome.labels = resolution.labels
        outcome.containsAI = resolution.containsAI
        outcome.rowsRejected += resolution.duplicates
        self.resolution = resolution
    }

    /// What history resolution did: periods begun and ended (zero without a plan).
    public var historyChanges: (began: Int, ended: Int) {
        (resolution?.began ?? 0, resolution?.ended ?? 0)
    }

    /// Hands the duplicates' rejects to `sink` in input order: those of each input up to the
    /// keep limit, each located again in its input for its line and excerpt.
    public func emitDuplicates(to sink: RejectSink) throws {
        guard let resolution else { preconditionFailure("emitDuplicates before resolve") }
        let stream = try SortedTracks(
            files: resolution.duplicateFiles, layout: layout, order: .position, budgetBytes: sortBudgetBytes,
            workDirectory: workDirectory, runPrefix: "duplicates")
        var pending = try stream.next()
        while let first = pending {
            let input = TrackRecordLayout.input(ofPosition: first.position)
            let path = paths[input]
            // The ids of this input's kept duplicates, by offset, for their messages.
            var ids: [Int: String] = [:]
            let wanted: () throws -> Int? = { [self] in
                while let record = pending, TrackRecordLayout.input(ofPosition: record.position) == input {
                    let offset = TrackRecordLayout.offset(ofPosition: record.position)
                    let kept = keeper.count(.duplicateTrackID, input: input)
                    let id = kept ? record.idString : nil
                    pending = try stream.next()
                    if let id {
                        ids[offset] = id
                        return offset
                    }
                }
                return nil
            }
            let locator = DuplicateLocator(
                path: path == "-" ? standardInputCopy : path, index: input, options: options, cancellation: cancellation)
            try locator.run(wanted: wanted) { offset, line, excerpt in
                let id = ids.removeValue(forKey: offset) ?? ""
                try sink.rejected(input: input, path: path, RejectedRecord(
                    line: line, offset: offset, code: .duplicateTrackID, column: RecordField.trackID.name,
                    message: "track_id '\(id)' was already scanned earlier in this run; the first occurrence counts",
                    excerpt: excerpt))
            }
            // A locator stops at the last kept duplicate; count the rest of this input's.
            while let record = pending, TrackRecordLayout.input(ofPosition: record.position) == input {
                _ = keeper.count(.duplicateTrackID, input: input)
                pending = try stream.next()
            }
        }
        outcome.rejectsByCode = keeper.byCode
        progress?.setRows(read: outcome.rowsRead, rejected: outcome.rowsRejected)
    }

    /// Rejects counted but not stored (beyond `--keep-rejects`).
    public var rejectsNotKept: Int { keeper.notKept }
}
