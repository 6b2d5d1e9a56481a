import Testing
import ConsentryModel

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
}
