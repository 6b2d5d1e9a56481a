/// Verdict counts of one run per policy, label-status group and use (SPEC §3).
///
/// A flat array so that workers can count without allocating and the merger can add and
/// subtract whole chunks. Layout per policy and group: tracks, any-training-exposed, then
/// `use × verdict` counts.
public struct RunStatistics: Sendable, Equatable {
    public static let groupStride = 2 + AIUse.allCases.count * Verdict.allCases.count
    public static let policyStride = LabelStatus.allCases.count * groupStride

    public let policyCount: Int
    public private(set) var counts: [Int]

    public init(policyCount: Int) {
        self.policyCount = policyCount
        counts = Array(repeating: 0, count: policyCount * RunStatistics.policyStride)
    }

    /// Counts one scanned track; `sign` -1 takes it back (a late-found duplicate).
    @inline(__always)
    public mutating func add(policy: Int, label: LabelStatus, packed: UInt32, sign: Int = 1) {
        let base = policy * RunStatistics.policyStride + Int(label.rawValue) * RunStatistics.groupStride
        counts.withUnsafeMutableBufferPointer { c in
            c[base] += sign
            if PolicyEvaluator.trainingExposed(packed) { c[base + 1] += sign }
            for u in 0..<4 {
                let v = Int((packed >> (8 * UInt32(u))) & 3)
                c[base + 2 + u * 3 + v] += sign
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
}

/// The statistics of one label-status group under one policy.
public struct GroupStatistics: Sendable, Equatable {
    public var tracks = 0
    public var anyTrainingExposed = 0
    /// `uses[use.rawValue][verdict.rawValue]`.
    public var uses: [[Int]] = Array(repeating: [0, 0, 0], count: 4)

    public init() {}

    public var exposedShare: Double? { tracks == 0 ? nil : Double(anyTrainingExposed) / Double(tracks) }

    public func count(_ use: AIUse, _ verdict: Verdict) -> Int { uses[use.rawValue][Int(verdict.rawValue)] }

    public static func + (a: GroupStatistics, b: GroupStatistics) -> GroupStatistics {
        var r = a
        r.tracks += b.tracks
        r.anyTrainingExposed += b.anyTrainingExposed
        for u in 0..<4 { for v in 0..<3 { r.uses[u][v] += b.uses[u][v] } }
        return r
    }
}
