import ConsentryModel

/// Takes the results of a scan's chunks in input order and turns them into its outcome:
/// totals, statistics, the rejects handed to the sink, and every scanned track appended to
/// the spill (duplicates are decided from there, after the last input).
///
/// Used by one worker at a time (the one holding the merge role), without a lock: the
/// pipeline's lock hands the role over, so each holder sees the last one's writes.
///
/// Workers decode each chunk as if it began at a record boundary. When a chunk ends inside
/// a record (a quoted CSV field spanning its last line break), the merger discards the next
/// chunk's speculative result and decodes that chunk itself, continuing the open decoder.
/// Results therefore do not depend on chunking or on the number of workers.
final class ChunkMerger {
    private let readers: [InputReader]
    /// Each reader's input number in the whole scan: what positions and rejects carry.
    private let inputNumbers: [Int]
    private let evaluator: PolicyEvaluator
    private let options: InputOptions
    private let policyCount: Int
    private let sink: RejectSink
    private let spill: TrackSpill
    private let progress: ScanProgress?
    private let labelNumbers: LabelNumbers

    private(set) var outcome: ScanOutcome
    private(set) var keeper: RejectKeeper
    private var lineBase = 0
    private var rowsBefore = 0
    /// The decoder of the last merged chunk, when it ended inside a record.
    private var openDecoder: RecordDecoder?
    private var processors: [InputFormat: RecordProcessor] = [:]

    init(readers: [InputReader], inputNumbers: [Int], evaluator: PolicyEvaluator, options: InputOptions, sink: RejectSink,
         spill: TrackSpill, keepRejects: Int?, progress: ScanProgress?, labelNumbers: LabelNumbers) {
        self.readers = readers
        self.inputNumbers = inputNumbers
        self.evaluator = evaluator
        self.options = options
        policyCount = evaluator.policies.count
        self.sink = sink
        self.spill = spill
        keeper = RejectKeeper(limit: keepRejects)
        self.progress = progress
        self.labelNumbers = labelNumbers
        outcome = ScanOutcome(statistics: RunStatistics(policyCount: evaluator.policies.count))
    }

    /// Merges the next result in input order and returns the results the pipeline may
    /// recycle now (the speculative one, and the one decoded here in its place, if any).
    func merge(_ speculative: ChunkResult) throws -> [ChunkResult] {
        let input = speculative.input
        let reader = readers[input]
        if speculative.sequence == 0 {
            lineBase = reader.headerLineFeeds
            rowsBefore = outcome.rowsRead
        }
        var result = speculative
        if let decoder = openDecoder {
            // The previous chunk ended inside a record: decode this one in sequence.
            result = ChunkResult(input: input, sequence: speculative.sequence, isLast: speculative.isLast,
                                 policyCount: policyCount)
            result.buffer = speculative.buffer
            result.linesAbsolute = true
            let processor = processors[reader.format] ?? RecordProcessor(
                isJSON: reader.format == .jsonl, evaluator: evaluator, options: options, labelNumbers: labelNumbers)
            processors[reader.format] = processor
            processor.run(decoder, speculative.buffer!.bytes, isLast: speculative.isLast, into: result)
        }
        try apply(result, lineBase: lineBase, input: inputNumbers[input], inputPath: reader.path)
        if let decoder = result.openDecoder {
            if !result.linesAbsolute { decoder.lineOrigin = lineBase }
            openDecoder = decoder
        } else {
            openDecoder = nil
        }
        lineBase += result.lineFeeds
        progress?.setRows(read: outcome.rowsRead, rejected: outcome.rowsRejected)
        if speculative.isLast {
            outcome.inputs.append(InputSummary(
                path: reader.path, format: reader.format, compression: reader.isGzip ? "gzip" : "none",
                bytes: reader.rawBytes, sha256: reader.sha256, rowsRead: outcome.rowsRead - rowsBefore))
            openDecoder = nil
        }
        return result === speculative ? [speculative] : [speculative, result]
    }

    private func apply(_ result: ChunkResult, lineBase: Int, input: Int, inputPath: String) throws {
        outcome.rowsRead += result.rowsRead
        outcome.rowsRejected += result.rejects.count
        outcome.statistics.merge(result.statistics)
        let lineShift = result.linesAbsolute ? 0 : lineBase
        for reject in result.rejects where keeper.count(reject.code, input: input) {
            var r = reject
            r.line += lineShift
            try sink.rejected(input: input, path: inputPath, r)
        }
        let policies = policyCount
        let ids = result.ids.buffer
        let verdicts = result.verdicts.buffer
        for (k, record) in result.records.buffer.enumerated() {
            let start = Int(record.idStart)
            let idLength = Int(record.idLength), artistLength = Int(record.artistLength)
            try spill.append(
                hash: record.hash, position: TrackRecordLayout.position(input: input, offset: record.offset),
                flags: TrackRecordLayout.flags(label: record.label, containsAI: record.containsAI),
                labelNumber: record.labelNumber,
                verdicts: UnsafeBufferPointer(rebasing: verdicts[(k * policies)..<((k + 1) * policies)]),
                text: UnsafeBufferPointer(rebasing: ids[start..<(start + idLength + artistLength)]),
                idLength: idLength, artistLength: artistLength)
        }
        outcome.rejectsByCode = keeper.byCode
    }
}
