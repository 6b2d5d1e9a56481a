import ConsentryModel

/// One record as a decoder hands it over: valid only during the callback.
public struct RawRecord {
    /// The raw bytes of the record, without its line ending (at most the excerpt for a
    /// too-long record).
    public var bytes: UnsafeBufferPointer<UInt8>
    /// 1-based line on which the record starts, counted from the decoder's `lineOrigin`.
    public var line: Int
    /// 0-based byte offset of the record's first byte in the decompressed input.
    public var offset: Int
    /// Set when the record cannot be read at all.
    public var structuralError: StructuralError? { problem?.pointee }
    /// Where the decoder holds ``structuralError`` (a ``ProblemSlot``'s). Stored in the
    /// record, whose messages are `String`s, it made every record one to copy and release.
    var problem: UnsafePointer<StructuralError>?
    /// Whether any byte of the record is outside ASCII (then UTF-8 must be checked).
    public var hasNonASCII: Bool
    /// The interpreted fields, indexed by ``RecordField/rawValue``; not defined for a record
    /// with a ``structuralError``, which cannot be read.
    public var fields: UnsafeBufferPointer<FieldValue>
    /// DDEX ERN 4.3.2's `ContainsAI`; nil for CSV and JSONL, which do not declare it.
    public var containsAI: ContainsAI? = nil
    /// When set, a reject quotes only `bytes[..<excerptEnd]` (a DDEX recording's bytes hold
    /// its source XML, then its field values).
    public var excerptEnd: Int? = nil

    /// The bytes a reject's excerpt is made from.
    public var excerptBytes: UnsafeBufferPointer<UInt8> {
        guard let excerptEnd else { return bytes }
        return UnsafeBufferPointer(rebasing: bytes[0..<excerptEnd])
    }

    /// A decoder's place for the problem of the record it hands over, as the record's bytes
    /// are the decoder's.
    final class ProblemSlot {
        private let slot = UnsafeMutablePointer<StructuralError>.allocate(capacity: 1)

        init() { slot.initialize(to: .recordTooLong) }

        /// `problem` held until the next call, for ``RawRecord/problem``.
        func hold(_ problem: StructuralError?) -> UnsafePointer<StructuralError>? {
            guard let problem else { return nil }
            slot.pointee = problem
            return UnsafePointer(slot)
        }

        deinit {
            slot.deinitialize(count: 1)
            slot.deallocate()
        }
    }
}
