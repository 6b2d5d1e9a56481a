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

/// The page parsed as XML: the HTML report is written to be well-formed XML too.
func htmlTestParse(_ html: String) throws -> XMLDocument {
    try XMLDocument(xmlString: html, options: [])
}

func htmlTestNodes(_ document: XMLDocument, _ xpath: String) throws -> [XMLElement] {
    try document.nodes(forXPath: xpath).compactMap { $0 as? XMLElement }
}

@Suite("HTMLReport: one self-contained page")
struct HTMLReportTests {
    /// Two stored runs of the same catalogue under two policies; the document of the second.
    static func storedDocument(_ dir: TempDir) throws -> ReportDocument {
        _ = try ReportRendererTests.storedReport(dir)
        _ = try ReportRendererTests.storedReport(dir)
        return try ResultsDatabase(path: dir.db, create: false).reportDocument(runID: nil)
    }

    static let sections = ["run", "headline", "exposure", "trend", "groups", "what-if", "rejects"]

    /// Checks what every page must be: parseable, no script, nothing loaded from elsewhere.
    static func checkSelfContained(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> XMLDocument {
        let document = try htmlTestParse(html)
        #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">"), sourceLocation: sourceLocation)
        #expect(html.range(of: "<script", options: .caseInsensitive) == nil, sourceLocation: sourceLocation)
        for marker in ["<link", "<img", "<iframe", "<object", "@import", "url(", "javascript:"] {
            #expect(html.range(of: marker, options: .caseInsensitive) == nil, "\(marker)", sourceLocation: sourceLocation)
        }
        let references = try document.nodes(forXPath: "//@*[local-name() = 'src' or local-name() = 'href']").compactMap(\.stringValue)
        #expect(references.isEmpty, "no asset is referenced: \(references)", sourceLocation: sourceLocation)
        #expect(html.range(of: #"(src|href)\s*=\s*["']?\s*(https?:)?//"#, options: [.regularExpression, .caseInsensitive]) == nil,
                sourceLocation: sourceLocation)
        let title = try htmlTestNodes(document, "/html/head/title").first?.stringValue ?? ""
        #expect(!title.isEmpty, sourceLocation: sourceLocation)
        let ids = try htmlTestNodes(document, "/html/body/main/*[@id]").compactMap { $0.attribute(forName: "id")?.stringValue }
        #expect(ids == sections, "every section, in order", sourceLocation: sourceLocation)
        for svg in try htmlTestNodes(document, "//svg") {
            #expect(svg.attribute(forName: "role")?.stringValue == "img", sourceLocation: sourceLocation)
            #expect(svg.attribute(forName: "aria-label")?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
            #expect(svg.elements(forName: "title").first?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        }
        return document
    }

    @Test("a stored run: well-formed, self-contained, every section, bars per group with tracks, points per run")
    func structure() throws {
        let dir = try TempDir("html")
        let document = try Self.storedDocument(dir)
        let html = HTMLReport.render(document)
        let page = try Self.checkSelfContained(html)

        let title = try htmlTestNodes(page, "/html/head/title").first?.stringValue
        #expect(title == "consentry report: run \(document.report.runID), completed, \(document.report.startedAt.prefix(10))")

        // Headline cards: one per policy, the big numbers as text.
        let cards = try htmlTestNodes(page, "//section[@id='headline']//article")
        #expect(cards.count == 2)
        let values = try htmlTestNodes(page, "//section[@id='headline']//span[@class='value']").compactMap(\.stringValue)
        #expect(values == ["33.3%", "0.0%", "+33.3 pts", "100.0%", "0.0%", "+100.0 pts"])
        #expect(cards[0].stringValue?.contains("since run 1: +0.0 pts") == true, "\(cards[0].stringValue ?? "")")

        // Bars: a chart per policy, a bar per group with tracks (licensed has none).
        let barCharts = try htmlTestNodes(page, "//section[@id='exposure']//svg")
        #expect(barCharts.count == 2)
        for chart in barCharts {
            let bars = try chart.nodes(forXPath: ".//rect[starts-with(@class, 'bar bar-')]").compactMap { ($0 as? XMLElement)?.attribute(forName: "class")?.stringValue }
            #expect(bars == ["bar bar-independent", "bar bar-major", "bar bar-unknown", "bar bar-all"])
            #expect(chart.stringValue?.contains("no tracks") == true, "licensed is labelled, not drawn")
        }
        // Widths are the shares of the 440-unit plot: opt-out independent 1/3, all 2/5.
        let optOutBars = try barCharts[0].nodes(forXPath: ".//rect[starts-with(@class, 'bar bar-')]/@width").compactMap(\.stringValue)
        #expect(optOutBars == ["146.67", "0.00", "440.00", "176.00"])
        #expect(barCharts[0].stringValue?.contains("33.3% · 1 of 3") == true)

        // Trend: a chart per policy, one point per stored run for each series, a legend, axis titles.
        let trendCharts = try htmlTestNodes(page, "//section[@id='trend']//svg")
        #expect(trendCharts.count == 2)
        for chart in trendCharts {
            #expect(try chart.nodes(forXPath: ".//circle[@class='point point-independent']").count == 2)
            #expect(try chart.nodes(forXPath: ".//rect[@class='point point-labelled']").count == 2)
            #expect(try chart.nodes(forXPath: ".//path[@class='line line-independent']").count == 1)
            #expect(try chart.nodes(forXPath: ".//path[@class='line line-labelled']").count == 1)
            let text = chart.stringValue ?? ""
            for label in ["independent", "labelled (major + licensed)", "run 1", "run 2", "0%", "100%", "completed run (start date, UTC)",
                          "share exposed to AI training"] {
                #expect(text.contains(label), "\(label)")
            }
        }

        // Verdict tables: a row per group; what-if: one pair; rejects: a row per code with its example.
        #expect(try htmlTestNodes(page, "//section[@id='groups']//table").count == 2)
        #expect(try htmlTestNodes(page, "(//section[@id='groups']//table)[1]/tbody/tr").count == 5)
        let transitions = try htmlTestNodes(page, "//section[@id='what-if']//table")
        #expect(transitions.count == 1)
        #expect(transitions.first?.elements(forName: "caption").first?.stringValue == "soundcloud-opt-out → soundcloud-2025-05")
        let rejectRows = try htmlTestNodes(page, "//section[@id='rejects']//tbody/tr")
        #expect(rejectRows.compactMap { $0.elements(forName: "td").first?.stringValue } == ["invalid_label_status", "duplicate_track_id"])
        let examples = try htmlTestNodes(page, "//section[@id='rejects']//li")
        #expect(examples.count == 2)
        #expect(examples.first?.stringValue?.contains("r.csv:7") == true, "\(examples.first?.stringValue ?? "")")
        #expect(try htmlTestNodes(page, "//code[@class='excerpt']").first?.stringValue == "x1,signed,,")
    }

    /// A run whose every piece of user data tries to break out of the markup.
    static func hostileDocument() -> ReportDocument {
        var report = RunReport(runID: 3, status: "completed\"><script>", startedAt: "2026-11-20T00:00:00.000Z<b>",
                               finishedAt: "2026-11-20T00:00:01.000Z", error: nil, rowsRead: 2, rowsScanned: 1, rowsRejected: 1)
        report.inputs = [InputSummary(path: "/in/<script>alert('p')</script>&.csv", format: .csv, compression: "none",
                                      bytes: 2048, sha256: "\"><script>", rowsRead: 2)]
        var stats = GroupStatistics()
        stats.tracks = 1
        stats.anyTrainingExposed = 1
        stats.uses = [[1, 0, 0], [1, 0, 0], [1, 0, 0], [0, 0, 1]]
        report.policies = [
            PolicyReport(id: "p\"'<script>", title: "Title & <script>alert(\"t\")</script>", independentExposedShare: 1,
                         labelledExposedShare: nil, exposureGap: nil, groups: [.independent: stats, .all: stats]),
            PolicyReport(id: "q&<i>", title: "Q", independentExposedShare: 0, labelledExposedShare: nil, exposureGap: nil,
                         groups: [.independent: GroupStatistics()]),
        ]
        report.rejectsByCode = [.invalidBoolean: 1]
        report.transitions = [PolicyTransition(fromPolicy: "p\"'<script>", toPolicy: "q&<i>", group: .independent,
                                               use: .aiTraining, from: .exposed, to: .blocked, tracks: 1)]
        let reject = StoredReject(input: "/in/<script>alert('p')</script>&.csv", line: 2, offset: 10, code: "invalid_boolean",
                                  column: "genai_opt_in\"<b>", message: "not a boolean: '<script>'",
                                  excerpt: "t-1</code><script>alert(1)</script>,\u{1}yes\n")
        let trend = [TrendPoint(runID: 3, startedAt: "<i>&\"2026-11-20", tracks: 1, independentExposedShare: 1,
                                labelledExposedShare: nil, exposureGap: nil)]
        return ReportDocument(report: report, trends: ["p\"'<script>": trend, "q&<i>": trend],
                              rejectExamples: [.invalidBoolean: [reject]])
    }

    @Test("user data (titles, ids, paths, excerpts, dates) is text, never markup")
    func hostileUserData() throws {
        let html = HTMLReport.render(Self.hostileDocument())
        let page = try Self.checkSelfContained(html)
        #expect(!html.contains("<script>"))
        #expect(!html.contains("<b>"))
        #expect(!html.contains("<i>"))
        #expect(!html.contains("\u{1}"), "a control character is shown, not written raw")
        #expect(html.contains("Title &amp; &lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;"))
        // Parsed back, the text is exactly the user's.
        let text = page.rootElement()?.stringValue ?? ""
        for raw in ["Title & <script>alert(\"t\")</script>", "/in/<script>alert('p')</script>&.csv:2", "not a boolean: '<script>'",
                    "t-1</code><script>alert(1)</script>,\u{2401}yes⏎", "[genai_opt_in\"<b>]", "p\"'<script> → q&<i>"] {
            #expect(text.contains(raw), "\(raw)")
        }
        let labels = try page.nodes(forXPath: "//svg/@aria-label").compactMap(\.stringValue)
        #expect(labels.contains { $0.contains("under p\"'<script>:") }, "\(labels)")
        // The status is shown as text; only a known status becomes a class name.
        #expect(try htmlTestNodes(page, "//h1/span").first?.attribute(forName: "class")?.stringValue == "status status-other")
    }

    @Test("a failed run: every section is there and says there are no statistics")
    func failedRun() throws {
        let report = RunReport(runID: 5, status: "failed", startedAt: "2026-11-20T01:00:00.000Z", finishedAt: "2026-11-20T01:00:03.500Z",
                               error: "catalogue.csv.gz: the gzip stream is truncated", rowsRead: 0, rowsScanned: 0, rowsRejected: 0)
        let html = HTMLReport.render(ReportDocument(report: report))
        let page = try Self.checkSelfContained(html)
        #expect(try htmlTestNodes(page, "//h1/span").first?.attribute(forName: "class")?.stringValue == "status status-failed")
        #expect(try htmlTestNodes(page, "//p[@class='error']").first?.stringValue == "Error: catalogue.csv.gz: the gzip stream is truncated")
        #expect(html.contains("<dt>Duration</dt><dd>3.5 s</dd>"))
        #expect(try page.nodes(forXPath: "//svg").isEmpty)
        for section in ["headline", "exposure", "trend", "groups"] {
            #expect(try htmlTestNodes(page, "//section[@id='\(section)']/p[@class='empty']").first?.stringValue
                        == "No statistics: the run did not complete.", "\(section)")
        }
        #expect(try htmlTestNodes(page, "//section[@id='rejects']/p[@class='empty']").first?.stringValue == "No record was rejected.")
    }

