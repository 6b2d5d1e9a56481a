import Foundation

/// The numbers of a scan's labels: each distinct label text (as cut for storage) gets one
/// the first time a worker meets it; 0 is the empty label.
///
/// Scanned tracks carry their label's number instead of its text, through the spill and a
/// shard's result, so that the resolver counts the by-label breakdown in a flat array. The
/// numbers depend on which worker met a label first; nothing stored depends on them.
/// Workers ask through their own ``LabelCache``, so the lock is taken once per label and
/// worker.
final class LabelNumbers: @unchecked Sendable {
    private let lock = NSLock()
    private var numbers: [[UInt8]: UInt32] = [[]: 0]
    private var texts: [[UInt8]] = [[]]

    /// The number of `label`, a new one when no worker has met it yet.
    func number(of label: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let key = Array(label)
        lock.lock()
        defer { lock.unlock() }
        if let number = numbers[key] { return number }
        let number = UInt32(texts.count)
        numbers[key] = number
        texts.append(key)
        return number
    }

    /// Every label, by number.
    var labels: [String] {
        lock.lock()
        defer { lock.unlock() }
        return texts.map { String(decoding: $0, as: UTF8.self) }
    }
}
