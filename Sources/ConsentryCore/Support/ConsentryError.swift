/// An error that the command line reports as `consentry: error: <file>:<line>: <message>`.
///
/// Every component has its own error type conforming to this protocol, so a caller can
/// tell where a failure came from by its type and still print all of them the same way.
public protocol ConsentryError: Error, CustomStringConvertible, Sendable {
    /// A stable machine-readable code, e.g. `gzip_truncated`.
    var code: String { get }
    /// What went wrong and what to do about it.
    var message: String { get }
    /// The file the error is about, if any.
    var file: String? { get }
    /// The 1-based line in `file`, if known.
    var line: Int? { get }
}

extension ConsentryError {
    /// `file:line: message`, leaving out the parts that are unknown.
    public var description: String {
        var prefix = ""
        if let file {
            prefix = file
            if let line { prefix += ":\(line)" }
            prefix += ": "
        }
        return prefix + message
    }
}
