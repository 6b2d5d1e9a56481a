/// A policy, policy test file or label map that cannot be used: unknown, unreadable or
/// invalid (exit 64).
public struct PolicyError: ConsentryError {
    public enum Code: String, Sendable {
        case unknownPolicy = "policy_unknown"
        case unreadable = "policy_unreadable"
        case invalidYAML = "policy_invalid_yaml"
        case invalid = "policy_invalid"
        case duplicate = "policy_duplicate"
        /// A `consentry policy test` file that is not a valid test file.
        case invalidTest = "policy_test_invalid"
        /// A `--label-map` file that cannot be read or has an invalid entry.
        case invalidLabelMap = "label_map_invalid"
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
}
