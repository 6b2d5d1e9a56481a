/// What a scan read from one input, for `run_inputs`.
public struct InputSummary: Sendable, Equatable {
    public var path: String
    public var format: InputFormat
    public var compression: String
    public var bytes: Int
    public var sha256: String
    public var rowsRead: Int

    public init(path: String, format: InputFormat, compression: String, bytes: Int, sha256: String, rowsRead: Int) {
        self.path = path
        self.format = format
        self.compression = compression
        self.bytes = bytes
        self.sha256 = sha256
        self.rowsRead = rowsRead
    }
}
