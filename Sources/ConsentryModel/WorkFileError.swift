/// A temporary or state file consentry needs beside the database (or under `--temp-dir`)
/// could not be written or read (exit 2).
public struct WorkFileError: ConsentryError {
    public enum Code: String, Sendable {
        case diskFull = "temp_disk_full"
        case io = "temp_io"
        /// A file written by consentry was cut short or changed by something else.
        case damaged = "temp_damaged"
    }

    public let kind: Code
    public let message: String
    public let file: String?
    public let line: Int? = nil
    public let remedy: String?
    public let underlying: (any Error)?

    public var code: String { kind.rawValue }

    public init(_ kind: Code, _ message: String, remedy: String? = nil, file: String?, underlying: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.remedy = remedy
        self.file = file
        self.underlying = underlying
    }
}
