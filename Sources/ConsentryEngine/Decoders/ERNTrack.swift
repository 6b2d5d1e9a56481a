import ConsentryModel

/// One `SoundRecording` of a DDEX ERN message, as the pipeline scans it (contract §1.5).
///
/// Texts are the elements' character data (entities and CDATA resolved) trimmed of XML
/// white space; an element that is empty after trimming counts as absent.
public struct ERNTrack: Sendable, Equatable {
    /// ERN 4.3.2's `ContainsAI`: whether the recording was made with AI.
    public typealias ContainsAI = ConsentryModel.ContainsAI

    /// `track_id`: the ISRC, else the first `ProprietaryId`; nil when the recording has
    /// neither (the pipeline rejects it as `missing_track_id`).
    public var trackID: String?
    /// `title`: the display title.
    public var title: String?
    /// `artist_id`: the display artist name.
    public var artistID: String?
    /// `label`: the label of the first release, in document order, that lists the recording
    /// and names a label (ERN 3: else the recording's own `LabelName`).
    public var label: String?
    /// nil when the message does not say (every ERN before 4.3.2), or says something else.
    public var containsAI: ContainsAI?
    /// 1-based line of the `<SoundRecording` start tag.
    public var line: Int
    /// 0-based byte offset of the start tag's `<` in the input.
    public var offset: Int
    /// At most 200 bytes of the element's raw text from its `<`, as valid UTF-8.
    public var excerpt: String

    public init(trackID: String?, title: String?, artistID: String?, label: String?,
                containsAI: ContainsAI?, line: Int, offset: Int, excerpt: String) {
        self.trackID = trackID
        self.title = title
        self.artistID = artistID
        self.label = label
        self.containsAI = containsAI
        self.line = line
        self.offset = offset
        self.excerpt = excerpt
    }
}
