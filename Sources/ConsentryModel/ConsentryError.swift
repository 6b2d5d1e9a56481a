/// The one shape of every error consentry reports: what went wrong, where, what to do about
/// it, and the error underneath.
///
/// Each layer has its own conforming type (``InputError``, ``PolicyError``, the store's and
/// the reports' errors), so a caller can tell where a failure came from by its type, while
/// the command line prints all of them the same way and maps them to exit codes in one
/// place.
public protocol ConsentryError: Error, CustomStringConvertible, Sendable {
    /// A stable machine-readable code, e.g. `gzip_truncated`.
    var code: String { get }
    /// What went wrong.
    var message: String { get }
    /// The file the error is about, if any.
    var file: String? { get }
    /// The 1-based line in `file`, if known.
    var line: Int? { get }
    /// What the user can do about it, if anything.
    var remedy: String? { get }
    /// The lower-level error this one was made from (a system or SQLite error), if any.
    var underlying: (any Error)? { get }
}

extension ConsentryError {
    public var remedy: String? { nil }
    public var underlying: (any Error)? { nil }

    /// `file:line: message; remedy`, leaving out the parts that are unknown.
    public var description: String {
        var text = ""
        if let file {
            text = file
            if let line { text += ":\(line)" }
            text += ": "
        }
        text += message
        if let remedy { text += "; " + remedy }
        return text
    }
}
