import ConsentryModel

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
