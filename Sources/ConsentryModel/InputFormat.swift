/// The record format of an input (contract §1).
public enum InputFormat: String, Sendable, CaseIterable {
    case csv, jsonl
    /// A DDEX ERN `NewReleaseMessage` (contract §1.5).
    case ddex

    /// The format a file name implies, ignoring a trailing `.gz`; nil when it implies none.
    public static func fromName(_ path: String) -> InputFormat? {
        var name = path.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        if name.hasSuffix(".csv") { return .csv }
        if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") { return .jsonl }
        if name.hasSuffix(".xml") { return .ddex }
        return nil
    }
}
