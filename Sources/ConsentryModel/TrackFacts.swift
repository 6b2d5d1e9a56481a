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
