/// A platform's terms of service as rules per AI use (contract §2).
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

    public init(id: String, title: String, source: String, rules: [[PolicyRule]], yaml: String, sha256: String,
                origin: String) {
        self.id = id
        self.title = title
        self.source = source
        self.rules = rules
        self.yaml = yaml
        self.sha256 = sha256
        self.origin = origin
    }

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
