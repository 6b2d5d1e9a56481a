/// The groups statistics are reported for (contract §3): each label status, and `all`.
public enum ReportGroup: String, CaseIterable, Sendable {
    case major, licensed, independent, unknown, all

    /// The order every report lists the groups in: the headline's group first.
    public static let displayOrder: [ReportGroup] = [.independent, .major, .licensed, .unknown, .all]

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
