import Foundation
import CMemory
import Testing
import ConsentryModel
@testable import ConsentryEngine
import TestSupport

/// What one JSONL record must look like when the whole input is decoded at once.
struct KitJSONLExpectation: Sendable {
    var line: Int
    /// The line's bytes without its ending; for a too-long record a unique prefix.
    var text: String
    var error: StructuralError?
    /// Interpreted fields (the others must be absent); nil: not checked.
    var fields: [RecordField: KitFieldValue]?
    var offset: Int?

    init(_ line: Int, _ text: String, _ error: StructuralError? = nil,
         fields: [RecordField: KitFieldValue]? = nil, offset: Int? = nil) {
        self.line = line
        self.text = text
        self.error = error
        self.fields = fields
        self.offset = offset
    }
}

/// A Sendable stand-in for `KitField` in test arguments.
enum KitFieldValue: Sendable, Hashable {
    case null, bool(Bool), container, text(String), number(String, integer: Bool), undecodable

    var field: KitField {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .container: return .container
        case .text(let s): return .t(s)
        case .number(let s, let i): return .number(s, integer: i)
        case .undecodable: return .undecodable
        }
    }
}

struct KitJSONLCase: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [UInt8]
    var maxRecordBytes = 1 << 20
    var expected: [KitJSONLExpectation]

    var testDescription: String { name }

    var configuration: JSONLDecoder.Configuration { .init(maxRecordBytes: maxRecordBytes) }

    static let mixed = KitJSONLCase(
        name: "BOM, CRLF, blank lines, keys, errors, no final newline",
        input: KitCSVCase.bom + kitBytes(
            "{\"track_id\":\"a\",\"label_status\":\"major\"}\r\n",                             // 1
            "\n",                                                                          // 2
            " \t \r\n",                                                                    // 3
            "{\"track_id\": 12, \"x\": {\"track_id\": \"nested\"}, \"genai_opt_in\": true}\n",   // 4
            "[1,2]\n",                                                                     // 5
            "{bad\n",                                                                      // 6
            "{\"track_id\":\"dup\",\"track_id\":\"last\"}\n",                                 // 7
            "{\"tr\\u0061ck_id\":\"esc\\n\\u00e9\"}\n",                                     // 8
            "{\"title\":\"Café\",\"ai_opt_out\":false}\n",                                    // 9
            "{\"label_status\":null,\"ai_opt_out\":1.5e3,\"no_ai_tag\":[1],\"uploaded_at\":{},\"consent_updated_at\":-0}" // 10
        ),
        expected: [
            KitJSONLExpectation(1, "{\"track_id\":\"a\",\"label_status\":\"major\"}",
                             fields: [.trackID: .text("a"), .labelStatus: .text("major")], offset: 3),
            KitJSONLExpectation(4, "{\"track_id\": 12, \"x\": {\"track_id\": \"nested\"}, \"genai_opt_in\": true}",
                             fields: [.trackID: .number("12", integer: true), .genaiOptIn: .bool(true)]),
            KitJSONLExpectation(5, "[1,2]", .notAnObject),
            KitJSONLExpectation(6, "{bad", .invalidJSON("")),
            KitJSONLExpectation(7, "{\"track_id\":\"dup\",\"track_id\":\"last\"}", fields: [.trackID: .text("last")]),
            KitJSONLExpectation(8, "{\"tr\\u0061ck_id\":\"esc\\n\\u00e9\"}", fields: [.trackID: .text("esc\né")]),
            KitJSONLExpectation(9, "{\"title\":\"Café\",\"ai_opt_out\":false}", fields: [.aiOptOut: .bool(false)]),
            KitJSONLExpectation(10, "{\"label_status\":null,\"ai_opt_out\":1.5e3,\"no_ai_tag\":[1],\"uploaded_at\":{},\"consent_updated_at\":-0}",
                             fields: [.labelStatus: .null, .aiOptOut: .number("1.5e3", integer: false),
                                      .noAITag: .container, .uploadedAt: .container,
                                      .consentUpdatedAt: .number("-0", integer: true)]),
        ])

    static let tooLong = KitJSONLCase(
        name: "record_too_long",
        input: kitBytes(
            "{\"track_id\":\"a\"}\n",                        // 1: 16 bytes
            "{\"track_id\":\"abcdefghij\"}\n",               // 2: 25 bytes
            "{\"a\":1}\r\n",                                // 3
            "{\"track_id\":\"abc\"}  \r\n",                  // 4: exactly 20 bytes
            "{\"track_id\":\"abcd\"}  \n",                   // 5: 21 bytes
            String(repeating: " ", count: 22), "\n",       // 6: blank but too long
            "{\"b\":2}\n",                                  // 7
            "{\"track_id\":\"longlonglonglong\"}"            // 8, no newline
        ),
        maxRecordBytes: 20,
        expected: [
            KitJSONLExpectation(1, "{\"track_id\":\"a\"}", fields: [.trackID: .text("a")]),
            KitJSONLExpectation(2, "{\"track_id\":\"abcdefghij\"}", .recordTooLong),
            KitJSONLExpectation(3, "{\"a\":1}", fields: [:]),
            KitJSONLExpectation(4, "{\"track_id\":\"abc\"}  ", fields: [.trackID: .text("abc")]),
            KitJSONLExpectation(5, "{\"track_id\":\"abcd\"}  ", .recordTooLong),
            KitJSONLExpectation(6, String(repeating: " ", count: 22), .recordTooLong),
            KitJSONLExpectation(7, "{\"b\":2}", fields: [:]),
            KitJSONLExpectation(8, "{\"track_id\":\"longlong", .recordTooLong),
        ])

    static let blankOnly = KitJSONLCase(name: "blank lines only", input: kitBytes("\n\r\n \t\n  \r\n"), expected: [])

    static let notBOM = KitJSONLCase(
        name: "input starting with 0xEF that is not a BOM",
        input: [0xEF, 0xBB, 0x7B, 0x7D, 0x0A] + kitBytes("{}\n"),
        expected: [
            KitJSONLExpectation(1, "", .invalidJSON(""), offset: 0),
            KitJSONLExpectation(2, "{}", fields: [:], offset: 5),
        ])

    static let all: [KitJSONLCase] = [
        mixed, tooLong, blankOnly, notBOM,
        KitJSONLCase(name: "empty input", input: [], expected: []),
        KitJSONLCase(name: "only a BOM", input: KitCSVCase.bom, expected: []),
    ]
}

