import Foundation
import Synchronization

/// The numbers of a scan's labels: each distinct label text (as cut for storage) gets one
/// the first time a worker meets it; 0 is the empty label.
///
/// Scanned tracks carry their label's number instead of its text, through the spill and a
/// shard's result, so that the resolver counts the by-label breakdown in a flat array. The
/// numbers depend on which worker met a label first; nothing stored depends on them.
/// Workers ask through their own ``LabelCache``, so the lock is taken once per label and
/// worker. It is a `Mutex`, which spins a little before it sleeps: at the start of a scan
/// every worker meets thousands of new labels at once, and a lock that put a worker to
/// sleep for each of those short waits (`NSLock`) made hundreds of futex calls a scan, each
/// leaving a core idle until the wake-up.
///
/// The labels' bytes lie one after another, found through an open-addressing table by
/// ``LabelCache/hash(_:)``: each worker asks once for every label of the catalogue (tens of
/// thousands), and a `Dictionary` keyed by byte arrays, which made an array and hashed it
/// with SipHash for every question, was 2 % of a scan.
final class LabelNumbers: Sendable {
    private struct Table {
        /// Label n's bytes are `bytes[starts[n]..<starts[n + 1]]`; label 0 is the empty one.
        var bytes: [UInt8] = []
        var starts: [Int] = [0, 0]
        var hashes: [UInt64] = [0]
        /// By hash, linear probing, at most half full: the hash's top half, then the number
        /// (never 0, which marks an empty slot).
        var slots = [UInt64](repeating: 0, count: 1024)

        mutating func number(of label: UnsafeBufferPointer<UInt8>, hash: UInt64) -> UInt32 {
            var i = Int(truncatingIfNeeded: hash) & (slots.count - 1)
            while slots[i] != 0 {
                let number = Int(truncatingIfNeeded: slots[i] & 0xFFFF_FFFF)
                if slots[i] >> 32 == hash >> 32 && hashes[number] == hash && holds(number, label) { return UInt32(number) }
                i = (i + 1) & (slots.count - 1)
            }
            let number = hashes.count
            bytes.append(contentsOf: label)
            starts.append(bytes.count)
            hashes.append(hash)
            slots[i] = (hash >> 32) << 32 | UInt64(number)
            if 2 * number > slots.count { grow() }
            return UInt32(number)
        }

        /// Whether label `number` is `label`.
        private func holds(_ number: Int, _ label: UnsafeBufferPointer<UInt8>) -> Bool {
            let start = starts[number]
            guard starts[number + 1] - start == label.count else { return false }
            return bytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + start, label.baseAddress!, label.count) == 0 }
        }

        private mutating func grow() {
            slots = [UInt64](repeating: 0, count: 2 * slots.count)
            for number in 1..<hashes.count {
                var i = Int(truncatingIfNeeded: hashes[number]) & (slots.count - 1)
                while slots[i] != 0 { i = (i + 1) & (slots.count - 1) }
                slots[i] = (hashes[number] >> 32) << 32 | UInt64(number)
            }
        }
    }

    private let table = Mutex(Table())

    /// The number of `label`, a new one when no worker has met it yet; `hash` is the one the
    /// memo found it by, ``LabelCache/hash(_:)`` (tests give labels one they share).
    func number(of label: UnsafeBufferPointer<UInt8>, hash: UInt64) -> UInt32 {
        guard !label.isEmpty else { return 0 }
        return table.withLock { $0.number(of: label, hash: hash) }
    }

    /// Every label, by number.
    var labels: [String] {
        table.withLock { table in
            (0..<table.hashes.count).map { String(decoding: table.bytes[table.starts[$0]..<table.starts[$0 + 1]], as: UTF8.self) }
        }
    }
}
