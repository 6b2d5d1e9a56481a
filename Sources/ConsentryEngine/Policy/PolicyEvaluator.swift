import ConsentryModel

/// Decides all uses of several policies for one track, packed into one `UInt32` per policy.
///
/// Packing: ``PackedDecisions``. Policies without date conditions depend only on the label
/// status and the three flags, so their 32 possible outcomes are computed once.
public struct PolicyEvaluator: Sendable {
    public let policies: [Policy]
    /// 32 packed outcomes per policy, back to back; unused for policies with dates.
    private let table: [UInt32]
    /// Per policy: whether it has date conditions and must be evaluated rule by rule.
    private let evaluatesRules: [Bool]
    /// Whether any policy compares upload dates, so tracks need `uploaded_at` as a value.
    public let comparesDates: Bool
    /// Whether every decision follows from the track's ``key(_:)`` alone (no dates).
    public var isTableDriven: Bool { !comparesDates }
    /// The number of distinct keys: 4 label statuses × 3 flags.
    public static let keyCount = 32

    public init(policies: [Policy]) {
        self.policies = policies
        evaluatesRules = policies.map { policy in
            policy.rules.joined().contains { $0.condition?.usesDates ?? false }
        }
        comparesDates = evaluatesRules.contains(true)
        table = policies.flatMap { policy in
            (0..<32).map { key in PolicyEvaluator.evaluateSlow(policy, PolicyEvaluator.facts(forKey: key)) }
        }
    }

    @inline(__always)
    static func key(_ t: TrackFacts) -> Int {
        Int(t.labelStatus.rawValue) | (t.genaiOptIn ? 4 : 0) | (t.aiOptOut ? 8 : 0) | (t.noAITag ? 16 : 0)
    }

    static func facts(forKey key: Int) -> TrackFacts {
        TrackFacts(labelStatus: LabelStatus(rawValue: UInt8(key & 3))!, genaiOptIn: key & 4 != 0,
                   aiOptOut: key & 8 != 0, noAITag: key & 16 != 0)
    }

    static func evaluateSlow(_ policy: Policy, _ track: TrackFacts) -> UInt32 {
        var packed: UInt32 = 0
        for use in AIUse.allCases {
            let (rule, verdict) = policy.decide(use, for: track)
            packed |= PackedDecisions.pack(use, verdict: verdict, rule: rule)
        }
        return packed
    }

    /// The packed decisions of policy `index` for `track`.
    @inline(__always)
    public func evaluate(_ index: Int, _ track: TrackFacts) -> UInt32 {
        if evaluatesRules[index] { return PolicyEvaluator.evaluateSlow(policies[index], track) }
        return table[index &* 32 &+ PolicyEvaluator.key(track)]
    }
}
