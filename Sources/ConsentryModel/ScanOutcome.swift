/// The totals of a finished pipeline.
public struct ScanOutcome: Sendable {
    public var inputs: [InputSummary] = []
    public var rowsRead = 0
    public var rowsRejected = 0
    public var rejectsByCode: [RejectCode: Int] = [:]
    public var statistics: RunStatistics
    public var rowsScanned: Int { rowsRead - rowsRejected }

    public init(statistics: RunStatistics) {
        self.statistics = statistics
    }
}
