import ConsentryModel
import Foundation
import Testing
import TestSupport
@testable import ConsentryEngine

// Helpers for the decoder tests: records copied out of the decoders' callbacks, and the
// drivers that feed an input cut at given positions. Names start with `Kit`.

/// A field value copied out of a decoder callback, its text already decoded
/// (CSV quotes removed, JSON escapes resolved).
enum KitField: Equatable, CustomStringConvertible {
    case absent
    case null
    case bool(Bool)
    case container
    case text([UInt8])
    case number(String, integer: Bool)
    /// A JSON string whose escapes are not Unicode text (a lone surrogate).
    case undecodable

    static func t(_ s: String) -> KitField { .text(Array(s.utf8)) }

    var description: String {
        switch self {
        case .absent: return "absent"
        case .null: return "null"
        case .bool(let b): return "bool(\(b))"
        case .container: return "container"
        case .text(let b): return "text(\(KitText.show(b)))"
        case .number(let s, let i): return "number(\(s)\(i ? "" : ", fractional"))"
        case .undecodable: return "undecodable"
        }
    }
}

/// One record as a decoder handed it over, copied into value types.
struct KitRecord: Equatable, CustomStringConvertible {
    var bytes: [UInt8]
    var line: Int
    var offset: Int
    var error: StructuralError?
    var hasNonASCII: Bool
    /// Indexed by `RecordField.rawValue`.
    var fields: [KitField]
    /// CSV only (with `collectsAllFields`): every column's decoded value.
    var columns: [[UInt8]]

    var description: String {
        "line \(line) @\(offset) \(KitText.show(bytes))" + (error.map { " error=\($0)" } ?? "")
            + (columns.isEmpty ? "" : " columns=\(columns.map(KitText.show))")
    }

    /// What a scan reads of the record: its fields only when it has no structural error (the
    /// fields of a record that cannot be read are not defined), and no `columns`.
    var readable: KitRecord {
        var copy = chunkingInvariant
        if error != nil { copy.fields = [] }
        copy.columns = []
        return copy
    }

    /// The parts that must not depend on how the input was cut into chunks.
    ///
    /// A too-long record's excerpt is checked separately (its length may legitimately depend
    /// on where a chunk ended when the limit is below the excerpt size), and the fields of a
    /// record that could not be read at all mean nothing.
    var chunkingInvariant: KitRecord {
        var copy = self
        switch error {
        case .recordTooLong?:
            copy.bytes = []
            copy.hasNonASCII = false
            copy.fields = []
            copy.columns = []
        case .unterminatedQuote?, .invalidJSON?, .notAnObject?:
            copy.hasNonASCII = false
            copy.fields = []
            copy.columns = []
        default:
            break
        }
        return copy
    }
}

/// The UTF-8 bytes of the parts, concatenated (keeps big literals cheap to type-check).
func kitBytes(_ parts: String...) -> [UInt8] {
    var out: [UInt8] = []
    for part in parts { out.append(contentsOf: part.utf8) }
    return out
}

enum KitText {
    /// A readable rendering of bytes for failure messages.
    static func show(_ bytes: [UInt8]) -> String {
        var out = "\""
        for b in bytes {
            switch b {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x22: out += "\\\""
            case 0x20..<0x7F: out += String(UnicodeScalar(b))
            default: out += String(format: "\\x%02X", b)
            }
        }
        return out + "\""
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
}

/// Drives the decoders over an input cut at given positions.
enum KitDecode {
    /// The cut positions that split `count` bytes into chunks of `size` bytes.
    static func cuts(count: Int, chunkSize size: Int) -> [Int] {
        Array(stride(from: size, to: count, by: size))
    }

    /// Every way of cutting into equal chunks: chunk sizes 1 through `count`.
    static func everyChunkSize(count: Int) -> [[Int]] {
        (1...max(count, 1)).map { cuts(count: count, chunkSize: $0) }
    }

    /// `count` random multi-cut splits.
    static func randomSplits(count: Int, length: Int, seed: UInt64) -> [[Int]] {
        guard length > 1 else { return [] }
        var rng = SeededRNG(seed: seed)
        return (0..<count).map { _ in
            let k = Int.random(in: 1...min(12, length - 1), using: &rng)
            return Set((0..<k).map { _ in Int.random(in: 1..<length, using: &rng) }).sorted()
        }
    }

    /// Feeds `input` cut at `cuts` (each piece in its own buffer) and calls `feed` per piece.
    static func pieces(_ input: [UInt8], cuts: [Int], _ feed: (UnsafeBufferPointer<UInt8>) -> Void) {
        var start = 0
        for end in cuts + [input.count] where end > start {
            let piece = Array(input[start..<end])
            piece.withUnsafeBufferPointer { feed($0) }
            start = end
        }
    }

