import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
@testable import ConsentryReports
import TestSupport

@Suite("ReportMetrics: Prometheus text exposition")
struct ReportMetricsTests {
    static let sampleLine = try! NSRegularExpression(pattern: #"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? -?([0-9.e+-]+|NaN|\+Inf|-Inf)$"#)
    static let helpLine = try! NSRegularExpression(pattern: #"^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$"#)
    static let typeLine = try! NSRegularExpression(pattern: #"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$"#)

    static func matches(_ regex: NSRegularExpression, _ line: String) -> [String]? {
        let range = NSRange(line.startIndex..., in: line)
        guard let m = regex.firstMatch(in: line, range: range) else { return nil }
        return (0..<m.numberOfRanges).map { i in
            Range(m.range(at: i), in: line).map { String(line[$0]) } ?? ""
        }
    }

    /// Checks the format; returns the sample lines by metric name.
    static func check(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String: [String]] {
        #expect(text.hasSuffix("\n"), "the last line ends with a line break", sourceLocation: sourceLocation)
        var help: [String: Int] = [:]
        var type: [String: Int] = [:]
        var samples: [String: [String]] = [:]
        var current: String? = nil
        var closed = Set<String>()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) {
            if line.hasPrefix("#") {
                if let m = matches(helpLine, line) {
                    help[m[1], default: 0] += 1
                    #expect(type[m[1]] == nil, "HELP of \(m[1]) comes before its TYPE", sourceLocation: sourceLocation)
                    #expect(samples[m[1]] == nil, "HELP of \(m[1]) comes before its samples", sourceLocation: sourceLocation)
                    if let current, current != m[1] { closed.insert(current) }
                    current = m[1]
                } else if let m = matches(typeLine, line) {
                    type[m[1], default: 0] += 1
                    #expect(samples[m[1]] == nil, "TYPE of \(m[1]) comes before its samples", sourceLocation: sourceLocation)
                    #expect(current == m[1], "TYPE of \(m[1]) follows its HELP", sourceLocation: sourceLocation)
                } else {
                    Issue.record("malformed comment line: \(line)", sourceLocation: sourceLocation)
                }
                continue
            }
            guard let m = matches(sampleLine, line) else {
                Issue.record("not a valid sample line: \(line.debugDescription)", sourceLocation: sourceLocation)
                continue
            }
            _ = m
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            #expect(help[name] == 1 && type[name] == 1, "\(name) has one HELP and one TYPE before its samples", sourceLocation: sourceLocation)
            #expect(current == name && !closed.contains(name), "samples of \(name) are grouped under its own HELP/TYPE", sourceLocation: sourceLocation)
            samples[name, default: []].append(line)
        }
        for (name, n) in help { #expect(n == 1, "\(name): \(n) HELP lines", sourceLocation: sourceLocation) }
        for (name, n) in type { #expect(n == 1, "\(name): \(n) TYPE lines", sourceLocation: sourceLocation) }
        #expect(Set(help.keys) == Set(type.keys), sourceLocation: sourceLocation)
        return samples
    }

    @Test("metrics of a stored run: valid exposition, one HELP and TYPE per family, the run's figures")
    func storedRun() throws {
        let dir = try TempDir("metrics")
        let report = try ReportRendererTests.storedReport(dir)
        let started = Date(timeIntervalSince1970: 1_790_000_000.25)
        let text = ReportMetrics.text(report, started: started, finished: started.addingTimeInterval(1.5))
        let samples = Self.check(text)
        #expect(samples["consentry_last_run_success"] == ["consentry_last_run_success 1"])
        #expect(samples["consentry_last_run_id"] == ["consentry_last_run_id \(report.runID)"])
        #expect(samples["consentry_last_run_duration_seconds"] == ["consentry_last_run_duration_seconds 1.5"])
        #expect(samples["consentry_rows"]?.contains("consentry_rows{state=\"read\"} 7") == true)
        #expect(samples["consentry_rows"]?.contains("consentry_rows{state=\"scanned\"} 5") == true)
        #expect(samples["consentry_rows"]?.contains("consentry_rows{state=\"rejected\"} 2") == true)
        #expect(samples["consentry_rejects"]?.contains("consentry_rejects{code=\"duplicate_track_id\"} 1") == true)
        #expect(samples["consentry_rejects"]?.count == RejectCode.allCases.count)
        #expect(samples["consentry_tracks"]?.contains("consentry_tracks{policy=\"soundcloud-opt-out\",group=\"independent\"} 3") == true)
        #expect(samples["consentry_tracks"]?.count == 2 * 5)
        #expect(samples["consentry_verdicts"]?.count == 2 * 5 * 4 * 3)
        let indie = try #require(samples["consentry_independent_exposed_share"])
        #expect(indie.contains("consentry_independent_exposed_share{policy=\"soundcloud-opt-out\"} \(1.0 / 3.0)"))
        #expect(indie.contains("consentry_independent_exposed_share{policy=\"soundcloud-2025-05\"} 1.0"))
        // Every sample value parses as a number (or NaN).
        for line in samples.values.joined() {
            let value = String(line.split(separator: " ").last ?? "")
            #expect(value == "NaN" || Double(value) != nil, "\(line)")
        }
    }

    @Test("label values with quotes, backslashes and line breaks are escaped; missing shares are NaN")
    func escaping() throws {
        var report = RunReport(runID: 12, status: "completed", startedAt: "s", finishedAt: "f", error: nil,
                               rowsRead: 0, rowsScanned: 0, rowsRejected: 0)
        report.policies = [
            PolicyReport(id: #"odd "quoted" \ policy"#, title: "t", independentExposedShare: nil, labelledExposedShare: 0.5, exposureGap: nil),
            PolicyReport(id: "two\nlines", title: "t", independentExposedShare: 0.25, labelledExposedShare: nil, exposureGap: nil),
        ]
        let text = ReportMetrics.text(report, started: Date(timeIntervalSince1970: 0), finished: Date(timeIntervalSince1970: 2))
        let samples = Self.check(text)
        let indie = try #require(samples["consentry_independent_exposed_share"])
        #expect(indie.contains(#"consentry_independent_exposed_share{policy="odd \"quoted\" \\ policy"} NaN"#), "\(indie)")
        #expect(indie.contains(#"consentry_independent_exposed_share{policy="two\nlines"} 0.25"#), "\(indie)")
        #expect(samples["consentry_labelled_exposed_share"]?.contains(#"consentry_labelled_exposed_share{policy="odd \"quoted\" \\ policy"} 0.5"#) == true)
        #expect(samples["consentry_exposure_gap"]?.allSatisfy { $0.hasSuffix(" NaN") } == true)
        #expect(samples["consentry_tracks"]?.count == 2 * 5)
    }

    @Test("failure metrics are valid exposition with success 0")
    func failure() {
        let started = Date(timeIntervalSince1970: 1_790_000_000)
        let text = ReportMetrics.failure(started: started, finished: started.addingTimeInterval(0.125))
        let samples = Self.check(text)
        #expect(samples["consentry_last_run_success"] == ["consentry_last_run_success 0"])
        #expect(samples["consentry_last_run_duration_seconds"] == ["consentry_last_run_duration_seconds 0.125"])
        #expect(samples["consentry_last_run_start_timestamp_seconds"]?.count == 1)
        #expect(samples["consentry_rows"] == nil)
    }

    @Test("a report with no policy still has well-formed families (no orphan samples)")
    func noPolicies() {
        let report = RunReport(runID: 1, status: "completed", startedAt: "s", finishedAt: "f", error: nil,
                               rowsRead: 0, rowsScanned: 0, rowsRejected: 0)
        let samples = Self.check(ReportMetrics.text(report, started: Date(), finished: Date()))
        #expect(samples["consentry_rows"]?.count == 3)
    }
}
