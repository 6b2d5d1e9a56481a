import Foundation
import CMemory
import Testing
import ConsentryModel
@testable import ConsentryEngine
import TestSupport

/// What one CSV record must look like when the whole input is decoded at once.
struct KitCSVExpectation: Sendable {
    var line: Int
    /// The record's raw bytes, without its line ending; for a too-long record, a unique
    /// prefix of it (used to find its offset; the excerpt is checked on its own).
    var text: [UInt8]
    /// Decoded column values; nil for records that cannot be read.
    var columns: [[UInt8]]?
    var error: StructuralError?
    /// The record's offset; nil: the first occurrence of `text` in the input.
    var offset: Int?

    init(_ line: Int, _ text: String, _ columns: [String]? = nil, _ error: StructuralError? = nil,
         offset: Int? = nil) {
        self.init(line, bytes: Array(text.utf8), columns: columns.map { $0.map { Array($0.utf8) } }, error, offset: offset)
    }

    init(_ line: Int, bytes text: [UInt8], columns: [[UInt8]]?, _ error: StructuralError? = nil,
         offset: Int? = nil) {
        self.line = line
        self.text = text
        self.columns = columns
        self.error = error
        self.offset = offset
    }
}

struct KitCSVCase: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [UInt8]
    var delimiter: UInt8 = UInt8(ascii: ",")
    var maxRecordBytes: Int = 1 << 20
    /// 0: no field-count check.
    var columnCount: Int = 0
    var expected: [KitCSVExpectation]

    var testDescription: String { name }

    /// Columns 0, 1 and 2 feed track_id, label_status and genai_opt_in.
    var configuration: CSVDecoder.Configuration {
        CSVDecoder.Configuration(delimiter: delimiter, maxRecordBytes: maxRecordBytes,
                                 columnFields: [0, 1, 2], columnCount: columnCount)
    }

    static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    static let quoting = KitCSVCase(
        name: "BOM, CRLF, quoting, blank lines, no final newline",
        input: bom + kitBytes(
            "id,label,flag\r\n",                           // 1
            "1,\"a,b\",yes\r\n",                          // 2
            "2,\"multi\nline\",\"say \"\"hi\"\"\"\r\n",   // 3-4
            "3,x,\"crlf\r\ninside\"\r\n",                 // 5-6
            "4,,\n",                                      // 7
            "\n",                                         // 8
            "   \n",                                      // 9
            "\t \t\r\n",                                  // 10
            "5,ab\"c,d\n",                                // 11
            "6,\"q\"tail,\"\"\n",                         // 12
            "7, s , \"x\" "                               // 13, no newline
        ),
        columnCount: 3,
        expected: [
            KitCSVExpectation(1, "id,label,flag", ["id", "label", "flag"], offset: 3),
            KitCSVExpectation(2, "1,\"a,b\",yes", ["1", "a,b", "yes"], offset: 18),
            KitCSVExpectation(3, "2,\"multi\nline\",\"say \"\"hi\"\"\"", ["2", "multi\nline", "say \"hi\""]),
            KitCSVExpectation(5, "3,x,\"crlf\r\ninside\"", ["3", "x", "crlf\r\ninside"]),
            KitCSVExpectation(7, "4,,", ["4", "", ""]),
            KitCSVExpectation(11, "5,ab\"c,d", ["5", "ab\"c", "d"]),
            KitCSVExpectation(12, "6,\"q\"tail,\"\"", ["6", "qtail", ""]),
            KitCSVExpectation(13, "7, s , \"x\" ", ["7", " s ", " \"x\" "]),
        ])

    static let notBOM = KitCSVCase(
        name: "input starting with 0xEF that is not a BOM",
        input: [0xEF, 0xBB, 0x41] + kitBytes(",b\nc,d\n"),
        expected: [
            KitCSVExpectation(1, bytes: [0xEF, 0xBB, 0x41, 0x2C, 0x62], columns: [[0xEF, 0xBB, 0x41], [0x62]], offset: 0),
            KitCSVExpectation(2, "c,d", ["c", "d"], offset: 6),
        ])

    static let fullwidth = KitCSVCase(
        name: "input starting with U+FF58 (EF BD 98)",
        input: kitBytes("ｘ,y\nz,w"),
        expected: [
            KitCSVExpectation(1, "ｘ,y", ["ｘ", "y"], offset: 0),
            KitCSVExpectation(2, "z,w", ["z", "w"], offset: 6),
        ])

    static let secondBOM = KitCSVCase(
        name: "a second BOM is data",
        input: bom + bom + kitBytes("a\n"),
        expected: [KitCSVExpectation(1, bytes: bom + kitBytes("a"), columns: [bom + kitBytes("a")], offset: 3)])

    static let partialBOM = KitCSVCase(
        name: "only the first two BOM bytes",
        input: [0xEF, 0xBB],
        expected: [KitCSVExpectation(1, bytes: [0xEF, 0xBB], columns: [[0xEF, 0xBB]], offset: 0)])

    static let onlyBOM = KitCSVCase(name: "only a BOM", input: bom, expected: [])

    static let carriageReturns = KitCSVCase(
        name: "CR handling",
        input: kitBytes("a,b\r\nc\rd,e\r\n\r\n\"f\r\",g\r"),
        expected: [
            KitCSVExpectation(1, "a,b", ["a", "b"]),
            KitCSVExpectation(2, "c\rd,e", ["c\rd", "e"]),
            KitCSVExpectation(4, "\"f\r\",g", ["f\r", "g"]),
        ])

    static let blankOnly = KitCSVCase(
        name: "blank lines only",
        input: kitBytes("\n \n\t\n\r\n  \t  \r\n"),
        expected: [])

    static let blankFirst = KitCSVCase(
        name: "blank lines before a record count as lines",
        input: kitBytes("\n\n \t\nx,y"),
        expected: [KitCSVExpectation(4, "x,y", ["x", "y"], offset: 5)])

    static let unterminated = KitCSVCase(
        name: "unterminated quote at the end",
        input: kitBytes("h1,h2\nx,\"open\nstill open\n"),
        expected: [
            KitCSVExpectation(1, "h1,h2", ["h1", "h2"]),
            KitCSVExpectation(2, "x,\"open\nstill open\n", nil, .unterminatedQuote, offset: 6),
        ])

    static let loneQuote = KitCSVCase(
        name: "unterminated quote: a lone quote",
        input: kitBytes("h\n\""),
        expected: [
            KitCSVExpectation(1, "h", ["h"]),
            KitCSVExpectation(2, "\"", nil, .unterminatedQuote, offset: 2),
        ])

    static let fieldCount = KitCSVCase(
        name: "field count",
        input: kitBytes("a,b,c\n1,2\n1,2,3,4\n\"1,2\",3\n,,\n  \nx,\"y\nz\",w\n"),
        columnCount: 3,
        expected: [
            KitCSVExpectation(1, "a,b,c", ["a", "b", "c"]),
            KitCSVExpectation(2, "1,2", ["1", "2"], .fieldCount(expected: 3, found: 2)),
            KitCSVExpectation(3, "1,2,3,4", ["1", "2", "3", "4"], .fieldCount(expected: 3, found: 4)),
            KitCSVExpectation(4, "\"1,2\",3", ["1,2", "3"], .fieldCount(expected: 3, found: 2)),
            KitCSVExpectation(5, ",,", ["", "", ""]),
            KitCSVExpectation(7, "x,\"y\nz\",w", ["x", "y\nz", "w"]),
        ])

    static let tooLong = KitCSVCase(
        name: "record_too_long",
        input: kitBytes(
            "id,x\n",                                      // 1
            "1,short\n",                                   // 2
            "2,aaaaaaaaaaaaaaa\n",                         // 3: 17 bytes
            "3,abcdefgh\r\n",                              // 4: exactly 10 bytes
            "4,abcdefghi\r\n",                             // 5: 11 bytes
            "          \n",                                // 6: 10 spaces, blank
            "           \n",                               // 7: 11 spaces, too long
            "5,\"quoted\nfield that is long\nstill\"\n",     // 8-10: over the limit on line 9
            "6,fine\n",                                    // 11
            "7,bbbbbbbbbbbbbbbbbbbbbb"                     // 12, no newline
        ),
        maxRecordBytes: 10,
        columnCount: 2,
        expected: [
            KitCSVExpectation(1, "id,x", ["id", "x"]),
            KitCSVExpectation(2, "1,short", ["1", "short"]),
            KitCSVExpectation(3, "2,aaaa", nil, .recordTooLong),
            KitCSVExpectation(4, "3,abcdefgh", ["3", "abcdefgh"]),
            KitCSVExpectation(5, "4,abcdefghi", nil, .recordTooLong),
            KitCSVExpectation(7, "           ", nil, .recordTooLong),
            KitCSVExpectation(8, "5,\"quoted", nil, .recordTooLong),
            // Reading resumes after the line break that follows the point where the limit
            // was passed: the rest of the quoted field is a record of its own.
            KitCSVExpectation(10, "still\"", ["still\""], .fieldCount(expected: 2, found: 1)),
            KitCSVExpectation(11, "6,fine", ["6", "fine"]),
            KitCSVExpectation(12, "7,bbbb", nil, .recordTooLong),
        ])

    static let tooLongQuoted = KitCSVCase(
        name: "record_too_long inside a quoted field without line breaks",
        input: kitBytes("a,\"bbbbbbbbbbbbbbbb\",c\nd,e\n"),
        maxRecordBytes: 8,
        expected: [
            KitCSVExpectation(1, "a,\"bbbb", nil, .recordTooLong),
            KitCSVExpectation(2, "d,e", ["d", "e"]),
        ])

    static let semicolon = KitCSVCase(
        name: "semicolon delimiter",
        input: kitBytes("a;b;c\n1;\"x;y\";\"q\"\"\"\n2;,;3\n"),
        delimiter: UInt8(ascii: ";"),
        columnCount: 3,
        expected: [
            KitCSVExpectation(1, "a;b;c", ["a", "b", "c"]),
            KitCSVExpectation(2, "1;\"x;y\";\"q\"\"\"", ["1", "x;y", "q\""]),
            KitCSVExpectation(3, "2;,;3", ["2", ",", "3"]),
        ])

    static let tab = KitCSVCase(
        name: "tab delimiter",
        input: kitBytes("a\tb\n1\t\"t\tx\"\n \t \n2\t\r\n3,4\t5\n"),
        delimiter: UInt8(ascii: "\t"),
        columnCount: 2,
        expected: [
            KitCSVExpectation(1, "a\tb", ["a", "b"]),
            KitCSVExpectation(2, "1\t\"t\tx\"", ["1", "t\tx"]),
            KitCSVExpectation(4, "2\t", ["2", ""]),
            KitCSVExpectation(5, "3,4\t5", ["3,4", "5"]),
        ])

    static let nonASCII = KitCSVCase(
        name: "non-ASCII text",
        input: kitBytes("é,\"ü,ß\"\nplain,x\n\"a\",ö\n"),
        expected: [
            KitCSVExpectation(1, "é,\"ü,ß\"", ["é", "ü,ß"]),
            KitCSVExpectation(2, "plain,x", ["plain", "x"]),
            KitCSVExpectation(3, "\"a\",ö", ["a", "ö"]),
        ])

    static let empty = KitCSVCase(name: "empty input", input: [], expected: [])

    static let all: [KitCSVCase] = [
        quoting, notBOM, fullwidth, secondBOM, partialBOM, onlyBOM, carriageReturns, blankOnly,
        blankFirst, unterminated, loneQuote, fieldCount, tooLong, tooLongQuoted, semicolon, tab,
        nonASCII, empty,
    ]
}

