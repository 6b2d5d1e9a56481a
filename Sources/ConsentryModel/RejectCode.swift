/// Why a record was rejected (contract §1.4), in the order the checks apply.
public enum RejectCode: String, CaseIterable, Sendable, Comparable {
    case recordTooLong = "record_too_long"
    case unterminatedQuote = "unterminated_quote"
    case fieldCount = "field_count"
    case invalidJSON = "invalid_json"
    case notAnObject = "not_an_object"
    case invalidXML = "invalid_xml"
    case invalidUTF8 = "invalid_utf8"
    case missingTrackID = "missing_track_id"
    case invalidTrackID = "invalid_track_id"
    case invalidLabelStatus = "invalid_label_status"
    case invalidBoolean = "invalid_boolean"
    case invalidTimestamp = "invalid_timestamp"
    case duplicateTrackID = "duplicate_track_id"

    public static func < (a: RejectCode, b: RejectCode) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
