import ConsentryModel

/// One record that passed every check, as the merge needs it.
struct ScannedRecord: BitwiseCopyable {
    var hash: UInt64
    /// Byte offset of the record's first byte in the decompressed input.
    var offset: Int
    var idStart: UInt32
    var idLength: UInt16
    var label: LabelStatus
}
