import ConsentryModel

/// The problems that make a record unreadable as a whole (contract §1.4, first group).
public enum StructuralError: Equatable, Sendable {
    case recordTooLong
    case unterminatedQuote
    case fieldCount(expected: Int, found: Int)
    case invalidJSON(String)
    case notAnObject
    /// A DDEX message that is not well-formed XML or not an ERN message: what is wrong.
    case invalidXML(String)
}
