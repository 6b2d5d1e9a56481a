/// Text from a catalogue — labels, artists, ids, rejected bytes — with its control characters
/// shown rather than acted on.
///
/// A terminal acts on an escape sequence in a label (colours, cursor moves, a changed window
/// title), a NUL cuts a line for some tools, and XML (the HTML report) forbids most control
/// characters. Line breaks become ⏎, the other C0 controls and DEL their control pictures
/// (␀ … ␟, ␡), and C1 controls, which some terminals also act on, U+FFFD.
public enum VisibleText {
    public static func of(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        var afterCR = false
        for scalar in text.unicodeScalars {
            defer { afterCR = scalar == "\r" }
            switch scalar.value {
            case 0x0A where afterCR:
                continue
            case 0x0A, 0x0D:
                out.append("⏎")
            case 0x00..<0x20:
                out.append(Unicode.Scalar(0x2400 + scalar.value)!)
            case 0x7F:
                out.append("\u{2421}")
            case 0x80..<0xA0:
                out.append("\u{FFFD}")
            default:
                out.append(scalar)
            }
        }
        return String(out)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F..<0xA0).contains(scalar.value)
    }
}
