import ConsentryModel

/// What the resolver needs to turn a run's tracks into history: the store's numbering of
/// policies and rules, the combinations already stored, and where the states are.
public struct HistoryPlan: Sendable {
    public var runID: Int64
    /// Per policy of the run (in scan order): its history number.
    public var policyNumbers: [Int32]
    /// Per policy, use and rule index: the rule's history number.
    public var ruleNumbers: [[[UInt16]]]
    /// `--store exposed`: only tracks exposed to some use under some policy count as present.
    public var exposedOnly: Bool
    public var combos: ComboTable
    /// The previous state, one file per partition; nil when there is none (every track is new).
    public var previousState: [String]?
    /// Where the new state files are written, one per partition.
    public var newStateDirectory: String
    /// Receives each partition's changes.
    public var output: any HistoryOutput

    public init(runID: Int64, policyNumbers: [Int32], ruleNumbers: [[[UInt16]]], exposedOnly: Bool, combos: ComboTable,
                previousState: [String]?, newStateDirectory: String, output: any HistoryOutput) {
        self.runID = runID
        self.policyNumbers = policyNumbers
        self.ruleNumbers = ruleNumbers
        self.exposedOnly = exposedOnly
        self.combos = combos
        self.previousState = previousState
        self.newStateDirectory = newStateDirectory
        self.output = output
    }

    /// The name of partition `index`'s state file.
    public static func stateFileName(partition index: Int) -> String { "state-\(index).bin" }

    /// How many partitions a state has, and the hash bits that choose one.
    public static var partitionCount: Int { TrackSpill.partitionCount }
    public static var partitionBits: Int { TrackSpill.partitionBits }

    /// Appends one track to a state file (for a state rebuilt from the database).
    public static func writeState(to writer: WorkFileWriter, hash: UInt64, fromRun: Int64, combo: UInt32,
                                  id: [UInt8], artist: [UInt8]) throws {
        try id.withUnsafeBytes { id in
            try artist.withUnsafeBytes { artist in
                try TrackStateRef.write(to: writer, hash: hash, fromRun: fromRun, combo: combo, id: id, artist: artist)
            }
        }
    }
}

/// Receives the history changes of a run, partition by partition (the store writes them).
public protocol HistoryOutput: AnyObject, Sendable {
    /// A writer for partition `index`'s changes; called on a resolver thread, once per
    /// partition, in any order.
    func partition(_ index: Int) throws -> any HistoryPartitionWriter
}

/// The changes of one partition, in (hash, id) order; id bytes are valid during the call.
public protocol HistoryPartitionWriter: AnyObject {
    /// A track begins a period in this run, in state `combo`, with `artist` (empty: none).
    func began(hash: UInt64, id: UnsafeRawBufferPointer, combo: UInt32, artist: UnsafeRawBufferPointer) throws
    /// A track's period that began in `fromRun` in state `combo` ends with this run: the
    /// track changed or is gone.
    func ended(hash: UInt64, id: UnsafeRawBufferPointer, fromRun: Int64, combo: UInt32) throws
    func close() throws
}
