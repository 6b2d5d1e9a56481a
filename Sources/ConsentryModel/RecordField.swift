/// The fields consentry interprets (contract §1.3), in the order their rejects are checked.
public enum RecordField: Int, CaseIterable, Sendable {
    case trackID = 0
    case labelStatus
    case genaiOptIn
    case aiOptOut
    case noAITag
    case uploadedAt
    case consentUpdatedAt
    /// Not interpreted: kept for the by-label breakdown and ``LabelMap`` (contract §1.3).
    case label
    /// Not interpreted: kept for the by-artist breakdown.
    case artistID

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
        case .label: return "label"
        case .artistID: return "artist_id"
        }
    }

    public init?(name: String) {
        guard let field = RecordField.allCases.first(where: { $0.name == name }) else { return nil }
        self = field
    }

    /// Fields whose column must be present in a CSV header (contract §1.1); a label map
    /// makes `label_status` optional.
    public static func requiredColumns(labelMap: Bool) -> [RecordField] {
        labelMap ? [.trackID] : [.trackID, .labelStatus]
    }
}

/// Where a field's value lies in the raw bytes of one record, as a decoder found it.
///
