import Foundation

/// Stops work from another thread (a signal handler): the first reason given wins, and
/// whoever waits on it is woken at once through ``onCancel(_:)``.
public final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var reason: (any Error)?
    private var observers: [Int: @Sendable () -> Void] = [:]
    private var nextObserver = 0

    public init() {}

    public func cancel(_ error: any Error) {
        lock.lock()
        guard reason == nil else {
            lock.unlock()
            return
        }
        reason = error
        let wake = Array(observers.values)
        lock.unlock()
        // Outside the lock: an observer may take its own lock and read `error`.
        for observer in wake { observer() }
    }

    public var error: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return reason
    }

    /// Calls `body` (on the cancelling thread) when the work is cancelled, or right away if
    /// it already is; returns a token for ``removeObserver(_:)``.
    @discardableResult
    public func onCancel(_ body: @escaping @Sendable () -> Void) -> Int {
        lock.lock()
        let token = nextObserver
        nextObserver += 1
        let already = reason != nil
        if !already { observers[token] = body }
        lock.unlock()
        if already { body() }
        return token
    }

    public func removeObserver(_ token: Int) {
        lock.lock()
        observers[token] = nil
        lock.unlock()
    }
}