/// Decodes one line; nil when the decoder emitted no record (a blank line).
func kitJSONVerdict(_ line: [UInt8]) -> StructuralError?? {
    let records = KitDecode.jsonl(line, configuration: .init(), atStreamStart: false)
    guard let record = records.first else { return .none }
    return .some(record.error)
}

func kitJSONRecord(_ text: String) -> KitRecord? {
    KitDecode.jsonl(Array(text.utf8), configuration: .init(), atStreamStart: false).first
}

@Suite("JSONLDecoder")
struct JSONLDecoderTests {
    /// Compares errors, treating every `invalidJSON` message as equal.
    static func sameKind(_ a: StructuralError?, _ b: StructuralError?) -> Bool {
        switch (a, b) {
        case (.invalidJSON?, .invalidJSON?): return true
        default: return a == b
        }
    }

    @Test("the whole input decodes to the expected records", arguments: KitJSONLCase.all)
    func wholeInput(_ c: KitJSONLCase) throws {
        let got = KitDecode.jsonl(c.input, configuration: c.configuration)
        try #require(got.count == c.expected.count, "records: \(got)")
        for (record, want) in zip(got, c.expected) {
            let text = Array(want.text.utf8)
            let offset = try #require(want.offset ?? c.input.firstRange(of: text)?.lowerBound)
            #expect(record.line == want.line, "\(record)")
            #expect(record.offset == offset, "\(record)")
            #expect(Self.sameKind(record.error, want.error), "\(record)")
            if want.error == .recordTooLong {
                KitDecode.checkTooLongExcerpt(record, input: c.input, maxRecordBytes: c.maxRecordBytes)
                continue
            }
            if want.offset == nil { #expect(record.bytes == text, "\(record)") }
            if let fields = want.fields {
                for field in RecordField.allCases {
                    #expect(record.fields[field.rawValue] == (fields[field]?.field ?? .absent),
                            "\(field.name) of \(record)")
                }
            }
            if want.error == nil {
                #expect(record.hasNonASCII == record.bytes.contains { $0 >= 0x80 }, "\(record)")
            }
        }
    }

