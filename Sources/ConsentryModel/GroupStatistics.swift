/// The statistics of one label-status group under one policy.
public struct GroupStatistics: Sendable, Equatable {
    public var tracks = 0
    public var anyTrainingExposed = 0
    /// `uses[use.rawValue][verdict.rawValue]`.
    public var uses: [[Int]] = Array(repeating: [0, 0, 0], count: 4)

    public init() {}

    public var exposedShare: Double? { tracks == 0 ? nil : Double(anyTrainingExposed) / Double(tracks) }

    public func count(_ use: AIUse, _ verdict: Verdict) -> Int { uses[use.rawValue][Int(verdict.rawValue)] }

    public static func + (a: GroupStatistics, b: GroupStatistics) -> GroupStatistics {
        var r = a
        r.tracks += b.tracks
        r.anyTrainingExposed += b.anyTrainingExposed
        for u in 0..<4 { for v in 0..<3 { r.uses[u][v] += b.uses[u][v] } }
        return r
    }
}
