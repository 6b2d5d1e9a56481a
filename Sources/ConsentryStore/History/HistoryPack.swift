import ConsentryEngine
import ConsentryModel

/// The text of a history pack: the tracks that began a period in one run, in (hash, id)
/// order, as a JSON array of `[track_id, combo]` pairs, or `[track_id, combo, artist_id]`
/// triples for tracks with an artist.
///
/// History stores tracks a pack at a time rather than a row each: a night's first run
/// writes every track, and SQLite inserts 91,000 packs far faster than 5 million rows. JSON
/// keeps the packs readable with SQLite's own `json_each`, so `verdicts_readable` is a plain
/// view any tool can query.
enum HistoryPack {
    /// A pack is closed once its text passes this size: sixteen packs fill a 32 KiB page (two
    /// a 4 KiB one, in a database created before), and a lookup of one track parses one pack
    /// per run.
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
    ///
    /// A first night appends millions of entries: each is written on the stack through one
    /// pointer and appended in one copy, not byte by byte into the array.
    static func append(id: UnsafeRawBufferPointer, combo: UInt32, artist: UnsafeRawBufferPointer, first: Bool,
                       to text: inout [UInt8]) {
        // Escaped, a byte takes at most 6 (`\u00XX`); the punctuation and the combination 16.
        let most = 16 + 6 * (id.count + artist.count)
        withUnsafeTemporaryAllocation(byteCount: most, alignment: 8) { buffer in
            let out = buffer.baseAddress!
            var at = 0
            @inline(__always) func put(_ byte: UInt8) {
                out.storeBytes(of: byte, toByteOffset: at, as: UInt8.self)
                at += 1
            }
            if !first { put(UInt8(ascii: ",")) }
            put(UInt8(ascii: "["))
            at += writeString(id, to: out + at)
            put(UInt8(ascii: ","))
            at += writeDecimal(combo, to: out + at)
            if artist.count > 0 {
                put(UInt8(ascii: ","))
                at += writeString(artist, to: out + at)
            }
            put(UInt8(ascii: "]"))
            text.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<at]))
        }
    }

    /// Writes valid UTF-8 `bytes` as a JSON string at `out`, which has room for 2 + 6 ×
    /// `bytes.count` bytes; returns the bytes written.
    @inline(__always)
    private static func writeString(_ bytes: UnsafeRawBufferPointer, to out: UnsafeMutableRawPointer) -> Int {
        out.storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
        var at = 1
        // Ids and artists rarely need an escape: copy each plain run whole.
        var run = 0
        while true {
            let i = firstEscaped(bytes, from: run)
            guard i < bytes.count else { break }
            let byte = bytes[i]
            if i > run { (out + at).copyMemory(from: bytes.baseAddress! + run, byteCount: i - run) }
            at += i - run
            run = i + 1
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                out.storeBytes(of: UInt8(ascii: "\\"), toByteOffset: at, as: UInt8.self)
                out.storeBytes(of: byte, toByteOffset: at + 1, as: UInt8.self)
                at += 2
            } else {
                // Track ids have no control characters (they are rejected); artists may.
                let hex: StaticString = "0123456789abcdef"
                for (k, c) in [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                               hex.utf8Start[Int(byte >> 4)], hex.utf8Start[Int(byte & 15)]].enumerated() {
                    out.storeBytes(of: c, toByteOffset: at + k, as: UInt8.self)
                }
                at += 6
            }
        }
        if bytes.count > run { (out + at).copyMemory(from: bytes.baseAddress! + run, byteCount: bytes.count - run) }
        at += bytes.count - run
        out.storeBytes(of: UInt8(ascii: "\""), toByteOffset: at, as: UInt8.self)
        return at + 1
    }

    /// The index of the first byte at or after `from` that JSON must escape (`"`, `\`, a
    /// control character or DEL), or `bytes.count`. Eight bytes at a time: a word with none
    /// is skipped whole, and in one with any the lowest flagged byte is exact (borrows only
    /// run upwards).
    @inline(__always)
    static func firstEscaped(_ bytes: UnsafeRawBufferPointer, from: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func zeroBytes(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & high }
        var i = from
        while i + 8 <= bytes.count {
            let w = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            // Bytes below 0x20 (a byte with bit 7 set is never one), and bytes equal to a flagged value.
            let flagged = ((w &- ones &* 0x20) & ~w & high) | zeroBytes(w ^ (ones &* 0x22)) | zeroBytes(w ^ (ones &* 0x5C))
                | zeroBytes(w ^ (ones &* 0x7F))
            if flagged != 0 { return i + (flagged.trailingZeroBitCount >> 3) }
            i += 8
        }
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F { return i }
            i += 1
        }
        return bytes.count
    }

    /// Writes `value` in decimal at `out` (room for 10 digits); returns the digits written.
    @inline(__always)
    private static func writeDecimal(_ value: UInt32, to out: UnsafeMutableRawPointer) -> Int {
        var count = 1
        var rest = value / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        var n = value
        for k in stride(from: count - 1, through: 0, by: -1) {
            out.storeBytes(of: UInt8(ascii: "0") + UInt8(n % 10), toByteOffset: k, as: UInt8.self)
            n /= 10
        }
        return count
    }

    /// The entries of a pack's text; throws on text this format never has.
    static func decode(_ text: [UInt8], path: String) throws -> [Entry] {
        var entries: [Entry] = []
        try text.withUnsafeBytes { text in
            try forEach(text, path: path) { id, combo, artist in
                entries.append(Entry(id: Array(id), combo: combo, artist: Array(artist)))
            }
        }
        return entries
    }

    /// Calls `body` with each entry of a pack's text — its id, combination and artist (empty
    /// when it has none), valid during the call — without copying them: an unescaped string
    /// (nearly all) is handed over where it lies in `text`. Throws on text this format never
    /// has.
    static func forEach(_ text: UnsafeRawBufferPointer, path: String,
                        _ body: (UnsafeRawBufferPointer, UInt32, UnsafeRawBufferPointer) throws -> Void) throws {
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
        /// Reads a string: its bounds in `text` when it has no escape, else nil with its
        /// value in `value`.
        func string(_ value: inout [UInt8]) throws -> Range<Int>? {
            try expect(UInt8(ascii: "\""))
            let start = i
            while i < n, text[i] != UInt8(ascii: "\""), text[i] != UInt8(ascii: "\\") { i += 1 }
            guard i < n else { throw fail() }
            if text[i] == UInt8(ascii: "\"") {
                i += 1
                return start..<(i - 1)
            }
            value.removeAll(keepingCapacity: true)
            value.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[start..<i]))
            while true {
                guard i < n else { throw fail() }
                let c = text[i]
                i += 1
                if c == UInt8(ascii: "\"") { return nil }
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
                    func unit(at k: Int) -> UInt16? {
                        k + 4 <= n ? UInt16(String(decoding: UnsafeRawBufferPointer(rebasing: text[k..<(k + 4)]), as: UTF8.self),
                                            radix: 16) : nil
                    }
                    guard let high = unit(at: i) else { throw fail() }
                    i += 4
                    var scalar = UInt32(high)
                    if (0xD800..<0xDC00).contains(high), i + 6 <= n, text[i] == UInt8(ascii: "\\"), text[i + 1] == UInt8(ascii: "u"),
                       let low = unit(at: i + 2), (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + (UInt32(high - 0xD800) << 10) + UInt32(low - 0xDC00)
                        i += 6
                    }
                    value.append(contentsOf: String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
                default: throw fail()
                }
            }
        }
        var idValue: [UInt8] = []
        var artistValue: [UInt8] = []
        try expect(UInt8(ascii: "["))
        skipSpace()
        if i < n, text[i] == UInt8(ascii: "]") { return }
        while true {
            try expect(UInt8(ascii: "["))
            let id = try string(&idValue)
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
            var artist: Range<Int>? = i..<i
            if i < n, text[i] == UInt8(ascii: ",") {
                i += 1
                artist = try string(&artistValue)
            }
            try expect(UInt8(ascii: "]"))
            try idValue.withUnsafeBytes { idValue in
                try artistValue.withUnsafeBytes { artistValue in
                    try body(id.map { UnsafeRawBufferPointer(rebasing: text[$0]) } ?? idValue, combo,
                             artist.map { UnsafeRawBufferPointer(rebasing: text[$0]) } ?? artistValue)
                }
            }
            skipSpace()
            guard i < n else { throw fail() }
            if text[i] == UInt8(ascii: "]") { break }
            try expect(UInt8(ascii: ","))
        }
    }
}
