/// Turns the element events of one ERN message into its tracks: which element feeds which
/// field in ERN 3.8 to 4.3.2, and how a recording's label is found (contract §1.5).
///
/// It knows nothing of XML parsing: ``ERNDecoder`` hands it local names (namespaces vary
/// between versions, so only local names are matched), two attribute facts and the text of
/// the elements it asks for. Both ERN 3 and ERN 4 paths are matched in every message: they
/// never overlap, and a message mixing them still yields what each element says.
///
/// Which element wins when several could feed a field (first listed first; within one kind,
/// the first in document order):
/// - track id: `ISRC`, then `ProprietaryId`, in `ResourceId` (ERN 4.1–4.2),
///   `SoundRecordingEdition/ResourceId` (ERN 4.3) or `SoundRecordingId` (ERN 3);
/// - title: ERN 4 `DisplayTitleText` (the one with `IsDefault="true"`, else the first), ERN 4
///   `DisplayTitle/TitleText` (likewise), ERN 3 `SoundRecordingDetailsByTerritory/Title` with
///   `TitleType="DisplayTitle"`, ERN 3 `ReferenceTitle/TitleText`;
/// - artist: ERN 4 `DisplayArtistName` (default first), ERN 3
///   `SoundRecordingDetailsByTerritory/DisplayArtistName`, ERN 4 `DisplayArtist/
///   ArtistPartyReference` resolved through the PartyList, ERN 3 `DisplayArtist/PartyName/
///   FullName` in the details;
/// - label: the first release (any child of `ReleaseList`: `Release`, `TrackRelease`…), in
///   document order, that lists the recording in a `ReleaseResourceReference` and names a
///   label: ERN 4 `ReleaseLabelReference` (the `IsDefault="true"` one first) resolved to the
///   party's first `PartyName/FullName`, else its first `PartyId`; ERN 3
///   `ReleaseDetailsByTerritory/LabelName`. Failing that, ERN 3's own
///   `SoundRecordingDetailsByTerritory/LabelName`;
/// - `ContainsAI`: the recording's own (a direct child; ERN 4.3.2 also has one on releases
///   and other resources, and `AiContribution` on contributors, which are not the track's).
final class ERNMessageCollector {
    /// The local names the mapping looks at; everything else is `other`.
    enum Name: UInt8, CaseIterable {
        case other
        case partyList, party, partyReference, partyName, fullName, partyId
        case resourceList, soundRecording, resourceReference, resourceId, soundRecordingEdition
        case soundRecordingId, isrc, proprietaryId
        case displayTitleText, displayTitle, titleText, referenceTitle, title
        case displayArtistName, displayArtist, artistPartyReference
        case soundRecordingDetailsByTerritory, labelName, containsAI
        case releaseList, releaseResourceReference, releaseLabelReference, releaseDetailsByTerritory

        /// The element's local name as it appears in ERN.
        var localName: String {
            switch self {
            case .other: return ""
            case .partyList: return "PartyList"
            case .party: return "Party"
            case .partyReference: return "PartyReference"
            case .partyName: return "PartyName"
            case .fullName: return "FullName"
            case .partyId: return "PartyId"
            case .resourceList: return "ResourceList"
            case .soundRecording: return "SoundRecording"
            case .resourceReference: return "ResourceReference"
            case .resourceId: return "ResourceId"
            case .soundRecordingEdition: return "SoundRecordingEdition"
            case .soundRecordingId: return "SoundRecordingId"
            case .isrc: return "ISRC"
            case .proprietaryId: return "ProprietaryId"
            case .displayTitleText: return "DisplayTitleText"
            case .displayTitle: return "DisplayTitle"
            case .titleText: return "TitleText"
            case .referenceTitle: return "ReferenceTitle"
            case .title: return "Title"
            case .displayArtistName: return "DisplayArtistName"
            case .displayArtist: return "DisplayArtist"
            case .artistPartyReference: return "ArtistPartyReference"
            case .soundRecordingDetailsByTerritory: return "SoundRecordingDetailsByTerritory"
            case .labelName: return "LabelName"
            case .containsAI: return "ContainsAI"
            case .releaseList: return "ReleaseList"
            case .releaseResourceReference: return "ReleaseResourceReference"
            case .releaseLabelReference: return "ReleaseLabelReference"
            case .releaseDetailsByTerritory: return "ReleaseDetailsByTerritory"
            }
        }

        /// Whether the decoder must read `IsDefault` / `TitleType` for this element.
        var needsAttributes: Bool {
            switch self {
            case .displayTitleText, .displayTitle, .displayArtistName, .releaseLabelReference, .title: return true
            default: return false
            }
        }
    }

    /// Attribute facts of one element.
    struct Attributes: OptionSet {
        let rawValue: UInt8
        /// `IsDefault="true"` (or `1`).
        static let isDefault = Attributes(rawValue: 1)
        /// `TitleType="DisplayTitle"`.
        static let displayTitleType = Attributes(rawValue: 2)
    }