    static func field(_ value: FieldValue, in bytes: [UInt8], json: Bool) -> KitField {
        // A place outside the record (a decoder's bug) fails the comparison, not the run.
        switch value {
        case .number(let s, let e, _), .text(let s, let e, _):
            guard 0 <= s, s <= e, Int(e) <= bytes.count else { return .text(Array("<outside the record: \(s)..<\(e)>".utf8)) }
        default:
            break
        }
        switch value {
        case .absent: return .absent
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .container: return .container
        case .number(let s, let e, let integer):
            return .number(String(decoding: bytes[Int(s)..<Int(e)], as: UTF8.self), integer: integer)
        case .text(let s, let e, let escaped):
            let raw = Array(bytes[Int(s)..<Int(e)])
            guard escaped else { return .text(raw) }
            var out: [UInt8] = []
            let ok = raw.withUnsafeBufferPointer { buf in
                if json { return FieldText.appendJSONUnescaped(buf, to: &out) }
                FieldText.appendCSVUnquoted(buf, to: &out)
                return true
            }
            return ok ? .text(out) : .undecodable
        }
    }

    static func capture(_ record: RawRecord, json: Bool,
                        allFields: [(start: Int, end: Int, quoted: Bool)]?) -> KitRecord {
        let bytes = Array(record.bytes)
        var fields: [KitField] = []
        var columns: [[UInt8]] = []
        // A record with a structural error has no defined fields, and the places its fields
        // hold may lie outside it; the JSONL decoder, and a CSV decoder that collects every
        // column (as for a header), clear them before each record, which the tests check.
        if record.structuralError != .recordTooLong && (record.structuralError == nil || allFields != nil || json) {
            fields = record.fields.map { field($0, in: bytes, json: json) }
            if let allFields {
                columns = allFields.map { span in
                    let raw = Array(bytes[span.start..<span.end])
                    guard span.quoted else { return raw }
                    var out: [UInt8] = []
                    raw.withUnsafeBufferPointer { FieldText.appendCSVUnquoted($0, to: &out) }
                    return out
                }
            }
        }
        return KitRecord(bytes: bytes, line: record.line, offset: record.offset,
                         error: record.structuralError, hasNonASCII: record.hasNonASCII,
                         fields: fields, columns: columns)
    }

    /// `collecting`: every column's value is kept in `columns`, as for a header; a scan's
    /// decoders keep only the mapped fields.
    static func csv(_ input: [UInt8], cuts: [Int] = [], configuration: CSVDecoder.Configuration,
                    offset: Int = 0, atStreamStart: Bool = true, lineOrigin: Int = 0,
                    collecting: Bool = true) -> [KitRecord] {
        let decoder = CSVDecoder(configuration, offset: offset, atStreamStart: atStreamStart)
        decoder.lineOrigin = lineOrigin
        decoder.collectsAllFields = collecting
        var out: [KitRecord] = []
        let emit: (inout RawRecord) -> Bool = { record in
            out.append(capture(record, json: false, allFields: collecting ? decoder.allFields : nil))
            return true
        }
        pieces(input, cuts: cuts) { decoder.feed($0, emit: emit) }
        decoder.finish(emit: emit)
        return out
    }

    static func jsonl(_ input: [UInt8], cuts: [Int] = [], configuration: JSONLDecoder.Configuration = .init(),
                      offset: Int = 0, atStreamStart: Bool = true, lineOrigin: Int = 0) -> [KitRecord] {
        let decoder = JSONLDecoder(configuration, offset: offset, atStreamStart: atStreamStart)
        decoder.lineOrigin = lineOrigin
        var out: [KitRecord] = []
        let emit: (inout RawRecord) -> Bool = { record in
            out.append(capture(record, json: true, allFields: nil))
            return true
        }
        pieces(input, cuts: cuts) { decoder.feed($0, emit: emit) }
        decoder.finish(emit: emit)
        return out
    }

    /// Checks a too-long record's excerpt: the input's bytes from the record's start, at
    /// least the part that broke the limit (or 200 bytes), at most 200 bytes.
    static func checkTooLongExcerpt(_ record: KitRecord, input: [UInt8], maxRecordBytes: Int,
                                    sourceLocation: SourceLocation = #_sourceLocation) {
        let count = record.bytes.count
        #expect(count <= 200, "excerpt longer than 200 bytes: \(record)", sourceLocation: sourceLocation)
        #expect(count >= min(200, maxRecordBytes + 1), "excerpt too short: \(record)",
                sourceLocation: sourceLocation)
        let end = min(input.count, record.offset + count)
        #expect(record.offset + count <= input.count && Array(input[record.offset..<end]) == record.bytes,
                "excerpt is not the input at the record's offset: \(record)", sourceLocation: sourceLocation)
    }
}
