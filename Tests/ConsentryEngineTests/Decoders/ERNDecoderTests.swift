import Foundation
import Testing
@testable import ConsentryEngine

// Helpers for the DDEX ERN decoder tests. Every name here starts with `ern` / `ERNTest` so that
// it cannot collide with helpers other test folders define in the same test module.

/// Tests/Fixtures/ddex (this file is Tests/ConsentryEngineTests/Decoders/ERNDecoderTests.swift).
private let ernTestFixtures: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures").appendingPathComponent("ddex")

private func ernFixture(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: ernTestFixtures.appendingPathComponent(name)))
}

private func ernBytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Decodes `bytes` fed in pieces ending at `cuts` (increasing offsets inside the input);
/// libxml2 gets blocks of `block` bytes.
private func ernDecode(_ bytes: [UInt8], cuts: [Int], block: Int = 64 << 10) -> [ERNDecoder.Event] {
    let decoder = ERNDecoder(blockBytes: block)
    bytes.withUnsafeBufferPointer { buffer in
        var start = 0
        for end in cuts + [buffer.count] where end > start {
            decoder.feed(UnsafeBufferPointer(rebasing: buffer[start..<end]))
            start = end
        }
    }
    var events: [ERNDecoder.Event] = []
    decoder.finish { events.append($0) }
    return events
}

private func ernDecode(_ bytes: [UInt8], chunk: Int, block: Int = 64 << 10) -> [ERNDecoder.Event] {
    ernDecode(bytes, cuts: Array(stride(from: chunk, to: bytes.count, by: chunk)), block: block)
}

private func ernDecode(_ bytes: [UInt8]) -> [ERNDecoder.Event] { ernDecode(bytes, cuts: []) }

private func ernTracks(_ events: [ERNDecoder.Event]) -> [ERNTrack] {
    events.compactMap { if case .track(let t) = $0 { return t } else { return nil } }
}

private func ernInvalid(_ events: [ERNDecoder.Event]) -> ERNDecoder.InvalidMessage? {
    guard events.count == 1, case .invalidMessage(let m) = events[0] else { return nil }
    return m
}

/// The facts a test states about a track (positions are checked against the raw bytes).
private struct ERNTestTrack: Equatable, CustomStringConvertible {
    var id: String?
    var title: String?
    var artist: String?
    var label: String?
    var ai: ERNTrack.ContainsAI?
    var line: Int

    init(_ id: String?, _ title: String?, _ artist: String?, _ label: String?, _ ai: ERNTrack.ContainsAI? = nil, line: Int) {
        self.id = id
        self.title = title
        self.artist = artist
        self.label = label
        self.ai = ai
        self.line = line
    }

    init(_ t: ERNTrack) {
        self.init(t.trackID, t.title, t.artistID, t.label, t.containsAI, line: t.line)
    }

    var description: String {
        "(\(id ?? "nil"), \(title ?? "nil"), \(artist ?? "nil"), \(label ?? "nil"), \(ai?.name ?? "nil"), line \(line))"
    }
}

/// 1-based line of `offset`: one more than the line feeds before it.
private func ernLine(_ bytes: [UInt8], _ offset: Int) -> Int {
    bytes[..<offset].reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
}

