import Foundation

/// A parsed JSON document that keeps what the text said: object members in their order and
/// numbers as their exact text (Foundation's JSONSerialization keeps neither, and on Linux does
/// not always round decimal text to the nearest Double, e.g. 0.8181818181818182).
///
/// `==` compares values: objects as unordered maps, numbers by their value. Use
/// ``orderedKeys`` and ``numberText`` where the order or the text itself is the point.
package indirect enum JSON: Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    /// A number's text, exactly as written.
    case number(String)
    /// A string, escapes resolved.
    case string(String)
    case array([JSON])
    /// An object's members in the order of the text.
    case object([(key: String, value: JSON)])

    /// Parses one JSON document (a small recursive-descent parser: fast, and strict enough for
    /// checking what consentry prints).
    package static func parse(_ data: Data) throws -> JSON {
        var parser = JSONParser(bytes: [UInt8](data))
        parser.skipSpace()
        let value = try parser.value()
        parser.skipSpace()
        guard parser.index == parser.bytes.count else { throw parser.failure("trailing characters") }
        return value
    }

    package static func parse(_ text: String) throws -> JSON { try parse(Data(text.utf8)) }

    /// The member `key` of an object (the first, if the text repeats it).
    package subscript(key: String) -> JSON? {
        if case .object(let members) = self { return members.first { $0.key == key }?.value }
        return nil
    }

    /// An object's members, in order.
    package var members: [(key: String, value: JSON)]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// An object as a dictionary (a repeated key keeps its first value).
    package var object: [String: JSON]? {
        members.map { Dictionary($0.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first }) }
    }

    /// An object's keys in the order of the text (empty for anything else).
    package var orderedKeys: [String] { members?.map(\.key) ?? [] }

    /// An object's keys (empty for anything else).
    package var keys: Set<String> { Set(orderedKeys) }

    /// An object's values in the order of the text (empty for anything else).
    package var values: [JSON] { members?.map(\.value) ?? [] }

    package var array: [JSON]? { if case .array(let a) = self { return a }; return nil }
    package var string: String? { if case .string(let s) = self { return s }; return nil }
    package var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    package var isNull: Bool { if case .null = self { return true }; return false }

    /// A number's text as written.
    package var numberText: String? { if case .number(let t) = self { return t }; return nil }

    /// A number's value, parsed from its exact text (correctly rounded).
    package var double: Double? { numberText.flatMap { Double($0) } }

    /// A number that is an integer (`3` or `3.0`).
    package var int: Int? {
        guard let text = numberText else { return nil }
        if let n = Int(text) { return n }
        if let d = Double(text), d == d.rounded(), abs(d) < 9e15 { return Int(d) }
        return nil
    }

    package var int64: Int64? { int.map(Int64.init) }

    /// A scalar as plain text: a string without quotes, a number as written, `true`/`false`,
    /// `null`; containers as ``description``.
    package var text: String {
        switch self {
        case .string(let s): return s
        case .number(let t): return t
        default: return description
        }
    }

    /// A copy without the given top-level keys.
    package func removing(_ names: String...) -> JSON {
        guard case .object(let members) = self else { return self }
        return .object(members.filter { !names.contains($0.key) })
    }

    package static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)):
            if let u = Double(x), let v = Double(y) { return u == v }
            return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object, .object): return a.object == b.object
        default: return false
        }
    }

    /// Compact JSON-like text with object keys sorted (for failure messages).
    package var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let t): return t
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .object:
            let o = object ?? [:]
            return "{" + o.keys.sorted().map { "\"\($0)\": \(o[$0]!.description)" }.joined(separator: ", ") + "}"
        }
    }
}

/// Where two JSON values differ, as `path: a != b` lines (empty when equal).
package func jsonDifferences(_ a: JSON, _ b: JSON, path: String = "$") -> [String] {
    switch (a, b) {
    case (.object, .object):
        let x = a.object ?? [:], y = b.object ?? [:]
        var out: [String] = []
        for k in Set(x.keys).union(y.keys).sorted() {
            switch (x[k], y[k]) {
            case (let u?, let v?): out += jsonDifferences(u, v, path: "\(path).\(k)")
            case (nil, let v?): out.append("\(path).\(k): missing on the left, right has \(v)")
            case (let u?, nil): out.append("\(path).\(k): left has \(u), missing on the right")
            default: break
            }
        }
        return out
    case (.array(let x), .array(let y)):
        if x.count != y.count { return ["\(path): \(x.count) elements != \(y.count) elements"] }
        return zip(x, y).enumerated().flatMap { jsonDifferences($0.element.0, $0.element.1, path: "\(path)[\($0.offset)]") }
    default:
        return a == b ? [] : ["\(path): \(a) != \(b)"]
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func failure(_ what: String) -> TestFailure {
        let context = String(decoding: bytes[max(0, index - 20)..<min(bytes.count, index + 20)], as: UTF8.self)
        return TestFailure("invalid JSON at byte \(index): \(what) near '\(context)'")
    }

    mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func expect(_ literal: String) throws {
        for b in literal.utf8 {
            guard index < bytes.count, bytes[index] == b else { throw failure("expected \(literal)") }
            index += 1
        }
    }

    mutating func value() throws -> JSON {
        guard index < bytes.count else { throw failure("unexpected end") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var members: [(key: String, value: JSON)] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a key") }
                let key = try string()
                skipSpace()
                try expect(":")
                skipSpace()
                members.append((key, try value()))
                skipSpace()
                guard index < bytes.count else { throw failure("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw failure("expected , or }")
            }
        case UInt8(ascii: "["):
            index += 1
            var array: [JSON] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(array) }
            while true {
                skipSpace()
                array.append(try value())
                skipSpace()
                guard index < bytes.count else { throw failure("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(array) }
                throw failure("expected , or ]")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try expect("true"); return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false"); return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null"); return .null
        default:
            let start = index
            while index < bytes.count, "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            guard index > start, Double(text) != nil else { throw failure("expected a value") }
            return .number(text)
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16) else {
            throw failure("bad \\u escape")
        }
        index += 4
        return v
    }

    mutating func string() throws -> String {
        index += 1  // opening quote
        var out = [UInt8]()
        while true {
            guard index < bytes.count else { throw failure("unterminated string") }
            let b = bytes[index]
            index += 1
            if b == UInt8(ascii: "\"") { break }
            if b != UInt8(ascii: "\\") { out.append(b); continue }
            guard index < bytes.count else { throw failure("unterminated escape") }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar), index + 6 <= bytes.count,
                   bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    index += 2
                    let low = try hex4()
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8))
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
