import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
@testable import ConsentryReports
import ScanTestSupport
import TestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("HTMLReport: the most exposed labels and artists")
struct MostExposedSectionTests {
    static let policies = ["soundcloud-2025-05", "soundcloud-opt-out"]

    /// A catalogue where the largest labels are not the most exposed: a major label with the
    /// most tracks (none exposed under either policy), fourteen independent labels of 1–5
    /// tracks, some opted out (exposed under 2025-05, not under opt-out). Returns the CSV and,
    /// per policy, the expected rows as `name exposed/tracks`, most exposed first, ten at most.
    static func catalogue() -> (csv: String, labels: [[String]], artists: [[String]]) {
        var csv = "track_id,label_status,label,artist_id,ai_opt_out\n"
        var tracks: [(label: String, artist: String, exposed: [Bool])] = []
        for i in 0..<12 { tracks.append(("Major & Sons", "star-\(i % 2)", [false, false])) }
        var n = 0
        for k in 1...14 {
            for j in 0..<(k % 5 + 1) {
                let optOut = (k + j) % 3 == 0
                tracks.append(("Indie <\(k)>", "artist \(n % 11)", [true, !optOut]))
                n += 1
            }
        }
        for (i, t) in tracks.enumerated() {
            let status = t.label.hasPrefix("Major") ? "major" : "independent"
            let optOut = t.exposed[0] && !t.exposed[1]
            csv += "t\(i),\(status),\(t.label),\(t.artist),\(optOut ? "yes" : "")\n"
        }
        func expected(_ key: (String, String, [Bool]) -> String, _ p: Int) -> [String] {
            var counts: [String: (tracks: Int, exposed: Int)] = [:]
            for t in tracks {
                let k = key(t.label, t.artist, t.exposed)
                counts[k, default: (0, 0)].tracks += 1
                if t.exposed[p] { counts[k, default: (0, 0)].exposed += 1 }
            }
            return counts.sorted { a, b in
                if a.value.exposed != b.value.exposed { return a.value.exposed > b.value.exposed }
                if a.value.tracks != b.value.tracks { return a.value.tracks > b.value.tracks }
                return Array(a.key.utf8).lexicographicallyPrecedes(Array(b.key.utf8))
            }.prefix(10).map { "\($0.key) \($0.value.exposed)/\($0.value.tracks)" }
        }
        return (csv, (0..<2).map { expected({ l, _, _ in l }, $0) }, (0..<2).map { expected({ _, a, _ in a }, $0) })
    }

    /// A table's rows as `name exposed/tracks`.
    static func rows(_ table: XMLElement) throws -> [String] {
        try table.nodes(forXPath: ".//tbody/tr").compactMap { $0 as? XMLElement }.map { row in
            let name = try row.nodes(forXPath: "th").first?.stringValue ?? "?"
            let cells = try row.nodes(forXPath: "td").compactMap(\.stringValue)
            return "\(name) \(cells.first ?? "?")/\(cells.dropFirst().first ?? "?")"
        }
    }

    @Test("a --store all run: after the groups, per policy the ten labels and artists with the most exposed tracks, most first")
    func storeAll() throws {
        let dir = try TempDir("mostexposed")
        let (csv, labels, artists) = Self.catalogue()
        let input = try dir.write("c.csv", csv)
        let run = try scanTestScan(dir.db, inputs: [input], policies: try Self.policies.map(BuiltInPolicies.policy))
        let document = try ResultsDatabase(path: dir.db, create: false).reportDocument(runID: run.runID, breakdowns: true)
        let html = HTMLReport.render(document)
        let page = try htmlTestParse(html)
        let ids = try htmlTestNodes(page, "/html/body/main/*[@id]").compactMap { $0.attribute(forName: "id")?.stringValue }
        #expect(ids == ["run", "headline", "exposure", "trend", "groups", "most-exposed", "what-if", "rejects"])
        let section = try #require(try htmlTestNodes(page, "//section[@id='most-exposed']").first)
        #expect(try section.nodes(forXPath: "h2").first?.stringValue == "Most exposed labels and artists")
        #expect(try section.nodes(forXPath: "h3").compactMap(\.stringValue) == Self.policies)
        #expect(try section.nodes(forXPath: ".//p[@class='empty']").isEmpty, "nothing is missing")
        let tables = try section.nodes(forXPath: ".//table").compactMap { $0 as? XMLElement }
        #expect(tables.count == 4)
        let captions = try tables.map { try $0.nodes(forXPath: "caption").first?.stringValue ?? "" }
        #expect(captions == ["Labels", "Artists", "Labels", "Artists"])
        for p in 0..<2 {
            #expect(try Self.rows(tables[2 * p]) == labels[p], "\(Self.policies[p]) labels")
            #expect(try Self.rows(tables[2 * p + 1]) == artists[p], "\(Self.policies[p]) artists")
        }
        #expect(labels[0].count == 10 && !labels[0].contains { $0.hasPrefix("Major") }, "the biggest label is not among the most exposed")
        #expect(!labels[0].elementsEqual(labels[1]), "the policies' lists differ")
    }

    @Test("a --store none run: the labels, and a note saying why the artists are missing")
    func storeNone() throws {
        let dir = try TempDir("mostexposed")
        let (csv, labels, _) = Self.catalogue()
        let input = try dir.write("c.csv", csv)
        let run = try scanTestScan(dir.db, inputs: [input], policies: try Self.policies.map(BuiltInPolicies.policy), store: StoreMode.none)
        let document = try ResultsDatabase(path: dir.db, create: false).reportDocument(runID: run.runID, breakdowns: true)
        #expect(document.artists == nil && document.labels != nil)
        let page = try htmlTestParse(HTMLReport.render(document))
        let section = try #require(try htmlTestNodes(page, "//section[@id='most-exposed']").first)
        let note = try section.nodes(forXPath: ".//p[@class='empty']").first?.stringValue ?? ""
        #expect(note.hasPrefix("No artists: ") && note.contains("--store none"), "\(note)")
        let tables = try section.nodes(forXPath: ".//table").compactMap { $0 as? XMLElement }
        #expect(try tables.map { try $0.nodes(forXPath: "caption").first?.stringValue ?? "" } == ["Labels", "Labels"])
        #expect(try Self.rows(tables[0]) == labels[0])
    }

    @Test("without breakdowns loaded the page has no such section")
    func notLoaded() throws {
        let dir = try TempDir("mostexposed")
        let input = try dir.write("c.csv", Self.catalogue().csv)
        _ = try scanTestScan(dir.db, inputs: [input], policies: try Self.policies.map(BuiltInPolicies.policy))
        let document = try ResultsDatabase(path: dir.db, create: false).reportDocument(runID: nil)
        let page = try htmlTestParse(HTMLReport.render(document))
        #expect(try htmlTestNodes(page, "//section[@id='most-exposed']").isEmpty)
    }
}
