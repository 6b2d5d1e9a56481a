import Testing
import ConsentryModel
@testable import ConsentryStore
@testable import ConsentryReports

@Suite("VisibleText: control characters from a catalogue are shown, never sent to the terminal")
struct VisibleTextTests {
    @Test("text without control characters is unchanged")
    func plain() {
        for text in ["", "Sony Music", "東京 Records", "Café\u{301}", "tab-free 😀", "\u{A0}no-break"] {
            #expect(VisibleText.of(text) == text)
        }
    }

    @Test("line breaks become ⏎ (CRLF one), other C0 controls and DEL their pictures, C1 controls U+FFFD")
    func controls() {
        #expect(VisibleText.of("a\nb\r\nc\rd") == "a⏎b⏎c⏎d")
        #expect(VisibleText.of("x\u{0}y") == "x␀y")
        #expect(VisibleText.of("\u{1B}[31mred\u{1B}[0m") == "␛[31mred␛[0m")
        #expect(VisibleText.of("\t") == "␉")
        #expect(VisibleText.of("a\u{7F}") == "a␡")
        #expect(VisibleText.of("\u{9B}2J") == "\u{FFFD}2J")
        for value in UInt32(0)..<0xA0 {
            let shown = VisibleText.of(String(Unicode.Scalar(value)!))
            let isControl = value < 0x20 || value >= 0x7F
            #expect(shown.unicodeScalars.allSatisfy { $0.value >= 0x20 && !(0x7F..<0xA0).contains($0.value) }, "U+\(value)")
            #expect((shown == String(Unicode.Scalar(value)!)) == !isControl, "U+\(value)")
        }
    }

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