/// Checks each track's position and excerpt against the raw bytes: the offset is the `<` of a
/// `SoundRecording` start tag (any prefix), the line is its line, and the excerpt is a prefix
/// of the element's raw text, at most 200 bytes, cut at a character boundary.
private func ernCheckPositions(_ bytes: [UInt8], _ tracks: [ERNTrack], sourceLocation: SourceLocation = #_sourceLocation) {
    for t in tracks {
        #expect(t.offset >= 0 && t.offset < bytes.count, sourceLocation: sourceLocation)
        guard t.offset >= 0 && t.offset < bytes.count else { continue }
        #expect(bytes[t.offset] == UInt8(ascii: "<"), "offset \(t.offset) is not a tag start", sourceLocation: sourceLocation)
        var nameEnd = t.offset + 1
        while nameEnd < bytes.count, ![0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ">"), UInt8(ascii: "/")].contains(bytes[nameEnd]) { nameEnd += 1 }
        let qname = String(decoding: bytes[(t.offset + 1)..<nameEnd], as: UTF8.self)
        #expect(qname == "SoundRecording" || qname.hasSuffix(":SoundRecording"), "tag at \(t.offset) is <\(qname)", sourceLocation: sourceLocation)
        #expect(t.line == ernLine(bytes, t.offset), sourceLocation: sourceLocation)
        let excerpt = Array(t.excerpt.utf8)
        #expect(excerpt.count <= 200, sourceLocation: sourceLocation)
        #expect(Array(bytes[t.offset..<min(bytes.count, t.offset + excerpt.count)]) == excerpt, sourceLocation: sourceLocation)
        // Only a character that did not fit may be missing from a full excerpt.
        #expect(excerpt.count >= 197 || bytes[t.offset..<(t.offset + excerpt.count)].last == UInt8(ascii: ">"),
                "excerpt stops early: \(t.excerpt)", sourceLocation: sourceLocation)
    }
}

/// A minimal ERN 4.3 message around `resources` (and `releases`), for the inline cases.
private func ernMessage(_ namespace: String = "http://ddex.net/xml/ern/43", root: String = "ern:NewReleaseMessage",
                        resources: String = "", releases: String = "") -> String {
    let prefix = root.contains(":") ? ":" + root.split(separator: ":")[0] : ""
    return """
    <?xml version="1.0" encoding="UTF-8"?>
    <\(root) xmlns\(prefix)="\(namespace)" ReleaseProfileVersionId="Audio">
      <MessageHeader><MessageId>M1</MessageId></MessageHeader>
      <ResourceList>\(resources)</ResourceList>
      <ReleaseList>\(releases)</ReleaseList>
    </\(root)>

    """
}

private let ernOneRecording = """
<SoundRecording><ResourceReference>A1</ResourceReference><SoundRecordingEdition><ResourceId><ISRC>QZFFF2400001</ISRC></ResourceId></SoundRecordingEdition><DisplayTitleText>One</DisplayTitleText><DisplayArtistName>Someone</DisplayArtistName></SoundRecording>
"""

@Suite("ERNDecoder") struct ERNDecoderTests {
    static let fixtures = ["ern432-contains-ai.xml", "ern43-two-releases.xml", "ern38-label-name.xml",
                           "broken-tag-mismatch.xml", "not-ern.xml"]

    // MARK: - Chunking

    @Test("every chunk size gives the same events as the whole message", arguments: fixtures)
    func everyChunkSize(_ name: String) throws {
        let bytes = try ernFixture(name)
        let whole = ernDecode(bytes)
        #expect(!whole.isEmpty)
        var differing: [Int] = []
        for chunk in 1...bytes.count where ernDecode(bytes, chunk: chunk) != whole {
            differing.append(chunk)
        }
        #expect(differing.isEmpty, "chunk sizes giving other events: \(differing.prefix(20))")
    }

    @Test("random cut points give the same events", arguments: fixtures)
    func randomCuts(_ name: String) throws {
        let bytes = try ernFixture(name)
        let whole = ernDecode(bytes)
        var generator = ERNTestGenerator(seed: UInt64(bytes.count))
        for _ in 0..<200 {
            let cuts = (0..<Int(generator.next() % 40)).map { _ in Int(generator.next() % UInt64(bytes.count)) }.sorted()
            #expect(ernDecode(bytes, cuts: cuts) == whole, "cuts \(cuts)")
        }
    }

    // libxml2 gets the input in 64 KiB blocks; small blocks make it parse the fixtures in many
    // pieces, so that positions, excerpts and the bytes kept for them cross its calls.
    @Test("libxml2 fed in small blocks gives the same events", arguments: fixtures)
    func smallBlocks(_ name: String) throws {
        let bytes = try ernFixture(name)
        let whole = ernDecode(bytes)
        for block in [1, 2, 3, 7, 64, 333, 1000, 4096] {
            for chunk in [1, 5, 64, 1500, bytes.count] {
                #expect(ernDecode(bytes, chunk: chunk, block: block) == whole, "block \(block), chunk \(chunk)")
            }
        }
        var generator = ERNTestGenerator(seed: UInt64(bytes.count) &* 31)
        for _ in 0..<100 {
            let block = 1 + Int(generator.next() % 512)
            let cuts = (0..<Int(generator.next() % 40)).map { _ in Int(generator.next() % UInt64(bytes.count)) }.sorted()
            #expect(ernDecode(bytes, cuts: cuts, block: block) == whole, "block \(block), cuts \(cuts)")
        }
    }

