import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
@testable import ConsentryReports
import ScanTestSupport
import TestSupport

@Suite("Reports show DDEX ContainsAI per group: JSON contains_ai, CSV contains_ai_* (contract §3)")
struct ContainsAIReportTests {
    static let keys = ["all", "partly", "none", "undeclared"]

    @Test("a DDEX run: every group of the JSON report has contains_ai adding up to its tracks; the CSV rows carry the same counts")
    func ddexRun() throws {
        let dir = try TempDir("containsai")
        let run = try scanTestScan(dir.db, inputs: [Paths.inRepository("Tests/Fixtures/ddex")],
                                   policies: try ["soundcloud-2025-05", "soundcloud-2024-02"].map(BuiltInPolicies.policy))
        let report = try ResultsDatabase(path: dir.db, create: false).report(runID: run.runID)
        let counts = try #require(report.containsAI)
        let json = try JSON.parse(ReportRenderer.json(report))
        var csvCounts: [String: [String]] = [:]
        for line in CSVReport.render(report).split(separator: "\n").dropFirst() {
            let fields = csvTestFields(line)
            guard fields.count == 19, fields[11].isEmpty else { continue }  // not a what-if row
            csvCounts["\(fields[2]) \(fields[3]) \(fields[4])"] = Array(fields[15...18])
        }
        for policy in report.policies {
            for group in ReportGroup.allCases {
                let g = try #require(json["policies"]?[policy.id]?["groups"]?[group.rawValue])
                let declared = try #require(g["contains_ai"], "\(policy.id) \(group.rawValue)")
                #expect(declared.orderedKeys == Self.keys)
                let values = Self.keys.map { declared[$0]?.int ?? -1 }
                #expect(values.reduce(0, +) == g["tracks"]?.int, "\(policy.id) \(group.rawValue)")
                let expected = [counts.count(label: group.labelStatus, declared: .all),
                                counts.count(label: group.labelStatus, declared: .partly),
                                counts.count(label: group.labelStatus, declared: .noAI),
                                counts.count(label: group.labelStatus, declared: nil)]
                #expect(values == expected, "\(policy.id) \(group.rawValue)")
                for use in AIUse.allCases {
                    #expect(csvCounts["\(policy.id) \(group.rawValue) \(use.name)"] == expected.map(String.init),
                            "\(policy.id) \(group.rawValue) \(use.name)")
                }
            }
        }
        // Without a label map every DDEX track is unknown.
        #expect(json["policies"]?["soundcloud-2025-05"]?["groups"]?["all"]?["contains_ai"]?["all"]?.int == 1)
        #expect(json["policies"]?["soundcloud-2025-05"]?["groups"]?["unknown"]?["contains_ai"] == json["policies"]?["soundcloud-2025-05"]?["groups"]?["all"]?["contains_ai"])
    }

    @Test("a CSV run: no contains_ai in the JSON, empty contains_ai_* cells")
    func csvRun() throws {
        let dir = try TempDir("containsai")
        let input = try dir.write("a.csv", "track_id,label_status\na,major\nb,independent\n")
        let run = try scanTestScan(dir.db, inputs: [input], policies: [try BuiltInPolicies.policy("soundcloud-2025-05")])
        let report = try ResultsDatabase(path: dir.db, create: false).report(runID: run.runID)
        let json = try JSON.parse(ReportRenderer.json(report))
        #expect(json["policies"]?["soundcloud-2025-05"]?["groups"]?["all"]?["contains_ai"] == nil)
        let rows = CSVReport.render(report).split(separator: "\n").dropFirst().map(csvTestFields)
        #expect(!rows.isEmpty && rows.allSatisfy { $0[15...].allSatisfy(\.isEmpty) })
    }
}
