import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
@testable import ConsentryReports
import ScanTestSupport
import TestSupport

/// An integer read by JSONSerialization.
private func foundationInt(_ any: Any?) -> Int? { (any as? NSNumber)?.intValue }

@Suite("ReportRenderer: JSON (contract §5) and text")
struct ReportRendererTests {
    static let groupOrder = ["independent", "major", "licensed", "unknown", "all"]
    static let useOrder = ["ai_generative_training", "ai_training", "ai_inference", "data_mining"]

    /// A stored run: 3 independent tracks (1 exposed under the opt-out policy), 1 major,
    /// 1 unknown, no licensed track; two rejects.
    static func storedReport(_ dir: TempDir, policies: [String] = ["soundcloud-opt-out", "soundcloud-2025-05"]) throws -> RunReport {
        let csv = """
            track_id,label_status,genai_opt_in,ai_opt_out
            i1,independent,,
            i2,independent,,yes
            i3,independent,yes,yes
            m1,major,,
            u1,unknown,,
            x1,signed,,
            i1,major,,

            """
        let path = try dir.write("r.csv", csv)
        return try scanTestScan(dir.db, inputs: [path], policies: try policies.map(BuiltInPolicies.policy))
    }

    @Test("json parses, has exactly the contract §5 keys in the contract's order, every group, null shares for empty groups, unrounded shares")
    func jsonShape() throws {
        let dir = try TempDir("report")
        let report = try Self.storedReport(dir)
        let text = ReportRenderer.json(report)

        // Parses as JSON.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["run_id", "status", "rows", "rejects_by_code", "policies", "transitions", "rejects_not_kept"])
        #expect(foundationInt(object["run_id"]) == Int(report.runID))
        #expect(object["status"] as? String == "completed")

        // Key order, read from the text itself.
        let ordered = try JSON.parse(text)
        #expect(ordered.orderedKeys == ["run_id", "status", "rows", "rejects_by_code", "policies", "transitions", "rejects_not_kept"])
        #expect(ordered["rows"]?.orderedKeys == ["read", "scanned", "rejected"])
        #expect(ordered["rows"]?["read"]?.numberText == "7")
        #expect(ordered["rows"]?["scanned"]?.numberText == "5")
        #expect(ordered["rows"]?["rejected"]?.numberText == "2")
        #expect(ordered["rejects_by_code"]?.orderedKeys == ["invalid_label_status", "duplicate_track_id"])
        #expect(ordered["policies"]?.orderedKeys == ["soundcloud-opt-out", "soundcloud-2025-05"])
        for policyID in ["soundcloud-opt-out", "soundcloud-2025-05"] {
            let policy = try #require(ordered["policies"]?[policyID])
            #expect(policy.orderedKeys == ["independent_exposed_share", "labelled_exposed_share", "exposure_gap", "groups"])
            let groups = try #require(policy["groups"])
            #expect(groups.orderedKeys == Self.groupOrder, "every group appears, in the contract's order")
            for group in Self.groupOrder {
                let g = try #require(groups[group])
                #expect(g.orderedKeys == ["tracks", "any_training_exposed", "exposed_share", "uses"], "\(group)")
                #expect(g["uses"]?.orderedKeys == Self.useOrder)
                for use in Self.useOrder {
                    #expect(g["uses"]?[use]?.orderedKeys == ["exposed", "consented", "blocked"])
                }
            }
            // No licensed track: its share is null, and so is nothing else.
            #expect(groups["licensed"]?["tracks"]?.numberText == "0")
            #expect(groups["licensed"]?["exposed_share"]?.isNull == true)
            #expect(groups["major"]?["exposed_share"]?.numberText == "0.0" || groups["major"]?["exposed_share"]?.numberText == "0")
        }

        // Values, through JSONSerialization.
        let policies = try #require(object["policies"] as? [String: [String: Any]])
        let optOut = try #require(policies["soundcloud-opt-out"])
        // Shares compared through their exact text (Foundation's parser may be off by an ulp).
        let optOutOrdered = try #require(ordered["policies"]?["soundcloud-opt-out"])
        let indieShare = try #require(optOutOrdered["independent_exposed_share"]?.double)
        #expect(indieShare == 1.0 / 3.0, "unrounded: \(indieShare)")
        #expect(optOutOrdered["labelled_exposed_share"]?.double == 0.0)
        #expect(optOutOrdered["exposure_gap"]?.double == 1.0 / 3.0 - 0.0)
        #expect(optOutOrdered["groups"]?["all"]?["exposed_share"]?.double == 2.0 / 5.0)
        #expect(optOutOrdered["groups"]?["licensed"]?["exposed_share"]?.isNull == true)
        #expect((optOut["independent_exposed_share"] as? NSNumber) != nil)
        let groups = try #require(optOut["groups"] as? [String: [String: Any]])
        #expect(groups["licensed"]?["exposed_share"] is NSNull)
        #expect(foundationInt(groups["independent"]?["tracks"]) == 3)
        #expect(foundationInt(groups["independent"]?["any_training_exposed"]) == 1)
        #expect(foundationInt(groups["all"]?["tracks"]) == 5)
        // unknown (1 track, exposed) + independent 1 of 3 → all: 2 of 5
        let uses = try #require(groups["independent"]?["uses"] as? [String: [String: Any]])
        #expect(foundationInt(uses["ai_generative_training"]?["blocked"]) == 3)
        #expect(foundationInt(uses["ai_generative_training"]?["consented"]) == 0)
        #expect(foundationInt(uses["ai_training"]?["exposed"]) == 1)
        #expect(foundationInt(uses["ai_inference"]?["exposed"]) == 3)
        #expect(foundationInt(uses["data_mining"]?["blocked"]) == 3)
        let rejects = try #require(object["rejects_by_code"] as? [String: Any])
        #expect(foundationInt(rejects["invalid_label_status"]) == 1)
        #expect(foundationInt(rejects["duplicate_track_id"]) == 1)
        // A share with many digits is written in full: the text holds the shortest round-trip form.
        #expect(text.contains("\(1.0 / 3.0)"))

        // What-if from opt-out to 2025-05: i2 and i3 opted out of training, i3 opted in to generative.
        let transitions = try #require(object["transitions"] as? [[String: Any]])
        let moves = transitions.map { t in
            "\(t["from_policy"]!) \(t["to_policy"]!) \(t["group"]!) \(t["use"]!) \(t["from"]!) \(t["to"]!) \(foundationInt(t["tracks"])!)"
        }
        #expect(moves == [
            "soundcloud-opt-out soundcloud-2025-05 independent ai_generative_training blocked consented 1",
            "soundcloud-opt-out soundcloud-2025-05 independent ai_training blocked exposed 2",
            "soundcloud-opt-out soundcloud-2025-05 all ai_generative_training blocked consented 1",
            "soundcloud-opt-out soundcloud-2025-05 all ai_training blocked exposed 2",
        ])
    }

    @Test("one policy: transitions is an empty list; text shows no what-if section")
    func singlePolicyTransitions() throws {
        let dir = try TempDir("report1")
        let report = try Self.storedReport(dir, policies: ["soundcloud-2025-05"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(ReportRenderer.json(report).utf8)) as? [String: Any])
        #expect((object["transitions"] as? [Any])?.isEmpty == true)
        #expect(!ReportRenderer.text(report).contains("What-if"))
        let two = try Self.storedReport(try TempDir("report2"))
        #expect(ReportRenderer.text(two).contains("What-if soundcloud-opt-out → soundcloud-2025-05"))
        #expect(ReportRenderer.text(two).contains("blocked → exposed"))
    }

    @Test("json: a run without licensed and major tracks has null labelled share and null gap; empty report still lists every group")
    func jsonNulls() throws {
        var report = RunReport(runID: 3, status: "completed", startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:01Z",
                               error: nil, rowsRead: 0, rowsScanned: 0, rowsRejected: 0)
        var empty = PolicyReport(id: "p-empty", title: "Empty", independentExposedShare: nil, labelledExposedShare: nil, exposureGap: nil)
        empty.groups = [:]
        report.policies = [empty]
        let text = ReportRenderer.json(report)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let policy = try #require((object["policies"] as? [String: [String: Any]])?["p-empty"])
        #expect(policy["independent_exposed_share"] is NSNull)
        #expect(policy["labelled_exposed_share"] is NSNull)
        #expect(policy["exposure_gap"] is NSNull)
        let groups = try #require(policy["groups"] as? [String: [String: Any]])
        #expect(Set(groups.keys) == Set(Self.groupOrder))
        for (name, g) in groups {
            #expect(foundationInt(g["tracks"]) == 0, "\(name)")
            #expect(g["exposed_share"] is NSNull, "\(name)")
        }
        #expect((object["rejects_by_code"] as? [String: Any])?.isEmpty == true)
        let ordered = try JSON.parse(text)
        #expect(ordered.orderedKeys == ["run_id", "status", "rows", "rejects_by_code", "policies", "transitions", "rejects_not_kept"])
    }

    @Test("json escapes strings and keeps tiny shares as plain JSON numbers")
    func jsonEscaping() throws {
        var report = RunReport(runID: 1, status: "completed", startedAt: "x", finishedAt: nil, error: nil,
                               rowsRead: 1, rowsScanned: 1, rowsRejected: 0)
        var stats = GroupStatistics()
        stats.tracks = 300_000
        stats.anyTrainingExposed = 1
        report.policies = [PolicyReport(id: "we\"ird\\id\n", title: "t", independentExposedShare: 1.0 / 300_000.0,
                                        labelledExposedShare: 2e-7, exposureGap: 1.0 / 300_000.0 - 2e-7,
                                        groups: [.independent: stats])]
        let text = ReportRenderer.json(report)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let policies = try #require(object["policies"] as? [String: [String: Any]])
        #expect(policies["we\"ird\\id\n"] != nil, "the policy id round-trips through the escapes")
        let ordered = try JSON.parse(text)
        let policy = try #require(ordered["policies"]?["we\"ird\\id\n"])
        #expect(policy["independent_exposed_share"]?.double == 1.0 / 300_000.0)
        #expect(policy["labelled_exposed_share"]?.double == 2e-7)
        #expect(policy["exposure_gap"]?.double == 1.0 / 300_000.0 - 2e-7)
        #expect(policy["groups"]?["independent"]?["exposed_share"]?.double == 1.0 / 300_000.0)
    }

    @Test("text shows the run, the rows and each policy's headline figures")
    func text() throws {
        let dir = try TempDir("report")
        let report = try Self.storedReport(dir)
        let text = ReportRenderer.text(report)
        #expect(text.contains("Run \(report.runID) completed"))
        #expect(text.contains("7 read"))
        #expect(text.contains("5 scanned"))
        #expect(text.contains("2 rejected"))
        #expect(text.contains("invalid_label_status 1"))
        #expect(text.contains("duplicate_track_id 1"))
        #expect(text.contains("soundcloud-opt-out"))
        #expect(text.contains("soundcloud-2025-05"))
        // opt-out: independent 1/3 = 33.3 %, labelled 0.0 %, gap +33.3 pts;
        // 2025-05: independent 100.0 %, labelled 0.0 %, gap +100.0 pts.
        #expect(text.contains("33.3%"))
        #expect(text.contains("+33.3 pts"))
        #expect(text.contains("100.0%"))
        #expect(text.contains("+100.0 pts"))
        #expect(text.contains("0.0%"))
        // The headline lines, in policy order.
        let headlines = text.split(separator: "\n").filter { $0.contains("Independent tracks exposed to AI training") }
        #expect(headlines.count == 2)
        #expect(headlines.first?.contains("33.3%") == true)
        #expect(headlines.last?.contains("100.0%") == true)
        // Empty groups show n/a, not 0 %.
        let licensedRows = text.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("licensed") }
        #expect(licensedRows.count == 2)
        #expect(licensedRows.allSatisfy { $0.contains("n/a") })
    }

    @Test("text says n/a for a missing headline figure")
    func textNA() {
        var report = RunReport(runID: 9, status: "completed", startedAt: "s", finishedAt: "f", error: nil,
                               rowsRead: 0, rowsScanned: 0, rowsRejected: 0)
        report.policies = [PolicyReport(id: "p", title: "P", independentExposedShare: nil, labelledExposedShare: nil, exposureGap: nil)]
        let text = ReportRenderer.text(report)
        let headline = text.split(separator: "\n").first { $0.contains("Independent tracks exposed") }
        #expect(headline?.contains("n/a") == true)
        #expect(headline?.contains("%") == false)
    }

    @Test("text of a failed run: its status and its error, no rows it never read")
    func failedRunText() {
        let report = RunReport(runID: 4, status: "failed", startedAt: "s", finishedAt: "f",
                               error: "x.csv.gz: gzip data is truncated", rowsRead: 0, rowsScanned: 0, rowsRejected: 0)
        #expect(ReportRenderer.text(report) == "Run 4 failed at f\nError: x.csv.gz: gzip data is truncated\n")
    }
}
