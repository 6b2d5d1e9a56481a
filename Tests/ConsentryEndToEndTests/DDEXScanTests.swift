import Foundation
import Testing
import TestSupport

extension EndToEnd {
    /// DDEX ERN deliveries (contract §1.5): a directory of messages, broken ones rejected.
    @Suite struct DDEXScans {
        static let fixtures = Paths.inRepository("Tests/Fixtures/ddex")

        /// The 1-based line of `file` (in the fixtures) that first contains `text`.
        static func line(of text: String, in file: String) throws -> Int {
            let content = try String(contentsOfFile: fixtures + "/" + file, encoding: .utf8)
            let lines = content.split(separator: "\n", omittingEmptySubsequences: false)
            return try #require(lines.firstIndex { $0.contains(text) }) + 1
        }

        @Test func aDirectoryOfDeliveriesScansAndExitsPerTheThresholds() throws {
            let tmp = try TempDir()
            let map = try tmp.write("labels.yaml", "Lowlight Records: independent\nAurora Sound: major\n")
            let (r, json) = try scanJSON([Self.fixtures, "--db", tmp.db, "--label-map", map])
            #expect(r.exitCode == 0, "\(r)")
            let report = try #require(json)
            let read = try #require(report["rows"]?["read"]?.int)
            #expect(report["rejects_by_code"] == (try JSON.parse(#"{"invalid_xml": 2, "missing_track_id": 2}"#)))
            #expect(report["rows"]?["rejected"]?.int == 4 && report["rows"]?["scanned"]?.int == read - 4)
            let run = try #require(report["run_id"]?.int)
            let db = SQLite(tmp.db, readOnly: true)
            let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures).filter { $0.hasSuffix(".xml") }
            #expect(try db.lines("SELECT format FROM run_inputs WHERE run_id = \(run)") == Array(repeating: "ddex", count: names.count))

            // Each broken message is one invalid_xml reject at the line of its error.
            let rejects = try db.lines("""
                SELECT input, line FROM rejects WHERE run_id = \(run) AND code = 'invalid_xml' ORDER BY input
                """).map { line -> String in
                let f = line.split(separator: "\t")
                return "\((String(f[0]) as NSString).lastPathComponent):\(f[1])"
            }
            #expect(rejects == [
                "broken-tag-mismatch.xml:\(try Self.line(of: "</DisplayTitleText>", in: "broken-tag-mismatch.xml"))",
                "not-ern.xml:\(try Self.line(of: "<catalog", in: "not-ern.xml"))",
            ])
            // The ContainsAI counts are in the report's groups; independent tracks are all open to training.
            let policy = report["policies"]?[Spec.defaultPolicy]
            #expect(policy?["groups"]?["all"]?["contains_ai"]?["all"]?.int == 1)
            #expect(policy?["independent_exposed_share"]?.double == 1.0)

            // Thresholds: 4 of the records rejected; an independent share of 1.
            let rate = Double(4) / Double(read)
            let under = try consentry(["scan", Self.fixtures, "--db", tmp.db, "--max-reject-rate", String(rate + 0.01)])
            #expect(under.exitCode == 0, "\(under)")
            let over = try consentry(["scan", Self.fixtures, "--db", tmp.db, "--max-reject-rate", String(rate - 0.01)])
            #expect(over.exitCode == 1, "\(over)")
            let exposed = try consentry(["scan", Self.fixtures, "--db", tmp.db, "--label-map", map, "--max-exposed-share", "0.99"])
            #expect(exposed.exitCode == 1, "\(exposed)")
            let within = try consentry(["scan", Self.fixtures, "--db", tmp.db, "--label-map", map, "--max-exposed-share", "1"])
            #expect(within.exitCode == 0, "\(within)")
        }

        @Test func aMalformedMessageIsOneInvalidXMLRejectAtTheLineOfTheError() throws {
            let tmp = try TempDir()
            let good = try String(contentsOfFile: Self.fixtures + "/ern432-contains-ai.xml", encoding: .utf8)
            // Cut the message after its first recording's id: the error is where the text ends.
            let cut = String(good[..<good.range(of: "</ISRC>")!.upperBound]) + "\n\n"
            // The last line with text, and the (empty) line the text ends on.
            let lastText = cut.split(separator: "\n", omittingEmptySubsequences: false).lastIndex { !$0.isEmpty }! + 1
            let end = cut.filter { $0 == "\n" }.count + 1
            // A .txt name: the content (`<`) says DDEX.
            let path = try tmp.write("delivery.txt", cut)
            let (r, json) = try scanJSON([path, "--db", tmp.db])
            #expect(r.exitCode == 0, "\(r)")
            #expect(json?["rejects_by_code"] == (try JSON.parse(#"{"invalid_xml": 1}"#)))
            let rows = try SQLite(tmp.db, readOnly: true).rows("SELECT line, code, message FROM rejects")
            #expect(rows.count == 1)
            let line = try #require(rows.first?["line"]?.int)
            #expect(line >= lastText && line <= end, "reject at line \(line); the text stops on line \(lastText), ends on \(end): \(rows)")
            #expect(try SQLite(tmp.db, readOnly: true).lines("SELECT format FROM run_inputs") == ["ddex"])
        }
    }
}
