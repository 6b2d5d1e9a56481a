import ConsentryModel

/// What one shard read: the inputs it read (by input number), their outcome before
/// duplicates are decided, the rejects it counted but did not keep, its spill file of each
/// partition, and where the labels its spill records number are.
public struct ShardReading: Sendable {
    public var inputNumbers: [Int]
    /// Its `inputs` are those of `inputNumbers`, in the same order.
    public var outcome: ScanOutcome
    public var rejectsNotKept: Int
    /// One per partition.
    public var spillFiles: [String]
    /// The shard result's ``ShardLabels`` file and how many labels it holds; nil for a scan
    /// still running, whose labels ``CatalogueScan/labelTexts`` gives.
    public var labelsFile: String?
    public var labelCount: Int

    public init(inputNumbers: [Int], outcome: ScanOutcome, rejectsNotKept: Int, spillFiles: [String], labelsFile: String?,
                labelCount: Int) {
        self.inputNumbers = inputNumbers
        self.outcome = outcome
        self.rejectsNotKept = rejectsNotKept
        self.spillFiles = spillFiles
        self.labelsFile = labelsFile
        self.labelCount = labelCount
    }
}
