/// A fatal problem with an input file: the run cannot go on (exit 2).
///
/// Problems with single records are not errors but rejects (``RejectCode``).
public struct InputError: ConsentryError {
    public enum Code: String, Sendable {
        case unreadable = "input_unreadable"
        case notFound = "input_not_found"
        case gzipCorrupt = "gzip_corrupt"
        case gzipTruncated = "gzip_truncated"
        case gzipTrailingGarbage = "gzip_trailing_garbage"
        case missingColumn = "missing_column"
        case badHeader = "bad_header"
        case noInputs = "no_inputs"
        case empty = "input_empty"
        /// `merge`: a shard result is missing, or the folder holds none.
        case shardMissing = "shard_missing"
        /// `merge`: a shard result that does not belong to the set, or cannot be read.
        case shardInconsistent = "shard_inconsistent"
    }

    public let kind: Code
    public let message: String
    public let file: String?
    public let line: Int?
    public let remedy: String?
    public let underlying: (any Error)?

    public var code: String { kind.rawValue }

    public init(_ kind: Code, _ message: String, remedy: String? = nil, file: String?, line: Int? = nil,
                underlying: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.remedy = remedy
        self.file = file
        self.line = line
        self.underlying = underlying
    }

    /// A 0-byte input is a failed export, not an empty catalogue: fatal, so that no run
    /// looks complete without it (an empty CSV has no header anyway; an empty JSONL would
    /// otherwise scan to zero rows).
    public static func emptyInput(_ path: String) -> InputError {
        InputError(
            .empty,
            "the input is empty (0 bytes): the export failed or is still being written", remedy: "re-export it, or leave it out of the scan",
            file: path)
    }
}
