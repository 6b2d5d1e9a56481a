import Foundation
import Glibc
import ConsentryModel
import ConsentryEngine

/// The one-scan-at-a-time lock of a results database (contract §4): `flock` on `<db>.lock`.
///
/// The kernel drops the lock when the process dies, however it dies, so a killed scan never
/// leaves a stale lock behind. The holder's PID is written into the file for messages.
public final class DatabaseLock {
    public let path: String
    private let fd: Int32

    /// Takes the lock, waiting up to `wait` seconds; throws `locked` when it stays taken, or
    /// what `interruption` returns while waiting (a signal).
    public init(databasePath: String, wait: Double = 0, interruption: (() -> (any Error)?)? = nil) throws {
        path = databasePath + ".lock"
        let opened = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard opened >= 0 else {
            let err = errno
            let reason = String(cString: strerror(err))
            throw StoreError(
                err == EACCES || err == EROFS ? .readOnly : .io,
                "cannot create the lock file \(path): \(reason); the database's directory must exist and be writable",
                file: databasePath)
        }
        // `fd` is set only once the lock is taken: an initializer that throws after setting
        // every property runs `deinit`, which would close the descriptor a second time (and
        // with it whatever another thread had opened under the same number meanwhile).
        let deadline = Date(timeIntervalSinceNow: max(0, wait))
        while flock(opened, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let reason = String(cString: strerror(errno))
                close(opened)
                throw StoreError(.io, "cannot lock \(path): \(reason)", remedy: "put the database on a local file system that supports flock", file: databasePath)
            }
            if Date() >= deadline {
                let holder = DatabaseLock.holder(opened)
                close(opened)
                let waited = wait > 0 ? " (waited \(Int(wait.rounded(.up))) s)" : ""
                throw StoreError(
                    .locked,
                    "another consentry scan or prune\(holder.map { " (pid \($0))" } ?? "") is writing to this database\(waited)",
                    remedy: wait > 0 ? "check that it is not hung (`consentry runs`), or wait longer with a larger --wait-lock"
                        : "wait for it to finish or pass --wait-lock SECONDS",
                    file: databasePath)
            }
            if let error = interruption?() {
                close(opened)
                throw error
            }
            usleep(100_000)
        }
        fd = opened
        let pid = "\(getpid())\n"
        ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    private static func holder(_ fd: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, 31, 0)
        guard n > 0 else { return nil }
        return Int(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