    @Test("escape", arguments: [
        ("plain", "plain"),
        ("<a href=\"x\">&'", "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"),
        ("tab\tline\n", "tab\tline\n"),
        ("nul\u{0}bell\u{7}esc\u{1B}", "nul\u{2400}bell\u{2407}esc\u{241B}"),
        ("bad\u{FFFE}", "bad\u{FFFD}"),
        ("ünïcødé ⏎", "ünïcødé ⏎"),
    ])
    func escape(_ input: String, _ expected: String) {
        #expect(HTMLReport.escape(input) == expected)
    }

    @Test("trend tick labels: at most six, always the last run; a single run sits in the middle")
    func trendTicks() throws {
        let points = (1...30).map { TrendPoint(runID: Int64($0), startedAt: "2026-10-\($0 < 10 ? "0" : "")\($0)T00:00:00Z", tracks: 10,
                                               independentExposedShare: $0 == 15 ? nil : 0.9, labelledExposedShare: 0.1, exposureGap: nil) }
        let svg = HTMLReport.LineChart.svg(points, id: "t", policyID: "p")
        let page = try htmlTestParse(svg)
        let runLabels = try page.nodes(forXPath: "//text[@class='tick' and starts-with(., 'run ')]").compactMap(\.stringValue)
        #expect(runLabels == ["run 5", "run 10", "run 15", "run 20", "run 25", "run 30"])
        #expect(try page.nodes(forXPath: "//line[@class='tick-mark']").count == 30)
        #expect(try page.nodes(forXPath: "//circle[@class='point point-independent']").count == 29, "no point for the unknown share")
        let path = try page.nodes(forXPath: "//path[@class='line line-independent']/@d").first?.stringValue ?? ""
        #expect(path.filter { $0 == "M" }.count == 2, "the line breaks at the unknown share: \(path)")

        let single = try htmlTestParse(HTMLReport.LineChart.svg([points[0]], id: "s", policyID: "p"))
        let cx = try single.nodes(forXPath: "//circle[@class='point point-independent']/@cx").first?.stringValue
        #expect(cx == "281.00")
    }
}