    @Test("the same records whatever the chunk size or cuts", arguments: KitJSONLCase.all)
    func everySplit(_ c: KitJSONLCase) {
        let reference = KitDecode.jsonl(c.input, configuration: c.configuration)
        let splits = KitDecode.everyChunkSize(count: c.input.count)
            + KitDecode.randomSplits(count: 200, length: c.input.count, seed: UInt64(c.input.count) &* 104_729)
        for cuts in splits {
            let got = KitDecode.jsonl(c.input, cuts: cuts, configuration: c.configuration)
            let same = got.map(\.chunkingInvariant) == reference.map(\.chunkingInvariant)
            #expect(same, "cut at \(cuts):\n got \(got)\nwant \(reference)")
            for record in got where record.error == .recordTooLong {
                KitDecode.checkTooLongExcerpt(record, input: c.input, maxRecordBytes: c.maxRecordBytes)
            }
            if !same { break }
        }
    }

    @Test("lines and offsets count from the decoder's origin and start offset")
    func originAndOffset() {
        let input = Array("{}\n\n{\"a\":1}\n{}".utf8)
        for cuts in [[], [1], [3, 4, 5], [12]] {
            let got = KitDecode.jsonl(input, cuts: cuts, configuration: .init(), offset: 500,
                                      atStreamStart: false, lineOrigin: 9)
            #expect(got.map(\.line) == [10, 12, 13], "cuts \(cuts)")
            #expect(got.map(\.offset) == [500, 504, 512], "cuts \(cuts)")
        }
    }

    static let validLines = [
        "{}", " { } ", "\t{\t}\t", "{ }\r", "{\"a\":1}", "{\"a\" : 1 , \"b\" : 2}", "{\"\":0}",
        "{\"a\":0}", "{\"a\":-0}", "{\"a\":0.5}", "{\"a\":-1.25e+10}", "{\"a\":1E-2}", "{\"a\":1e5}",
        "{\"a\":10}", "{\"a\":-9007199254740993}", "{\"a\":0e0}", "{\"a\":123.456E789}", "{\"a\":-1e999}",
        "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", "{\"a\":\"\\u00e9\\uD83D\\uDE00\\u0000\"}",
        "{\"a\":\"\\uABCD\\uabcd\"}", "{\"a\":\"é 中 😀\"}", "{\"a\":\"\u{7F}\"}",
        "{\"a\":true,\"b\":false,\"c\":null}", "{\"a\":[1,[2,{\"b\":[]}]],\"c\":{}}",
        "{\"a\":[],\"b\":[[]],\"c\":[{}]}", "{\"a\":\"x\"}  ", "{\"a\":1,\r\"b\":2}",
        // RFC 8259 grammar: a lone surrogate escape is grammatical (it is not Unicode text,
        // which the field interpretation deals with).
        "{\"a\":\"\\uD800\"}",
    ]

