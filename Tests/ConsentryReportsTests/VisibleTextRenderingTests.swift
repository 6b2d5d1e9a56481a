import Testing
import ConsentryModel
@testable import ConsentryStore
@testable import ConsentryReports

@Suite("Text renderings show the catalogue's control characters (VisibleText), never send them to the terminal")
struct VisibleTextRenderingTests {
    @Test("the text renderings that print catalogue text show it visibly")
    func renderings() {
        var breakdown = Breakdown(policyCount: 1)
        breakdown.add(key: "evil\u{1B}]0;title\u{7}", policy: 0, tracks: 2, exposed: 1)
        let text = BreakdownRenderer.text(RunBreakdown(runID: 1, field: .label, policyIDs: ["p"], breakdown: breakdown), top: nil)
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        #expect(text.contains("evil␛]0;title␇"))
        let reject = StoredReject(input: "in.csv", line: 3, offset: 10, code: "invalid_boolean", column: "ai_opt_out",
                                  message: "ai_opt_out '\u{1B}[2J' is not a boolean", excerpt: "1,\u{1B}[2J\r\n")
        let line = TrendRenderer.rejects([reject])
        #expect(line == "in.csv:3: invalid_boolean [ai_opt_out]: ai_opt_out '␛[2J' is not a boolean | 1,␛[2J⏎\n")
    }
}
