import ConsentryModel

/// One record that passed every check, as the merge needs it.
struct ScannedRecord: BitwiseCopyable {
    var hash: UInt64
    /// Byte offset of the record's first byte in the decompressed input.
    var offset: Int
    /// The id's first byte in the chunk's `ids`; its label and artist follow it there.
    var idStart: UInt32
    var idLength: UInt16
    var labelLength: UInt16
    var artistLength: UInt16
    var label: LabelStatus
    /// ``ContainsAI`` raw value, 0 when the record declares nothing.
    var containsAI: UInt8
}