@Suite("CSVDecoder")
struct CSVDecoderTests {
    @Test("the whole input decodes to the expected records", arguments: KitCSVCase.all)
    func wholeInput(_ c: KitCSVCase) throws {
        let got = KitDecode.csv(c.input, configuration: c.configuration)
        try #require(got.count == c.expected.count, "records: \(got)")
        for (record, want) in zip(got, c.expected) {
            let offset = try #require(want.offset ?? c.input.firstRange(of: want.text)?.lowerBound)
            #expect(record.line == want.line, "\(record)")
            #expect(record.offset == offset, "\(record)")
            #expect(record.error == want.error, "\(record)")
            if want.error == .recordTooLong {
                KitDecode.checkTooLongExcerpt(record, input: c.input, maxRecordBytes: c.maxRecordBytes)
                continue
            }
            #expect(record.bytes == want.text, "\(record)")
            if let columns = want.columns {
                #expect(record.columns == columns, "\(record)")
                // The mapped fields are the first three columns.
                for (index, field) in record.fields.enumerated() {
                    let expected: KitField = index < min(3, columns.count) ? .text(columns[index]) : .absent
                    #expect(field == expected, "field \(index) of \(record)")
                }
            }
            if want.error == nil {
                #expect(record.hasNonASCII == record.bytes.contains { $0 >= 0x80 }, "\(record)")
            }
        }
    }

