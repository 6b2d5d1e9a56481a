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
