import ConsentryModel

/// One record that passed every check, as the merge needs it.
struct ScannedRecord: BitwiseCopyable {
    var hash: UInt64
    /// Byte offset of the record's first byte in the decompressed input.
    var offset: Int
    /// The id's first byte in the chunk's `ids`; its artist follows it there.
    var idStart: UInt32
    var idLength: UInt16
    var artistLength: UInt16
    /// The label's number in the scan's ``LabelNumbers`` (0: none).
    var labelNumber: UInt32
    var label: LabelStatus
    /// ``ContainsAI`` raw value, 0 when the record declares nothing.
    var containsAI: UInt8
}
