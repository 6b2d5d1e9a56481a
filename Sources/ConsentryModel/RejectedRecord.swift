/// One rejected record, ready for the `rejects` table.
public struct RejectedRecord: Sendable, Equatable {
    public var line: Int
    public var offset: Int
    public var code: RejectCode
    public var column: String?
    public var message: String
    public var excerpt: String

    public init(line: Int, offset: Int, code: RejectCode, column: String?, message: String, excerpt: String) {
        self.line = line
        self.offset = offset
        self.code = code
        self.column = column
        self.message = message
        self.excerpt = excerpt
    }
}
