/// The three headline figures of one policy (contract §3).
public struct Headline: Sendable, Equatable {
    public var independent: Double?
    public var labelled: Double?
    public var gap: Double? {
        guard let independent, let labelled else { return nil }
        return independent - labelled
    }

    public init(independent: Double?, labelled: Double?) {
        self.independent = independent
        self.labelled = labelled
    }

    public init(statistics: RunStatistics, policy: Int) {
        independent = statistics.group(policy: policy, label: .independent).exposedShare
        let labelled = statistics.group(policy: policy, label: .major) + statistics.group(policy: policy, label: .licensed)
        self.labelled = labelled.exposedShare
    }
}
