import Foundation
import Testing
import ConsentryModel
@testable import ConsentryEngine
import PipelineTestSupport
import TestSupport

/// The project's DDEX fixtures (this file is Tests/ConsentryEngineTests/Pipeline/…).
private let ddexFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures").appendingPathComponent("ddex").path

@Suite("ScanPipeline: labels, artists, label maps and DDEX deliveries")
struct ScanPipelineLabelsTests {
    /// Runs `paths` at several jobs × chunk sizes with `options` and checks every outcome is
    /// the same; returns it.
    func matrix(_ paths: [String], options: InputOptions, policies: [Policy]) throws -> ScanTestOutcome {
        var first: ScanTestOutcome?
        for jobs in [1, 2, 3] {
            for chunk in [16, 17, 100, 4096, 1 << 20] {
                var o = options
                o.chunkBytes = chunk
                let outcome = try scanTestRunPipeline(paths, policies: policies, jobs: jobs, options: o)
                if let first {
                    #expect(outcome == first, "jobs \(jobs) chunk \(chunk): \(outcome.firstDifference(from: first))")
                } else {
                    first = outcome
                }
            }
        }
        return first!
    }

    static let map: LabelMap = {
        var map = LabelMap(source: "map.csv", sha256: "")
        map.set(" SONY MUSIC ", .major)
        map.set("Tiny Label", .independent)
        map.set("Bureau Ω", .licensed)
        return map
    }()

