// The invariant checks of the libFuzzer targets (Fuzz/*.swift, run by Scripts/fuzz) and the
// regression tests for the inputs they found.
//
// This one file is compiled twice: by SwiftPM into ConsentryEngineTests (the tests at the
// end), and by Scripts/fuzz together with the decoder sources and `-D CONSENTRY_FUZZ` into each
// fuzz binary (no Testing, no `import ConsentryEngine`: the engine's sources are in the same
// module there, built against a ConsentryModel module of its own). So a fuzz finding and its
// regression test always run exactly the same checks.

import ConsentryModel
import Foundation
#if !CONSENTRY_FUZZ
import Testing
@testable import ConsentryEngine
#endif

// MARK: - Invariant checks

/// Invariant checks shared by the fuzz targets and the regression tests. Each check returns
/// the violations it found (empty: the input is fine); a fuzz target turns them into a crash.
enum FuzzChecks {
    /// Known findings that a fuzz run may be told to tolerate (environment variable
    /// `CONSENTRY_FUZZ_TOLERATE`, comma-separated), so that it can go on looking for others.
    /// The regression tests never tolerate anything.
    static let tolerated: Set<String> = {
        guard let text = ProcessInfo.processInfo.environment["CONSENTRY_FUZZ_TOLERATE"] else { return [] }
        return Set(text.split(separator: ",").map { String($0) })
    }()

    // MARK: Records as plain values

    /// One emitted record, copied out of the decoder's callback.
    struct Record: Equatable, CustomStringConvertible {
        var bytes: [UInt8]
        var line: Int
        var offset: Int
        var error: StructuralError?
        var hasNonASCII: Bool
        var fields: [FieldValue]
        /// The CSV decoder's `allFields` (start, end, quoted ? 1 : 0), when collected.
        var allFields: [[Int]]?

        init(_ raw: RawRecord, allFields: [[Int]]? = nil) {
            bytes = Array(raw.bytes)
            line = raw.line
            offset = raw.offset
            error = raw.structuralError
            hasNonASCII = raw.hasNonASCII
            fields = Array(raw.fields)
            self.allFields = allFields
        }

        init(bytes: [UInt8], line: Int, offset: Int, error: StructuralError?, hasNonASCII: Bool,
             fields: [FieldValue], allFields: [[Int]]?) {
            self.bytes = bytes
            self.line = line
            self.offset = offset
            self.error = error
            self.hasNonASCII = hasNonASCII
            self.fields = fields
            self.allFields = allFields
        }

        /// What the scan uses of the record: a structurally rejected record is only its line,
        /// offset, error and excerpt (RecordProcessor ignores its fields and `hasNonASCII`).
        var normalized: Record {
            guard error != nil else { return self }
            var r = self
            r.hasNonASCII = false
            r.fields = []
            r.allFields = nil
            return r
        }

        var description: String {
            "line \(line) offset \(offset) error \(error.map { "\($0)" } ?? "-") nonASCII \(hasNonASCII) bytes \(FuzzChecks.show(bytes)) fields \(fields)"
                + (allFields.map { " all \($0)" } ?? "")
        }
    }

