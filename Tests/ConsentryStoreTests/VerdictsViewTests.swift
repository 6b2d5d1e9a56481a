import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
import ScanTestSupport
import TestSupport

@Suite("verdicts_readable decodes the packed verdicts (contract §4)")
struct VerdictsViewTests {
    static let csv = """
        track_id,label_status,genai_opt_in,ai_opt_out,no_ai_tag
        v1,independent,,,
        v2,independent,yes,yes,
        v3,major,,,
        v4,,yes,,
        v5,licensed,,yes,yes
        v6,unsigned,,yes,

        """

    typealias Row = (verdict: String, rule: String)

    /// Hand-derived from the policy YAML (Sources/ConsentryEngine/Policy/BuiltIn).
    static let expected: [String: [String: [String: Row]]] = [
        "soundcloud-2025-05": [
            "v1": ["ai_generative_training": ("blocked", "default-closed"), "ai_training": ("exposed", "default-open"),
                   "ai_inference": ("exposed", "default-open"), "data_mining": ("blocked", "no-scraping")],
            "v2": ["ai_generative_training": ("consented", "opt-in"), "ai_training": ("exposed", "default-open"),
                   "ai_inference": ("exposed", "default-open"), "data_mining": ("blocked", "no-scraping")],
            "v3": ["ai_generative_training": ("blocked", "licensed-excluded"), "ai_training": ("blocked", "licensed-excluded"),
                   "ai_inference": ("exposed", "default-open"), "data_mining": ("blocked", "no-scraping")],
            "v4": ["ai_generative_training": ("consented", "opt-in"), "ai_training": ("exposed", "default-open"),
                   "ai_inference": ("exposed", "default-open"), "data_mining": ("blocked", "no-scraping")],
            "v5": ["ai_generative_training": ("blocked", "licensed-excluded"), "ai_training": ("blocked", "licensed-excluded"),
                   "ai_inference": ("exposed", "default-open"), "data_mining": ("blocked", "no-scraping")],
            "v6": ["ai_generative_training": ("blocked", "default-closed"), "ai_training": ("exposed", "default-open"),
                   "ai_inference": ("exposed", "default-open"), "data_mining": ("blocked", "no-scraping")],
        ],
        "soundcloud-opt-out": [
            "v1": ["ai_generative_training": ("blocked", "default-closed"), "ai_training": ("exposed", "default-open"),
                   "ai_inference": ("exposed", "default-open"), "data_mining": ("blocked", "no-scraping")],
            "v2": ["ai_generative_training": ("blocked", "opted-out"), "ai_training": ("blocked", "opted-out"),
                   "ai_inference": ("exposed", "default-open"), "data_mining": ("blocked", "no-scraping")],
            "v3": ["ai_generative_training": ("blocked", "licensed-excluded"), "ai_training": ("blocked", "licensed-excluded"),
                   "ai_inference": ("exposed", "default-open"), "data_mining": ("blocked", "no-scraping")],
            "v4": ["ai_generative_training": ("consented", "opt-in"), "ai_training": ("exposed", "default-open"),
                   "ai_inference": ("exposed", "default-open"), "data_mining": ("blocked", "no-scraping")],
            "v5": ["ai_generative_training": ("blocked", "licensed-excluded"), "ai_training": ("blocked", "licensed-excluded"),
                   "ai_inference": ("exposed", "default-open"), "data_mining": ("blocked", "no-scraping")],
            "v6": ["ai_generative_training": ("blocked", "opted-out"), "ai_training": ("blocked", "opted-out"),
                   "ai_inference": ("exposed", "default-open"), "data_mining": ("blocked", "no-scraping")],
        ],
    ]

    static let labels = ["v1": "independent", "v2": "independent", "v3": "major", "v4": "unknown", "v5": "licensed", "v6": "independent"]

    @Test("two policies, two runs with the policies in different orders: one row per (track, policy, use), decoded by hand")
    func readable() throws {
        let dir = try TempDir("view")
        let path = try dir.write("v.csv", Self.csv)
        let first = try scanTestScan(dir.db, inputs: [path], policies: try ["soundcloud-2025-05", "soundcloud-opt-out"].map(BuiltInPolicies.policy))
        let second = try scanTestScan(dir.db, inputs: [path], policies: try ["soundcloud-opt-out", "soundcloud-2025-05"].map(BuiltInPolicies.policy))
        for run in [first.runID, second.runID] {
            let rows = try SQLite(dir.db, readOnly: true).rows("SELECT * FROM verdicts_readable WHERE run_id = \(run)")
            #expect(rows.count == 6 * 2 * 4, "run \(run)")
            let duplicates = try SQLite(dir.db, readOnly: true).rows("""
                SELECT policy_id, track_id, use, count(*) AS n FROM verdicts_readable WHERE run_id = \(run)
                GROUP BY policy_id, track_id, use HAVING n <> 1
                """)
            #expect(duplicates.isEmpty, "run \(run): \(duplicates)")
            var seen = Set<String>()
            for row in rows {
                let policy = row["policy_id"]?.string ?? "?"
                let track = row["track_id"]?.string ?? "?"
                let use = row["use"]?.string ?? "?"
                seen.insert("\(policy) \(track) \(use)")
                #expect(row["label_status"]?.string == Self.labels[track], "\(track)")
                guard let want = Self.expected[policy]?[track]?[use] else {
                    Issue.record("unexpected row \(policy) \(track) \(use)")
                    continue
                }
                #expect(row["verdict"]?.string == want.verdict, "run \(run) \(policy) \(track) \(use)")
                #expect(row["rule_id"]?.string == want.rule, "run \(run) \(policy) \(track) \(use)")
            }
            #expect(seen.count == 48)
        }
        // Across runs the view has exactly both runs' rows.
        #expect(try SQLite(dir.db, readOnly: true).int("SELECT count(*) FROM verdicts_readable") == 2 * 48)
    }

    @Test("the view agrees with the reference oracle's per-track verdicts on dirty.csv")
    func agreesWithOracle() throws {
        let dir = try TempDir("view")
        let sample = Paths.sample("dirty.csv")
        let ids = ["soundcloud-2024-02", "soundcloud-opt-out"]
        let report = try scanTestScan(dir.db, inputs: [sample], policies: try ids.map(BuiltInPolicies.policy), maxRecordBytes: 300)
        let oracle = try referenceScan([sample, "--max-record-bytes", "300", "--verdicts"] + ids.flatMap { ["--policy", $0] })
        let theirs = Set((oracle["verdicts"]?.array ?? []).flatMap { v -> [String] in
            let uses = v["uses"]
            return AIUse.allCases.map { u in
                "\(v["policy_id"]?.string ?? "?") \(v["track_id"]?.string ?? "?") \(v["label_status"]?.string ?? "?") \(u.name) \(uses?[u.name]?["verdict"]?.string ?? "?") \(uses?[u.name]?["rule_id"]?.string ?? "?")"
            }
        })
        let rows = try SQLite(dir.db, readOnly: true).rows("SELECT * FROM verdicts_readable WHERE run_id = \(report.runID)")
        let ours = rows.map { r in
            ["policy_id", "track_id", "label_status", "use", "verdict", "rule_id"].map { r[$0]?.string ?? "?" }.joined(separator: " ")
        }
        #expect(ours.count == theirs.count)
        #expect(Set(ours) == theirs, "only ours: \(Set(ours).subtracting(theirs).sorted().prefix(3)); only theirs: \(theirs.subtracting(Set(ours)).sorted().prefix(3))")
    }
}