    @Test("the same records whatever the chunk size or cuts", arguments: KitCSVCase.all)
    func everySplit(_ c: KitCSVCase) {
        let reference = KitDecode.csv(c.input, configuration: c.configuration)
        let splits = KitDecode.everyChunkSize(count: c.input.count)
            + KitDecode.randomSplits(count: 200, length: c.input.count, seed: UInt64(c.input.count) &* 7919)
        for cuts in splits {
            let got = KitDecode.csv(c.input, cuts: cuts, configuration: c.configuration)
            let same = got.map(\.chunkingInvariant) == reference.map(\.chunkingInvariant)
            #expect(same, "cut at \(cuts):\n got \(got)\nwant \(reference)")
            for record in got where record.error == .recordTooLong {
                KitDecode.checkTooLongExcerpt(record, input: c.input, maxRecordBytes: c.maxRecordBytes)
            }
            if !same { break }
        }
    }

    @Test("as a scan decodes, keeping only the mapped fields: the same records, and the same fields for every record that can be read, whatever the chunk size or cuts", arguments: KitCSVCase.all)
    func mappedFieldsOnly(_ c: KitCSVCase) {
        // The fields are not cleared between records that way: a record with too few fields
        // must not lend the next one any of its predecessor's.
        let reference = KitDecode.csv(c.input, configuration: c.configuration).map(\.readable)
        let splits = [[]] + KitDecode.everyChunkSize(count: c.input.count)
            + KitDecode.randomSplits(count: 50, length: c.input.count, seed: UInt64(c.input.count) &* 104_729)
        for cuts in splits {
            let got = KitDecode.csv(c.input, cuts: cuts, configuration: c.configuration, collecting: false).map(\.readable)
            #expect(got == reference, "cuts \(cuts)")
            if got != reference { break }
        }
    }

