/// The fields consentry interprets (SPEC §1.3), in the order their rejects are checked.
public enum RecordField: Int, CaseIterable, Sendable {
    case trackID = 0
    case labelStatus
    case genaiOptIn
    case aiOptOut
    case noAITag
    case uploadedAt
    case consentUpdatedAt

    /// The field's name: its default CSV header and JSONL key, and its `rejects.column`.
    public var name: String {
        switch self {
        case .trackID: return "track_id"
        case .labelStatus: return "label_status"
        case .genaiOptIn: return "genai_opt_in"
        case .aiOptOut: return "ai_opt_out"
        case .noAITag: return "no_ai_tag"
        case .uploadedAt: return "uploaded_at"
        case .consentUpdatedAt: return "consent_updated_at"
        }
    }

    public init?(name: String) {
        guard let field = RecordField.allCases.first(where: { $0.name == name }) else { return nil }
        self = field
    }

    /// Fields whose column must be present in a CSV header (SPEC §1.1).
    public static let requiredColumns: [RecordField] = [.trackID, .labelStatus]
}

/// Where a field's value lies in the raw bytes of one record, as a decoder found it.
///
/// Positions are relative to the first byte of the record.
public enum FieldValue: Equatable, Sendable {
    /// No such column or key.
    case absent
    /// JSON `null`.
    case null
    /// Text: a CSV field (`escaped` when it was quoted) or a JSON string (`escaped` when it
    /// has backslash escapes).
    case text(start: Int32, end: Int32, escaped: Bool)
    /// A JSON number; `integer` when it has neither fraction nor exponent.
    case number(start: Int32, end: Int32, integer: Bool)
    /// A JSON `true` or `false`.
    case bool(Bool)
    /// A JSON object or array.
    case container
}

/// The problems that make a record unreadable as a whole (SPEC §1.4, first group).
public enum StructuralError: Equatable, Sendable {
    case recordTooLong
    case unterminatedQuote
    case fieldCount(expected: Int, found: Int)
    case invalidJSON(String)
    case notAnObject
}

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
    public var structuralError: StructuralError?
    /// Whether any byte of the record is outside ASCII (then UTF-8 must be checked).
    public var hasNonASCII: Bool
    /// The interpreted fields, indexed by ``RecordField/rawValue``.
    public var fields: UnsafeBufferPointer<FieldValue>
}

/// Which CSV column or JSON key feeds each ``RecordField``.
public struct FieldNames: Sendable, Equatable {
    /// Indexed by ``RecordField/rawValue``.
    public var names: [String]

    public init(overrides: [RecordField: String] = [:]) {
        names = RecordField.allCases.map { overrides[$0] ?? $0.name }
    }

    public subscript(field: RecordField) -> String { names[field.rawValue] }
}