    /// What ``start(_:attributes:)`` asks of the decoder: nothing, the position of a new
    /// recording, or the text of the element for one field.
    enum Slot: UInt8 {
        case none, recording
        case isrc, proprietaryID, resourceReference, containsAI, ownLabel
        // Title candidates, best first.
        case titleTextDefault, titleText, displayTitleDefault, displayTitle, detailsDisplayTitle, referenceTitle
        // Artist candidates, best first.
        case artistNameDefault, artistName, detailsArtistName, artistPartyReference, detailsArtistFullName
        case partyReference, partyFullName, partyID
        case releaseResource, releaseLabelDefault, releaseLabel, releaseLabelName
    }

    private static let titleSlots: [Slot] = [.titleTextDefault, .titleText, .displayTitleDefault, .displayTitle,
                                             .detailsDisplayTitle, .referenceTitle]
    private static let artistSlots: [Slot] = [.artistNameDefault, .artistName, .detailsArtistName,
                                              .artistPartyReference, .detailsArtistFullName]

    private struct Recording {
        var line = 0
        var offset = 0
        var excerpt = ""
        var reference: String?
        var isrc: String?
        var proprietaryID: String?
        var containsAI: String?
        var ownLabel: String?
        var titles = [String?](repeating: nil, count: ERNMessageCollector.titleSlots.count)
        var artists = [String?](repeating: nil, count: ERNMessageCollector.artistSlots.count)
    }

    private struct Party {
        var reference: String?
        var fullName: String?
        var partyID: String?
    }

    private struct Release {
        var resources: [String] = []
        var defaultLabelReferences: [String] = []
        var labelReferences: [String] = []
        var labelName: String?
    }

    private enum Context { case none, recording, party, release }

    /// Local names from the root down to the current element (`path[0]` is the root).
    private var path: [Name] = []
    private var attributesPath: [Attributes] = []
    private var context = Context.none
    private var recordings: [Recording] = []
    private var party = Party()
    private var parties: [String: String] = [:]
    private var release = Release()
    private var releases: [Release] = []

    init() {
        path.reserveCapacity(32)
        attributesPath.reserveCapacity(32)
    }

    /// Index of the recording most recently started.
    var currentRecording: Int { recordings.count - 1 }

    // MARK: - Events

    /// An element starts; returns what the decoder must report about it.
    func start(_ name: Name, attributes: Attributes) -> Slot {
        path.append(name)
        attributesPath.append(attributes)
        let depth = path.count
        if depth <= 2 { return .none }
        if depth == 3 {
            switch (path[1], name) {
            case (.resourceList, .soundRecording):
                context = .recording
                recordings.append(Recording())
                return .recording
            case (.partyList, .party):
                context = .party
                party = Party()
            case (.releaseList, _):
                context = .release
                release = Release()
            default:
                context = .none
            }
            return .none
        }
        switch context {
        case .none: return .none
        case .recording: return recordingSlot(name, attributes, depth)
        case .party: return partySlot(name, depth)
        case .release: return releaseSlot(name, attributes, depth)
        }
    }

    /// An element ends.
    func end() {
        if path.count == 3 {
            switch context {
            case .party:
                if let reference = party.reference, parties[reference] == nil,
                   let shown = party.fullName ?? party.partyID {
                    parties[reference] = shown
                }
            case .release:
                releases.append(release)
            case .recording, .none:
                break
            }
            context = .none
        }
        path.removeLast()
        attributesPath.removeLast()
    }

    /// The text (trimmed) of an element ``start(_:attributes:)`` asked for. An empty text
    /// counts as absent, except `ContainsAI`'s: the first one decides.
    func text(_ slot: Slot, _ value: String) {
        if value.isEmpty && slot != .containsAI { return }
        switch context {
        case .recording:
            let r = recordings.count - 1
            switch slot {
            case .isrc: if recordings[r].isrc == nil { recordings[r].isrc = value }
            case .proprietaryID: if recordings[r].proprietaryID == nil { recordings[r].proprietaryID = value }
            case .resourceReference: if recordings[r].reference == nil { recordings[r].reference = value }
            case .ownLabel: if recordings[r].ownLabel == nil { recordings[r].ownLabel = value }
            case .containsAI: if recordings[r].containsAI == nil { recordings[r].containsAI = value }
            default:
                if let i = ERNMessageCollector.titleSlots.firstIndex(of: slot) {
                    if recordings[r].titles[i] == nil { recordings[r].titles[i] = value }
                } else if let i = ERNMessageCollector.artistSlots.firstIndex(of: slot) {
                    if recordings[r].artists[i] == nil { recordings[r].artists[i] = value }
                }
            }
        case .party:
            switch slot {
            case .partyReference: if party.reference == nil { party.reference = value }
            case .partyFullName: if party.fullName == nil { party.fullName = value }
            case .partyID: if party.partyID == nil { party.partyID = value }
            default: break
            }
        case .release:
            switch slot {
            case .releaseResource: release.resources.append(value)
            case .releaseLabelDefault: release.defaultLabelReferences.append(value)
            case .releaseLabel: release.labelReferences.append(value)
            case .releaseLabelName: if release.labelName == nil { release.labelName = value }
            default: break
            }
        case .none:
            break
        }
    }

