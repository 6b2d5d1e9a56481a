/// A track's label relationship (SPEC §1.3); `unsigned` in the data means `independent`.
public enum LabelStatus: UInt8, CaseIterable, Sendable, BitwiseCopyable {
    case major = 0, licensed, independent, unknown

    public var name: String {
        switch self {
        case .major: return "major"
        case .licensed: return "licensed"
        case .independent: return "independent"
        case .unknown: return "unknown"
        }
    }

    /// Accepts the data spellings, `unsigned` included, case-insensitively.
    public init?(name: String) {
        var bytes = Array(name.utf8)
        guard let status = bytes.withUnsafeMutableBufferPointer({
            FieldText.parseLabelStatus(UnsafeBufferPointer($0), 0, $0.count)
        }), !name.isEmpty else { return nil }
        self = status
    }
}

/// The four AI uses of the CAWG training-and-data-mining assertion (SPEC §2).
public enum AIUse: Int, CaseIterable, Sendable {
    case aiGenerativeTraining = 0, aiTraining, aiInference, dataMining

    public var name: String {
        switch self {
        case .aiGenerativeTraining: return "ai_generative_training"
        case .aiTraining: return "ai_training"
        case .aiInference: return "ai_inference"
        case .dataMining: return "data_mining"
        }
    }

    public init?(name: String) {
        guard let use = AIUse.allCases.first(where: { $0.name == name }) else { return nil }
        self = use
    }
}

/// What a policy allows for one track and use (SPEC §2).
public enum Verdict: UInt8, CaseIterable, Sendable {
    case exposed = 0, consented, blocked

    public var name: String {
        switch self {
        case .exposed: return "exposed"
        case .consented: return "consented"
        case .blocked: return "blocked"
        }
    }

    public init?(name: String) {
        guard let verdict = Verdict.allCases.first(where: { $0.name == name }) else { return nil }
        self = verdict
    }
}

/// The facts about one track that policies decide on.
public struct TrackFacts: Sendable, Equatable {
    public var labelStatus: LabelStatus
    public var genaiOptIn: Bool
    public var aiOptOut: Bool
    public var noAITag: Bool
    /// Seconds since 1970 UTC, if the track has an upload time.
    public var uploadedAt: Int64?

    public init(labelStatus: LabelStatus, genaiOptIn: Bool = false, aiOptOut: Bool = false,
                noAITag: Bool = false, uploadedAt: Int64? = nil) {
        self.labelStatus = labelStatus
        self.genaiOptIn = genaiOptIn
        self.aiOptOut = aiOptOut
        self.noAITag = noAITag
        self.uploadedAt = uploadedAt
    }
}

/// A rule's `when`: every key present must hold.
public struct Condition: Sendable, Equatable {
    /// Bit `1 << LabelStatus.rawValue` for each accepted status; nil accepts any.
    public var labelStatuses: UInt8?
    public var genaiOptIn: Bool?
    public var aiOptOut: Bool?
    public var noAITag: Bool?
    public var uploadedBefore: Int64?
    public var uploadedOnOrAfter: Int64?

    public init() {}

    public var usesDates: Bool { uploadedBefore != nil || uploadedOnOrAfter != nil }

    public func holds(for track: TrackFacts) -> Bool {
        if let mask = labelStatuses, mask & (1 << track.labelStatus.rawValue) == 0 { return false }
        if let v = genaiOptIn, v != track.genaiOptIn { return false }
        if let v = aiOptOut, v != track.aiOptOut { return false }
        if let v = noAITag, v != track.noAITag { return false }
        if let limit = uploadedBefore {
            guard let at = track.uploadedAt, at < limit else { return false }
        }
        if let limit = uploadedOnOrAfter {
            guard let at = track.uploadedAt, at >= limit else { return false }
        }
        return true
    }
}

/// One rule of one use: the first rule whose condition holds decides.
public struct PolicyRule: Sendable, Equatable {
    public var id: String
    /// nil: the rule always holds.
    public var condition: Condition?
    public var verdict: Verdict
    /// Line of the rule in its YAML file.
    public var line: Int
}

/// A platform's terms of service as rules per AI use (SPEC §2).
public struct Policy: Sendable {
    public var id: String
    public var title: String
    public var source: String
    /// Indexed by ``AIUse/rawValue``.
    public var rules: [[PolicyRule]]
    /// The YAML text the policy was loaded from.
    public var yaml: String
    /// SHA-256 of `yaml`, lowercase hex.
    public var sha256: String
    /// Where it came from: a file path, or `built-in:ID`.
    public var origin: String

    /// The most rules one use may have (the rule index is stored in 6 bits).
    public static let maxRulesPerUse = 63

    public func rules(for use: AIUse) -> [PolicyRule] { rules[use.rawValue] }

    /// The deciding rule index and verdict for one use.
    public func decide(_ use: AIUse, for track: TrackFacts) -> (rule: Int, verdict: Verdict) {
        let list = rules[use.rawValue]
        for (index, rule) in list.enumerated() where rule.condition?.holds(for: track) ?? true {
            return (index, rule.verdict)
        }
        // Unreachable for a loaded policy: its last rule has no condition.
        return (list.count - 1, list.last?.verdict ?? .blocked)
    }
}
