/// The totals of a finished pipeline.
public struct ScanOutcome: Sendable {
    public var inputs: [InputSummary] = []
    public var rowsRead = 0
    public var rowsRejected = 0
    public var rejectsByCode: [RejectCode: Int] = [:]
    public var statistics: RunStatistics
    /// Scanned tracks by label (known once duplicates are resolved).
    public var labels: LabelTally
    /// Scanned tracks by declared `ContainsAI` (known once duplicates are resolved).
    public var containsAI = ContainsAICounts()
    public var rowsScanned: Int { rowsRead - rowsRejected }

    public init(statistics: RunStatistics) {
        self.statistics = statistics
        labels = LabelTally(policyCount: statistics.policyCount)
    }
}