    static let invalidLines = [
        "{\"a\":01}", "{\"a\":-01}", "{\"a\":00}", "{\"a\":-}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}",
        "{\"a\":1e+}", "{\"a\":1E-}", "{\"a\":+1}", "{\"a\":--1}", "{\"a\":0x10}", "{\"a\":1.e5}",
        "{\"a\":Infinity}", "{\"a\":NaN}", "{\"a\":-Infinity}", "{\"a\":1 2}",
        "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u12G4\"}", "{\"a\":\"\\U0041\"}",
        "{\"a\":\"\\'\"}", "{\"a\":\"bad\\\"}",
        "{\"a\":\"tab\there\"}", "{\"a\":\"\u{01}\"}", "{\"a\":\"\u{1F}\"}", "{\"a\":\"cr\rx\"}",
        "{\"a\":tru}", "{\"a\":True}", "{\"a\":nul}", "{\"a\":nulll}", "{\"a\":falsey}", "{\"a\":undefined}",
        "{\"a\":[1,]}", "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\":}", "{a:1}", "{'a':1}", "{\"a\"::1}",
        "{\"a\":1}}", "{\"a\":1} x", "{\"a\":1}{}", "{\"a\":[1 2]}", "{\"a\":1 \"b\":2}", "{\"a\":[1,,2]}",
        "{\"a\":\"unterminated}", "{\"a\":[}", "{\"a\":[1}", "{\"a\":{]}", "{", "[", "\"", "{\"a\":1",
        "{\"a\":[1]", "}", "]", ",", ":", "{\"a\":1,\"b\"}", "{1:2}", "{null:1}", "// {}", "{} // c",
        "\u{0B}{}", "{}\u{0C}", "\u{A0}{}",
    ]

    static let notObjects = [
        "[]", "1", "\"s\"", "null", "true", "false", " 3.5 ", "-0", "[{\"track_id\":\"x\"}]", "[[{}]]",
    ]

    @Test("valid JSON objects have no structural error", arguments: validLines)
    func valid(_ line: String) {
        #expect(kitJSONVerdict(Array(line.utf8)) == .some(nil))
    }

    @Test("invalid JSON is invalid_json", arguments: invalidLines)
    func invalid(_ line: String) {
        let verdict = kitJSONVerdict(Array(line.utf8))
        guard case .some(.some(.invalidJSON)) = verdict else {
            Issue.record("\(KitText.show(Array(line.utf8))): \(String(describing: verdict))")
            return
        }
    }

    @Test("valid JSON that is not an object is not_an_object", arguments: notObjects)
    func notAnObject(_ line: String) {
        #expect(kitJSONVerdict(Array(line.utf8)) == .some(.notAnObject))
    }

    @Test("nesting up to 512 levels is valid, deeper is invalid_json")
    func depthLimit() {
        func nested(_ depth: Int) -> [UInt8] {
            // The top-level object is level 1.
            Array(("{\"a\":" + String(repeating: "[", count: depth - 1)
                   + String(repeating: "]", count: depth - 1) + "}").utf8)
        }
        #expect(kitJSONVerdict(nested(511)) == .some(nil))
        #expect(kitJSONVerdict(nested(512)) == .some(nil))
        guard case .some(.some(.invalidJSON)) = kitJSONVerdict(nested(513)) else {
            Issue.record("513 levels accepted")
            return
        }
        guard case .some(.some(.invalidJSON)) = kitJSONVerdict(Array((String(repeating: "[", count: 100_000)).utf8)) else {
            Issue.record("100000 open brackets accepted")
            return
        }
    }

    @Test("only top-level keys feed fields")
    func topLevelKeysOnly() throws {
        let nestedOnly = try #require(kitJSONRecord("{\"x\":{\"track_id\":\"n\"},\"y\":[{\"track_id\":\"m\"}]}"))
        #expect(nestedOnly.error == nil)
        #expect(nestedOnly.fields[RecordField.trackID.rawValue] == .absent)
        let both = try #require(kitJSONRecord("{\"x\":{\"track_id\":\"n\",\"y\":{\"label_status\":\"major\"}},\"track_id\":\"t\"}"))
        #expect(both.fields[RecordField.trackID.rawValue] == .t("t"))
        #expect(both.fields[RecordField.labelStatus.rawValue] == .absent)
        // A key in an array of the top-level object is not a key of that object.
        let inArray = try #require(kitJSONRecord("{\"a\":[\"track_id\",1],\"b\":{\"c\":[{\"track_id\":2}]}}"))
        #expect(inArray.fields.allSatisfy { $0 == .absent })
        // Keys match exactly: no case folding, no trimming.
        let near = try #require(kitJSONRecord("{\"Track_ID\":\"a\",\"track_id \":\"b\",\" track_id\":\"c\",\"track\":\"d\"}"))
        #expect(near.fields.allSatisfy { $0 == .absent })
    }

