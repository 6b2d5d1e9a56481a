import ConsentryModel
import Foundation
import Testing
import PipelineTestSupport
import TestSupport
@testable import ConsentryEngine

// Helpers of the pipeline tests: a sink that records what the pipeline hands it, the jobs ×
// chunk size matrix, and comparisons with the reference implementation's JSON
// (Scripts/reference-scan).

// MARK: - Every jobs × chunk size combination

let scanTestJobs = [1, 2, 3, 8]
let scanTestChunkSizes = [16, 17, 31, 64, 100, 1000, 1 << 20]

/// Runs every jobs × chunk size combination and checks that all outcomes equal the first.
/// Returns that outcome.
@discardableResult
func scanTestMatrix(_ paths: [String], policies: [Policy], maxRecordBytes: Int = 1 << 20,
                    format: InputFormat? = nil, jobs: [Int] = scanTestJobs, chunkSizes: [Int] = scanTestChunkSizes,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> ScanTestOutcome {
    var baseline: ScanTestOutcome?
    var baselineName = ""
    for j in jobs {
        for c in chunkSizes {
            let outcome = try scanTestRunPipeline(paths, policies: policies, jobs: j, chunkBytes: c,
                                                  maxRecordBytes: maxRecordBytes, format: format)
            #expect(outcome.rowsRead == outcome.rowsScanned + outcome.rowsRejected, sourceLocation: sourceLocation)
            #expect(outcome.rowsScanned == outcome.tracks.count, "jobs \(j) chunk \(c)", sourceLocation: sourceLocation)
            #expect(outcome.rowsRejected == outcome.rejects.count, "jobs \(j) chunk \(c)", sourceLocation: sourceLocation)
            if let baseline {
                #expect(outcome == baseline,
                        "jobs \(j) chunk \(c) differs from \(baselineName): \(outcome.firstDifference(from: baseline))",
                        sourceLocation: sourceLocation)
            } else {
                baseline = outcome
                baselineName = "jobs \(j) chunk \(c)"
            }
        }
    }
    return baseline!
}

// MARK: - Comparing with the oracle's JSON

/// The oracle's `rejects` list as comparable lines `input:line@offset code column`.
func scanTestOracleRejects(_ json: JSON) -> [String] {
    (json["rejects"]?.array ?? []).map { r in
        "\(r["input"]?.string ?? "?"):\(r["line"]?.int ?? -1)@\(r["byte_offset"]?.int ?? -1) \(r["code"]?.string ?? "?") \(r["column"]?.string ?? "-")"
    }
}

/// The oracle's `verdicts` list (with `--verdicts`) as "policy track label use=verdict/rule ...".
func scanTestOracleVerdicts(_ json: JSON) -> [String] {
    (json["verdicts"]?.array ?? []).map { v in
        let uses = v["uses"]
        let parts = AIUse.allCases.map { u in
            "\(u.name)=\(uses?[u.name]?["verdict"]?.string ?? "?")/\(uses?[u.name]?["rule_id"]?.string ?? "?")"
        }
        return "\(v["policy_id"]?.string ?? "?") \(v["track_id"]?.string ?? "?") \(v["label_status"]?.string ?? "?") " + parts.joined(separator: " ")
    }.sorted()
}

/// The outcome's verdicts as the oracle's lines; both sorted, since a scan keeps no input
/// order for its tracks.
func scanTestOutcomeVerdicts(_ outcome: ScanTestOutcome, policies: [Policy]) -> [String] {
    var lines: [String] = []
    for track in outcome.tracks {
        for (p, policy) in policies.enumerated() {
            let packed = track.verdicts[p]
            let parts = AIUse.allCases.map { u in
                "\(u.name)=\(PackedDecisions.verdict(packed, u).name)/\(policy.rules(for: u)[PackedDecisions.ruleIndex(packed, u)].id)"
            }
            lines.append("\(policy.id) \(track.id) \(track.label.name) " + parts.joined(separator: " "))
        }
    }
    return lines.sorted()
}

/// Checks an outcome's statistics against a `policies` object (the oracle's, or the expected
/// file's), group by group, with shares compared exactly as the JSON text writes them.
func scanTestCheckStatistics(_ outcome: ScanTestOutcome, policies: [Policy], against json: JSON,
                             fullGroups: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let byPolicy = json["policies"] else {
        Issue.record("no policies in the expected JSON", sourceLocation: sourceLocation)
        return
    }
    for (p, policy) in policies.enumerated() {
        guard let expected = byPolicy[policy.id], let groups = expected["groups"] else {
            Issue.record("no expected figures for \(policy.id)", sourceLocation: sourceLocation)
            continue
        }
        let headline = Headline(statistics: outcome.statistics, policy: p)
        #expect(headline.independent == expected["independent_exposed_share"]?.double,
                "\(policy.id) independent share", sourceLocation: sourceLocation)
        #expect(headline.labelled == expected["labelled_exposed_share"]?.double,
                "\(policy.id) labelled share", sourceLocation: sourceLocation)
        #expect(headline.gap == expected["exposure_gap"]?.double,
                "\(policy.id) gap", sourceLocation: sourceLocation)
        for group in ReportGroup.allCases {
            guard let g = groups[group.rawValue] else {
                Issue.record("no expected group \(group.rawValue) for \(policy.id)", sourceLocation: sourceLocation)
                continue
            }
            let stats = outcome.statistics.group(policy: p, label: group.labelStatus)
            #expect(stats.tracks == g["tracks"]?.int, "\(policy.id) \(group.rawValue) tracks", sourceLocation: sourceLocation)
            #expect(stats.anyTrainingExposed == g["any_training_exposed"]?.int,
                    "\(policy.id) \(group.rawValue) any_training_exposed", sourceLocation: sourceLocation)
            guard fullGroups else { continue }
            #expect(stats.exposedShare == g["exposed_share"]?.double,
                    "\(policy.id) \(group.rawValue) exposed_share", sourceLocation: sourceLocation)
            for use in AIUse.allCases {
                for verdict in Verdict.allCases {
                    #expect(stats.count(use, verdict) == g["uses"]?[use.name]?[verdict.name]?.int,
                            "\(policy.id) \(group.rawValue) \(use.name) \(verdict.name)", sourceLocation: sourceLocation)
                }
            }
        }
    }
}

/// The outcome's rejects-by-code as the JSON spells it.
func scanTestCodes(_ byCode: [RejectCode: Int]) -> [String: Int] {
    Dictionary(uniqueKeysWithValues: byCode.map { ($0.key.rawValue, $0.value) })
}

func scanTestJSONCodes(_ json: JSON?) -> [String: Int] {
    (json?.object ?? [:]).compactMapValues(\.int)
}
