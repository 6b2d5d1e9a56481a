/// Decides all uses of several policies for one track, packed into one `UInt32` per policy.
///
/// Packing: use `u` occupies bits `8u..<8u+8`: the verdict in the low 2 bits and the deciding
/// rule's index in the high 6. Policies without date conditions depend only on the label
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
            packed |= (UInt32(verdict.rawValue) | UInt32(rule) << 2) << (8 * UInt32(use.rawValue))
        }
        return packed
    }

    /// The packed decisions of policy `index` for `track`.
    @inline(__always)
    public func evaluate(_ index: Int, _ track: TrackFacts) -> UInt32 {
        if evaluatesRules[index] { return PolicyEvaluator.evaluateSlow(policies[index], track) }
        return table[index &* 32 &+ PolicyEvaluator.key(track)]
    }

    @inline(__always)
    public static func verdict(_ packed: UInt32, _ use: AIUse) -> Verdict {
        Verdict(rawValue: UInt8((packed >> (8 * UInt32(use.rawValue))) & 3))!
    }

    @inline(__always)
    public static func ruleIndex(_ packed: UInt32, _ use: AIUse) -> Int {
        Int((packed >> (8 * UInt32(use.rawValue) + 2)) & 63)
    }

    /// Whether any use is `exposed`.
    @inline(__always)
    public static func anyExposed(_ packed: UInt32) -> Bool {
        packed & 0x03 == 0 || packed & 0x0300 == 0 || packed & 0x03_0000 == 0 || packed & 0x0300_0000 == 0
    }

    /// Whether `ai_generative_training` or `ai_training` is `exposed` (SPEC §3).
    @inline(__always)
    public static func trainingExposed(_ packed: UInt32) -> Bool {
        packed & 0x03 == 0 || packed & 0x0300 == 0
    }
}