    @Test("a duplicate key: the last one wins, whatever its type")
    func duplicateKeys() throws {
        let record = try #require(kitJSONRecord("{\"track_id\":\"a\",\"genai_opt_in\":true,\"track_id\":7,\"genai_opt_in\":null}"))
        #expect(record.fields[RecordField.trackID.rawValue] == .number("7", integer: true))
        #expect(record.fields[RecordField.genaiOptIn.rawValue] == .null)
        let later = try #require(kitJSONRecord("{\"track_id\":{\"x\":1},\"track_id\":\"b\"}"))
        #expect(later.fields[RecordField.trackID.rawValue] == .t("b"))
    }

    @Test("escaped key names are matched after unescaping")
    func escapedKeys() throws {
        let record = try #require(kitJSONRecord("{\"track\\u005fid\":\"e\",\"label\\u005Fstatus\":\"licensed\",\"no_ai\\u005ftag\\u0000\":true}"))
        #expect(record.fields[RecordField.trackID.rawValue] == .t("e"))
        #expect(record.fields[RecordField.labelStatus.rawValue] == .t("licensed"))
        #expect(record.fields[RecordField.noAITag.rawValue] == .absent)
        // A key with a lone surrogate names no field but the line is valid JSON.
        let lone = try #require(kitJSONRecord("{\"track_id\\uD800\":\"x\",\"track_id\":\"y\"}"))
        #expect(lone.error == nil)
        #expect(lone.fields[RecordField.trackID.rawValue] == .t("y"))
    }

    @Test("keys can be mapped to other names")
    func mappedKeys() {
        let config = JSONLDecoder.Configuration(names: FieldNames(overrides: [.trackID: "id", .labelStatus: "label"]))
        let got = KitDecode.jsonl(Array("{\"track_id\":\"no\",\"id\":\"yes\",\"label\":\"major\"}".utf8),
                                  configuration: config)
        #expect(got.first?.fields[RecordField.trackID.rawValue] == .t("yes"))
        #expect(got.first?.fields[RecordField.labelStatus.rawValue] == .t("major"))
    }

    @Test("mapped keys of the same length, sharing their first 8 bytes, or longer than 64 bytes")
    func mappedKeysByLength() {
        let long = String(repeating: "k", count: 70)
        let config = JSONLDecoder.Configuration(names: FieldNames(overrides: [
            .trackID: "column_a_id", .labelStatus: "column_a_ls", .genaiOptIn: long, .aiOptOut: "x",
        ]))
        let line = "{\"column_a_ls\":\"major\",\"column_a_lz\":1,\"column_a_id\":\"t\",\"\(long)\":true,"
            + "\"\(long)k\":false,\"x\":false,\"y\":true,\"column_a_\":2}"
        let got = KitDecode.jsonl(Array(line.utf8), configuration: config)
        #expect(got.first?.error == nil)
        #expect(got.first?.fields[RecordField.trackID.rawValue] == .t("t"))
        #expect(got.first?.fields[RecordField.labelStatus.rawValue] == .t("major"))
        #expect(got.first?.fields[RecordField.genaiOptIn.rawValue] == .bool(true))
        #expect(got.first?.fields[RecordField.aiOptOut.rawValue] == .bool(false))
        #expect(got.first?.fields[RecordField.noAITag.rawValue] == .absent)
    }

