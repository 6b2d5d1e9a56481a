import ConsentryModel
import ConsentryEngine

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
