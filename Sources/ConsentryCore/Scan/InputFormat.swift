/// The record format of an input (SPEC §1).
public enum InputFormat: String, Sendable, CaseIterable {
    case csv, jsonl

    /// The format a file name implies, ignoring a trailing `.gz`; nil when it implies none.
    public static func fromName(_ path: String) -> InputFormat? {
        var name = path.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        if name.hasSuffix(".csv") { return .csv }
        if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") { return .jsonl }
        return nil
    }
}

/// How inputs are read: the options of SPEC §1 that shape parsing.
public struct InputOptions: Sendable {
    /// nil: decide per input (`auto`).
    public var format: InputFormat?
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// `--column FIELD=NAME` overrides.
    public var columns: [RecordField: String] = [:]
    public var maxRecordBytes = 1 << 20
    /// Size of the chunks of whole records handed to workers.
    public var chunkBytes = 1 << 20

    public init() {}
}