    @Test("string values keep their text, escapes decoded")
    func stringValues() throws {
        let record = try #require(kitJSONRecord(
            "{\"track_id\":\"a\\\"b\\\\c\\/d\\u00e9\\uD83D\\uDE00\",\"label_status\":\"\\uDC00\",\"title\":\"\\uD800\"}"))
        #expect(record.error == nil)
        #expect(record.fields[RecordField.trackID.rawValue] == .t("a\"b\\c/dé😀"))
        #expect(record.fields[RecordField.labelStatus.rawValue] == .undecodable)
    }

    // MARK: - Differential test against Foundation's JSONSerialization

    static let seeds = [
        "{\"track_id\":\"t1\",\"label_status\":\"independent\",\"genai_opt_in\":true}",
        "{\"a\":[1,-2.5e+3,0,true,false,null],\"b\":{\"c\":\"x\\\"y\\\\z\\/\\n\\u00e9\"}}",
        "[1,{\"k\":[]},\"s\"]",
        "{\"n\":-0.0E-0,\"m\":123456,\"e\":1e10,\"f\":0.25}",
        "\"str\"",
        "123",
        "{ \"sp\" : [ 1 , 2 ] , \"t\" : { } }",
        "{\"nested\":{\"deeper\":{\"deepest\":[[[]]]}},\"x\":null}",
        "{\"track_id\":42,\"no_ai_tag\":\"yes\",\"uploaded_at\":\"2024-01-02\"}",
        "[true,false,null,\"\",{}]",
    ]

    static let alphabet = Array("{}[]:,\"\\ \t0123456789-+.eEtrufalsnbux/AF".utf8)

    /// Lines where the two parsers may legitimately disagree, by class.
    static func excludedFromDifferential(_ line: [UInt8]) -> Bool {
        // A \u escape of a surrogate code unit: RFC 8259's grammar accepts any four hex
        // digits (its §8.2 only says such strings are not Unicode text), while Foundation
        // must make a Swift String and refuses lone surrogates. Excluded when any `\u`
        // names a surrogate, paired or not (a few lines more than needed).
        for k in line.indices where line[k] == UInt8(ascii: "\\") && k + 5 < line.count
            && (line[k + 1] == UInt8(ascii: "u")) {
            let hex = String(decoding: line[(k + 2)...(k + 5)], as: UTF8.self)
            if let v = UInt32(hex, radix: 16), (0xD800...0xDFFF).contains(v) { return true }
        }
        // 2. A trailing comma before `]` or `}`: RFC 8259 forbids it (`[1,]` is not an array),
        //    but Foundation's parser accepts it. Checked lexically, strings included.
        for k in line.indices where line[k] == UInt8(ascii: ",") {
            var j = k + 1
            while j < line.count, [0x20, 0x09, 0x0D, 0x0A].contains(line[j]) { j += 1 }
            if j < line.count, line[j] == UInt8(ascii: "]") || line[j] == UInt8(ascii: "}") { return true }
        }
        // 3. A number outside Double's range (`1e999`): grammatical JSON (RFC 8259 §6 leaves
        //    the range to implementations), but Foundation refuses numbers it cannot
        //    represent. Excluded when any run of number characters has an exponent of three
        //    or more digits.
        var k = 0
        while k < line.count {
            if line[k] == UInt8(ascii: "e") || line[k] == UInt8(ascii: "E") {
                var j = k + 1
                if j < line.count, line[j] == UInt8(ascii: "+") || line[j] == UInt8(ascii: "-") { j += 1 }
                var digits = 0
                while j < line.count, (0x30...0x39).contains(line[j]) { digits += 1; j += 1 }
                if digits >= 3 { return true }
            }
            k += 1
        }
        return false
    }

    @Test("valid-JSON verdict agrees with JSONSerialization on mutated lines")
    func differentialAgainstFoundation() {
        var rng = SeededRNG(seed: 0x150A_2024)
        var compared = 0
        var disagreements: [String] = []
        for round in 0..<4000 {
            var line = Array(Self.seeds[round % Self.seeds.count].utf8)
            let edits = Int.random(in: 0...3, using: &rng)
            for _ in 0..<edits {
                let byte = Self.alphabet.randomElement(using: &rng)!
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: line.insert(byte, at: Int.random(in: 0...line.count, using: &rng))
                case 1: if !line.isEmpty { line.remove(at: Int.random(in: 0..<line.count, using: &rng)) }
                default: if !line.isEmpty { line[Int.random(in: 0..<line.count, using: &rng)] = byte }
                }
            }
            guard !Self.excludedFromDifferential(line) else { continue }
            // A blank line is not a record (contract §1.4): there is no verdict to compare.
            guard case .some(let error) = kitJSONVerdict(line) else { continue }
            let ours: Bool
            switch error {
            case nil, .notAnObject?: ours = true
            case .invalidJSON?: ours = false
            default:
                Issue.record("unexpected error \(String(describing: error)) for \(KitText.show(line))")
                continue
            }
            let foundation = (try? JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed])) != nil
            compared += 1
            if ours != foundation, disagreements.count < 20 {
                disagreements.append("\(KitText.show(line)): ours \(ours ? "valid" : "invalid"), Foundation \(foundation ? "valid" : "invalid")")
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.joined(separator: "\n"))")
        #expect(compared > 3000)
    }

    // MARK: - Flat lines through the 64-byte masks

    @Test("the 64-byte string masks mark exactly the quotes, backslashes, control and non-ASCII bytes, with SSE2, without, and with AVX-512 where the CPU has it")
    func stringMasks() {
        var rng = SeededRNG(seed: 0x5A5C)
        let interesting: [UInt8] = [0x22, 0x5C, 0x00, 0x09, 0x0A, 0x1F, 0x20, 0x7F, 0x80, 0xFF, 0xA2, 0xDC, 0x3F, 0x9F]
        var wrong: [String] = []
        for round in 0..<2_000 {
            let block: [UInt8] = (0..<64).map { _ in
                Bool.random(using: &rng) ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
            var stops: UInt64 = 0
            var high: UInt64 = 0
            for (i, c) in block.enumerated() {
                if c == 0x22 || c == 0x5C || c < 0x20 { stops |= 1 << UInt64(i) }
                if c >= 0x80 { high |= 1 << UInt64(i) }
            }
            let variants = block.withUnsafeBufferPointer { b in
                var all = [consentry_string_masks64(b.baseAddress!), consentry_string_masks64_words(b.baseAddress!)]
                #if arch(x86_64)
                if consentry_has_avx512bw() != 0 { all.append(consentry_string_masks64_avx512(b.baseAddress!)) }
                #endif
                return all
            }
            for masks in variants where masks.stops != stops || masks.high != high {
                wrong.append("round \(round)")
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) blocks, e.g. \(wrong.prefix(3))")
    }

    @Test("line feeds are found by 64-byte masks exactly as byte by byte")
    func lineFeedMasks() {
        var rng = SeededRNG(seed: 0x1F0A)
        var wrong: [String] = []
        for round in 0..<2_000 {
            let block: [UInt8] = (0..<64).map { _ in
                Int.random(in: 0..<4, using: &rng) == 0 ? 0x0A : UInt8.random(in: 0...255, using: &rng)
            }
            var feeds: UInt64 = 0
            for (i, c) in block.enumerated() where c == 0x0A { feeds |= 1 << UInt64(i) }
            let (fast, words) = block.withUnsafeBufferPointer {
                (consentry_line_feeds64($0.baseAddress!), consentry_line_feeds64_words($0.baseAddress!))
            }
            if fast != feeds || words != feeds { wrong.append("round \(round)") }
        }
        #expect(wrong.isEmpty, "\(wrong.count) blocks, e.g. \(wrong.prefix(3))")
    }

    /// A random flat line: known and unknown keys, strings of every length with escapes, raw
    /// control bytes, quotes and non-ASCII text, numbers and literals, odd spacing, and now
    /// and then a broken ending.
    static func randomFlatLine(_ rng: inout SeededRNG) -> [UInt8] {
        let keys = RecordField.allCases.map(\.name) + ["title", "x", "a_rather_long_key_name_of_thirty"]
        let pieces: [[UInt8]] = [
            Array("a".utf8), Array("Zq".utf8), Array(" ".utf8), Array("\\\"".utf8), Array("\\\\".utf8),
            Array("\\n".utf8), Array("\\u00e9".utf8), Array("\\u12G4".utf8), Array("\\x".utf8), [0x09], [0x01],
            [0x22], Array("é".utf8), Array("😀".utf8), [0xC3], Array("0123456789".utf8), Array("/".utf8),
        ]
        func string(_ rng: inout SeededRNG) -> [UInt8] {
            var text: [UInt8] = [0x22]
            let length = [0, 1, 5, 20, 70][Int.random(in: 0..<5, using: &rng)]
            for _ in 0..<Int.random(in: 0...length, using: &rng) {
                // Mostly plain letters, so that most lines are valid.
                text += Int.random(in: 0..<10, using: &rng) < 7 ? [UInt8.random(in: 0x61...0x7A, using: &rng)]
                    : pieces.randomElement(using: &rng)!
            }
            return text + [0x22]
        }
        func space(_ rng: inout SeededRNG) -> [UInt8] {
            [[], [], [0x20], [0x20, 0x20], [0x09], [0x0D]][Int.random(in: 0..<6, using: &rng)]
        }
        var line: [UInt8] = space(&rng) + [UInt8(ascii: "{")]
        for k in 0..<Int.random(in: 0...10, using: &rng) {
            if k > 0 { line += space(&rng) + [UInt8(ascii: ",")] }
            line += space(&rng) + [0x22] + Array(keys.randomElement(using: &rng)!.utf8) + [0x22]
            line += space(&rng) + [UInt8(ascii: ":")] + space(&rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0: line += Array(["0", "-12", "3.5e2", "1.", "01", "12345678901"].randomElement(using: &rng)!.utf8)
            case 1: line += Array(["true", "false", "null", "nul", "True", "fals", "falsey", "nulll"].randomElement(using: &rng)!.utf8)
            case 2:
                // A nested value, validated where it lies: its keys feed nothing, even when
                // they are field names; some are malformed.
                let inner = string(&rng)
                let valid: [[UInt8]] = [
                    Array("{}".utf8), Array("[]".utf8), Array("[ 1, true, null ]".utf8),
                    Array("{\"track_id\": ".utf8) + inner + Array(", \"n\": [1, {\"label\": null}]}".utf8),
                    Array("[".utf8) + inner + Array(", [[\"x\"]], -0.5e3]".utf8),
                ]
                let malformed = ["{\"a\": }", "[1,]", "{\"a\" 1}", "[1", "{\"a\": [}"].map { Array($0.utf8) }
                line += Int.random(in: 0..<5, using: &rng) > 0 ? valid.randomElement(using: &rng)!
                    : malformed.randomElement(using: &rng)!
            default: line += string(&rng)
            }
        }
        line += space(&rng)
        if Int.random(in: 0..<20, using: &rng) > 0 { line.append(UInt8(ascii: "}")) }
        return line
    }

    @Test("flat lines, and lines with nested values, read as Foundation reads them, whole or cut anywhere, wherever their strings cross 64-byte blocks")
    func flatLinesAcrossBlocks() {
        var rng = SeededRNG(seed: 0xF1A7)
        var failures: [String] = []
        var valid = 0
        for _ in 0..<400 {
            var payload: [UInt8] = []
            for _ in 0..<Int.random(in: 1...6, using: &rng) { payload += Self.randomFlatLine(&rng) + [0x0A] }
            // No configuration byte set: a limit of 1 MiB, default keys, no byte order mark.
            failures += FuzzChecks.checkJSONL([0, 0, 0] + payload)
            // Non-ASCII lines are out of Foundation's comparison: the flag is checked here.
            let decoder = JSONLDecoder(.init())
            payload.withUnsafeBufferPointer {
                decoder.feed($0) { record in
                    if record.structuralError == nil {
                        valid += 1
                        if record.hasNonASCII != record.bytes.contains(where: { $0 >= 0x80 }) {
                            failures.append("hasNonASCII \(record.hasNonASCII) for \(KitText.show(Array(record.bytes)))")
                        }
                    }
                    return true
                }
            }
            if failures.count > 5 { break }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(valid > 300)
    }
}
