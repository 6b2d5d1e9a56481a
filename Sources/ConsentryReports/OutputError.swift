import ConsentryModel

/// A report, export or metrics file that cannot be written (exit 2).
public struct OutputError: ConsentryError {
    public enum Code: String, Sendable {
        /// The target is the results database, or a directory.
        case badTarget = "output_bad_target"
        case diskFull = "output_disk_full"
        case io = "output_io"
    }

    public let kind: Code
    public let message: String
    public let file: String?
    public let line: Int? = nil
    public let remedy: String?
    public let underlying: (any Error)?

    public var code: String { kind.rawValue }

    public init(_ kind: Code, _ message: String, remedy: String? = nil, file: String?,
                underlying: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.remedy = remedy
        self.file = file
        self.underlying = underlying
    }
}
