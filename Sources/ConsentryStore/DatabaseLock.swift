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
    /// Whether this lock created its file: only then may ``opening(_:)`` take it away.
    private var madeFile: Bool

    /// Takes the lock, waiting up to `wait` seconds; throws `locked` when it stays taken, or
    /// what `interruption` returns while waiting (a signal).
    public init(databasePath: String, wait: Double = 0, interruption: (() -> (any Error)?)? = nil) throws {
        path = databasePath + ".lock"
        let deadline = Date(timeIntervalSinceNow: max(0, wait))
        while true {
            var made = true
            var opened = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if opened < 0 && errno == EEXIST {
                made = false
                opened = open(path, O_RDWR | O_CLOEXEC)
                if opened < 0 && errno == ENOENT {
                    // Removed between the two opens by the holder that made it: make it anew.
                    // A symbolic link to no file says the same every time; its target is
                    // made, as before the file could be removed.
                    var link = stat()
                    guard lstat(path, &link) == 0 else { continue }
                    opened = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
                }
            }
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
            try DatabaseLock.take(opened, path: path, databasePath: databasePath, wait: wait, deadline: deadline,
                                  interruption: interruption)
            // A holder that made the file may remove it (``opening(_:)``) while this process
            // waited on it: a lock on a file no longer at the path keeps no one out.
            guard DatabaseLock.isAtPath(opened, path) else {
                close(opened)
                continue
            }
            fd = opened
            madeFile = made
            break
        }
        let pid = "\(getpid())\n"
        ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// Waits for `flock` on `opened` until `deadline`; closes it and throws when it stays taken
    /// or fails.
    private static func take(_ opened: Int32, path: String, databasePath: String, wait: Double, deadline: Date,
                             interruption: (() -> (any Error)?)?) throws {
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
    }

    /// Whether `path` still names the file open as `fd`: false only when it is gone or is
    /// another file, so that an error of `stat` itself never makes the caller retry forever.
    private static func isAtPath(_ fd: Int32, _ path: String) -> Bool {
        var open = stat()
        var named = stat()
        guard fstat(fd, &open) == 0 else { return true }
        guard stat(path, &named) == 0 else { return errno != ENOENT }
        return open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    /// Runs `open`, the database's opening under this lock; when it finds no database of
    /// consentry's at the path (none, a directory, not SQLite or damaged, another program's),
    /// removes the lock's file before rethrowing, if this lock made it: a mistyped `--db`
    /// leaves nothing beside it. A lock file that was there before is left alone.
    public func opening<T>(_ open: () throws -> T) throws -> T {
        do {
            return try open()
        } catch let error as StoreError {
            if madeFile && [.missing, .notADatabase, .notConsentry].contains(error.kind) {
                unlink(path)
                madeFile = false
            }
            throw error
        }
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
