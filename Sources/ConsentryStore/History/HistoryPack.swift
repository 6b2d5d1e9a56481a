import ConsentryEngine
import ConsentryModel

/// The text of a history pack: the tracks that began a period in one run, in (hash, id)
/// order, as a JSON array of `[track_id, combo]` pairs, or `[track_id, combo, artist_id]`
/// triples for tracks with an artist.
///
/// History stores tracks a pack at a time rather than a row each: a night's first run
/// writes every track, and SQLite inserts 80,000 packs far faster than 5 million rows. JSON
/// keeps the packs readable with SQLite's own `json_each`, so `verdicts_readable` is a plain
/// view any tool can query.
enum HistoryPack {
    /// A pack is closed once its text passes this size: two packs fill a 4 KiB page.
    static let targetBytes = 1900

    /// One track of a pack.
    struct Entry {
        var id: [UInt8]
        var combo: UInt32
        /// Empty when the track has no artist.
        var artist: [UInt8]
    }

    /// Appends `["id",combo]` or `["id",combo,"artist"]` (with a leading comma unless first)
    /// to `text`.
    static func append(id: UnsafeRawBufferPointer, combo: UInt32, artist: UnsafeRawBufferPointer, first: Bool,
                       to text: inout [UInt8]) {
        if !first { text.append(UInt8(ascii: ",")) }
        text.append(UInt8(ascii: "["))
        appendString(id, to: &text)
        text.append(UInt8(ascii: ","))
        appendDecimal(combo, to: &text)
        if artist.count > 0 {
            text.append(UInt8(ascii: ","))
            appendString(artist, to: &text)
        }
        text.append(UInt8(ascii: "]"))
    }

    /// Appends valid UTF-8 `bytes` as a JSON string.
    private static func appendString(_ bytes: UnsafeRawBufferPointer, to text: inout [UInt8]) {
        text.append(UInt8(ascii: "\""))
        for byte in bytes {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                text.append(UInt8(ascii: "\\"))
                text.append(byte)
            } else if byte < 0x20 || byte == 0x7F {
                // Track ids have no control characters (they are rejected); artists may.
                let hex = Array("0123456789abcdef".utf8)
                text.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                         hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            } else {
                text.append(byte)
            }
        }
        text.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    static func appendDecimal(_ value: UInt32, to text: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = value
        var count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[count] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
                count += 1
            } while n > 0
            for k in stride(from: count - 1, through: 0, by: -1) { text.append(d[k]) }
        }
    }

    /// The entries of a pack's text; throws on text this format never has.
    static func decode(_ text: [UInt8], path: String) throws -> [Entry] {
        var entries: [Entry] = []
        var i = 0
        let n = text.count
        func fail() -> StoreError {
            StoreError(.other, "a history pack is not in the format consentry writes; the database was changed by another tool",
                       remedy: "restore it from a backup, or scan into another --db", file: path)
        }
        func skipSpace() { while i < n, text[i] == 0x20 || text[i] == 0x0A || text[i] == 0x0D || text[i] == 0x09 { i += 1 } }
        func expect(_ c: UInt8) throws {
            skipSpace()
            guard i < n, text[i] == c else { throw fail() }
            i += 1
        }
        func string() throws -> [UInt8] {
            try expect(UInt8(ascii: "\""))
            // Ids and artists rarely hold an escape: take the plain run in one copy.
            let start = i
            while i < n, text[i] != UInt8(ascii: "\""), text[i] != UInt8(ascii: "\\") { i += 1 }
            guard i < n else { throw fail() }
            if text[i] == UInt8(ascii: "\"") {
                i += 1
                return Array(text[start..<(i - 1)])
            }
            var value = Array(text[start..<i])
            while true {
                guard i < n else { throw fail() }
                let c = text[i]
                i += 1
                if c == UInt8(ascii: "\"") { return value }
                if c != UInt8(ascii: "\\") {
                    value.append(c)
                    continue
                }
                guard i < n else { throw fail() }
                let e = text[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): value.append(e)
                case UInt8(ascii: "b"): value.append(8)
                case UInt8(ascii: "f"): value.append(12)
                case UInt8(ascii: "n"): value.append(10)
                case UInt8(ascii: "r"): value.append(13)
                case UInt8(ascii: "t"): value.append(9)
                case UInt8(ascii: "u"):
                    guard i + 4 <= n, let unit = UInt16(String(decoding: text[i..<(i + 4)], as: UTF8.self), radix: 16) else {
                        throw fail()
                    }
                    i += 4
                    var scalar = UInt32(unit)
                    if (0xD800..<0xDC00).contains(unit), i + 6 <= n, text[i] == UInt8(ascii: "\\"), text[i + 1] == UInt8(ascii: "u"),
                       let low = UInt16(String(decoding: text[(i + 2)..<(i + 6)], as: UTF8.self), radix: 16),
                       (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + (UInt32(unit - 0xD800) << 10) + UInt32(low - 0xDC00)
                        i += 6
                    }
                    value.append(contentsOf: String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
                default: throw fail()
                }
            }
        }
        try expect(UInt8(ascii: "["))
        skipSpace()
        if i < n, text[i] == UInt8(ascii: "]") { return entries }
        while true {
            try expect(UInt8(ascii: "["))
            let id = try string()
            try expect(UInt8(ascii: ","))
            skipSpace()
            var combo: UInt32 = 0
            var digits = 0
            while i < n, text[i] >= UInt8(ascii: "0"), text[i] <= UInt8(ascii: "9") {
                let (value, overflow) = combo.multipliedReportingOverflow(by: 10)
                guard !overflow else { throw fail() }
                combo = value + UInt32(text[i] - UInt8(ascii: "0"))
                i += 1
                digits += 1
            }
            guard digits > 0 else { throw fail() }
            skipSpace()
            var artist: [UInt8] = []
            if i < n, text[i] == UInt8(ascii: ",") {
                i += 1
                artist = try string()
            }
            try expect(UInt8(ascii: "]"))
            entries.append(Entry(id: id, combo: combo, artist: artist))
            skipSpace()
            guard i < n else { throw fail() }
            if text[i] == UInt8(ascii: "]") { break }
            try expect(UInt8(ascii: ","))
        }
        return entries
    }
}
