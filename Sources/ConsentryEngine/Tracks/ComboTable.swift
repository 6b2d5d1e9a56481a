import ConsentryModel
import Foundation

/// The states a track can be in under the policies its history holds, numbered once and
/// shared by every history row that has them.
///
/// A combination lists, per policy (by its history number), the track's label status,
/// verdicts and deciding rules (``StableDecisions``). Catalogues have few distinct
/// combinations (they follow from the label status and a few flags), so history rows store
/// a small number instead of every policy's verdicts. Number 0 is the empty combination: a
/// track with no state under any policy, which history never stores.
public final class ComboTable: @unchecked Sendable {
    /// One policy's part of a combination.
    public struct Entry: Hashable, Sendable, Comparable {
        public var policy: Int32
        public var state: UInt64

        public init(policy: Int32, state: UInt64) {
            self.policy = policy
            self.state = state
        }

        public static func < (a: Entry, b: Entry) -> Bool {
            (a.policy, a.state) < (b.policy, b.state)
        }
    }

    private let lock = NSLock()
    private var byNumber: [UInt32: [Entry]] = [0: []]
    private var numbers: [[Entry]: UInt32] = [[]: 0]
    private var nextNumber: UInt32
    private var added: [UInt32] = []

    /// The combinations already stored, by number.
    public init(stored: [UInt32: [Entry]] = [:]) {
        for (number, entries) in stored {
            let sorted = entries.sorted()
            byNumber[number] = sorted
            numbers[sorted] = number
        }
        nextNumber = (stored.keys.max() ?? 0) + 1
    }

    /// The entries of combination `number`, sorted by policy.
    public func entries(_ number: UInt32) -> [Entry] {
        lock.lock()
        defer { lock.unlock() }
        return byNumber[number] ?? []
    }

    /// The number of the combination of `entries` (any order), new if it was never seen.
    public func number(of entries: [Entry]) -> UInt32 {
        let sorted = entries.sorted()
        lock.lock()
        defer { lock.unlock() }
        if let number = numbers[sorted] { return number }
        let number = nextNumber
        nextNumber += 1
        numbers[sorted] = number
        byNumber[number] = sorted
        added.append(number)
        return number
    }

    /// The combinations numbered since this table was made, in number order.
    public func newCombinations() -> [(number: UInt32, entries: [Entry])] {
        lock.lock()
        defer { lock.unlock() }
        return added.map { ($0, byNumber[$0]!) }
    }
}
