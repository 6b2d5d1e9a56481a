/// A run's by-label breakdown as a scan counted it, ready to store: the labels' names in
/// the byte order of their texts, each with its row (per policy: tracks, then tracks
/// exposed to AI training), flat.
///
/// A scan counts its tracks by label number, tens of thousands of labels, and stores them
/// in that order (SQLite appends to its B-trees): a `Dictionary` of `String` keys and an
/// array per row in between, as ``Breakdown`` holds them, cost a third of the time the
/// labels took after the last partition. ``breakdown`` gives the same rows as a
/// ``Breakdown``; the engine sorts the texts by their bytes (`RunLabels.byteOrder`).
public struct LabelTally: Sendable, Equatable {
    public let policyCount: Int
    /// The texts the names are taken from, by number.
    public let texts: [String]
    /// The names' numbers in `texts`, in the byte order of their texts.
    public let names: [Int]
    /// Name i's row at `2 * policyCount * i`.
    public let rows: [Int]

    /// No label.
    public init(policyCount: Int) {
        self.policyCount = policyCount
        texts = []
        names = []
        rows = []
    }

    /// The labels `texts` (no two of them the same bytes) with each of their case groups
    /// made one label, named by its spelling with the most tracks over all policies (ties:
    /// the first in byte order). `order` is the texts' numbers in the byte order of their
    /// texts; text k's row is at `2 * policyCount * k` in `rows`. A text without tracks is
    /// left out.
    ///
    /// Nearly every group has one spelling, which names it as it is. A group of several
    /// spellings is summed; when one of them is not ASCII it is gathered in a ``Breakdown``
    /// first, which makes spellings that are the same Unicode text (`é` composed and
    /// decomposed) one, under the first in byte order. (ASCII texts are the same Unicode text
    /// only when they are the same bytes.)
    public init(policyCount: Int, texts: [String], groups: Breakdown.CaseGroups, order: [Int32], rows textRows: [Int]) {
        self.policyCount = policyCount
        self.texts = texts
        let width = 2 * policyCount
        precondition(textRows.count == texts.count * width && order.count == texts.count)
        /// Text k's tracks over all policies.
        func tracks(_ k: Int) -> Int {
            var tracks = 0
            for p in 0..<policyCount { tracks += textRows[k * width + 2 * p] }
            return tracks
        }
        /// Text k's row.
        func rowOf(_ k: Int) -> [Int] { Array(textRows[(k * width)..<((k + 1) * width)]) }
        // Per group: its one text with tracks (-1: none), -2 once it has several, which
        // `several` holds.
        var first = [Int](repeating: -1, count: groups.count)
        var several: [Int: [Int]] = [:]
        for k in texts.indices where tracks(k) > 0 {
            let g = groups.group[k]
            if first[g] == -1 {
                first[g] = k
            } else {
                several[g, default: first[g] >= 0 ? [first[g]] : []].append(k)
                first[g] = -2
            }
        }
        // Per text: 0 when it names a group of one spelling, i + 1 when it names a group of
        // several, whose row is `summed[i]`, -1 when it names none.
        var nameOf = [Int](repeating: -1, count: texts.count)
        for g in first.indices where first[g] >= 0 { nameOf[first[g]] = 0 }
        var summed: [[Int]] = []
        for (_, members) in several {
            var spellings: [(text: Int, row: [Int])] = members.map { ($0, rowOf($0)) }
            if !members.allSatisfy({ texts[$0].utf8.allSatisfy { $0 < 0x80 } }) {
                var gathered = Breakdown(policyCount: policyCount)
                for (k, row) in spellings { gathered.add(key: texts[k], row: row) }
                // The spellings themselves, not others that are the same Unicode text.
                spellings = gathered.counts.map { key, row in (members.first { texts[$0].utf8.elementsEqual(key.utf8) }!, row) }
            }
            var named = -1
            var namedTracks = -1
            var sum = [Int](repeating: 0, count: width)
            for (k, row) in spellings {
                var tracks = 0
                for p in 0..<policyCount { tracks += row[2 * p] }
                for i in sum.indices { sum[i] += row[i] }
                if tracks > namedTracks || (tracks == namedTracks && texts[k].utf8.lexicographicallyPrecedes(texts[named].utf8)) {
                    named = k
                    namedTracks = tracks
                }
            }
            summed.append(sum)
            nameOf[named] = summed.count
        }
        var names: [Int] = []
        names.reserveCapacity(texts.count)
        for k in order where nameOf[Int(k)] >= 0 { names.append(Int(k)) }
        var rows: [Int] = []
        rows.reserveCapacity(names.count * width)
        for k in names {
            // Element by element: an array slice appended per label cost a retain and a call.
            if nameOf[k] == 0 {
                for i in (k * width)..<((k + 1) * width) { rows.append(textRows[i]) }
            } else {
                rows.append(contentsOf: summed[nameOf[k] - 1])
            }
        }
        self.names = names
        self.rows = rows
    }

    /// How many labels.
    public var count: Int { names.count }

    /// Label i's name.
    public func name(_ i: Int) -> String { texts[names[i]] }

    /// Label i's tracks under policy `policy`.
    public func tracks(_ i: Int, policy: Int) -> Int { rows[2 * policyCount * i + 2 * policy] }

    /// Label i's tracks that policy `policy` leaves exposed to AI training.
    public func exposed(_ i: Int, policy: Int) -> Int { rows[2 * policyCount * i + 2 * policy + 1] }

    /// The same rows by name.
    public var breakdown: Breakdown {
        var breakdown = Breakdown(policyCount: policyCount)
        breakdown.reserveCapacity(count)
        let width = 2 * policyCount
        for i in names.indices {
            // Names differ in their folded keys, so no two are the same Unicode text.
            breakdown.add(key: name(i), row: Array(rows[(i * width)..<((i + 1) * width)]))
        }
        return breakdown
    }
}
