import ConsentryModel

/// What one chunk of input produced: scanned records, rejects and statistics, in input order.
///
/// Results are recycled by the pipeline: `reset` keeps the arrays' capacity, so steady-state
/// scanning allocates (and page-faults in) no new memory per chunk.
final class ChunkResult: @unchecked Sendable {
    @exclusivity(unchecked) private(set) var input: Int
    @exclusivity(unchecked) private(set) var sequence: Int
    @exclusivity(unchecked) private(set) var isLast: Bool
    /// The chunk's bytes.
    @exclusivity(unchecked) var buffer: ByteBuffer?
    /// LF bytes in the chunk, whatever the parse state.
    @exclusivity(unchecked) var lineFeeds = 0
    /// Whether `line` values are absolute already (records decoded by the merge).
    @exclusivity(unchecked) var linesAbsolute = false
    @exclusivity(unchecked) var rowsRead = 0
    @exclusivity(unchecked) var records = ChunkArray<ScannedRecord>()
    /// `policyCount` packed decisions per record.
    @exclusivity(unchecked) var verdicts = ChunkArray<UInt32>()
    @exclusivity(unchecked) var ids = ChunkArray<UInt8>(capacity: 16 << 10)
    @exclusivity(unchecked) var rejects: [RejectedRecord] = []
    @exclusivity(unchecked) var statistics: RunStatistics
    /// Tracks per decision key (label status and the three flags, ``PolicyEvaluator``) not yet
    /// added to `statistics`: when no policy compares dates a track's decisions follow from
    /// its key, so counting keys and expanding them once per chunk replaces the per-track
    /// counting under every policy and pair of policies.
    @exclusivity(unchecked) var keyCounts = ChunkArray<Int>(capacity: PolicyEvaluator.keyCount)
    /// The decoder, when the chunk ended inside a record: the next chunk must continue it.
    @exclusivity(unchecked) var openDecoder: RecordDecoder?

    init(input: Int, sequence: Int, isLast: Bool, policyCount: Int) {
        self.input = input
        self.sequence = sequence
        self.isLast = isLast
        statistics = RunStatistics(policyCount: policyCount)
        for _ in 0..<PolicyEvaluator.keyCount { keyCounts.append(0) }
    }

    /// Empties the result for another chunk, keeping its storage.
    func reset(input: Int, sequence: Int, isLast: Bool) {
        self.input = input
        self.sequence = sequence
        self.isLast = isLast
        buffer = nil
        lineFeeds = 0
        linesAbsolute = false
        rowsRead = 0
        records.removeAll()
        verdicts.removeAll()
        ids.removeAll()
        rejects.removeAll(keepingCapacity: true)
        statistics.reset()
        keyCounts.fill(with: 0)
        openDecoder = nil
    }
}
