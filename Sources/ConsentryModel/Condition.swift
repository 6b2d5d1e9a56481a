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
