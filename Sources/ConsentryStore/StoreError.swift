import ConsentryModel

/// A problem with the results database (exit 2, or 75 when another scan holds it).
public struct StoreError: ConsentryError {
    public enum Code: String, Sendable {
        case notADatabase = "db_not_sqlite"
        case notConsentry = "db_not_consentry"
        case newerSchema = "db_newer_schema"
        case readOnly = "db_read_only"
        case diskFull = "db_disk_full"
        case locked = "db_locked"
        case io = "db_io"
        case missing = "db_missing"
        case runNotFound = "run_not_found"
        case other = "db_error"
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
