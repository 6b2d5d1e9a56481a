import Foundation
import ConsentryModel

/// Counters a scan updates as it goes, for a progress display on another thread.
public final class ScanProgress: @unchecked Sendable {
    public struct Snapshot: Sendable {
        /// Raw (compressed) bytes read so far.
        public var bytesRead: Int
        /// Total raw bytes of the inputs, when all are regular files.
        public var bytesTotal: Int?
        public var rowsRead: Int
        public var rowsRejected: Int
        public var elapsed: TimeInterval
    }

    private let lock = NSLock()
    private var bytesRead = 0
    private var bytesTotal: Int?
    private var rowsRead = 0
    private var rowsRejected = 0
    private let started = Date()

    public init() {}

    func setTotal(_ total: Int?) {
        lock.lock(); bytesTotal = total; lock.unlock()
    }

    func addBytes(_ n: Int) {
        lock.lock(); bytesRead += n; lock.unlock()
    }

    func setRows(read: Int, rejected: Int) {
        lock.lock(); rowsRead = read; rowsRejected = rejected; lock.unlock()
    }

    public func snapshot() -> Snapshot {
        lock.lock()
        defer { lock.unlock() }
        return Snapshot(bytesRead: bytesRead, bytesTotal: bytesTotal, rowsRead: rowsRead,
                        rowsRejected: rowsRejected, elapsed: Date().timeIntervalSince(started))
    }
}