    @Test("a record after one with fewer or more fields than the header has its own fields only, in the one-pass decoder and in the state machine")
    func noFieldsLentAcrossRecords() {
        // Quoted fields with line breaks take the state machine, and so does a record cut by
        // the chunk or without 64 bytes after it in the buffer; the others the one-pass decoder.
        let tail = String(repeating: "p,q,r\n", count: 20)
        let input = Array(("1,2,3\n4\n5,6,7\n8,9\n,,\n\"a\nb\",c\nd,e,f,g\nh,\"i\nj\",k\n" + tail).utf8)
        let config = CSVDecoder.Configuration(columnFields: [0, 1, 2], columnCount: 3)
        let expected: [[KitField]] = [[.t("1"), .t("2"), .t("3")], [.t("5"), .t("6"), .t("7")], [.t(""), .t(""), .t("")],
                                      [.t("h"), .t("i\nj"), .t("k")]] + Array(repeating: [.t("p"), .t("q"), .t("r")], count: 20)
        for cuts in [[], [1], [9], Array(1..<input.count)] {
            let readable = KitDecode.csv(input, cuts: cuts, configuration: config, collecting: false)
                .filter { $0.error == nil }.map { Array($0.fields.prefix(3)) }
            #expect(readable == expected, "cuts \(cuts)")
        }
    }

    @Test("lines and offsets count from the decoder's origin and start offset")
    func originAndOffset() {
        let input = Array("a,b\n\"c\nd\",e\nf,g\n".utf8)
        let config = CSVDecoder.Configuration()
        for cuts in [[], [1], [5, 6, 7], [13]] {
            let got = KitDecode.csv(input, cuts: cuts, configuration: config, offset: 1000,
                                    atStreamStart: false, lineOrigin: 41)
            #expect(got.map(\.line) == [42, 43, 45], "cuts \(cuts)")
            #expect(got.map(\.offset) == [1000, 1004, 1012], "cuts \(cuts)")
        }
    }

    @Test("a BOM is data unless the decoder is at the start of the stream")
    func bomOnlyAtStreamStart() {
        let input = KitCSVCase.bom + Array("a\n".utf8)
        let mid = KitDecode.csv(input, configuration: .init(), atStreamStart: false)
        #expect(mid.map(\.bytes) == [input.dropLast()].map(Array.init))
        #expect(mid.first?.offset == 0)
        let start = KitDecode.csv(input, configuration: .init(), atStreamStart: true)
        #expect(start.map(\.bytes) == [Array("a".utf8)])
        #expect(start.first?.offset == 3)
    }

