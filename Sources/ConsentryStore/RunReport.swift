import ConsentryModel
import ConsentryEngine

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
    /// Rejects counted but not stored (beyond `--keep-rejects`).
    public var rejectsNotKept = 0
    public var inputs: [InputSummary] = []
    public var policies: [PolicyReport] = []
    /// Verdict changes between each pair of policies, only `from != to` and non-zero, in
    /// pair, group (``ReportRenderer`` order), use and verdict order.
    public var transitions: [PolicyTransition] = []
    /// Tracks by declared DDEX `ContainsAI`; nil when no track of the run declared it.
    public var containsAI: ContainsAICounts?
    /// The `--label-map` file the run applied, if any.
    public var labelMap: String?

    /// Share of rows rejected; 0 for an empty run.
    public var rejectRate: Double { rowsRead == 0 ? 0 : Double(rowsRejected) / Double(rowsRead) }
}

extension RunReport {
    /// ``transitions`` split into one non-empty run per pair of policies, in stored order.
    public var transitionsByPair: [ArraySlice<PolicyTransition>] {
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