@Suite("ReportDocument: report, trends and reject examples in one call")
struct ReportDocumentTests {
    @Test("reject examples: the first three of each code, in input order, like `rejects --code --limit 3`")
    func rejectExamples() throws {
        let dir = try TempDir("document")
        let report = try scanTestScan(dir.db, inputs: [Paths.sample("dirty.csv")], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy))
        let db = try ResultsDatabase(path: dir.db, create: false)
        let examples = try db.rejectExamples(runID: report.runID, perCode: 3)
        #expect(Set(examples.keys) == Set(report.rejectsByCode.keys))
        #expect(report.rejectsByCode.values.contains { $0 > 3 }, "the sample has a code with more than three rejects")
        for (code, list) in examples {
            #expect(list.count == min(3, report.rejectsByCode[code] ?? 0), "\(code)")
            #expect(list == (try db.rejects(runID: report.runID, code: code.rawValue, limit: 3)).rejects, "\(code)")
        }
        #expect(try db.rejectExamples(runID: report.runID, perCode: 0).isEmpty)
        #expect(try db.reportDocument(runID: report.runID).rejectExamples == examples)
    }

    @Test("trends stop at the reported run and keep the last N; the report is the stored one")
    func trends() throws {
        let dir = try TempDir("document")
        let runs = try (0..<3).map { _ in try ReportRendererTests.storedReport(dir) }
        let db = try ResultsDatabase(path: dir.db, create: false)
        let middle = try db.reportDocument(runID: runs[1].runID)
        #expect(middle.report == (try db.report(runID: runs[1].runID)))
        #expect(Set(middle.trends.keys) == ["soundcloud-opt-out", "soundcloud-2025-05"])
        #expect(middle.trend("soundcloud-opt-out").map(\.runID) == [runs[0].runID, runs[1].runID], "no later run")
        #expect(try db.reportDocument(runID: nil).trend("soundcloud-2025-05").map(\.runID) == runs.map(\.runID))
        let lastTwo = try db.reportDocument(runID: nil, trendRuns: 2)
        #expect(lastTwo.trend("soundcloud-2025-05") == (try db.trend(policyID: "soundcloud-2025-05", last: 2)))
        #expect(lastTwo.trend("no-such-policy").isEmpty)
    }
}