    @Test("emit returning false stops after that record; feed returns the bytes it consumed")
    func stopEarly() {
        func feedStoppingAtFirst(_ pieces: [String], bom: Bool = false) -> (consumed: [Int], decoder: CSVDecoder, lines: [Int]) {
            let decoder = CSVDecoder(.init(), offset: 0, atStreamStart: true)
            var consumed: [Int] = []
            var lines: [Int] = []
            var stopped = false
            for (index, piece) in pieces.enumerated() where !stopped {
                let bytes = (bom && index == 0 ? KitCSVCase.bom : []) + Array(piece.utf8)
                let n = bytes.withUnsafeBufferPointer { buf in
                    decoder.feed(buf) { record in
                        lines.append(record.line)
                        stopped = true
                        return false
                    }
                }
                consumed.append(n)
            }
            return (consumed, decoder, lines)
        }
        var run = feedStoppingAtFirst(["a,b\nc,d\ne,f\n"])
        #expect(run.consumed == [4])
        #expect(run.decoder.offset == 4)
        #expect(run.decoder.isAtRecordBoundary)
        #expect(run.lines == [1])
        run = feedStoppingAtFirst(["a,\"b", "\nc\",d\ne,f\n"])
        #expect(run.consumed == [4, 6])
        #expect(run.decoder.offset == 10)
        #expect(run.decoder.lineFeeds == 2)
        run = feedStoppingAtFirst(["h\nx\n"], bom: true)
        #expect(run.consumed == [5])
        #expect(run.decoder.offset == 5)
        run = feedStoppingAtFirst(["\n\n  \nh,i\r\nx\n"])
        #expect(run.consumed == [10])
        #expect(run.lines == [4])
    }

    @Test("isAtRecordBoundary is false only inside a record or while skipping a too-long one")
    func recordBoundary() {
        let decoder = CSVDecoder(.init(maxRecordBytes: 8))
        func feed(_ text: String) {
            Array(text.utf8).withUnsafeBufferPointer { _ = decoder.feed($0) { _ in true } }
        }
        #expect(decoder.isAtRecordBoundary)
        feed("a,b\n")
        #expect(decoder.isAtRecordBoundary)
        feed("a,\"b\n")
        #expect(!decoder.isAtRecordBoundary)
        feed("c\"\n")
        #expect(decoder.isAtRecordBoundary)
        feed("0123456789")
        #expect(!decoder.isAtRecordBoundary)
        feed("still too long")
        #expect(!decoder.isAtRecordBoundary)
        feed("\n")
        #expect(decoder.isAtRecordBoundary)

        let json = JSONLDecoder(.init(maxRecordBytes: 8))
        func feedJSON(_ text: String) {
            Array(text.utf8).withUnsafeBufferPointer { json.feed($0) { _ in true } }
        }
        feedJSON("{}\n")
        #expect(json.isAtRecordBoundary)
        feedJSON("{")
        #expect(!json.isAtRecordBoundary)
        feedJSON("}\n{\"long\":\"line\"")
        #expect(!json.isAtRecordBoundary)
        feedJSON("}\n")
        #expect(json.isAtRecordBoundary)
    }

    /// contract §4: the excerpt is "at most 200 bytes of the raw record". After a too-long record
    /// the decoder resumes at the next line break and decodes what follows as new records, so
    /// those bytes are not part of the too-long record and must not appear in its excerpt.
    @Test("a too-long record's excerpt does not run into the records after it")
    func tooLongExcerptStaysInsideTheRecord() {
        let input = Array("h,x\n1,\"quoted\nfield that is long\nstill\"\n2,next\n".utf8)
        let config = CSVDecoder.Configuration(maxRecordBytes: 10)
        var overlapping: [String] = []
        for cuts in [[]] + KitDecode.everyChunkSize(count: input.count) {
            let got = KitDecode.csv(input, cuts: cuts, configuration: config)
            for (record, next) in zip(got, got.dropFirst()) where record.error == .recordTooLong
                && record.offset + record.bytes.count > next.offset {
                overlapping.append("chunk size \(cuts.first ?? input.count): excerpt \(KitText.show(record.bytes))"
                                   + " runs into the next record (\(next))")
            }
        }
        #expect(overlapping.isEmpty, "\(overlapping.count) splits:\n\(overlapping.prefix(3).joined(separator: "\n"))")
    }

