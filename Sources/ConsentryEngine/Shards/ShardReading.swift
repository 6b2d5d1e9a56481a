import ConsentryModel

/// What one shard read: the inputs it read (by input number), their outcome before
/// duplicates are decided, the rejects it counted but did not keep, its spill file of each
/// partition, and the labels its spill records number.
public struct ShardReading: Sendable {
    public var inputNumbers: [Int]
    /// Its `inputs` are those of `inputNumbers`, in the same order.
    public var outcome: ScanOutcome
    public var rejectsNotKept: Int
    /// One per partition.
    public var spillFiles: [String]
    /// The labels by the numbers its records carry; the first is the empty label.
    public var labels: [String]

    public init(inputNumbers: [Int], outcome: ScanOutcome, rejectsNotKept: Int, spillFiles: [String], labels: [String]) {
        self.inputNumbers = inputNumbers
        self.outcome = outcome
        self.rejectsNotKept = rejectsNotKept
        self.spillFiles = spillFiles
        self.labels = labels
    }
}