    // MARK: - Fixtures

    @Test("ERN 4.3.2: ContainsAI All, Partly, None, absent; UTF-8, entities and CDATA in titles")
    func ern432ContainsAI() throws {
        let bytes = try ernFixture("ern432-contains-ai.xml")
        let tracks = ernTracks(ernDecode(bytes))
        #expect(tracks.map(ERNTestTrack.init) == [
            ERNTestTrack("QZAAA2500001", "Generated Dawn", "The Synthetic Choir", "Lowlight Records", .all, line: 46),
            // IsDefault="true" picks the second DisplayTitleText and DisplayArtistName; the
            // contributor's AiContribution is not the recording's ContainsAI (" Partly " is).
            ERNTestTrack("QZAAA2500002", "Café Ω (After the Dream) — 夢のあと", "Nora Vale feat. The Synthetic Choir",
                         "Lowlight Records", .partly, line: 71),
            ERNTestTrack("QZAAA2500003", "Rock & Roll <Live> — <Take 2> & \"more\"", "Nora Vale", "Lowlight Records", .noAI, line: 101),
            // Only ProprietaryIds: the first one.
            ERNTestTrack("LOWLIGHT-TRK-0004", "Handmade", "Nora Vale", "Lowlight Records", nil, line: 115),
            // A blank ISRC is no id; "Mostly" is not a ContainsAI value.
            ERNTestTrack(nil, "Untracked Interlude", "Nora Vale", "Lowlight Records", nil, line: 129),
        ])
        ernCheckPositions(bytes, tracks)
        // The start tag of the second recording spans two lines: its line is that of its `<`.
        #expect(tracks[1].excerpt.hasPrefix("<SoundRecording LanguageAndScriptCode=\"en\"\n"))
    }

    @Test("ERN 3.8: LabelName of the release, else the recording's own; display title, else ReferenceTitle")
    func ern38LabelName() throws {
        let bytes = try ernFixture("ern38-label-name.xml")
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF], "the fixture starts with a byte order mark")
        let tracks = ernTracks(ernDecode(bytes))
        #expect(tracks.map(ERNTestTrack.init) == [
            // The release's label wins over the recording's own LabelName; the DisplayTitle
            // over the ReferenceTitle; DisplayArtistName over DisplayArtist's FullName.
            ERNTestTrack("QZCCC1900001", "Harbour Song (Original Mix)", "Mara Quinn & The Tides", "Harbour Lights Music", line: 21),
            // In no release: its own LabelName; no DisplayTitle: the ReferenceTitle; the
            // artist from DisplayArtist/PartyName/FullName.
            ERNTestTrack("HLM-0002", "Bonus: Fog Signals", "Mara Quinn", "Fog Bonus Recordings", line: 54),
            // Two details by territory: the first in document order; the LabelName of a
            // RelatedRelease is not the release's.
            ERNTestTrack("QZCCC1900003", "Gezeitenwasser", "Mara Quinn (DE)", "Harbour Lights Music", line: 78),
        ])
        // Offsets count the byte order mark.
        ernCheckPositions(bytes, tracks)
    }

    @Test("ERN 4.3: labels through ReleaseLabelReference; a recording in two releases is one track")
    func ern43ReleaseLabels() throws {
        let bytes = try ernFixture("ern43-two-releases.xml")
        let tracks = ernTracks(ernDecode(bytes))
        #expect(tracks.map(ERNTestTrack.init) == [
            // In R0 (default label Aurora; the JP label's party does not exist) and R1 (Big
            // Compilations): one track, labelled by R0, the first release listing it.
            ERNTestTrack("QZBBB2400001", "Northern Lights", "Juno Hart", "Aurora Sound", line: 54),
            ERNTestTrack("QZBBB2400002", "Compilation Only", "Juno Hart", "Big Compilations Ltd", line: 74),
            // R2 lists it without a label; R3's label party has only a PartyId.
            ERNTestTrack("QZBBB2400003", "Late Label", "Juno Hart", "LABEL-77", line: 75),
            // No DisplayTitleText: the default DisplayTitle; no DisplayArtistName: the
            // DisplayArtist's party; in no release: no label.
            ERNTestTrack("QZBBB2400004", "Northern Lights (Reprise)", "Juno Hart", nil, line: 87),
            ERNTestTrack(nil, "No Identifier", "Juno Hart", "Aurora Sound", line: 107),
        ])
        #expect(Set(tracks.compactMap(\.trackID)).count == 4)
        ernCheckPositions(bytes, tracks)
        // A `>` inside an attribute value, and a comment naming <SoundRecording>, do not move
        // the first recording's position.
        #expect(tracks[0].excerpt.hasPrefix("<SoundRecording\n            LanguageAndScriptCode=\"en\" Comment=\"a > in"))
        // A recording on one line: its excerpt is 200 bytes of it.
        #expect(tracks[1].excerpt.utf8.count == 200)
    }

    @Test("a recording without any id is a track without a track id")
    func recordingWithoutID() throws {
        let tracks = ernTracks(ernDecode(ernBytes(ernMessage(resources: """
            <SoundRecording/>
            <SoundRecording><ResourceReference>A2</ResourceReference><ResourceId><ISRC></ISRC><ProprietaryId Namespace="X"> </ProprietaryId></ResourceId><DisplayTitleText>Blank Ids</DisplayTitleText></SoundRecording>
            """))))
        #expect(tracks.count == 2)
        #expect(tracks.allSatisfy { $0.trackID == nil })
        #expect(tracks[0].excerpt == "<SoundRecording/>")
        #expect(tracks[1].title == "Blank Ids")
    }

    @Test("a message that is not well-formed is one invalid message at the error's line")
    func brokenXML() throws {
        let bytes = try ernFixture("broken-tag-mismatch.xml")
        let events = ernDecode(bytes)
        let invalid = try #require(ernInvalid(events), "events: \(events)")
        #expect(invalid.line == 25)
        #expect(invalid.line == ernLine(bytes, invalid.offset))
        #expect(invalid.message.contains("not well-formed XML"))
        #expect(invalid.message.contains("DisplayTitleText"))
        #expect(invalid.excerpt.hasPrefix("         <DisplayTitle><TitleText>Broken</TitleText></DisplayTitleText>"))
    }

    @Test("a well-formed message whose root is not an ERN NewReleaseMessage is one invalid message")
    func nonERNRoot() throws {
        let bytes = try ernFixture("not-ern.xml")
        let invalid = try #require(ernInvalid(ernDecode(bytes)))
        #expect(invalid.line == 4)
        #expect(Array(bytes[invalid.offset..<(invalid.offset + 8)]) == ernBytes("<catalog"))
        #expect(invalid.message.contains("<catalog>"))
        #expect(invalid.message.contains("http://example.com/catalog/1"))
        #expect(invalid.excerpt.hasPrefix("<catalog xmlns=\"http://example.com/catalog/1\"\n"))
        #expect(invalid.excerpt.utf8.count <= 200)
    }

    // MARK: - Versions and roots

    @Test("ERN 3.8 to 4.3.2 namespaces are read", arguments: ["38", "381", "382", "383", "41", "411", "42", "43", "431", "432"])
    func supportedVersions(_ digits: String) {
        let events = ernDecode(ernBytes(ernMessage("http://ddex.net/xml/ern/\(digits)", resources: ernOneRecording)))
        #expect(ernTracks(events).map(\.trackID) == ["QZFFF2400001"], "events: \(events)")
    }

    @Test("other roots and versions are refused at the root tag", arguments: [
        ("http://ddex.net/xml/ern/37", "ern:NewReleaseMessage", "ERN 37"),
        ("http://ddex.net/xml/ern/44", "ern:NewReleaseMessage", "ERN 44"),
        ("http://ddex.net/xml/ern/4", "ern:NewReleaseMessage", "ERN 4 "),
        ("http://ddex.net/xml/ern/43x", "ern:NewReleaseMessage", "ERN 43x"),
        ("http://ddex.net/xml/ern/43", "ern:PurgeReleaseMessage", "<PurgeReleaseMessage>"),
        ("http://ddex.net/xml/mead/11", "mead:NewReleaseMessage", "namespace http://ddex.net/xml/mead/11"),
        ("", "NewReleaseMessage", "no namespace"),
    ])
    func refusedRoots(_ namespace: String, _ root: String, _ said: String) throws {
        let text: String
        if namespace.isEmpty {
            text = "<?xml version=\"1.0\"?>\n<NewReleaseMessage>\(ernOneRecording)</NewReleaseMessage>\n"
        } else {
            text = ernMessage(namespace, root: root, resources: ernOneRecording)
        }
        let invalid = try #require(ernInvalid(ernDecode(ernBytes(text))))
        #expect(invalid.line == 2)
        #expect(invalid.offset == ernBytes(text).firstIndex(of: UInt8(ascii: "\n"))! + 1)
        #expect(invalid.message.contains(said), "\(invalid.message)")
    }

    // MARK: - Malformed input

    @Test("malformed inputs are one invalid message at the line of the problem", arguments: [
        // (name, input, line)
        ("empty", "", 1),
        ("blank", "  \n\n ", 3),
        ("no root end", "<?xml version=\"1.0\"?>\n<ern:NewReleaseMessage xmlns:ern=\"http://ddex.net/xml/ern/43\">\n<ResourceList>\n", 4),
        ("trailing content", ernMessage(resources: ernOneRecording) + "<again/>\n", 7),
        ("undeclared entity", ernMessage(resources: "<SoundRecording><DisplayTitleText>&nbsp;</DisplayTitleText></SoundRecording>"), 4),
        ("undeclared prefix", ernMessage(resources: "<x:SoundRecording/>"), 4),
        ("bad character", ernMessage(resources: "<SoundRecording>\u{1}</SoundRecording>"), 4),
    ] as [(String, String, Int)])
    func malformed(_ name: String, _ text: String, _ line: Int) throws {
        let bytes = ernBytes(text)
        let whole = ernDecode(bytes)
        let invalid = try #require(ernInvalid(whole), "\(name): \(whole)")
        #expect(invalid.line == line, "\(name): \(invalid)")
        #expect(invalid.line == ernLine(bytes, min(invalid.offset, bytes.count)))
        #expect(invalid.message.contains(name == "undeclared entity" ? "uses the entity 'nbsp'" : "not well-formed XML"),
                "\(name): \(invalid.message)")
        for chunk in [1, 2, 3, 5, 64] {
            #expect(ernDecode(bytes, chunk: chunk) == whole, "\(name), chunk \(chunk)")
            #expect(ernDecode(bytes, chunk: chunk, block: chunk) == whole, "\(name), chunk and block \(chunk)")
        }
    }

    @Test("an entity a DTD declares is never expanded, internal or external: the message is invalid, saying why", arguments: [
        // (name, the doctype, the entity named, the line)
        ("internal", "<!DOCTYPE x [<!ENTITY e \"INT123\">]>", "e", 5),
        ("external file", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>", "e", 5),
        ("nested", "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY e \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>", "e", 5),
        ("external DTD", "<!DOCTYPE x SYSTEM \"file:///etc/passwd\">", "e", 5),
        ("parameter entity", "<!DOCTYPE x [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>", "p", 2),
    ] as [(String, String, String, Int)])
    func dtdEntities(_ name: String, _ doctype: String, _ entity: String, _ line: Int) throws {
        let message = ernMessage(resources: "<SoundRecording><ResourceReference>A1</ResourceReference><ISRC>&e;X</ISRC></SoundRecording>")
            .replacingOccurrences(of: "?>\n", with: "?>\n\(doctype)\n")
        let bytes = ernBytes(message)
        let whole = ernDecode(bytes)
        let invalid = try #require(ernInvalid(whole), "\(name): \(whole)")
        #expect(invalid.message.contains("uses the entity '\(entity)'"), "\(name): \(invalid.message)")
        #expect(invalid.line == line, "\(name): \(invalid)")
        #expect(!invalid.excerpt.contains("root:"), "\(name): \(invalid.excerpt)")
        for chunk in [1, 7, 64] { #expect(ernDecode(bytes, chunk: chunk) == whole, "\(name), chunk \(chunk)") }
    }

    @Test("bytes that are not UTF-8 in a UTF-8 message make it invalid; the first problem by offset is reported", arguments: [
        // (name, resources with \u{1} standing for a byte 0xE9, line, UTF-8 reported)
        ("in a title", "<SoundRecording><DisplayTitleText>Caf\u{1}</DisplayTitleText></SoundRecording>", 4, true),
        ("after a tag mismatch", "<SoundRecording><Type>X</Typo>\n<DisplayTitleText>Caf\u{1}</DisplayTitleText></SoundRecording>", 4, false),
        ("before a tag mismatch", "<SoundRecording><DisplayTitleText>Caf\u{1}</DisplayTitleText>\n<Type>X</Typo></SoundRecording>", 4, true),
        ("in a tag name", "<SoundRecording><Display\u{1}TitleText>Cafe</Display\u{1}TitleText></SoundRecording>", 4, true),
        ("in a comment", "<!-- caf\u{1} --><SoundRecording/>", 4, true),
    ] as [(String, String, Int, Bool)])
    func invalidUTF8(_ name: String, _ resources: String, _ line: Int, _ utf8: Bool) throws {
        var bytes = ernBytes(ernMessage(resources: resources))
        for i in bytes.indices where bytes[i] == 0x01 { bytes[i] = 0xE9 }
        let whole = ernDecode(bytes)
        let invalid = try #require(ernInvalid(whole), "\(name): \(whole)")
        #expect(invalid.line == line, "\(name): \(invalid)")
        #expect(invalid.message.contains("is not UTF-8") == utf8, "\(name): \(invalid.message)")
        if utf8 { #expect(bytes[invalid.offset] == 0xE9) }
        #expect(invalid.excerpt.utf8.count <= 200)
        for chunk in [1, 2, 3, 64] {
            #expect(ernDecode(bytes, chunk: chunk) == whole, "\(name), chunk \(chunk)")
            #expect(ernDecode(bytes, chunk: chunk, block: chunk) == whole, "\(name), chunk and block \(chunk)")
        }
    }

    @Test("a message ending inside a character is invalid at that character")
    func cutCharacter() throws {
        let bytes = ernBytes(ernMessage(resources: ernOneRecording)) + [0xE2, 0x80]
        let invalid = try #require(ernInvalid(ernDecode(bytes)))
        #expect(invalid.offset == bytes.count - 2)
        #expect(invalid.message.contains("0xE2"))
        #expect(ernDecode(bytes, chunk: 1) == ernDecode(bytes))
    }

    @Test("a comment opened as <!--> is read whatever the chunks (libxml2 alone refuses it byte by byte)")
    func commentStartingWithGreaterThan() throws {
        let bytes = ernBytes(ernMessage(resources: "<!-->a comment that starts with a greater-than sign-->" + ernOneRecording))
        let whole = ernDecode(bytes)
        #expect(ernTracks(whole).map(\.trackID) == ["QZFFF2400001"], "\(whole)")
        for chunk in 1...12 { #expect(ernDecode(bytes, chunk: chunk) == whole, "chunk \(chunk)") }
    }

    @Test("UTF-16 and UTF-32 messages are refused with a message saying so")
    func utf16() throws {
        let text = ernMessage(resources: ernOneRecording)
        var le: [UInt8] = [0xFF, 0xFE]
        for unit in text.utf16 { le += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        let invalid = try #require(ernInvalid(ernDecode(le)))
        #expect(invalid.line == 1 && invalid.offset == 0)
        #expect(invalid.message.contains("UTF-8"))
        #expect(ernDecode(le, chunk: 1) == ernDecode(le))
    }

    @Test("an ASCII-compatible encoding declared in the XML declaration is converted; positions stay raw")
    func latin1() throws {
        var bytes = ernBytes(ernMessage(resources: ernOneRecording).replacingOccurrences(of: "encoding=\"UTF-8\"", with: "encoding=\"ISO-8859-1\"")
            .replacingOccurrences(of: "<DisplayTitleText>One", with: "<DisplayTitleText>Caf\u{1}"))
        bytes[bytes.firstIndex(of: 0x01)!] = 0xE9
        let tracks = ernTracks(ernDecode(bytes))
        #expect(tracks.map(\.title) == ["Café"])
        #expect(tracks.first.map { bytes[$0.offset] } == UInt8(ascii: "<"))
        #expect(tracks.first?.line == 4)
    }

    // MARK: - Positions and excerpts

    @Test("CRLF line endings: lines count line feeds, offsets count every byte")
    func crlf() throws {
        let text = try String(decoding: ernFixture("ern432-contains-ai.xml"), as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n")
        let bytes = ernBytes(text)
        let tracks = ernTracks(ernDecode(bytes))
        #expect(tracks.map(\.line) == [46, 71, 101, 115, 129])
        ernCheckPositions(bytes, tracks)
        #expect(ernDecode(bytes, chunk: 7) == ernDecode(bytes))
    }

    @Test("an excerpt cut inside a character ends before it, as valid UTF-8")
    func excerptCharacterBoundary() throws {
        for pad in 0..<3 {
            let title = String(repeating: "x", count: pad) + String(repeating: "夢", count: 80)
            let bytes = ernBytes(ernMessage(resources: "<SoundRecording><DisplayTitleText>\(title)</DisplayTitleText></SoundRecording>"))
            let track = try #require(ernTracks(ernDecode(bytes)).first)
            #expect(track.title == title)
            #expect((198...200).contains(track.excerpt.utf8.count))
            ernCheckPositions(bytes, [track])
        }
    }

    @Test("a recording far into a message with long lines keeps exact positions")
    func longMessage() throws {
        let recordings = (1...300).map { i in
            "<SoundRecording><ResourceReference>A\(i)</ResourceReference><SoundRecordingEdition><ResourceId><ISRC>QZGGG24\(String(format: "%05d", i))</ISRC></ResourceId></SoundRecordingEdition><DisplayTitleText>Track \(i) — ü</DisplayTitleText><DisplayArtistName>Artist \(i % 7)</DisplayArtistName></SoundRecording>" + (i % 10 == 0 ? "\n" : "")
        }.joined()
        let releases = "<Release><ReleaseReference>R0</ReleaseReference><ReleaseLabelReference>PL</ReleaseLabelReference><ResourceGroup>"
            + (1...300).map { "<ResourceGroupContentItem><ReleaseResourceReference>A\($0)</ReleaseResourceReference></ResourceGroupContentItem>" }.joined()
            + "</ResourceGroup></Release>"
        let text = ernMessage(resources: recordings, releases: releases)
            .replacingOccurrences(of: "<ResourceList>", with: "<PartyList><Party><PartyReference>PL</PartyReference><PartyName><FullName>Long Label</FullName></PartyName></Party></PartyList><ResourceList>")
        let bytes = ernBytes(text)
        let tracks = ernTracks(ernDecode(bytes, chunk: 4096))
        #expect(tracks.count == 300)
        #expect(tracks.allSatisfy { $0.label == "Long Label" })
        #expect(tracks.last?.trackID == "QZGGG2400300")
        ernCheckPositions(bytes, tracks)
        #expect(ernDecode(bytes, chunk: 997) == ernDecode(bytes))
        #expect(ernDecode(bytes, chunk: 997, block: 512) == ernDecode(bytes))
        #expect(ernDecode(bytes, chunk: 100_000, block: 1) == ernDecode(bytes))
    }
}

/// A small deterministic generator (SplitMix64) for the random cut points.
private struct ERNTestGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
