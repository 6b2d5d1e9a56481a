import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
@testable import ConsentryReports
import TestSupport

/// The cells of a Markdown table row, split on pipes that are not backslash-escaped.
func markdownTestCells(_ line: Substring) -> [String] {
    var cells: [String] = []
    var cell = ""
    var escaped = false
    for c in line.dropFirst().dropLast() {
        if escaped { cell.append(c); escaped = false; continue }
        if c == "\\" { cell.append(c); escaped = true; continue }
        if c == "|" { cells.append(cell.trimmingCharacters(in: .whitespaces)); cell = ""; continue }
        cell.append(c)
    }
    cells.append(cell.trimmingCharacters(in: .whitespaces))
    return cells
}

@Suite("MarkdownReport: a run to paste into a ticket")
struct MarkdownReportTests {
    /// The lines of the table that follows `heading` (a line of the text).
    static func table(after heading: String, in text: String) -> [Substring] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0 == heading }) else { return [] }
        return Array(lines[(start + 1)...].drop { !$0.hasPrefix("|") }.prefix { $0.hasPrefix("|") })
    }

    @Test("heading, rows, headline table, a table per policy, rejects and what-if")
    func sections() throws {
        let dir = try TempDir("markdown")
        let report = try ReportRendererTests.storedReport(dir)
        let text = MarkdownReport.render(report)

        #expect(text.hasPrefix("# consentry run \(report.runID): completed, \(report.startedAt.prefix(10))\n"))
        #expect(text.contains("**Rows:** 7 read, 5 scanned, 2 rejected (28.57%)"))
        #expect(text.contains("r.csv (csv, none, 7 rows)"), "\(text)")

        let headline = Self.table(after: "## Independent vs labelled tracks exposed to AI training", in: text)
        #expect(headline.count == 4, "header, alignment and one row per policy: \(headline)")
        #expect(markdownTestCells(headline[0]) == ["policy", "independent exposed", "labelled exposed", "gap"])
        #expect(markdownTestCells(headline[1]) == ["---", "---:", "---:", "---:"])
        #expect(markdownTestCells(headline[2]) == ["soundcloud-opt-out", "33.3%", "0.0%", "+33.3 pts"])
        #expect(markdownTestCells(headline[3]) == ["soundcloud-2025-05", "100.0%", "0.0%", "+100.0 pts"])

        let groups = Self.table(
            after: "## soundcloud-opt-out: SoundCloud May 2025 terms plus the announced opt-out for independent artists", in: text)
        #expect(groups.count == 2 + 5, "one row per group: \(groups)")
        #expect(groups.dropFirst(2).map { markdownTestCells($0)[0] } == ["independent", "major", "licensed", "unknown", "all"])
        for row in groups { #expect(markdownTestCells(row).count == 8, "\(row)") }
        // independent: 3 tracks, 1 exposed; ai_training exposed 1, blocked 2.
        #expect(markdownTestCells(groups[2]).prefix(4) == ["independent", "3", "1", "33.3%"])
        #expect(markdownTestCells(groups[2])[5] == "1 / 0 / 2")
        #expect(markdownTestCells(groups[4])[3] == "n/a", "licensed has no track")

        let rejects = Self.table(after: "## Rejects by code", in: text)
        #expect(rejects.dropFirst(2).map(markdownTestCells) == [["`invalid_label_status`", "1"], ["`duplicate_track_id`", "1"]])

        let whatIf = Self.table(after: "## What-if: soundcloud-opt-out → soundcloud-2025-05", in: text)
        #expect(whatIf.count > 2, "\(text)")
        #expect(whatIf.dropFirst(2).contains { markdownTestCells($0) == ["independent", "`ai_training`", "blocked → exposed", "2"] },
                "\(whatIf)")
    }

    @Test("one policy: no what-if section; a failed run: no policy tables")
    func optionalSections() throws {
        let dir = try TempDir("markdown")
        let report = try ReportRendererTests.storedReport(dir, policies: ["soundcloud-2025-05"])
        let text = MarkdownReport.render(report)
        #expect(!text.contains("What-if"))
        #expect(text.contains("## soundcloud-2025-05"))

        let failed = RunReport(runID: 4, status: "failed", startedAt: "2026-11-20T01:00:00.000Z", finishedAt: "2026-11-20T01:00:02.000Z",
                               error: "input.csv.gz: truncated gzip stream", rowsRead: 0, rowsScanned: 0, rowsRejected: 0)
        let failedText = MarkdownReport.render(failed)
        #expect(failedText.hasPrefix("# consentry run 4: failed, 2026-11-20\n"))
        #expect(failedText.contains("**Error:** input.csv.gz: truncated gzip stream"))
        #expect(!failedText.contains("## "))
    }

    @Test("user data cannot break a table, inject HTML or start a list")
    func hostileUserData() throws {
        var report = RunReport(runID: 2, status: "completed", startedAt: "2026-11-20T00:00:00Z", finishedAt: nil, error: nil,
                               rowsRead: 1, rowsScanned: 1, rowsRejected: 0)
        var stats = GroupStatistics()
        stats.tracks = 1
        stats.anyTrainingExposed = 1
        report.policies = [PolicyReport(id: "a|b<script>", title: "T *bold* [link](x) | pipe\nnew line", independentExposedShare: 1,
                                        labelledExposedShare: nil, exposureGap: nil, groups: [.independent: stats])]
        report.inputs = [InputSummary(path: "- not|a list <img src=x>", format: .csv, compression: "none", bytes: 1, sha256: "00", rowsRead: 1)]
        let text = MarkdownReport.render(report)
        #expect(text.range(of: #"(?<!\\)<"#, options: .regularExpression) == nil, "no unescaped < at all: \(text)")
        #expect(text.contains("- \\- not\\|a list \\<img src=x\\>"), "the path is one list item, escaped: \(text)")
        #expect(text.contains("## a\\|b\\<script\\>: T \\*bold\\* \\[link\\](x) \\| pipe new line\n"), "\(text)")
        let headline = Self.table(after: "## Independent vs labelled tracks exposed to AI training", in: text)
        #expect(markdownTestCells(headline[2]) == ["a\\|b\\<script\\>", "100.0%", "n/a", "n/a"])
    }

    @Test("escape", arguments: [
        ("plain title 2024", "plain title 2024"),
        ("a|b", "a\\|b"),
        ("a\\|b", "a\\\\\\|b"),
        ("<b>&amp;</b>", "\\<b\\>\\&amp;\\</b\\>"),
        ("*_`~#$[]", "\\*\\_\\`\\~\\#\\$\\[\\]"),
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("2026. year", "2026\\. year"),
        ("3) x", "3\\) x"),
        ("a-b+c. d)", "a-b+c. d)"),
        ("line\nbreak\r\ttab", "line break  tab"),
        ("bell\u{7}", "bell\u{FFFD}"),
    ])
    func escape(_ input: String, _ expected: String) {
        #expect(MarkdownReport.escape(input) == expected)
    }
}
