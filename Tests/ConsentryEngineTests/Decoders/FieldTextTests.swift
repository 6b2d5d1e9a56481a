import Foundation
import Testing
import ConsentryModel
@testable import ConsentryEngine
import TestSupport

/// Runs a FieldText function over the whole of `text`.
private func over<T>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>, Int, Int) -> T) -> T {
    Array(text.utf8).withUnsafeBufferPointer { body($0, 0, $0.count) }
}

/// Runs it over `text` followed by 16 more bytes: the parsers that read a word at a time do
/// so only when the bytes after a value allow it.
private func overPadded<T>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>, Int, Int) -> T) -> T {
    let bytes = Array(text.utf8)
    return (bytes + Array(repeating: UInt8(ascii: "e"), count: 16)).withUnsafeBufferPointer { body($0, 0, bytes.count) }
}

/// The value both ways, which must agree.
private func bothWays<T: Equatable>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>, Int, Int) -> T) -> T {
    let exact = over(text, body)
    let padded = overPadded(text, body)
    #expect(exact == padded, "'\(text)': \(exact) without room after it, \(padded) with")
    return exact
}

private func bool(_ text: String) -> Bool? { bothWays(text) { FieldText.parseBool($0, $1, $2) } }
private func status(_ text: String) -> LabelStatus? { bothWays(text) { FieldText.parseLabelStatus($0, $1, $2) } }
private func timestamp(_ text: String) -> Int64? { over(text) { FieldText.parseTimestamp($0, $1, $2) } }
/// The validation-only mode (used when no policy compares dates) must accept exactly the same.
private func timestampIsValid(_ text: String) -> Bool {
    over(text) { FieldText.parseTimestamp($0, $1, $2, value: false) } != nil
}

private func validUTF8(_ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBufferPointer { FieldText.isValidUTF8($0) }
}

@Suite("FieldText")
struct FieldTextTests {
    // MARK: Booleans

    static let trueSpellings = ["true", "t", "yes", "y", "1", "TRUE", "True", "tRuE", "T", "YES", "Yes", "Y"]
    static let falseSpellings = ["false", "f", "no", "n", "0", "FALSE", "False", "F", "NO", "No", "N", ""]
    static let notBooleans = ["maybe", "2", "tru", "ye", "fals", "nope", "on", "off", "10", "01", "-1",
                              "true1", "yess", " true", "true ", "t\u{0}", "\u{130}", "ｔｒｕｅ", "ja"]

