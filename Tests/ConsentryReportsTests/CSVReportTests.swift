import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
@testable import ConsentryReports
import TestSupport

/// Splits one RFC 4180 record (no line breaks inside quotes) into its fields.
func csvTestFields(_ line: Substring) -> [String] {
    var fields: [String] = []
    var field = ""
    var quoted = false
    var chars = line[...]
    while let c = chars.popFirst() {
        if quoted {
            if c == "\"" {
                if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
            } else {
                field.append(c)
            }
        } else if c == "\"" {
            quoted = true
        } else if c == "," {
            fields.append(field)
            field = ""
        } else {
            field.append(c)
        }
    }
    fields.append(field)
    return fields
}

@Suite("CSVReport: one row per policy × group × use")
struct CSVReportTests {
    @Test("a header, then policies × 5 groups × 4 uses rows with the stored counts")
    func rows() throws {
        let dir = try TempDir("csv")
        let report = try ReportRendererTests.storedReport(dir)
        let text = CSVReport.render(report)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n")
        #expect(lines.first == "run_id,started_at,policy_id,group,use,tracks,exposed,consented,blocked,any_training_exposed,exposed_share,to_policy_id,from_verdict,to_verdict,moved,contains_ai_all,contains_ai_partly,contains_ai_none,contains_ai_undeclared")
        #expect(lines.count == 1 + 2 * 5 * 4 + report.transitions.count)
        // The what-if rows come last: opt-out → 2025-05 (see ReportRendererTests.storedReport).
        let moves = lines.suffix(report.transitions.count).map(csvTestFields)
        #expect(moves.map { $0[2...4].joined(separator: " ") + " " + $0[11...14].joined(separator: " ") } == [
            "soundcloud-opt-out independent ai_generative_training soundcloud-2025-05 blocked consented 1",
            "soundcloud-opt-out independent ai_training soundcloud-2025-05 blocked exposed 2",
            "soundcloud-opt-out all ai_generative_training soundcloud-2025-05 blocked consented 1",
            "soundcloud-opt-out all ai_training soundcloud-2025-05 blocked exposed 2",
        ])
        #expect(moves.allSatisfy { $0[5...10].allSatisfy { $0.isEmpty } })
        let rows = lines.dropFirst().dropLast(report.transitions.count).map(csvTestFields)
        for row in rows {
            #expect(row.count == 19, "\(row)")
            #expect(row[11...].allSatisfy { $0.isEmpty }, "no transition, no ContainsAI: \(row)")
            #expect(row[0] == String(report.runID))
            #expect(row[1] == report.startedAt)
            // Every use's verdicts add up to the group's tracks.
            #expect(Int(row[6])! + Int(row[7])! + Int(row[8])! == Int(row[5])!, "\(row)")
        }
        #expect(rows.map { $0[2] } == Array(repeating: "soundcloud-opt-out", count: 20) + Array(repeating: "soundcloud-2025-05", count: 20))
        #expect(rows.prefix(20).map { $0[3] } == ["independent", "major", "licensed", "unknown", "all"].flatMap { Array(repeating: $0, count: 4) })
        #expect(rows.prefix(4).map { $0[4] } == ["ai_generative_training", "ai_training", "ai_inference", "data_mining"])

        // soundcloud-opt-out, independent, ai_training: 3 tracks, 1 exposed, 2 blocked (opted out).
        let training = try #require(rows.first { $0[2] == "soundcloud-opt-out" && $0[3] == "independent" && $0[4] == "ai_training" })
        #expect(Array(training[5...10]) == ["3", "1", "0", "2", "1", "\(1.0 / 3.0)"])
        // No licensed track: the share is an empty cell, the counts zeros.
        let licensed = try #require(rows.first { $0[3] == "licensed" })
        #expect(Array(licensed[5...10]) == ["0", "0", "0", "0", "0", ""])
        let all = try #require(rows.first { $0[2] == "soundcloud-2025-05" && $0[3] == "all" && $0[4] == "ai_inference" })
        #expect(Array(all[5...10]) == ["5", "5", "0", "0", "4", "0.8"])
    }

    @Test("a policy id that a spreadsheet would run as a formula, or with a comma or quote, stays one text cell")
    func formulaInjection() {
        var report = RunReport(runID: 8, status: "completed", startedAt: "2026-11-20T00:00:00Z", finishedAt: nil, error: nil,
                               rowsRead: 0, rowsScanned: 0, rowsRejected: 0)
        for id in ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-1", "@SUM(A1)", "a,\"b\""] {
            report.policies.append(PolicyReport(id: id, title: "t", independentExposedShare: nil, labelledExposedShare: nil, exposureGap: nil))
        }
        let lines = CSVReport.render(report).split(separator: "\n").dropFirst()
        #expect(lines.count == 5 * 20)
        let ids = Set(lines.map { csvTestFields($0)[2] })
        #expect(ids == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-1", "'@SUM(A1)", "a,\"b\""])
        for line in lines { #expect(csvTestFields(line).count == 19, "\(line)") }
    }

    @Test("a run without policies (failed) is just the header")
    func empty() {
        let report = RunReport(runID: 1, status: "failed", startedAt: "s", finishedAt: nil, error: "boom",
                               rowsRead: 0, rowsScanned: 0, rowsRejected: 0)
        #expect(CSVReport.render(report) == CSVReport.header + "\n")
    }
}
