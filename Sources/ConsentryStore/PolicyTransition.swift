import ConsentryModel
import ConsentryEngine

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