    @Test("true spellings", arguments: trueSpellings)
    func trueValues(_ text: String) { #expect(bool(text) == true) }

    @Test("false spellings, and empty is false", arguments: falseSpellings)
    func falseValues(_ text: String) { #expect(bool(text) == false) }

    @Test("anything else is not a boolean", arguments: notBooleans)
    func invalidBooleans(_ text: String) { #expect(bool(text) == nil) }

    @Test("single bytes: only t y 1 f n 0 in either case")
    func everySingleByte() {
        for byte in UInt8(0)...UInt8(255) {
            let got = [byte].withUnsafeBufferPointer { FieldText.parseBool($0, 0, 1) }
            let gotPadded = ([byte] + Array(repeating: 0x20, count: 15)).withUnsafeBufferPointer { FieldText.parseBool($0, 0, 1) }
            #expect(gotPadded == got, "byte 0x\(String(byte, radix: 16)) with room after it")
            let expected: Bool?
            switch byte {
            case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "1"): expected = true
            case UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "0"): expected = false
            default: expected = nil
            }
            #expect(got == expected, "byte 0x\(String(byte, radix: 16))")
        }
    }

    @Test("values are read within the given range only")
    func subrange() {
        let bytes = Array("xxyesxx".utf8)
        #expect(bytes.withUnsafeBufferPointer { FieldText.parseBool($0, 2, 5) } == true)
        #expect(bytes.withUnsafeBufferPointer { FieldText.parseBool($0, 2, 4) } == nil)
        let label = Array("[major]".utf8)
        #expect(label.withUnsafeBufferPointer { FieldText.parseLabelStatus($0, 1, 6) } == .major)
    }

    /// The case-insensitive compare the word matching must equal: fold A–Z only.
    static func referenceMatch(_ bytes: [UInt8], _ word: String) -> Bool {
        let lowered = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        return lowered == Array(word.utf8)
    }

    @Test("every word with any one byte replaced by any value matches exactly as an A–Z-folding compare")
    func wordMatchingAgainstReference() {
        let booleans: [(String, Bool)] = [("true", true), ("yes", true), ("false", false), ("no", false)]
        let statuses: [(String, LabelStatus)] = [("major", .major), ("unknown", .unknown), ("licensed", .licensed),
                                                 ("unsigned", .independent), ("independent", .independent)]
        let words = booleans.map(\.0) + statuses.map(\.0)
        var mismatches: [String] = []
        for word in words {
            let base = Array(word.utf8)
            for position in base.indices {
                for byte in UInt8(0)...UInt8(255) {
                    var bytes = base
                    bytes[position] = byte
                    let expectedBool = booleans.first { Self.referenceMatch(bytes, $0.0) }?.1
                    let expectedStatus = statuses.first { Self.referenceMatch(bytes, $0.0) }?.1
                    // Padded with letters, which a read past the range would pick up. With one
                    // byte after it the bytewise path runs, with 16 the word-at-a-time path.
                    for pad in [1, 16] {
                        let padded = [0x41] + bytes + Array(repeating: 0x41, count: pad)
                        let gotBool = padded.withUnsafeBufferPointer { FieldText.parseBool($0, 1, 1 + bytes.count) }
                        let gotStatus = padded.withUnsafeBufferPointer { FieldText.parseLabelStatus($0, 1, 1 + bytes.count) }
                        if bytes.count > 1 && gotBool != expectedBool || gotStatus != expectedStatus {
                            mismatches.append("\(word)[\(position)] = 0x\(String(byte, radix: 16)), pad \(pad)")
                        }
                    }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    /// The little-endian word of a spelling.
    static func word(_ text: String) -> UInt64 {
        text.utf8.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    @Test("the tables the word-at-a-time parsers read are their spellings, each alone in its slot")
    func spellingTables() {
        var booleans = [UInt64](repeating: 0, count: 16)
        let booleanSpellings: [(String, Bool)] = [("", false), ("t", true), ("y", true), ("1", true), ("f", false), ("n", false),
                                                  ("0", false), ("no", false), ("yes", true), ("true", true), ("false", false)]
        for (text, value) in booleanSpellings {
            let k = Int((Self.word(text) &* FieldText.booleanHash) >> 60)
            #expect(booleans[k] == 0, "'\(text)' shares slot \(k)")
            let letters: UInt64 = text.utf8.allSatisfy { $0 >= 0x61 } ? 1 : 0
            booleans[k] = Self.word(text) | UInt64(text.utf8.count) << 56 | letters << 59 | (value ? 1 : 0) << 60 | 1 << 63
        }
        #expect((0..<16).map(FieldText.booleanSlot) == booleans)

        var statuses = [UInt64](repeating: 0, count: 32)
        let statusSpellings: [(String, LabelStatus)] = [("", .unknown), ("major", .major), ("licensed", .licensed),
                                                        ("unsigned", .independent), ("independent", .independent),
                                                        ("unknown", .unknown)]
        for (text, status) in statusSpellings {
            let head = Self.word(String(text.prefix(8)))
            let k = Int((head &* FieldText.statusHash) >> 60)
            #expect(statuses[2 * k + 1] == 0, "'\(text)' shares slot \(k)")
            statuses[2 * k] = head
            statuses[2 * k + 1] = UInt64(text.utf8.count) | UInt64(status.rawValue) << 4 | 1 << 63
        }
        #expect((0..<32).map(FieldText.statusWord) == statuses)
    }

    @Test("random short values read as an A–Z-folding compare with the spellings does")
    func randomValuesAgainstReference() {
        // Bytes of the spellings in both cases, and their neighbours under folding (0x11 and
        // 0x10 fold to 1 and 0; @ and [ fold to ` and {): values that hash to a spelling's
        // slot without being it.
        let alphabet = Array("tTrRuUeEyYsSfFaAlLnNoOiIdDpPmMjJcCkKwWgG10 ".utf8) + [0x11, 0x10, 0x40, 0x5B, 0x00, 0xC3]
        let booleans: [(String, Bool)] = [("true", true), ("t", true), ("yes", true), ("y", true), ("1", true),
                                          ("false", false), ("f", false), ("no", false), ("n", false), ("0", false), ("", false)]
        let statuses: [(String, LabelStatus)] = [("major", .major), ("unknown", .unknown), ("licensed", .licensed),
                                                 ("unsigned", .independent), ("independent", .independent), ("", .unknown)]
        var generator = SeededRNG(seed: 20261207)
        var mismatches: [String] = []
        var failures = 0
        for _ in 0..<200_000 {
            // Mostly a spelling with a byte or two changed, else random bytes.
            var bytes: [UInt8]
            if Bool.random(using: &generator) {
                let spelling = Bool.random(using: &generator) ? booleans.randomElement(using: &generator)!.0
                    : statuses.randomElement(using: &generator)!.0
                bytes = Array(spelling.utf8)
                for _ in 0..<Int.random(in: 0...2, using: &generator) where !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = alphabet.randomElement(using: &generator)!
                }
            } else {
                bytes = (0..<Int.random(in: 0...11, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            }
            let expectedBool = booleans.first { Self.referenceMatch(bytes, $0.0) }?.1
            let expectedStatus = statuses.first { Self.referenceMatch(bytes, $0.0) }?.1
            let padded = [0x41] + bytes + Array(repeating: 0x41, count: 16)
            let gotBool = padded.withUnsafeBufferPointer { FieldText.parseBool($0, 1, 1 + bytes.count) }
            let gotStatus = padded.withUnsafeBufferPointer { FieldText.parseLabelStatus($0, 1, 1 + bytes.count) }
            if gotBool != expectedBool || gotStatus != expectedStatus {
                failures += 1
                if mismatches.count < 10 { mismatches.append("\(bytes.map { String($0, radix: 16) })") }
            }
        }
        #expect(failures == 0, "e.g. \(mismatches)")
    }

    @Test("containsControl finds any byte below 0x20 or 0x7F at any position, and no other byte")
    func controlBytesAgainstReference() {
        var mismatches: [String] = []
        for length in 1...19 {
            for position in 0..<length {
                for byte in UInt8(0)...UInt8(255) {
                    var bytes = Array(repeating: UInt8(ascii: "7"), count: length)
                    bytes[position] = byte
                    let expected = byte < 0x20 || byte == 0x7F
                    // Control bytes around the range must not count; with no byte after it the
                    // bytewise tail runs, with 8 the masked word.
                    for pad in [0, 8] {
                        let padded = [0x01] + bytes + Array(repeating: 0x01, count: pad)
                        let got = padded.withUnsafeBufferPointer { FieldText.containsControl($0, 1, 1 + length) }
                        if got != expected { mismatches.append("length \(length), [\(position)] = 0x\(String(byte, radix: 16)), pad \(pad)") }
                    }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
        let empty: [UInt8] = [0x01, 0x01]
        #expect(!empty.withUnsafeBufferPointer { FieldText.containsControl($0, 1, 1) })
    }

    // MARK: Label statuses

    static let statuses: [(String, LabelStatus?)] = [
        ("major", .major), ("MAJOR", .major), ("Major", .major),
        ("licensed", .licensed), ("Licensed", .licensed), ("LICENSED", .licensed),
        ("independent", .independent), ("Independent", .independent), ("INDEPENDENT", .independent),
        ("unsigned", .independent), ("UNSIGNED", .independent), ("Unsigned", .independent),
        ("unknown", .unknown), ("UNKNOWN", .unknown), ("Unknown", .unknown), ("", .unknown),
        ("indie", nil), ("label", nil), ("majors", nil), ("licenced", nil), ("signed", nil),
        ("independant", nil), ("none", nil), (" major", nil), ("major ", nil), ("n/a", nil), ("null", nil),
    ]

    @Test("label statuses", arguments: statuses)
    func labelStatuses(_ text: String, _ expected: LabelStatus?) {
        #expect(status(text) == expected)
    }

    @Test("LabelStatus(name:) accepts the data spellings but not empty")
    func labelStatusNames() {
        #expect(LabelStatus(name: "Unsigned") == .independent)
        #expect(LabelStatus(name: "licensed") == .licensed)
        #expect(LabelStatus(name: "") == nil)
        #expect(LabelStatus(name: "indie") == nil)
        for s in LabelStatus.allCases { #expect(LabelStatus(name: s.name) == s) }
    }

    // MARK: Timestamps

    static let timestamps: [(String, Int64)] = [
        ("1970-01-01", 0),
        ("1969-12-31T23:59:59Z", -1),
        ("2024-02-29", 1_709_164_800),
        ("2000-02-29", 951_782_400),
        ("2024-02-01", 1_706_745_600),
        ("2023-06-15T12:34:56", 1_686_832_496),
        ("2023-06-15 12:34:56", 1_686_832_496),
        ("2023-06-15T12:34:56Z", 1_686_832_496),
        ("2023-06-15 12:34:56Z", 1_686_832_496),
        ("2023-06-15T12:34:56.5", 1_686_832_496),
        ("2023-06-15T12:34:56.999999Z", 1_686_832_496),
        ("2023-06-15T12:34:56.0+00:00", 1_686_832_496),
        ("2023-06-15T12:34:56-00:00", 1_686_832_496),
        ("2023-06-15T12:34:56+02:00", 1_686_825_296),   // 10:34:56Z
        ("2023-06-15T12:34:56-05:30", 1_686_852_296),   // 18:04:56Z
        ("2023-06-15T12:34:56.123-05:30", 1_686_852_296),
        ("2024-01-01T00:30:00+01:00", 1_704_065_400),   // the previous day, 23:30Z
        ("2024-02-29T23:59:00-23:00", 1_709_333_940),   // 2024-03-01T22:59:00Z
        ("2024-03-01T00:59:00+02:00", 1_709_247_540),   // 2024-02-29T22:59:00Z
        ("1900-03-01", -2_203_891_200),
        ("1600-03-01", -11_670_912_000),
        ("9999-12-31T23:59:59Z", 253_402_300_799),
    ]

    @Test("valid timestamps convert to UTC epoch seconds", arguments: timestamps)
    func validTimestamps(_ text: String, _ seconds: Int64) {
        #expect(timestamp(text) == seconds)
        #expect(timestampIsValid(text))
    }

    static let invalidTimestamps = [
        "2023-02-30", "2023-02-29", "1900-02-29", "2100-02-29", "2023-04-31", "2023-13-01", "2023-00-10",
        "2023-01-00", "2023-01-32", "2023-06-15T25:00:00", "2023-06-15T24:00:00", "2023-06-15T23:60:00",
        "2023-06-15T23:59:60", "2023-06-15T12:34", "2023-06-15T12:34Z", "2023-06-15T12:34:5",
        "2023-06-15T12:34:56+24:00", "2023-06-15T12:34:56+02:60", "2023-06-15T12:34:56+0200",
        "2023-06-15T12:34:56+02", "2023-06-15T12:34:56+2:00", "2023-06-15t12:34:56",
        "2023-06-15T12:34:56z", "2023-06-15T12:34:56.", "2023-06-15T12:34:56.Z", "2023-06-15T12:34:56,5",
        "2023-06-15T12:34:56Zjunk", "2023-06-15T12:34:56 Z", "2023-06-15T12:34:56+02:00Z",
        "2023-06-15T12:34:56Z+02:00", "2023-6-15", "2023/06/15", "20230615", "2023-06-15T", "2023-06-15 ",
        "2023-06-15x", " 2023-06-15", "", "abcd-ef-gh", "23-06-15", "+2023-06-15", "2023-06-15T12:34:56.5.5",
        "2023-06-15T1a:34:56", "2023-06-15_12:34:56", "2023-06-15T12-34-56", "２０２３-06-15",
    ]

    @Test("nonexistent or malformed timestamps are invalid", arguments: invalidTimestamps)
    func invalidTimestampValues(_ text: String) {
        #expect(timestamp(text) == nil)
        #expect(!timestampIsValid(text))
    }

    /// Every calendar date from 1896 to 2104 against Foundation's Gregorian calendar: the
    /// parser accepts exactly the dates that exist and gives their midnight UTC.
    @Test("dates agree with Foundation's Gregorian calendar")
    func datesAgainstFoundation() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        var mismatches: [String] = []
        for year in 1896...2104 {
            for month in 1...12 {
                let first = try #require(calendar.date(from: DateComponents(year: year, month: month, day: 1)))
                let days = try #require(calendar.range(of: .day, in: .month, for: first)).count
                // UTC has no daylight saving: the days of a month are 86,400 s apart.
                let midnight = Int64(first.timeIntervalSince1970)
                for day in 1...31 {
                    let text = String(format: "%04d-%02d-%02d", year, month, day)
                    let got = timestamp(text)
                    let expected: Int64? = day <= days ? midnight + Int64(day - 1) * 86_400 : nil
                    if (got != expected || timestampIsValid(text) != (expected != nil)) && mismatches.count < 10 {
                        mismatches.append("\(text): \(String(describing: got)) != \(String(describing: expected)), valid: \(timestampIsValid(text))")
                    }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    /// The grammar of ``FieldText/parseTimestamp`` a byte at a time, to check the word-wise
    /// parser against.
    static func referenceTimestamp(_ t: [UInt8]) -> Int64? {
        func digit(_ i: Int) -> Int? { i < t.count && (0x30...0x39).contains(t[i]) ? Int(t[i] - 0x30) : nil }
        func number(_ at: Int, _ count: Int) -> Int? {
            var v = 0
            for i in at..<(at + count) {
                guard let d = digit(i) else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard t.count >= 10, let year = number(0, 4), t[4] == 0x2D, let month = number(5, 2), t[7] == 0x2D,
              let day = number(8, 2), (1...12).contains(month), day >= 1,
              day <= FieldText.daysInMonth(year, month) else { return nil }
        var seconds = Int64(FieldText.daysFromCivil(year, month, day)) * 86_400
        if t.count == 10 { return seconds }
        guard t.count >= 19, t[10] == UInt8(ascii: "T") || t[10] == 0x20, let hour = number(11, 2), t[13] == 0x3A,
              let minute = number(14, 2), t[16] == 0x3A, let second = number(17, 2),
              hour <= 23, minute <= 59, second <= 59 else { return nil }
        seconds += Int64(hour * 3600 + minute * 60 + second)
        var i = 19
        if i < t.count && t[i] == 0x2E {
            i += 1
            guard digit(i) != nil else { return nil }
            while digit(i) != nil { i += 1 }
        }
        if i == t.count { return seconds }
        if t[i] == UInt8(ascii: "Z") { return i + 1 == t.count ? seconds : nil }
        guard t[i] == UInt8(ascii: "+") || t[i] == UInt8(ascii: "-"), t.count - i == 6, let zh = number(i + 1, 2),
              t[i + 3] == 0x3A, let zm = number(i + 4, 2), zh <= 23, zm <= 59 else { return nil }
        let shift = Int64(zh * 3600 + zm * 60)
        return t[i] == UInt8(ascii: "+") ? seconds - shift : seconds + shift
    }

    @Test("any byte changed anywhere in a timestamp gives what the byte-at-a-time grammar gives")
    func timestampsByteByByte() {
        let bytes: [UInt8] = Array("0123456789-:T Z+.,/aé".utf8) + [0x00, 0x1F, 0x2F, 0x3A, 0x3F, 0x40, 0x7F, 0xC0, 0xFF]
        var mismatches: [String] = []
        for (text, _) in FieldTextTests.timestamps {
            let valid = Array(text.utf8)
            for position in valid.indices {
                for replacement in bytes {
                    var t = valid
                    t[position] = replacement
                    let expected = FieldTextTests.referenceTimestamp(t)
                    let got = t.withUnsafeBufferPointer { FieldText.parseTimestamp($0, 0, $0.count) }
                    let checked = t.withUnsafeBufferPointer { FieldText.parseTimestamp($0, 0, $0.count, value: false) }
                    if got != expected || (checked != nil) != (expected != nil), mismatches.count < 10 {
                        mismatches.append("\(String(decoding: t, as: UTF8.self)): \(String(describing: got)) != \(String(describing: expected))")
                    }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test("parseDate takes a bare date only")
    func policyDates() {
        #expect(FieldText.parseDate("2024-02-29") == 1_709_164_800)
        #expect(FieldText.parseDate("2023-02-29") == nil)
        #expect(FieldText.parseDate("2024-02-29T00:00:00Z") == nil)
        #expect(FieldText.parseDate("2024-2-29") == nil)
        #expect(FieldText.parseDate("") == nil)
    }

    // MARK: UTF-8

    static let validSequences: [[UInt8]] = [
        [], [0x41], [0x00], [0x7F],
        [0xC2, 0x80], [0xDF, 0xBF],                     // U+0080, U+07FF
        [0xE0, 0xA0, 0x80], [0xEF, 0xBF, 0xBF],         // U+0800, U+FFFF
        [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],         // U+D7FF, U+E000
        [0xEF, 0xBB, 0xBF],                             // U+FEFF
        [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], // U+10000, U+10FFFF
        [0xF3, 0xBF, 0xBF, 0xBF],
        Array("é中😀 mixed ascii".utf8),
    ]

    static let invalidSequences: [[UInt8]] = [
        [0xC0, 0x80], [0xC1, 0xBF],                     // overlong 2-byte
        [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],         // overlong 3-byte
        [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF], // overlong 4-byte
        [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],         // surrogates U+D800, U+DFFF
        [0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80],           // a CESU-8 surrogate pair
        [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xF7, 0xBF, 0xBF, 0xBF], // past U+10FFFF
        [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFC, 0x84, 0x80, 0x80, 0x80, 0x80],
        [0xFE], [0xFF], [0x80], [0xBF], [0x41, 0x80, 0x41],  // lone bytes
        [0xC2], [0xE0, 0xA0], [0xF0, 0x90, 0x80], [0x41, 0xE2, 0x82], // truncated at the end
        [0xC2, 0x41], [0xE1, 0x80, 0x41], [0xF1, 0x80, 0x80, 0xC0], [0xE2, 0x28, 0xA1], // bad continuation
        [0xC2, 0xC2, 0x80],
    ]

    @Test("well-formed UTF-8 is valid", arguments: validSequences)
    func validUTF8Sequences(_ bytes: [UInt8]) { #expect(validUTF8(bytes)) }

    @Test("overlongs, surrogates, values past U+10FFFF and truncated sequences are invalid",
          arguments: invalidSequences)
    func invalidUTF8Sequences(_ bytes: [UInt8]) { #expect(!validUTF8(bytes)) }

    @Test("UTF-8 validation agrees with the standard library on random bytes")
    func utf8AgainstStandardLibrary() {
        var rng = SeededRNG(seed: 0x07F8)
        // Lead and continuation bytes near every boundary, plus ASCII.
        let pool: [UInt8] = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
                             0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 1...6, using: &rng)).map { _ in pool.randomElement(using: &rng)! }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(validUTF8(bytes) == expected, "\(KitText.show(bytes))")
        }
    }

    @Test("UTF-8 validation agrees with the standard library with ASCII runs around it, at every alignment")
    func utf8WithinASCIIRuns() {
        var rng = SeededRNG(seed: 0x07F9)
        let pool: [UInt8] = [0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
        for _ in 0..<5_000 {
            let before = Array(repeating: UInt8(ascii: "a"), count: Int.random(in: 0...24, using: &rng))
            let inner = (0..<Int.random(in: 0...4, using: &rng)).map { _ in pool.randomElement(using: &rng)! }
            let after = Array(repeating: UInt8(ascii: "b"), count: Int.random(in: 0...24, using: &rng))
            let bytes = before + inner + after
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(validUTF8(bytes) == expected, "\(KitText.show(bytes))")
        }
    }

    // MARK: Excerpts

    static let excerptInputs: [[UInt8]] = [
        [],
        Array("short".utf8),
        Array(repeating: 0x61, count: 300),
        Array(repeating: 0x61, count: 199) + Array("é".utf8),          // é cut after its first byte
        Array(repeating: 0x61, count: 198) + Array("é".utf8) + [0x62],  // é ends exactly at 200
        Array(repeating: 0x61, count: 197) + Array("😀".utf8),          // 4 bytes cut at 3
        Array(repeating: 0xFF, count: 250),                             // every byte becomes U+FFFD
        Array(repeating: 0x61, count: 198) + [0xFF, 0xFE, 0x61],
        Array(String(repeating: "中", count: 100).utf8),
        [0x65] + Array(String(repeating: "\u{301}", count: 150).utf8),  // one long grapheme cluster
    ]

    @Test("an excerpt is at most 200 bytes of valid UTF-8", arguments: excerptInputs)
    func excerpts(_ bytes: [UInt8]) {
        let text = bytes.withUnsafeBufferPointer { FieldText.excerpt($0) }
        let utf8 = Array(text.utf8)
        #expect(utf8.count <= 200)
        #expect(String(validating: utf8, as: UTF8.self) != nil)
    }

    /// contract §4: the excerpt is "at most 200 bytes of the raw record, as valid UTF-8". For a
    /// record that is valid UTF-8 that means a prefix of its bytes: a character cut by the
    /// limit is dropped, not replaced by U+FFFD (which is not in the record).
    @Test("the excerpt of valid UTF-8 is a prefix of it, cut at a character boundary",
          arguments: excerptInputs.filter { String(validating: $0, as: UTF8.self) != nil })
    func excerptOfValidText(_ bytes: [UInt8]) {
        let utf8 = Array(bytes.withUnsafeBufferPointer { FieldText.excerpt($0) }.utf8)
        #expect(Array(bytes.prefix(utf8.count)) == utf8,
                "excerpt ends \(KitText.show(Array(utf8.suffix(4)))), the record has \(KitText.show(Array(bytes.prefix(utf8.count).suffix(4))))")
        // At most one character (4 bytes) short of the limit.
        #expect(utf8.count >= min(bytes.count, 197), "kept only \(utf8.count) bytes")
    }

    @Test("excerpt limit parameter")
    func excerptLimit() {
        let bytes = Array("abcdé".utf8)
        #expect(bytes.withUnsafeBufferPointer { FieldText.excerpt($0, limit: 5) } == "abcd")
        #expect(bytes.withUnsafeBufferPointer { FieldText.excerpt($0, limit: 6) } == "abcdé")
    }

    // MARK: Trimming, CSV unquoting and JSON unescaping

    @Test("trim removes surrounding spaces and tabs only")
    func trimming() {
        let bytes = Array(" \t a b\t \r ".utf8)
        var start = 0
        var end = bytes.count
        bytes.withUnsafeBufferPointer { FieldText.trim($0, &start, &end) }
        #expect(Array(bytes[start..<end]) == Array("a b\t \r".utf8))
        let blank = Array(" \t ".utf8)
        var s = 0
        var e = blank.count
        blank.withUnsafeBufferPointer { FieldText.trim($0, &s, &e) }
        #expect(s == e)
    }

    static let csvQuoted: [(String, String)] = [
        ("\"a\"", "a"), ("\"\"", ""), ("\"\"\"\"", "\""), ("\"a\"\"b\"c", "a\"bc"), ("\"a,b\"", "a,b"),
        ("\"line\nbreak\"", "line\nbreak"), ("\"x\"\" y \"\"\"", "x\" y \""), ("\"q\" tail", "q tail"),
        ("\"é\"", "é"),
    ]

    @Test("CSV unquoting", arguments: csvQuoted)
    func csvUnquoting(_ raw: String, _ expected: String) {
        var out: [UInt8] = []
        Array(raw.utf8).withUnsafeBufferPointer { FieldText.appendCSVUnquoted($0, to: &out) }
        #expect(out == Array(expected.utf8))
    }

    @Test("a quoted field's content is taken as it stands exactly when unquoting would not change it", arguments: csvQuoted)
    func simpleQuotedContentAgreesWithUnquoting(_ raw: String, _ expected: String) {
        let bytes = Array(raw.utf8)
        let simple = bytes.withUnsafeBufferPointer { FieldText.simpleQuotedContent($0, 0, $0.count) }
        let inner = Array(raw.utf8.dropFirst())
        let needsUnquoting = inner.dropLast().contains(0x22) || inner.last != 0x22
        if let (start, end) = simple {
            #expect(Array(bytes[start..<end]) == Array(expected.utf8))
        }
        #expect((simple == nil) == needsUnquoting, "\(raw)")
    }

    static let jsonEscaped: [(String, [UInt8]?)] = [
        ("plain", Array("plain".utf8)),
        ("a\\\"b", Array("a\"b".utf8)),
        ("\\\\", [0x5C]),
        ("\\/", [0x2F]),
        ("\\b\\f\\n\\r\\t", [0x08, 0x0C, 0x0A, 0x0D, 0x09]),
        ("\\u0041", [0x41]),
        ("\\u0000", [0x00]),
        ("\\u00e9\\u00C9", [0xC3, 0xA9, 0xC3, 0x89]),
        ("\\u07FF\\u0800", [0xDF, 0xBF, 0xE0, 0xA0, 0x80]),
        ("\\u20AC", [0xE2, 0x82, 0xAC]),
        ("\\uFFFF", [0xEF, 0xBF, 0xBF]),
        ("\\uD83D\\uDE00", [0xF0, 0x9F, 0x98, 0x80]),
        ("\\ud83d\\ude00", [0xF0, 0x9F, 0x98, 0x80]),
        ("\\uDBFF\\uDFFF", [0xF4, 0x8F, 0xBF, 0xBF]),
        ("x\\uD800\\uDC00y", [0x78, 0xF0, 0x90, 0x80, 0x80, 0x79]),
        ("é\\n", [0xC3, 0xA9, 0x0A]),
        ("\\uD800", nil),            // lone high surrogate
        ("\\uDC00", nil),            // lone low surrogate
        ("\\uDFFF x", nil),
        ("\\uD800\\u0041", nil),     // high surrogate followed by a non-surrogate
        ("\\uD800\\uD800", nil),     // two highs
        ("\\uD83Dx\\uDE00", nil),    // pair interrupted
        ("\\uDE00\\uD83D", nil),     // reversed pair
    ]

    @Test("JSON unescaping; a lone surrogate is not text", arguments: jsonEscaped)
    func jsonUnescaping(_ raw: String, _ expected: [UInt8]?) {
        var out: [UInt8] = []
        let ok = Array(raw.utf8).withUnsafeBufferPointer { FieldText.appendJSONUnescaped($0, to: &out) }
        if let expected {
            #expect(ok)
            #expect(out == expected)
        } else {
            #expect(!ok)
        }
    }
}
