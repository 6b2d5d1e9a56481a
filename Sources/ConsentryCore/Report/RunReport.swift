/// The groups statistics are reported for (SPEC §3): each label status, and `all`.
public enum ReportGroup: String, CaseIterable, Sendable {
    case major, licensed, independent, unknown, all

    /// The label status the group holds; nil for `all`.
    public var labelStatus: LabelStatus? {
        switch self {
        case .major: return .major
        case .licensed: return .licensed
        case .independent: return .independent
        case .unknown: return .unknown
        case .all: return nil
        }
    }
}

/// The three headline figures of one policy (SPEC §3).
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

/// One policy's results in a run.
public struct PolicyReport: Sendable, Equatable {
    public var id: String
    public var title: String
    public var independentExposedShare: Double?
    public var labelledExposedShare: Double?
    public var exposureGap: Double?
    public var groups: [ReportGroup: GroupStatistics] = [:]

    public func group(_ group: ReportGroup) -> GroupStatistics { groups[group] ?? GroupStatistics() }
}

/// Tracks whose verdict for one use differs between two policies of the same run (what-if).
public struct PolicyTransition: Sendable, Equatable {
    /// The policy listed first in the scan, and the one listed after it.
    public var fromPolicy: String
    public var toPolicy: String
    public var group: ReportGroup
    public var use: AIUse
    public var from: Verdict
    public var to: Verdict
    public var tracks: Int

    public init(fromPolicy: String, toPolicy: String, group: ReportGroup, use: AIUse, from: Verdict, to: Verdict, tracks: Int) {
        self.fromPolicy = fromPolicy
        self.toPolicy = toPolicy
        self.group = group
        self.use = use
        self.from = from
        self.to = to
        self.tracks = tracks
    }
}

/// Everything a report shows about one run, as stored in the results database.
public struct RunReport: Sendable, Equatable {
    public var runID: Int64
    public var status: String
    public var startedAt: String
    public var finishedAt: String?
    public var error: String?
    public var rowsRead: Int
    public var rowsScanned: Int
    public var rowsRejected: Int
    public var rejectsByCode: [RejectCode: Int] = [:]
    public var inputs: [InputSummary] = []
    public var policies: [PolicyReport] = []
    /// Verdict changes between each pair of policies, only `from != to` and non-zero, in
    /// pair, group (``ReportRenderer`` order), use and verdict order.
    public var transitions: [PolicyTransition] = []

    /// Share of rows rejected; 0 for an empty run.
    public var rejectRate: Double { rowsRead == 0 ? 0 : Double(rowsRejected) / Double(rowsRead) }
}

extension RunReport {
    /// ``transitions`` split into one non-empty run per pair of policies, in stored order.
    var transitionsByPair: [ArraySlice<PolicyTransition>] {
        var pairs: [ArraySlice<PolicyTransition>] = []
        var start = transitions.startIndex
        while start < transitions.endIndex {
            let first = transitions[start]
            let end = transitions[start...].firstIndex { $0.fromPolicy != first.fromPolicy || $0.toPolicy != first.toPolicy }
                ?? transitions.endIndex
            pairs.append(transitions[start..<end])
            start = end
        }
        return pairs
    }
}