    func setPosition(line: Int, offset: Int) {
        recordings[recordings.count - 1].line = line
        recordings[recordings.count - 1].offset = offset
    }

    func setExcerpt(_ excerpt: String, recording index: Int) {
        recordings[index].excerpt = excerpt
    }

    // MARK: - Paths

    private func recordingSlot(_ name: Name, _ attributes: Attributes, _ depth: Int) -> Slot {
        // path[2] is the SoundRecording; rel(k) is the k-th element below it.
        func rel(_ k: Int) -> Name { path[2 + k] }
        switch depth - 3 {
        case 1:
            switch name {
            case .resourceReference: return .resourceReference
            case .displayTitleText: return attributes.contains(.isDefault) ? .titleTextDefault : .titleText
            case .displayArtistName: return attributes.contains(.isDefault) ? .artistNameDefault : .artistName
            case .containsAI: return .containsAI
            default: return .none
            }
        case 2:
            switch (rel(1), name) {
            case (.resourceId, .isrc), (.soundRecordingId, .isrc): return .isrc
            case (.resourceId, .proprietaryId), (.soundRecordingId, .proprietaryId): return .proprietaryID
            case (.displayTitle, .titleText):
                return attributesPath[3].contains(.isDefault) ? .displayTitleDefault : .displayTitle
            case (.referenceTitle, .titleText): return .referenceTitle
            case (.soundRecordingDetailsByTerritory, .displayArtistName): return .detailsArtistName
            case (.soundRecordingDetailsByTerritory, .labelName): return .ownLabel
            case (.displayArtist, .artistPartyReference): return .artistPartyReference
            default: return .none
            }
        case 3:
            switch (rel(1), rel(2), name) {
            case (.soundRecordingEdition, .resourceId, .isrc): return .isrc
            case (.soundRecordingEdition, .resourceId, .proprietaryId): return .proprietaryID
            case (.soundRecordingDetailsByTerritory, .title, .titleText):
                return attributesPath[4].contains(.displayTitleType) ? .detailsDisplayTitle : .none
            default: return .none
            }
        case 4:
            if rel(1) == .soundRecordingDetailsByTerritory && rel(2) == .displayArtist
                && rel(3) == .partyName && name == .fullName {
                return .detailsArtistFullName
            }
            return .none
        default:
            return .none
        }
    }

    private func partySlot(_ name: Name, _ depth: Int) -> Slot {
        switch depth - 3 {
        case 1:
            switch name {
            case .partyReference: return .partyReference
            // ERN 4.1 puts a DPID as the text of PartyId; later versions nest typed ids in it.
            case .partyId: return .partyID
            default: return .none
            }
        case 2:
            if path[3] == .partyName && name == .fullName { return .partyFullName }
            if path[3] == .partyId { return .partyID }
            return .none
        default:
            return .none
        }
    }

    private func releaseSlot(_ name: Name, _ attributes: Attributes, _ depth: Int) -> Slot {
        // Releases list their resources at several depths (directly in a TrackRelease, in
        // nested ResourceGroups, in ERN 3's ReleaseResourceReferenceList).
        if name == .releaseResourceReference { return .releaseResource }
        if depth == 4 && name == .releaseLabelReference {
            return attributes.contains(.isDefault) ? .releaseLabelDefault : .releaseLabel
        }
        if depth == 5 && path[3] == .releaseDetailsByTerritory && name == .labelName { return .releaseLabelName }
        return .none
    }

    // MARK: - Result

    /// The message's tracks in document order, once the whole message has been read.
    func tracks() -> [ERNTrack] {
        var labelOf: [String: String] = [:]
        for release in releases {
            let named = (release.defaultLabelReferences + release.labelReferences).lazy.compactMap { self.parties[$0] }.first
            guard let label = named ?? release.labelName else { continue }
            for resource in release.resources where labelOf[resource] == nil {
                labelOf[resource] = label
            }
        }
        return recordings.map { r in
            var artist: String? = nil
            for (i, slot) in ERNMessageCollector.artistSlots.enumerated() {
                guard let value = r.artists[i] else { continue }
                if slot == .artistPartyReference {
                    if let name = parties[value] { artist = name; break }
                } else {
                    artist = value
                    break
                }
            }
            let containsAI = r.containsAI.flatMap { ERNTrack.ContainsAI(text: $0) }
            return ERNTrack(
                trackID: r.isrc ?? r.proprietaryID,
                title: r.titles.lazy.compactMap { $0 }.first,
                artistID: artist,
                label: r.reference.flatMap { labelOf[$0] } ?? r.ownLabel,
                containsAI: containsAI,
                line: r.line, offset: r.offset, excerpt: r.excerpt)
        }
    }
}