    /// Bytes as text for messages: printable ASCII as is, the rest escaped.
    static func show(_ bytes: [UInt8], limit: Int = 120) -> String {
        var s = "\""
        for b in bytes.prefix(limit) {
            switch b {
            case 0x20..<0x7F where b != 0x22 && b != 0x5C: s.unicodeScalars.append(Unicode.Scalar(b))
            case 0x0A: s += "\\n"
            case 0x0D: s += "\\r"
            case 0x09: s += "\\t"
            default: s += String(format: "\\x%02X", b)
            }
        }
        return s + (bytes.count > limit ? "\"…(\(bytes.count) bytes)" : "\"")
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = Array(hex.utf8).filter { $0 != 0x20 && $0 != 0x0A }
        if chars.count % 2 == 1 { chars.append(0x30) }
        var i = 0
        while i < chars.count {
            out.append(UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) ?? 0)
            i += 2
        }
        return out
    }

    // MARK: Chunk plans

    /// How an input is cut into `feed` calls.
    enum Plan: CustomStringConvertible {
        case whole
        case fixed(Int)
        /// Sizes taken in turn, cycling.
        case pattern([Int])

        var description: String {
            switch self {
            case .whole: return "whole"
            case .fixed(let n): return "chunks of \(n)"
            case .pattern(let p): return "chunks \(p.prefix(8))…"
            }
        }

        func cut(_ count: Int) -> [Range<Int>] {
            var ranges: [Range<Int>] = []
            var at = 0
            var k = 0
            while at < count {
                let size: Int
                switch self {
                case .whole: size = count
                case .fixed(let n): size = max(1, n)
                case .pattern(let p): size = max(1, p[k % p.count]); k += 1
                }
                ranges.append(at..<min(count, at + size))
                at += size
            }
            return ranges
        }
    }

    /// The chunk sizes every input is decoded with, besides whole: 1, 2, 3, 7, one derived
    /// from the first byte, about half the input, and an irregular pattern taken from the
    /// input's bytes.
    static func plans(for payload: [UInt8], seed: UInt8) -> [Plan] {
        var plans: [Plan] = [.fixed(1), .fixed(2), .fixed(3), .fixed(7), .fixed(1 + Int(seed) % 61)]
        if payload.count > 4 { plans.append(.fixed(payload.count / 2 + 1)) }
        let pattern = payload.prefix(16).map { 1 + Int($0 % 13) }
        if !pattern.isEmpty { plans.append(.pattern(pattern)) }
        return plans
    }

    // MARK: Properties every decoder output must have

    /// Checks that hold for any record list, whatever the chunking: records lie in the input
    /// at their offsets, in order, without overlapping, with correct line numbers, and every
    /// readable record's fields lie within its bytes.
    static func checkRecordList(_ records: [Record], payload: [UInt8], start: Int, lineOrigin: Int,
                                json: Bool, what: String, into failures: inout [String]) {
        // lineStarts[k]: number of LFs before payload index k (computed lazily by prefix count).
        var lfBefore = [Int](repeating: 0, count: payload.count + 1)
        for (k, b) in payload.enumerated() { lfBefore[k + 1] = lfBefore[k] + (b == 0x0A ? 1 : 0) }
        var previous: Record? = nil
        for (index, r) in records.enumerated() {
            let at = r.offset - start
            let tag = "\(what): record #\(index) (\(r))"
            guard at >= 0, at < payload.count else {
                failures.append("\(tag): offset outside the input (start \(start), \(payload.count) bytes)")
                continue
            }
            if at + r.bytes.count > payload.count || Array(payload[at..<at + r.bytes.count]) != r.bytes {
                failures.append("\(tag): bytes are not the input's bytes at its offset")
            }
            let expectedLine = lineOrigin + 1 + lfBefore[at]
            if r.line != expectedLine {
                failures.append("\(tag): line \(r.line), but \(expectedLine) LFs precede its offset (plus 1 and lineOrigin)")
            }
            if let p = previous {
                if r.offset <= p.offset { failures.append("\(tag): offset not after the previous record's \(p.offset)") }
                if r.line < p.line { failures.append("\(tag): line before the previous record's \(p.line)") }
                if p.offset + p.bytes.count > r.offset && !tolerated.contains("excerpt-overlap") {
                    failures.append("\(what): record #\(index - 1) (\(p)) overlaps the next record at offset \(r.offset) [excerpt-overlap]")
                }
            }
            previous = r
            if r.error == .recordTooLong || r.error == .unterminatedQuote {
                if r.bytes.count > CSVDecoder.excerptBytes {
                    failures.append("\(tag): excerpt longer than \(CSVDecoder.excerptBytes) bytes")
                }
            }
            guard r.error == nil else { continue }
            if r.bytes.isEmpty { failures.append("\(tag): a readable record with no bytes") }
            if r.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { failures.append("\(tag): a blank line was emitted as a record") }
            if json && r.bytes.contains(0x0A) { failures.append("\(tag): a JSONL record holds a line feed") }
            if r.bytes.contains(where: { $0 >= 0x80 }) && !r.hasNonASCII {
                failures.append("\(tag): non-ASCII bytes but hasNonASCII is false (invalid UTF-8 would not be rejected)")
            }
            for (f, value) in r.fields.enumerated() {
                switch value {
                case .text(let s, let e, let escaped):
                    guard s >= 0, s <= e, Int(e) <= r.bytes.count else {
                        failures.append("\(tag): field \(f) span \(s)..<\(e) outside its \(r.bytes.count) bytes")
                        continue
                    }
                    if json {
                        if s < 1 || Int(e) >= r.bytes.count || r.bytes[Int(s) - 1] != 0x22 || r.bytes[Int(e)] != 0x22 {
                            failures.append("\(tag): JSON string field \(f) is not enclosed in quotes")
                        }
                    } else if escaped && (s == e || r.bytes[Int(s)] != 0x22) {
                        failures.append("\(tag): quoted CSV field \(f) does not start with a quote")
                    }
                case .number(let s, let e, let integer):
                    guard s >= 0, s < e, Int(e) <= r.bytes.count else {
                        failures.append("\(tag): field \(f) number span \(s)..<\(e) outside its \(r.bytes.count) bytes")
                        continue
                    }
                    let token = Array(r.bytes[Int(s)..<Int(e)])
                    if !json || !isJSONNumber(token) {
                        failures.append("\(tag): field \(f) number \(show(token)) is not a JSON number")
                    } else if integer != !token.contains(where: { $0 == 0x2E || $0 == 0x65 || $0 == 0x45 }) {
                        failures.append("\(tag): field \(f) number \(show(token)) has the wrong integer flag")
                    }
                case .absent, .null, .bool, .container:
                    if !json, value != .absent { failures.append("\(tag): CSV field \(f) is \(value)") }
                }
            }
        }
    }

    /// RFC 8259 `number`.
    static func isJSONNumber(_ t: [UInt8]) -> Bool {
        var i = 0
        let n = t.count
        func digit(_ i: Int) -> Bool { i < n && t[i] >= 0x30 && t[i] <= 0x39 }
        if i < n && t[i] == 0x2D { i += 1 }
        guard digit(i) else { return false }
        if t[i] == 0x30 { i += 1 } else { while digit(i) { i += 1 } }
        if i < n && t[i] == 0x2E {
            i += 1
            guard digit(i) else { return false }
            while digit(i) { i += 1 }
        }
        if i < n && (t[i] == 0x65 || t[i] == 0x45) {
            i += 1
            if i < n && (t[i] == 0x2B || t[i] == 0x2D) { i += 1 }
            guard digit(i) else { return false }
            while digit(i) { i += 1 }
        }
        return i == n
    }

    /// Compares the records of one chunking with the reference (the whole-input decode).
    static func compare(_ got: [Record], _ reference: [Record], what: String, into failures: inout [String]) {
        let a = got.map(\.normalized)
        let b = reference.map(\.normalized)
        guard a != b else { return }
        if a.count != b.count {
            failures.append("\(what): \(a.count) records, but the whole input gives \(b.count)")
        }
        for k in 0..<min(a.count, b.count) where a[k] != b[k] {
            var x = a[k]
            var y = b[k]
            // A too-long record's excerpt is whatever of it was in memory when the limit was
            // crossed; tolerated on request only (a known finding).
            if tolerated.contains("excerpt-chunking"), x.error == .recordTooLong, y.error == .recordTooLong {
                let common = min(x.bytes.count, y.bytes.count)
                if Array(x.bytes.prefix(common)) == Array(y.bytes.prefix(common)) {
                    x.bytes = []
                    y.bytes = []
                    if x == y { continue }
                }
            }
            failures.append("\(what): record #\(k) differs from the whole-input decode:\n    got  \(a[k])\n    want \(b[k])")
            break
        }
    }

    // MARK: - CSV

    struct CSVSetup: CustomStringConvertible {
        var configuration: CSVDecoder.Configuration
        var atStreamStart: Bool
        var collectsAllFields: Bool
        var start: Int
        var lineOrigin: Int
        var seed: UInt8

        var description: String {
            let c = configuration
            return "delimiter \(show([c.delimiter])) maxRecordBytes \(c.maxRecordBytes) columnFields \(c.columnFields) columnCount \(c.columnCount) atStreamStart \(atStreamStart) collectsAllFields \(collectsAllFields) start \(start) lineOrigin \(lineOrigin)"
        }
    }

    /// The first four bytes configure the decoder (when there are at least four):
    /// - byte 0: bits 0-1 delimiter (`,` `;` tab, or ASCII byte 1), bits 2-3 maxRecordBytes
    ///   (1 MiB, 64, 1 + byte 1, 1 + byte 1 % 16), bit 4 atStreamStart, bit 5 collectsAllFields,
    ///   bits 6-7 columnCount (0, or 1 + byte 2 % 8); it also picks one chunk size;
    /// - byte 2: the start offset (high nibble);
    /// - byte 3: columnFields (count byte 3 % 9, each column -1…6) and lineOrigin (high nibble).
    static func csvSetup(_ data: [UInt8]) -> (CSVSetup, [UInt8]) {
        guard data.count >= 4 else {
            return (CSVSetup(configuration: .init(columnFields: [0, 1], columnCount: 0), atStreamStart: true,
                             collectsAllFields: true, start: 0, lineOrigin: 0, seed: 0), data)
        }
        let b0 = data[0], b1 = data[1], b2 = data[2], b3 = data[3]
        var delimiter: UInt8
        switch b0 & 3 {
        case 0: delimiter = UInt8(ascii: ",")
        case 1: delimiter = UInt8(ascii: ";")
        case 2: delimiter = 0x09
        default:
            delimiter = b1 & 0x7F
            // The command line refuses a quote or line break as delimiter.
            if delimiter == 0x22 || delimiter == 0x0A || delimiter == 0x0D { delimiter = UInt8(ascii: "|") }
        }
        let maxRecordBytes: Int
        switch (b0 >> 2) & 3 {
        case 0: maxRecordBytes = 1 << 20
        case 1: maxRecordBytes = 64
        case 2: maxRecordBytes = 1 + Int(b1)
        default: maxRecordBytes = 1 + Int(b1 % 16)
        }
        let columnCount = b0 >> 6 == 0 ? 0 : 1 + Int(b2 % 8)
        var columnFields: [Int8] = []
        var x = UInt32(b3) &* 2_654_435_761 &+ UInt32(b2)
        for _ in 0..<Int(b3 % 9) {
            x = x &* 1_103_515_245 &+ 12_345
            columnFields.append(Int8(Int((x >> 16) % 8) - 1))
        }
        let setup = CSVSetup(
            configuration: .init(delimiter: delimiter, maxRecordBytes: maxRecordBytes,
                                 columnFields: columnFields, columnCount: columnCount),
            atStreamStart: b0 & 0x10 != 0, collectsAllFields: b0 & 0x20 != 0,
            start: Int(b2 >> 4) * 4099, lineOrigin: Int(b3 >> 4), seed: b0)
        return (setup, Array(data[4...]))
    }

    /// Decodes `payload` with one chunk plan; `stopping` makes `emit` return false after every
    /// record and feeds the rest again, as the header reader does.
    static func decodeCSV(_ payload: [UInt8], _ setup: CSVSetup, plan: Plan, stopping: Bool,
                          into failures: inout [String]) -> [Record] {
        let decoder = CSVDecoder(setup.configuration, offset: setup.start, atStreamStart: setup.atStreamStart)
        decoder.lineOrigin = setup.lineOrigin
        decoder.collectsAllFields = setup.collectsAllFields
        var records: [Record] = []
        let what = "CSV \(plan)\(stopping ? " stopping" : "")"
        let emit: (inout RawRecord) -> Bool = { raw in
            let all = setup.collectsAllFields ? decoder.allFields.map { [$0.start, $0.end, $0.quoted ? 1 : 0] } : nil
            records.append(Record(raw, allFields: all))
            return !stopping
        }
        var fed = 0
        payload.withUnsafeBufferPointer { whole in
            for range in plan.cut(whole.count) {
                var at = range.lowerBound
                var rounds = 0
                while at < range.upperBound {
                    let before = records.count
                    let used = decoder.feed(UnsafeBufferPointer(rebasing: whole[at..<range.upperBound]), emit: emit)
                    if used < 0 || used > range.upperBound - at {
                        failures.append("\(what): feed returned \(used) for \(range.upperBound - at) bytes")
                        return
                    }
                    if used < range.upperBound - at && !stopping {
                        failures.append("\(what): feed consumed \(used) of \(range.upperBound - at) bytes though emit never stopped it")
                        return
                    }
                    if used == 0 && records.count == before {
                        failures.append("\(what): feed made no progress at payload index \(at)")
                        return
                    }
                    at += used
                    fed += used
                    rounds += 1
                    if rounds > range.count + 2 {
                        failures.append("\(what): feed keeps stopping without progress at payload index \(at)")
                        return
                    }
                }
                if decoder.offset != setup.start + fed {
                    failures.append("\(what): decoder.offset \(decoder.offset) after feeding \(fed) bytes from \(setup.start)")
                    return
                }
            }
        }
        decoder.finish(emit: emit)
        let feeds = payload.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        if decoder.lineFeeds != feeds { failures.append("\(what): lineFeeds \(decoder.lineFeeds), the input has \(feeds)") }
        if decoder.offset != setup.start + payload.count {
            failures.append("\(what): final offset \(decoder.offset), expected \(setup.start + payload.count)")
        }
        if !decoder.isAtRecordBoundary { failures.append("\(what): not at a record boundary after finish") }
        return records
    }

    /// An independent, simple reading of RFC 4180 as the decoder documents it, ignoring
    /// maxRecordBytes: used when no record can be too long.
    static func referenceCSV(_ payload: [UInt8], _ setup: CSVSetup) -> [Record] {
        let c = setup.configuration
        let n = payload.count
        var i = 0
        if setup.atStreamStart && n >= 3 && payload[0] == 0xEF && payload[1] == 0xBB && payload[2] == 0xBF { i = 3 }
        var lf = payload[0..<i].filter { $0 == 0x0A }.count
        var records: [Record] = []
        while i < n {
            let rs = i
            let line = setup.lineOrigin + 1 + lf
            var spans: [(Int, Int, Bool)] = []
            var fs = i
            var quoted = false
            enum S { case fieldStart, unquoted, quoted, afterQuote }
            var s = S.fieldStart
            var end = -1
            while i < n {
                let b = payload[i]
                if b == 0x0A { lf += 1 }
                switch s {
                case .fieldStart, .afterQuote, .unquoted:
                    if s == .fieldStart && b == 0x22 { quoted = true; s = .quoted; i += 1; continue }
                    if s == .afterQuote && b == 0x22 { s = .quoted; i += 1; continue }
                    if b == c.delimiter {
                        spans.append((fs, i, quoted)); fs = i + 1; quoted = false; s = .fieldStart
                    } else if b == 0x0A {
                        end = i
                    } else {
                        s = .unquoted
                    }
                case .quoted:
                    if b == 0x22 { s = .afterQuote }
                }
                i += 1
                if end >= 0 { break }
            }
            if end < 0 {
                // End of input inside the record.
                if s == .quoted {
                    records.append(Record(bytes: Array(payload[rs..<min(n, rs + CSVDecoder.excerptBytes)]), line: line,
                                          offset: setup.start + rs, error: .unterminatedQuote, hasNonASCII: false,
                                          fields: [], allFields: nil))
                    break
                }
                end = n
            }
            if end > rs && payload[end - 1] == 0x0D { end -= 1 }
            spans.append((fs, max(fs, end), quoted))
            let bytes = Array(payload[rs..<end])
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            var fields = [FieldValue](repeating: .absent, count: RecordField.allCases.count)
            for (k, span) in spans.enumerated() where k < c.columnFields.count && c.columnFields[k] >= 0 {
                fields[Int(c.columnFields[k])] = .text(start: Int32(span.0 - rs), end: Int32(span.1 - rs), escaped: span.2)
            }
            var error: StructuralError? = nil
            if c.columnCount > 0 && spans.count != c.columnCount {
                error = .fieldCount(expected: c.columnCount, found: spans.count)
            }
            records.append(Record(bytes: bytes, line: line, offset: setup.start + rs, error: error,
                                  hasNonASCII: bytes.contains { $0 >= 0x80 }, fields: fields,
                                  allFields: setup.collectsAllFields ? spans.map { [$0.0 - rs, $0.1 - rs, $0.2 ? 1 : 0] } : nil))
        }
        return records
    }

    /// The CSV target: every chunking (and stopping after every record) gives the records of
    /// the whole input, which agree with the reference reading when nothing is too long, and
    /// all of them satisfy ``checkRecordList``.
    static func checkCSV(_ data: [UInt8]) -> [String] {
        let (setup, payload) = csvSetup(data)
        var failures: [String] = []
        let whole = decodeCSV(payload, setup, plan: .whole, stopping: false, into: &failures)
        checkRecordList(whole, payload: payload, start: setup.start, lineOrigin: setup.lineOrigin, json: false,
                        what: "CSV whole", into: &failures)
        if setup.configuration.maxRecordBytes >= payload.count {
            compare(whole, referenceCSV(payload, setup), what: "CSV whole vs reference reading", into: &failures)
        }
        var plans = plans(for: payload, seed: setup.seed).map { ($0, false) }
        plans.append((.whole, true))
        plans.append((.fixed(3), true))
        for (plan, stopping) in plans {
            let got = decodeCSV(payload, setup, plan: plan, stopping: stopping, into: &failures)
            compare(got, whole, what: "CSV \(plan)\(stopping ? " stopping" : "")", into: &failures)
            if !failures.isEmpty { break }
        }
        return failures.map { "[\(setup)] \($0)" }
    }

    // MARK: - JSONL

    struct JSONLSetup: CustomStringConvertible {
        var configuration: JSONLDecoder.Configuration
        var atStreamStart: Bool
        var start: Int
        var lineOrigin: Int
        var seed: UInt8

        var description: String {
            "maxRecordBytes \(configuration.maxRecordBytes) keys \(configuration.keys.map { String(decoding: $0, as: UTF8.self) }) atStreamStart \(atStreamStart) start \(start) lineOrigin \(lineOrigin)"
        }
    }

    /// Key names the fuzzer may map fields to (like `--column`): empty, short, one needing
    /// escapes, one with a non-ASCII letter, and the name of another field.
    static let candidateKeys = ["id", "", "K", "a\"b\\c", "é", "label_status", "x y"]

    /// The first three bytes configure the decoder (when there are at least three):
    /// byte 0: bit 0 atStreamStart, bits 1-2 maxRecordBytes (1 MiB, 64, 1 + byte 1,
    /// 1 + byte 1 % 16), bit 3 remaps keys by byte 2, bits 4-7 lineOrigin; byte 2's high
    /// nibble: the start offset.
    static func jsonlSetup(_ data: [UInt8]) -> (JSONLSetup, [UInt8]) {
        guard data.count >= 3 else {
            return (JSONLSetup(configuration: .init(), atStreamStart: true, start: 0, lineOrigin: 0, seed: 0), data)
        }
        let b0 = data[0], b1 = data[1], b2 = data[2]
        let maxRecordBytes: Int
        switch (b0 >> 1) & 3 {
        case 0: maxRecordBytes = 1 << 20
        case 1: maxRecordBytes = 64
        case 2: maxRecordBytes = 1 + Int(b1)
        default: maxRecordBytes = 1 + Int(b1 % 16)
        }
        var overrides: [RecordField: String] = [:]
        if b0 & 8 != 0 {
            for field in RecordField.allCases where (b2 >> UInt8(field.rawValue)) & 1 != 0 {
                overrides[field] = candidateKeys[(Int(b1) + field.rawValue * 3) % candidateKeys.count]
            }
        }
        let setup = JSONLSetup(
            configuration: .init(maxRecordBytes: maxRecordBytes, names: FieldNames(overrides: overrides)),
            atStreamStart: b0 & 1 != 0, start: Int(b2 >> 4) * 4099, lineOrigin: Int(b0 >> 4), seed: b1)
        return (setup, Array(data[3...]))
    }

    static func decodeJSONL(_ payload: [UInt8], _ setup: JSONLSetup, plan: Plan, into failures: inout [String]) -> [Record] {
        let decoder = JSONLDecoder(setup.configuration, offset: setup.start, atStreamStart: setup.atStreamStart)
        decoder.lineOrigin = setup.lineOrigin
        var records: [Record] = []
        let emit: (inout RawRecord) -> Bool = { raw in
            records.append(Record(raw))
            return true
        }
        payload.withUnsafeBufferPointer { whole in
            for range in plan.cut(whole.count) {
                decoder.feed(UnsafeBufferPointer(rebasing: whole[range]), emit: emit)
            }
        }
        decoder.finish(emit: emit)
        let what = "JSONL \(plan)"
        let feeds = payload.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        if decoder.lineFeeds != feeds { failures.append("\(what): lineFeeds \(decoder.lineFeeds), the input has \(feeds)") }
        if decoder.offset != setup.start + payload.count {
            failures.append("\(what): final offset \(decoder.offset), expected \(setup.start + payload.count)")
        }
        if !decoder.isAtRecordBoundary { failures.append("\(what): not at a record boundary after finish") }
        return records
    }

    /// Where the JSONL records must be: one per line that is not blank (or is too long),
    /// its bytes the line without a final CR (a too-long one's first 200 bytes).
    static func expectedJSONLRecords(_ payload: [UInt8], _ setup: JSONLSetup) -> [(offset: Int, line: Int, bytes: [UInt8], tooLong: Bool)] {
        var i = 0
        if setup.atStreamStart && payload.count >= 3 && payload[0] == 0xEF && payload[1] == 0xBB && payload[2] == 0xBF { i = 3 }
        var out: [(Int, Int, [UInt8], Bool)] = []
        var line = 0
        while i < payload.count {
            var end = i
            while end < payload.count && payload[end] != 0x0A { end += 1 }
            var e = end
            if e > i && payload[e - 1] == 0x0D { e -= 1 }
            let tooLong = e - i > setup.configuration.maxRecordBytes
            let bytes = Array(payload[i..<e])
            if tooLong || !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                out.append((setup.start + i, setup.lineOrigin + line + 1,
                            tooLong ? Array(bytes.prefix(CSVDecoder.excerptBytes)) : bytes, tooLong))
            }
            line += 1
            i = end + 1
        }
        return out
    }

    // MARK: JSONSerialization as the oracle

    /// Why a line is left out of the JSONSerialization comparison, or nil to compare it.
    /// Each reason is a documented difference between Foundation and RFC 8259 (which the
    /// decoder follows), found by fuzzing and by reading swift-corelibs-foundation's
    /// JSONSerialization+Parser.swift / JSONSerialization.swift.
    static func foundationExclusion(_ line: [UInt8]) -> String? {
        // The brief's scope: ASCII lines only (the decoder checks UTF-8 after the grammar).
        if line.contains(where: { $0 >= 0x80 }) { return "non-ASCII" }
        // JSONSerialization guesses UTF-16/32 from NUL bytes among the first four
        // (`detectEncoding`): `\0[\0]` is the UTF-16BE text `[]` to it.
        if line.prefix(4).contains(0) { return "NUL in the first four bytes (encoding detection)" }
        var inString = false
        var i = 0
        var lastSignificant: UInt8 = 0
        while i < line.count {
            let c = line[i]
            if inString {
                if c == 0x5C, i + 1 < line.count {
                    if line[i + 1] == 0x75 {
                        // \uXXXX: Foundation refuses lone surrogates, which are grammatical JSON.
                        let v = hex4(line, i + 2)
                        if let v, v >= 0xD800, v < 0xDC00 {
                            let low = i + 7 < line.count && line[i + 6] == 0x5C && line[i + 7] == 0x75 ? hex4(line, i + 8) : nil
                            guard let low, low >= 0xDC00, low < 0xE000 else { return "lone surrogate escape" }
                            i += 12
                            continue
                        }
                        if let v, v >= 0xDC00, v < 0xE000 { return "lone surrogate escape" }
                    }
                    i += 2
                    continue
                }
                if c == 0x22 { inString = false }
                i += 1
                continue
            }
            switch c {
            case 0x22:
                inString = true
            case 0x5D, 0x7D:
                // Foundation accepts a trailing comma before `]` or `}` ("the foundation json
                // implementation does support trailing commas").
                if lastSignificant == 0x2C { return "trailing comma" }
            case 0x2D, 0x30...0x39:
                // Foundation refuses numbers that overflow Double ("is not representable").
                var j = i
                while j < line.count, [0x2B, 0x2D, 0x2E, 0x45, 0x65].contains(line[j]) || (0x30...0x39).contains(line[j]) { j += 1 }
                if let v = Double(String(decoding: line[i..<j], as: UTF8.self)), !v.isFinite { return "number overflows Double" }
                lastSignificant = line[j - 1]
                i = j
                continue
            default:
                break
            }
            if c != 0x20 && c != 0x09 && c != 0x0D && c != 0x0A { lastSignificant = c }
            i += 1
        }
        return nil
    }

    private static func hex4(_ b: [UInt8], _ at: Int) -> UInt32? {
        guard at + 4 <= b.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            guard let h = FieldText.hexValue(b[at + k]) else { return nil }
            v = v << 4 | h
        }
        return v
    }

    /// Compares one decoded line with JSONSerialization: valid iff Foundation parses it, an
    /// object iff Foundation returns a dictionary, and the fields are the values of their keys.
    static func compareWithFoundation(_ r: Record, keys: [[UInt8]], what: String, into failures: inout [String]) {
        if foundationExclusion(r.bytes) != nil { return }
        let parsed = try? JSONSerialization.jsonObject(with: Data(r.bytes), options: .fragmentsAllowed)
        let decoderValid: Bool
        switch r.error {
        case nil, .some(.notAnObject): decoderValid = true
        case .some(.invalidJSON): decoderValid = false
        default: return
        }
        guard decoderValid == (parsed != nil) else {
            failures.append("\(what): the decoder says \(r.error.map { "\($0)" } ?? "valid") but JSONSerialization \(parsed == nil ? "refuses" : "accepts") \(show(r.bytes))")
            return
        }
        guard let parsed else { return }
        let object = parsed as? [String: Any]
        if (object == nil) != (r.error == .notAnObject) {
            failures.append("\(what): the decoder says \(r.error.map { "\($0)" } ?? "an object") but JSONSerialization gives \(type(of: parsed)) for \(show(r.bytes))")
            return
        }
        guard let object, r.error == nil else { return }
        // Swift compares keys by canonical equivalence ("\u212A" == "K"), the decoder by bytes:
        // leave out objects with keys outside ASCII.
        if object.keys.contains(where: { $0.utf8.contains { $0 >= 0x80 } }) { return }
        var claimed: Set<[UInt8]> = []
        for (f, key) in keys.enumerated() {
            // The first field naming a key takes it (the decoder's lookup order).
            let value = claimed.insert(key).inserted ? object[String(decoding: key, as: UTF8.self)] : nil
            let got = r.fields[f]
            var ok: Bool
            switch value {
            case nil:
                ok = got == .absent
            case is NSNull:
                ok = got == .null
            case let s as String:
                if case .text(let a, let b, let escaped) = got {
                    var out: [UInt8] = []
                    let raw = Array(r.bytes[Int(a)..<Int(b)])
                    if escaped {
                        raw.withUnsafeBufferPointer { _ = FieldText.appendJSONUnescaped($0, to: &out) }
                    } else {
                        out = raw
                    }
                    ok = out == Array(s.utf8) && escaped == raw.contains(0x5C)
                } else { ok = false }
            case is [Any], is [String: Any]:
                ok = got == .container
            case let n as NSNumber:
                switch got {
                case .bool(let v): ok = n.boolValue == v
                case .number: ok = true
                default: ok = false
                }
            default:
                ok = false
            }
            if !ok {
                failures.append("\(what): field \(f) (key \(show(key))) is \(got) but JSONSerialization has \(String(describing: value)) in \(show(r.bytes))")
            }
        }
    }

    /// The JSONL target: every chunking gives the records of the whole input; each line is
    /// one record where it must be; the records satisfy ``checkRecordList``; and validity,
    /// objectness and fields agree with JSONSerialization (see ``foundationExclusion(_:)``).
    static func checkJSONL(_ data: [UInt8]) -> [String] {
        let (setup, payload) = jsonlSetup(data)
        var failures: [String] = []
        let whole = decodeJSONL(payload, setup, plan: .whole, into: &failures)
        checkRecordList(whole, payload: payload, start: setup.start, lineOrigin: setup.lineOrigin, json: true,
                        what: "JSONL whole", into: &failures)
        let expected = expectedJSONLRecords(payload, setup)
        if expected.count != whole.count {
            failures.append("JSONL whole: \(whole.count) records for \(expected.count) non-blank lines")
        }
        for (r, e) in zip(whole, expected) {
            var sameBytes = r.bytes == e.bytes
            if !sameBytes && e.tooLong && tolerated.contains("excerpt-chunking") {
                let common = min(r.bytes.count, e.bytes.count)
                sameBytes = r.bytes.prefix(common) == e.bytes.prefix(common)
            }
            if r.offset != e.offset || r.line != e.line || !sameBytes || (r.error == .recordTooLong) != e.tooLong {
                failures.append("JSONL whole: record \(r) is not the line at offset \(e.offset), line \(e.line) \(show(e.bytes))\(e.tooLong ? " (too long)" : "")")
                break
            }
        }
        for r in whole {
            compareWithFoundation(r, keys: setup.configuration.keys, what: "JSONL line \(r.line)", into: &failures)
        }
        for plan in plans(for: payload, seed: setup.seed) {
            let got = decodeJSONL(payload, setup, plan: plan, into: &failures)
            compare(got, whole, what: "JSONL \(plan)", into: &failures)
            if !failures.isEmpty { break }
        }
        return failures.map { "[\(setup)] \($0)" }
    }

    // MARK: - Policy loader

    // The CSV and JSONL fuzz binaries are built without the policy loader (and Yams, Crypto).
    #if !CONSENTRY_FUZZ || CONSENTRY_FUZZ_POLICY

    /// The policy target: any text either loads or throws a PolicyError; a loaded policy lists
    /// the four uses, each with 1…63 rules with unique non-empty ids and a last rule without
    /// `when`, and `decide` picks the first rule that holds.
    static func checkPolicy(_ data: [UInt8]) -> [String] {
        let text = String(decoding: data, as: UTF8.self)
        var failures: [String] = []
        let policy: Policy
        do {
            policy = try PolicyLoader.load(yaml: text, origin: "fuzz.yaml")
        } catch let error as PolicyError {
            if error.message.isEmpty { failures.append("a PolicyError without a message") }
            if error.file != "fuzz.yaml" { failures.append("a PolicyError that does not name the file: \(error)") }
            if let line = error.line, line < 0 { failures.append("a PolicyError with line \(line)") }
            return failures
        } catch {
            return ["load threw \(type(of: error)), not a PolicyError: \(error)"]
        }
        if policy.id.isEmpty || policy.id.utf8.count > 100 { failures.append("policy id \(show(Array(policy.id.utf8)))") }
        if policy.rules.count != AIUse.allCases.count { failures.append("\(policy.rules.count) uses") }
        if policy.sha256.count != 64 { failures.append("sha256 \(policy.sha256)") }
        for use in AIUse.allCases where use.rawValue < policy.rules.count {
            let rules = policy.rules(for: use)
            if rules.isEmpty || rules.count > Policy.maxRulesPerUse { failures.append("\(use.name): \(rules.count) rules") }
            if let last = rules.last, last.condition != nil { failures.append("\(use.name): the last rule \(last.id) has a condition") }
            if Set(rules.map(\.id)).count != rules.count { failures.append("\(use.name): repeated rule ids") }
            if rules.contains(where: { $0.id.isEmpty }) { failures.append("\(use.name): an empty rule id") }
            for status in LabelStatus.allCases {
                for flags in 0..<8 {
                    for uploadedAt in [nil, Int64(0), Int64(1_700_000_000)] as [Int64?] {
                        let facts = TrackFacts(labelStatus: status, genaiOptIn: flags & 1 != 0, aiOptOut: flags & 2 != 0,
                                               noAITag: flags & 4 != 0, uploadedAt: uploadedAt)
                        let (index, verdict) = policy.decide(use, for: facts)
                        let first = rules.firstIndex { $0.condition?.holds(for: facts) ?? true }
                        if index != first || rules.indices.contains(index) && rules[index].verdict != verdict {
                            failures.append("\(use.name): decide gives rule \(index) for \(facts), the first that holds is \(String(describing: first))")
                        }
                    }
                }
            }
        }
        return failures
    }
    #endif
}

