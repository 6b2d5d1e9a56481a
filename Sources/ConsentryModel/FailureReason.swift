import Foundation

/// Why a file operation failed, in words.
///
/// Foundation's errors describe themselves on Linux as "The operation could not be
/// completed. (NSCocoaErrorDomain error 256.)"; the system's reason (`Is a directory`,
/// `Permission denied`) is in the error beneath.
public enum FailureReason {
    public static func of(_ error: any Error) -> String {
        var current: NSError? = error as NSError
        while let e = current {
            if e.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(e.code))) }
            // Not `as? NSError`: on Linux the underlying error is kept as a Swift `Error`.
            current = (e.userInfo[NSUnderlyingErrorKey] as? any Error).map { $0 as NSError }
        }
        return error.localizedDescription
    }
}
