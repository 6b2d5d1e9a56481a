import ConsentryModel

/// What one shard read: the inputs it read (by input number), their outcome before
/// duplicates are decided, the rejects it counted but did not keep, and its spill file of
/// each partition.
public struct ShardReading: Sendable {
    public var inputNumbers: [Int]
    /// Its `inputs` are those of `inputNumbers`, in the same order.
    public var outcome: ScanOutcome
    public var rejectsNotKept: Int
    /// One per partition.
    public var spillFiles: [String]

    public init(inputNumbers: [Int], outcome: ScanOutcome, rejectsNotKept: Int, spillFiles: [String]) {
        self.inputNumbers = inputNumbers
        self.outcome = outcome
        self.rejectsNotKept = rejectsNotKept
        self.spillFiles = spillFiles
    }
}