// MARK: - Regression tests

#if !CONSENTRY_FUZZ
/// Inputs found by the fuzz targets (minimised, as hex of the whole fuzz input: the first
/// bytes are the configuration, see ``FuzzChecks/csvSetup(_:)`` and
/// ``FuzzChecks/jsonlSetup(_:)``), run through the targets' checks.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static func failures(_ check: ([UInt8]) -> [String], hex: String) -> String {
        check(FuzzChecks.bytes(hex: hex)).joined(separator: "\n")
    }

    // Smoke inputs: the checks themselves pass on ordinary data.
    @Test("CSV checks pass on ordinary data", arguments: [
        "00000000" + FuzzChecks.hex(Array("track_id,label_status\nt1,major\n\"t,2\",\"a\"\"b\"\r\n\n  \nt3,\n".utf8)),
        "f1000009" + FuzzChecks.hex(Array("\u{FEFF}a;b;c\n\"x\ny\";é;\n".utf8)),
    ])
    func csvSmoke(hex: String) {
        let failures = Self.failures(FuzzChecks.checkCSV, hex: hex)
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test("JSONL checks pass on ordinary data", arguments: [
        "000000" + FuzzChecks.hex(Array("{\"track_id\": \"a\", \"label_status\": null}\n[1]\n{\"x\":[{}],\"track_id\":42}\r\n\n{bad\n".utf8)),
        "09ff7f" + FuzzChecks.hex(Array("{\"id\": 1, \"K\": true, \"\\u0069d\": 2.5e3}\n".utf8)),
    ])
    func jsonlSmoke(hex: String) {
        let failures = Self.failures(FuzzChecks.checkJSONL, hex: hex)
        #expect(failures.isEmpty, "\(failures)")
    }

    // Finding 1 (CSV and JSONL, found at once by both targets): a too-long record's excerpt
    // depends on where the chunk boundary falls. With maxRecordBytes 1 the record `abc` gets
    // the excerpt `abc` when decoded whole but `ab` when fed one byte at a time: once the
    // pending part of a record passes the limit (CSVDecoder.scan's end-of-buffer check,
    // JSONLDecoder.feedCore's `exceedsLimit` checks), the decoder emits what it has seen so far
    // and skips the rest, while a record complete in one buffer gets min(length, 200) bytes.
    // Only limits below 199 bytes are affected (the scan sees at least limit + 1 bytes). The
    // same end-of-buffer path also keeps a too-long line's final CR (dropped everywhere else).
    // Minimised by libFuzzer to 0c00affffff364 (CSV) and 6e0001002201 (JSONL). Fixed in
    // c643558 (a decoder that crosses the limit with fewer than 201 bytes waits for them).
    @Test("A too-long record's excerpt does not depend on chunking", arguments: [
        // CSV: max 1 (byte 0 = 0x0c), payload `abc`.
        ("csv", "0c000000616263"),
        ("csv", "0c00affffff364"),
        // CSV: max 64, a 70-byte record (excerpt cut at 65 bytes in chunks).
        ("csv", "04000000" + FuzzChecks.hex(Array(String(repeating: "x", count: 70).utf8)) + "0a"),
        // JSONL: max 1 (byte 0 = 0x06), payload `abc`.
        ("jsonl", "060000616263"),
        ("jsonl", "6e0001002201"),
        // JSONL: the same path keeps the CR of a too-long last line without LF in the excerpt
        // even when the whole input is one buffer (`ab\r` instead of `ab`).
        ("jsonl", "06000061620d"),
    ])
    func tooLongExcerpt(target: String, hex: String) {
        let failures = Self.failures(target == "csv" ? FuzzChecks.checkCSV : FuzzChecks.checkJSONL, hex: hex)
        #expect(failures.isEmpty, "\(failures)")
    }

    // Finding 2 (CSV): a valid record lent fields to the next. The one-pass decoder stopped
    // clearing a record's fields before reading it, since a record with the header's field
    // count writes every mapped one; but a configuration may map a column past that count
    // (a scan's never does), and a record with more fields (rejected) wrote it, which the
    // next, valid record then showed. Found by libFuzzer with columnFields of 7 and
    // columnCount 1; here minimised by hand: `a,b` (rejected) writes column 1, `c` (valid)
    // must not have it (the one-pass decoder needs 64 bytes after a record: more records
    // follow). Fixed before it was committed: fields are cleared for such a header.
    @Test("A record's fields are its own, also when the header maps a column past its field count", arguments: [
        // b0 0x40: `,`, 1 MiB, columnCount 1 + b2 % 8 = 1; b3 2: columnFields [0, 1].
        "40000002" + FuzzChecks.hex(Array(("a,b\nc\n" + String(repeating: "x\n", count: 40)).utf8)),
    ])
    func fieldsOfTheRecordOnly(hex: String) {
        let failures = Self.failures(FuzzChecks.checkCSV, hex: hex)
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test("Policy checks pass on the built-in policies")
    func policySmoke() throws {
        for id in BuiltInPolicies.ids {
            let failures = FuzzChecks.checkPolicy(Array(try BuiltInPolicies.yaml(id).utf8))
            #expect(failures.isEmpty, "\(id): \(failures)")
        }
    }
}
#endif