    @Test("random CSV is decoded the same whatever the cuts")
    func randomInputs() {
        var rng = SeededRNG(seed: 0xC5F)
        let alphabet = Array("ab,\"\n\r \té".utf8)
        for round in 0..<150 {
            let length = Int.random(in: 0...60, using: &rng)
            let input = (0..<length).map { _ in alphabet.randomElement(using: &rng)! }
            let config = CSVDecoder.Configuration(maxRecordBytes: round % 3 == 0 ? 12 : 1 << 20,
                                                  columnFields: [0, 1], columnCount: round % 2 == 0 ? 2 : 0)
            let reference = KitDecode.csv(input, configuration: config)
            // Records come in input order, on increasing lines, never overlapping.
            for (a, b) in zip(reference, reference.dropFirst()) {
                #expect(a.offset < b.offset && a.line < b.line, "\(KitText.show(input)): \(reference)")
            }
            for cuts in KitDecode.randomSplits(count: 15, length: input.count, seed: UInt64(round)) {
                let got = KitDecode.csv(input, cuts: cuts, configuration: config)
                #expect(got.map(\.chunkingInvariant) == reference.map(\.chunkingInvariant),
                        "\(KitText.show(input)) cut at \(cuts):\n got \(got)\nwant \(reference)")
            }
        }
    }

    @Test("long records read 64 bytes at a time decode as the state machine decodes them byte by byte",
          arguments: [UInt8(ascii: ","), UInt8(ascii: "\t")])
    func longInputs(delimiter: UInt8) {
        // The whole input goes through the decoder's block path (fields found from 64-byte
        // masks), the same input fed a byte at a time through its state machine; fields
        // around the blocks' edges, non-ASCII bytes on either side of one, quotes, CRs and
        // records over the limit must not tell them apart.
        var rng = SeededRNG(seed: 0x64B)
        let common = Array("abcdefghij0123456789 ".utf8)
        let rare: [[UInt8]] = [[delimiter], [delimiter], [delimiter], [0x0A], [0x0A], [0x22], [0x0D, 0x0A], [0x0D],
                               Array("é".utf8), [0xFF], [0x09, 0x20], [0x22, 0x22]]
        for round in 0..<60 {
            var input: [UInt8] = []
            let length = Int.random(in: 200...3000, using: &rng)
            let rareShare = [0.05, 0.15, 0.3][round % 3]
            while input.count < length {
                if Double.random(in: 0..<1, using: &rng) < rareShare {
                    input += rare.randomElement(using: &rng)!
                } else {
                    input.append(common.randomElement(using: &rng)!)
                }
            }
            let config = CSVDecoder.Configuration(
                delimiter: delimiter, maxRecordBytes: [1 << 20, 70, 150][round % 3 == 1 ? round % 2 + 1 : 0],
                columnFields: [0, -1, 1, 2, -1, 3], columnCount: round % 4 == 0 ? 6 : 0)
            let whole = KitDecode.csv(input, configuration: config)
            let byteByByte = KitDecode.csv(input, cuts: KitDecode.cuts(count: input.count, chunkSize: 1),
                                           configuration: config)
            #expect(whole.map(\.chunkingInvariant) == byteByByte.map(\.chunkingInvariant),
                    "round \(round): \(KitText.show(input))")
            for cuts in KitDecode.randomSplits(count: 4, length: input.count, seed: UInt64(round)) {
                let got = KitDecode.csv(input, cuts: cuts, configuration: config)
                #expect(got.map(\.chunkingInvariant) == whole.map(\.chunkingInvariant), "round \(round) cut at \(cuts)")
            }
        }
    }

    @Test("a field end, a field start or a closing quote at every place around a 64-byte block's edge decodes as the state machine decodes it")
    func blockEdges() {
        // Three records of each shape, the first padded by 0...139 bytes, so that a
        // delimiter, the field after it, a quoted field's opening and closing quotes and the
        // line feed each fall on every byte of a block and just past it; later records start
        // inside the block the record before them loaded. Plain records after them leave
        // the one-pass loop 64 bytes past every block it starts.
        let config = CSVDecoder.Configuration(columnFields: [0, 1, 2], columnCount: 3)
        var wrong: [String] = []
        for pad in 0..<140 {
            for shape in 0..<4 {
                var input: [UInt8] = []
                for r in 0..<3 {
                    let text = [UInt8](repeating: UInt8(ascii: "a"), count: (pad + 23 * r) % 140)
                    switch shape {
                    case 0: input += text + Array(",b,c\n".utf8)
                    case 1: input += text + Array(",\"q,r\",c\n".utf8)
                    case 2: input += Array("\"".utf8) + text + Array("\",b,\"c\"\n".utf8)
                    default: input += Array("x,".utf8) + text + Array(",\"\"\r\n".utf8)
                    }
                }
                input += Array(String(repeating: "x,y,z\n", count: 30).utf8)
                let whole = KitDecode.csv(input, configuration: config)
                let byteByByte = KitDecode.csv(input, cuts: KitDecode.cuts(count: input.count, chunkSize: 1),
                                               configuration: config)
                if whole.map(\.chunkingInvariant) != byteByByte.map(\.chunkingInvariant) || whole.count != 33 {
                    wrong.append("shape \(shape), pad \(pad)")
                }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) inputs, e.g. \(wrong.prefix(5))")
    }

    @Test("a non-ASCII byte anywhere in a record is seen, whichever 64-byte block it is in")
    func nonASCIIAtEveryPosition() {
        // A record of two fields: the delimiter near the start or either end of the first two
        // blocks and a two-byte character at every other position; records after it keep the
        // block path in use to its end.
        let config = CSVDecoder.Configuration(columnFields: [0, 1], columnCount: 2)
        let after = Array(String(repeating: "x,y\n", count: 40).utf8)
        var wrong: [String] = []
        for d in Array(1..<10) + Array(54..<75) + Array(118..<130) {
            for k in 0..<139 where k != d && k + 1 != d {
                var record = [UInt8](repeating: UInt8(ascii: "a"), count: 140)
                record[d] = UInt8(ascii: ",")
                record[k] = 0xC3
                record[k + 1] = 0xA9
                let first = KitDecode.csv(record + [0x0A] + after, configuration: config).first
                let ascii = KitDecode.csv(Array(repeating: UInt8(ascii: "a"), count: d) + [UInt8(ascii: ",")]
                                          + Array(repeating: UInt8(ascii: "b"), count: 139 - d) + [0x0A] + after,
                                          configuration: config).first
                if first?.hasNonASCII != true || first?.fields.prefix(2) != [.text(Array(record[..<d])), .text(Array(record[(d + 1)...]))]
                    || ascii?.hasNonASCII != false {
                    wrong.append("delimiter at \(d), character at \(k)")
                }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) cases, e.g. \(wrong.prefix(5))")
    }

    @Test("the 64-byte masks mark exactly the delimiters, line feeds, quotes and non-ASCII bytes, with SSE2, without, and with AVX-512 where the CPU has it")
    func blockMasks() {
        var rng = SeededRNG(seed: 0x6A5C)
        let interesting: [UInt8] = [0x0A, 0x2C, 0x3B, 0x09, 0x00, 0x7F, 0x80, 0xFF, 0x0B, 0x2D, 0x8A, 0xAC, 0x22, 0xA2]
        var wrong: [String] = []
        for round in 0..<2_000 {
            let delimiter = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), 0x80][round % 4]
            let block: [UInt8] = (0..<64).map { _ in
                Bool.random(using: &rng) ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
            var ends: UInt64 = 0
            var feeds: UInt64 = 0
            var quotes: UInt64 = 0
            var high: UInt64 = 0
            for (i, c) in block.enumerated() {
                if c == delimiter || c == 0x0A { ends |= 1 << UInt64(i) }
                if c == 0x0A { feeds |= 1 << UInt64(i) }
                if c == 0x22 { quotes |= 1 << UInt64(i) }
                if c >= 0x80 { high |= 1 << UInt64(i) }
            }
            let variants = block.withUnsafeBufferPointer { b in
                var all = [consentry_byte_masks64(b.baseAddress!, delimiter), consentry_byte_masks64_words(b.baseAddress!, delimiter)]
                #if arch(x86_64)
                if consentry_has_avx512bw() != 0 { all.append(consentry_byte_masks64_avx512(b.baseAddress!, delimiter)) }
                #endif
                return all
            }
            for masks in variants
            where masks.ends != ends || masks.feeds != feeds || masks.quotes != quotes || masks.high != high {
                wrong.append("round \(round)")
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) blocks, e.g. \(wrong.prefix(3))")
    }
}
