import ConsentryModel

/// Counts every reject and decides which are kept: the first `limit` of each input and code
/// in input order (`--keep-rejects`; nil keeps all).
///
/// The counts stay exact while a broken export's millions of rejects cost a bounded number
/// of rows.
struct RejectKeeper {
    let limit: Int?
    private(set) var byCode: [RejectCode: Int] = [:]
    private(set) var notKept = 0
    private var keptPerInput: [Int: [RejectCode: Int]] = [:]

    init(limit: Int?) {
        self.limit = limit
    }

    var total: Int { byCode.values.reduce(0, +) }

    /// Adds another keeper's counts (a shard's, whose inputs no other shard read).
    mutating func absorb(byCode: [RejectCode: Int], notKept: Int) {
        for (code, n) in byCode { self.byCode[code, default: 0] += n }
        self.notKept += notKept
    }

    /// Counts a reject of `input`; returns whether it is kept.
    mutating func count(_ code: RejectCode, input: Int) -> Bool {
        byCode[code, default: 0] += 1
        guard let limit else { return true }
        let kept = keptPerInput[input, default: [:]][code, default: 0]
        if kept < limit {
            keptPerInput[input, default: [:]][code] = kept + 1
            return true
        }
        notKept += 1
        return false
    }
}
