/// A run's tracks grouped by one free-text field — `label` or `artist_id` — with how many of
/// each group's tracks each policy leaves exposed to AI training (contract §3, breakdowns).
///
/// Tracks without a value count under the empty key.
public struct Breakdown: Sendable, Equatable {
    /// The field a breakdown groups by.
    public enum Field: String, Sendable, CaseIterable {
        case label
        case artist

        /// The record field the groups come from.
        public var recordField: RecordField { self == .label ? .label : .artistID }
    }

    /// One group under one policy.
    public struct Row: Sendable, Equatable {
        public var key: String
        public var tracks: Int
        public var anyTrainingExposed: Int

        public init(key: String, tracks: Int, anyTrainingExposed: Int) {
            self.key = key
            self.tracks = tracks
            self.anyTrainingExposed = anyTrainingExposed
        }

        public var exposedShare: Double? { tracks == 0 ? nil : Double(anyTrainingExposed) / Double(tracks) }
    }

    public let policyCount: Int
    /// key → per policy: tracks, then training-exposed tracks. A track counts under a policy
    /// that decided it: every policy of a scan, but a run's stored history can lack a policy
    /// for a track (see the by-artist breakdown).
    public private(set) var counts: [String: [Int]] = [:]

    public init(policyCount: Int) {
        self.policyCount = policyCount
    }

    /// Groups, in no particular order.
    public var count: Int { counts.count }

    /// Adds to `key` under policy `policy`.
    public mutating func add(key: String, policy: Int, tracks: Int, exposed: Int) {
        var row = Array(repeating: 0, count: 2 * policyCount)
        row[2 * policy] = tracks
        row[2 * policy + 1] = exposed
        add(key: key, row: row)
    }

    /// Adds a whole row (per policy: tracks, then training-exposed tracks) to `key`: one
    /// lookup for a new key, as nearly all of a by-artist breakdown's million are.
    ///
    /// Swift's `String`s are equal when they are canonically equivalent Unicode (`é` as one
    /// code point or as `e` and an accent): such spellings are one group, named by the one
    /// first in byte order, so that the name does not depend on the order they came in (a
    /// scan numbers labels in the order its workers meet them).
    public mutating func add(key: String, row: [Int]) {
        precondition(row.count == 2 * policyCount)
        guard let mine = counts.updateValue(row, forKey: key) else { return }
        let index = counts.index(forKey: key)!
        let sum = zip(mine, row).map(+)
        if key.utf8.lexicographicallyPrecedes(counts[index].key.utf8) {
            counts.remove(at: index)
            counts[key] = sum
        } else {
            counts.values[index] = sum
        }
    }

    /// Makes room for `keys` groups.
    public mutating func reserveCapacity(_ keys: Int) {
        counts.reserveCapacity(keys)
    }

    /// Which keys are one group when the by-label breakdown folds case: keys that differ only
    /// in case and surrounding spaces, as ``LabelMap`` matches labels (exports spell one label
    /// several ways). Found from the keys alone, so that a scan can group its labels while it
    /// counts their tracks.
    public struct CaseGroups: Sendable {
        /// Per key, by its index, its group's number.
        public let group: [Int]
        /// How many groups there are.
        public let count: Int

        public init(keys: [String]) {
            var number: [String: Int] = [:]
            number.reserveCapacity(keys.count)
            group = keys.map { key in
                let folded = LabelMap.normalized(key)
                if let known = number[folded] { return known }
                number[folded] = number.count
                return number.count - 1
            }
            count = number.count
        }
    }

    /// How rows are ordered.
    public enum Order: Sendable {
        /// Most tracks first (the contract's "largest first"), then most exposed.
        case largest
        /// Most exposed tracks first, then most tracks.
        case mostExposed
    }

    /// How many keys have a track under policy `policy`: the rows ``rows(policy:order:top:)``
    /// gives without `top`, counted without sorting a million artists.
    public func rowCount(policy: Int) -> Int {
        counts.values.reduce(0) { $0 + ($1[2 * policy] == 0 ? 0 : 1) }
    }

    /// Policy `policy`'s rows in `order` (ties by key), at most `top` of them. Keys with no
    /// track under the policy are left out.
    public func rows(policy: Int, order: Order = .largest, top: Int? = nil) -> [Row] {
        let all = counts.compactMap { key, row in
            row[2 * policy] == 0 ? nil : Row(key: key, tracks: row[2 * policy], anyTrainingExposed: row[2 * policy + 1])
        }
        return Breakdown.first(top, of: all, order: order)
    }

    /// The first `top` of `rows` (all when nil) in `order`.
    public static func first(_ top: Int?, of rows: [Row], order: Order) -> [Row] {
        let precedes: (Row, Row) -> Bool = order == .largest
            ? { a, b in Breakdown.precedes(a, b, a.tracks, b.tracks, a.anyTrainingExposed, b.anyTrainingExposed) }
            : { a, b in Breakdown.precedes(a, b, a.anyTrainingExposed, b.anyTrainingExposed, a.tracks, b.tracks) }
        guard let top, top < rows.count else { return rows.sorted(by: precedes) }
        guard top > 0 else { return [] }
        // A heap of the `top` first so far, its last at the root: a million artists need no
        // full sort.
        let later = { (a: Row, b: Row) in precedes(b, a) }
        var heap = Heap<Row>()
        heap.reserveCapacity(top)
        for row in rows {
            if heap.count < top {
                heap.push(row, by: later)
            } else if precedes(row, heap.top!) {
                heap.replaceTop(with: row, by: later)
            }
        }
        return heap.unordered.sorted(by: precedes)
    }

    /// Larger first by `x`, then by `y`, then keys in byte order.
    @inline(__always)
    private static func precedes(_ a: Row, _ b: Row, _ xa: Int, _ xb: Int, _ ya: Int, _ yb: Int) -> Bool {
        if xa != xb { return xa > xb }
        if ya != yb { return ya > yb }
        return a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
    }
}