    @Test("a label map gives the status of tracks that name only a label; an explicit status wins; labels fold case")
    func labelMap() throws {
        let dir = try TempDir()
        let csv = try dir.write("a.csv", """
            track_id,label,label_status,artist_id,ai_opt_out
            a,Sony Music,,x,
            b,  sony music ,licensed,x,
            c,Tiny Label,,"y, the artist",
            d,Nobody,,y,
            e,,,,
            f,BUREAU ω,,z,true

            """)
        // Without a label_status column at all.
        let bare = try dir.write("b.csv", "track_id,label\ng,tiny label\nh,\n")
        let jsonl = try dir.write("c.jsonl", """
            {"track_id":"i","label":"Sony Music","label_status":null,"artist_id":"x"}
            {"track_id":"j","label":"Tiny Label","label_status":"major"}
            {"track_id":"k","label":123,"artist_id":"\\u0078"}

            """)
        var options = InputOptions()
        options.labelMap = Self.map
        let policy = try BuiltInPolicies.policy("soundcloud-2025-05")
        let outcome = try matrix([csv, bare, jsonl], options: options, policies: [policy])
        let labels = Dictionary(uniqueKeysWithValues: outcome.tracks.map { ($0.id, $0.label) })
        #expect(labels == ["a": .major, "b": .licensed, "c": .independent, "d": .unknown, "e": .unknown,
                           "f": .licensed, "g": .independent, "h": .unknown, "i": .major, "j": .major, "k": .unknown])
        let artists = Dictionary(uniqueKeysWithValues: outcome.tracks.map { ($0.id, $0.artist) })
        #expect(artists["c"] == "y, the artist" && artists["k"] == "x" && artists["e"] == "")
        // Spellings of one label are one group, named by its most common spelling.
        let rows = Dictionary(uniqueKeysWithValues: outcome.labels.rows(policy: 0).map { ($0.key, $0.tracks) })
        #expect(rows == ["Sony Music": 3, "Tiny Label": 3, "Nobody": 1, "BUREAU ω": 1, "123": 1, "": 2])
        #expect(outcome.statistics.group(policy: 0, label: .major).tracks == 3)
        #expect(!outcome.containsAI.anyDeclared, "CSV and JSONL declare no ContainsAI")
    }

    @Test("a scan that keeps no artists does not decode artist_id, but a header naming it twice is still an error")
    func artistsNotKept() throws {
        let dir = try TempDir()
        let csv = try dir.write("a.csv", "track_id,label_status,artist_id,label\na,major,\"x, y\",L\n")
        let jsonl = try dir.write("b.jsonl", "{\"track_id\":\"b\",\"label_status\":\"major\",\"artist_id\":\"z\",\"label\":\"L\"}\n")
        for keeps in [false, true] {
            var options = InputOptions()
            options.keepsArtists = keeps
            for path in [csv, jsonl] {
                let reader = InputReader(index: 0, path: path, options: options)
                let chunk = try reader.nextChunk(into: ByteBuffer(capacity: 1 << 16))
                let decoder = reader.makeDecoder(offset: chunk.offset)
                var artist: FieldValue? = nil
                var label: FieldValue? = nil
                let emit: (inout RawRecord) -> Bool = { record in
                    artist = record.fields[RecordField.artistID.rawValue]
                    label = record.fields[RecordField.label.rawValue]
                    return true
                }
                decoder.decode(UnsafeBufferPointer(start: chunk.buffer.base, count: chunk.buffer.count), emit: emit)
                decoder.finish(emit: emit)
                if case .absent = try #require(label) { Issue.record("\(path): the label was not decoded") }
                let read: Bool
                if case .absent = try #require(artist) { read = false } else { read = true }
                #expect(read == keeps, "\(path) keepsArtists \(keeps)")
            }
        }
        let twice = try dir.write("c.csv", "track_id,label_status,artist_id,Artist_ID\nc,major,x,y\n")
        var options = InputOptions()
        options.keepsArtists = false
        let error = try #require(throws: InputError.self) {
            try scanTestRunPipeline([twice], policies: [try BuiltInPolicies.policy("soundcloud-2025-05")], jobs: 1, options: options)
        }
        #expect(error.kind == .badHeader)
    }

    @Test("a quoted label is the same label as unquoted; doubled quotes and spaces inside the quotes are read as CSV says")
    func quotedLabels() throws {
        let dir = try TempDir()
        let csv = try dir.write("q.csv", """
            track_id,label,label_status
            a,"Big, Inc.",independent
            b,Big Inc,independent
            c,"Tiny Label",independent
            d,Tiny Label,major
            e,"Say ""Hi""\",independent
            f," Tiny Label ",independent
            g,"",independent

            """)
        let outcome = try matrix([csv], options: InputOptions(), policies: [try BuiltInPolicies.policy("soundcloud-2025-05")])
        let rows = Dictionary(uniqueKeysWithValues: outcome.labels.rows(policy: 0).map { ($0.key, $0.tracks) })
        #expect(rows == ["Big, Inc.": 1, "Big Inc": 1, "Tiny Label": 3, "Say \"Hi\"": 1, "": 1])
    }

    @Test("without a label map, a CSV header must name label_status")
    func labelStatusRequiredWithoutMap() throws {
        let dir = try TempDir()
        let bare = try dir.write("b.csv", "track_id,label\ng,tiny label\n")
        let error = try #require(throws: InputError.self) {
            try scanTestRunPipeline([bare], policies: [try BuiltInPolicies.policy("soundcloud-2025-05")], jobs: 1,
                                    options: InputOptions())
        }
        #expect(error.kind == .missingColumn)
    }

    @Test("a required field whose column a mapping gave to another field is named, not a placeholder")
    func displacedRequiredField() throws {
        // The CLI refuses this mapping; a caller of the library gets a header error that says why.
        let dir = try TempDir()
        let input = try dir.write("d.csv", "track_id,label_status\ng,major\n")
        var options = InputOptions()
        options.columns = [.trackID: "label_status"]
        let error = try #require(throws: InputError.self) {
            try scanTestRunPipeline([input], policies: [try BuiltInPolicies.policy("soundcloud-2025-05")], jobs: 1, options: options)
        }
        #expect(error.kind == .missingColumn)
        #expect(error.message.contains("no column for label_status (--column gave 'label_status' to another field)"), "\(error.message)")
        #expect(!error.message.contains("\u{FFFF}"), "\(error.message)")
    }

    @Test("long labels and artists keep 1024 bytes, cut at a character boundary")
    func longTexts() throws {
        let dir = try TempDir()
        let label = String(repeating: "a", count: 1023) + "é" + "tail"
        let csv = try dir.write("a.csv", "track_id,label_status,label,artist_id\nt,major,\(label),\(String(repeating: "z", count: 5000))\n")
        let outcome = try scanTestRunPipeline([csv], policies: [try BuiltInPolicies.policy("soundcloud-2025-05")], jobs: 1,
                                              options: InputOptions())
        #expect(outcome.labels.rows(policy: 0).map(\.key) == [String(repeating: "a", count: 1023)])
        #expect(outcome.tracks.first?.artist == String(repeating: "z", count: 1024))
    }

    @Test("DDEX deliveries: a track per recording with its id, label and artist, ContainsAI counted, broken messages rejected; the same at every chunk size")
    func ddexDeliveries() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: ddexFixtures).filter { $0.hasSuffix(".xml") }.sorted()
        let paths = names.map { ddexFixtures + "/" + $0 }
        var options = InputOptions()
        options.labelMap = {
            var map = LabelMap(source: "map.yaml", sha256: "")
            map.set("Lowlight Records", .independent)
            map.set("Aurora Sound", .major)
            return map
        }()
        let policy = try BuiltInPolicies.policy("soundcloud-2025-05")
        let outcome = try matrix(paths, options: options, policies: [policy])
        // What the decoder finds in each file, read on its own.
        var expected: [String: (label: String?, artist: String?)] = [:]
        var invalid: [String] = []
        var missingID = 0
        for path in paths {
            let decoder = ERNDecoder()
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            bytes.withUnsafeBufferPointer { decoder.feed($0) }
            decoder.finish { event in
                switch event {
                case .track(let t):
                    if let id = t.trackID { expected[id] = (t.label, t.artistID) } else { missingID += 1 }
                case .invalidMessage(let m):
                    invalid.append("\((path as NSString).lastPathComponent):\(m.line)")
                }
            }
        }
        #expect(Set(outcome.tracks.map(\.id)) == Set(expected.keys))
        for track in outcome.tracks {
            #expect(track.artist == expected[track.id]?.artist ?? "", "\(track.id)")
        }
        #expect(outcome.inputs.allSatisfy { $0.format == .ddex })
        let rejects = outcome.rejects.filter { $0.code == .invalidXML }.map { "\(($0.input as NSString).lastPathComponent):\($0.line)" }
        #expect(rejects == invalid && invalid.count == 2, "one invalid_xml reject per broken message, at its line")
        #expect(outcome.rejectsByCode[.missingTrackID] == missingID && missingID > 0)
        // Label statuses come from the map; the breakdown holds the labels as the messages say.
        let byID = Dictionary(uniqueKeysWithValues: outcome.tracks.map { ($0.id, $0) })
        #expect(byID["QZAAA2500001"]?.label == .independent && byID["QZBBB2400001"]?.label == .major)
        #expect(byID["QZBBB2400002"]?.label == .unknown)
        let labelCounts = Dictionary(uniqueKeysWithValues: outcome.labels.rows(policy: 0).map { ($0.key, $0.tracks) })
        var expectedLabels: [String: Int] = [:]
        for (_, value) in expected { expectedLabels[value.label ?? "", default: 0] += 1 }
        #expect(labelCounts == expectedLabels)
        // ERN 4.3.2 declarations: All, Partly, None, and the rest undeclared.
        #expect(outcome.containsAI.count(label: nil, declared: .all) == 1)
        #expect(outcome.containsAI.count(label: nil, declared: .partly) == 1)
        #expect(outcome.containsAI.count(label: nil, declared: .noAI) == 1)
        #expect(outcome.containsAI.count(label: nil, declared: nil) == expected.count - 3)
    }
}
