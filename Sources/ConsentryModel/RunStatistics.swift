/// Verdict counts of one run per policy, label-status group and use (contract §3), and the
/// transitions between every pair of policies (what-if).
///
/// A flat array so that workers can count without allocating and the merge can add and
/// subtract whole chunks. Layout per policy and group: tracks, any-training-exposed, then
/// `use × verdict` counts. After the policies, per pair `(i, j)` with `i < j` (in the order
/// `pairs` lists them) and group: `use × from-verdict × to-verdict` counts.
public struct RunStatistics: Sendable, Equatable {
    public static let groupStride = 2 + AIUse.allCases.count * Verdict.allCases.count
    public static let policyStride = LabelStatus.allCases.count * groupStride
    static let transitionGroupStride = AIUse.allCases.count * Verdict.allCases.count * Verdict.allCases.count
    static let pairStride = LabelStatus.allCases.count * transitionGroupStride

    public let policyCount: Int
    public private(set) var counts: [Int]
    /// Every pair of policy indexes `(from, to)` with `from < to`, in the order they are stored.
    public let pairs: [(from: Int, to: Int)]

    public init(policyCount: Int) {
        self.policyCount = policyCount
        pairs = (0..<policyCount).flatMap { i in ((i + 1)..<policyCount).map { j in (from: i, to: j) } }
        counts = Array(repeating: 0, count: policyCount * RunStatistics.policyStride + pairs.count * RunStatistics.pairStride)
    }

    /// Statistics with these counts (as ``counts`` gave them, for the same policy count);
    /// nil when the count of values does not fit.
    public init?(policyCount: Int, counts: [Int]) {
        self.init(policyCount: policyCount)
        guard counts.count == self.counts.count else { return nil }
        self.counts = counts
    }

    public static func == (a: RunStatistics, b: RunStatistics) -> Bool {
        a.policyCount == b.policyCount && a.counts == b.counts
    }

    /// Counts one scanned track under every policy (`packed` holds one decision per policy);
    /// `sign` -1 takes it back (a late-found duplicate).
    @inline(__always)
    public mutating func add(label: LabelStatus, packed: UnsafeBufferPointer<UInt32>, sign: Int = 1) {
        let policyCount = self.policyCount
        counts.withUnsafeMutableBufferPointer { c in
            for p in 0..<policyCount {
                let decision = packed[p]
                let base = p &* RunStatistics.policyStride &+ Int(label.rawValue) &* RunStatistics.groupStride
                c[base] &+= sign
                if PackedDecisions.trainingExposed(decision) { c[base &+ 1] &+= sign }
                for u in 0..<4 {
                    let v = Int((decision >> (8 &* UInt32(u))) & 3)
                    c[base &+ 2 &+ u &* 3 &+ v] &+= sign
                }
            }
            guard policyCount > 1 else { return }
            // Verdicts only, 2 bits per use: the rule indexes do not matter for a transition.
            var pairBase = policyCount &* RunStatistics.policyStride &+ Int(label.rawValue) &* RunStatistics.transitionGroupStride
            for i in 0..<(policyCount &- 1) {
                let from = packed[i]
                for j in (i &+ 1)..<policyCount {
                    let to = packed[j]
                    for u in 0..<4 {
                        let shift = 8 &* UInt32(u)
                        let cell = u &* 9 &+ Int((from >> shift) & 3) &* 3 &+ Int((to >> shift) & 3)
                        c[pairBase &+ cell] &+= sign
                    }
                    pairBase &+= RunStatistics.pairStride
                }
            }
        }
    }

    /// Sets every count back to zero.
    public mutating func reset() {
        counts.withUnsafeMutableBufferPointer { c in
            for i in c.indices { c[i] = 0 }
        }
    }

    public mutating func merge(_ other: RunStatistics) {
        precondition(other.policyCount == policyCount)
        for i in counts.indices { counts[i] += other.counts[i] }
    }

    /// The figures of one group; nil `label` means `all`.
    public func group(policy: Int, label: LabelStatus?) -> GroupStatistics {
        let labels = label.map { [$0] } ?? LabelStatus.allCases
        var result = GroupStatistics()
        for l in labels {
            let base = policy * RunStatistics.policyStride + Int(l.rawValue) * RunStatistics.groupStride
            result.tracks += counts[base]
            result.anyTrainingExposed += counts[base + 1]
            for u in 0..<4 {
                for v in 0..<3 { result.uses[u][v] += counts[base + 2 + u * 3 + v] }
            }
        }
        return result
    }

    /// Tracks of `label` (nil: every label) whose `use` verdict is `from` under the pair's
    /// first policy and `to` under its second; `pair` indexes ``pairs``.
    public func transitions(pair: Int, label: LabelStatus?, use: AIUse, from: Verdict, to: Verdict) -> Int {
        let labels = label.map { [$0] } ?? LabelStatus.allCases
        let cell = use.rawValue * 9 + Int(from.rawValue) * 3 + Int(to.rawValue)
        return labels.reduce(0) { sum, l in
            sum + counts[policyCount * RunStatistics.policyStride + pair * RunStatistics.pairStride
                         + Int(l.rawValue) * RunStatistics.transitionGroupStride + cell]
        }
    }
}
