import CMemory
import ConsentryModel

/// Byte-level interpretation of field values (contract §1.3), without making `String`s.
public enum FieldText {
    /// Narrows `start..<end` of `b` to exclude surrounding spaces and tabs.
    @inline(__always)
    public static func trim(_ b: UnsafeBufferPointer<UInt8>, _ start: inout Int, _ end: inout Int) {
        while start < end && (b[start] == 0x20 || b[start] == 0x09) { start += 1 }
        while end > start && (b[end - 1] == 0x20 || b[end - 1] == 0x09) { end -= 1 }
    }

    /// The bounds of a quoted CSV field's content when it needs no unquoting (`"a, b"` →
    /// `a, b`): no quote inside, nothing after the closing one; nil otherwise.
    @inline(__always)
    public static func simpleQuotedContent(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> (Int, Int)? {
        guard end - start >= 2, b[start] == 0x22, b[end - 1] == 0x22 else { return nil }
        var i = start + 1
        while i < end - 1 {
            if b[i] == 0x22 { return nil }
            i += 1
        }
        return (start + 1, end - 1)
    }

    /// Appends the content of a quoted CSV field (`"a""b"c` → `a"bc`).
    public static func appendCSVUnquoted(_ raw: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var i = 1
        var inQuotes = true
        let n = raw.count
        while i < n {
            let c = raw[i]
            if inQuotes && c == 0x22 {
                if i + 1 < n && raw[i + 1] == 0x22 {
                    out.append(0x22)
                    i += 2
                    continue
                }
                inQuotes = false
                i += 1
                continue
            }
            out.append(c)
            i += 1
        }
    }

    @inline(__always)
    public static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x30...0x39: return UInt32(c - 0x30)
        case 0x41...0x46: return UInt32(c - 0x41 + 10)
        case 0x61...0x66: return UInt32(c - 0x61 + 10)
        default: return nil
        }
    }

    private static func appendScalar(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80:
            out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (v >> 6)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (v >> 12)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (v >> 18)))
            out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    /// Appends the decoded content of a JSON string body (already grammar-checked).
    ///
    /// Returns false when it holds a lone surrogate escape, which is not Unicode text.
    public static func appendJSONUnescaped(_ raw: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) -> Bool {
        var i = 0
        let n = raw.count
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= n else { return nil }
            var v: UInt32 = 0
            for k in 0..<4 {
                guard let h = hexValue(raw[at + k]) else { return nil }
                v = v << 4 | h
            }
            return v
        }
        while i < n {
            let c = raw[i]
            guard c == 0x5C, i + 1 < n else {
                out.append(c)
                i += 1
                continue
            }
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard let v = hex4(i) else { return false }
                i += 4
                if v >= 0xD800 && v < 0xDC00 {
                    guard i + 6 <= n, raw[i] == 0x5C, raw[i + 1] == UInt8(ascii: "u"),
                          let low = hex4(i + 2), low >= 0xDC00 && low < 0xE000 else { return false }
                    i += 6
                    appendScalar(0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00), to: &out)
                } else if v >= 0xDC00 && v < 0xE000 {
                    return false
                } else {
                    appendScalar(v, to: &out)
                }
            default: out.append(e)
            }
        }
        return true
    }

    /// What a UTF-8 lead byte starts (RFC 3629: no overlong forms, surrogates or values past
    /// U+10FFFF): how many continuation bytes follow it, and the range the first of them
    /// must be in (the others are 0x80...0xBF); nil for a byte that starts no multi-byte
    /// character.
    @inline(__always)
    static func utf8Sequence(lead: UInt8) -> (continuations: Int, low: UInt8, high: UInt8)? {
        switch lead {
        case 0xC2...0xDF: return (1, 0x80, 0xBF)
        case 0xE0: return (2, 0xA0, 0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: return (2, 0x80, 0xBF)
        case 0xED: return (2, 0x80, 0x9F)
        case 0xF0: return (3, 0x90, 0xBF)
        case 0xF1...0xF3: return (3, 0x80, 0xBF)
        case 0xF4: return (3, 0x80, 0x8F)
        default: return nil
        }
    }

    /// Whether the bytes are well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
    public static func isValidUTF8(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = b.count
        while i < n {
            // ASCII eight bytes at a time: a record with one accented title is mostly ASCII.
            while i &+ 8 <= n && load8(b, i) & 0x8080_8080_8080_8080 == 0 { i &+= 8 }
            guard i < n else { return true }
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            guard let (need, lo, hi) = utf8Sequence(lead: c) else { return false }
            guard i + need < n else { return false }
            let second = b[i + 1]
            if second < lo || second > hi { return false }
            var k = 2
            while k <= need {
                let cont = b[i + k]
                if cont < 0x80 || cont > 0xBF { return false }
                k += 1
            }
            i += need + 1
        }
        return true
    }

    /// Makes at most `limit` bytes of valid UTF-8 from raw record bytes, for `rejects.excerpt`.
    public static func excerpt(_ b: UnsafeBufferPointer<UInt8>, limit: Int = 200) -> String {
        var cut = min(b.count, limit)
        // Drop a character left incomplete at the end, whether this limit or an earlier one
        // cut it: decoded, it would become a U+FFFD that is not in the record.
        var lead = cut - 1
        var continuations = 0
        while lead >= 0 && continuations < 3 && b[lead] & 0xC0 == 0x80 {
            lead -= 1
            continuations += 1
        }
        if lead >= 0 && b[lead] >= 0xC0 {
            let needed = b[lead] >= 0xF0 ? 3 : b[lead] >= 0xE0 ? 2 : 1
            if continuations < needed { cut = lead }
        }
        var text = String(decoding: UnsafeBufferPointer(rebasing: b[0..<cut]), as: UTF8.self)
        // Invalid bytes become U+FFFD (3 bytes each), which can push the text past the limit.
        while text.utf8.count > limit { text.removeLast() }
        return text
    }

    // MARK: - Values

    /// The 1 to 8 bytes at `b[start]` as a little-endian word, with bit 5 of each set: for
    /// a lowercase ASCII letter `l`, a byte folds to `l` exactly when it is `l` or its
    /// uppercase, so one compare matches a word of letters case-insensitively.
    @usableFromInline @inline(__always)
    static func foldedWord(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> UInt64 {
        let p = UnsafeRawPointer(b.baseAddress! + start)
        let w: UInt64
        if count >= 4 {
            // Two overlapping loads; the shared bytes are the same bytes, so OR keeps them.
            w = UInt64(UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
                | UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))) << (8 * UInt64(count - 4))
        } else if count >= 2 {
            w = UInt64(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)))
                | UInt64(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: count - 2, as: UInt16.self))) << (8 * UInt64(count - 2))
        } else {
            w = UInt64(p.load(as: UInt8.self))
        }
        return w | (0x2020_2020_2020_2020 >> (64 - 8 * UInt64(count)))
    }

    @usableFromInline @inline(__always)
    static func bit(_ condition: Bool) -> UInt64 { condition ? 1 : 0 }

    /// The 8 bytes at `b[start]` as a little-endian word; needs `start + 8 <= b.count`.
    @usableFromInline @inline(__always)
    static func load8(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(b.baseAddress! + start).loadUnaligned(as: UInt64.self))
    }

    /// A mask of the low `n` bytes of a word, `n` in 0...8.
    @usableFromInline @inline(__always)
    static func lowBytes(_ n: Int) -> UInt64 {
        n >= 8 ? UInt64.max : (1 << (8 * UInt64(truncatingIfNeeded: n))) &- 1
    }

    /// ``parseBool``'s multiplier: the top four bits of a folded word times it tell the
    /// spellings apart (found by trying multipliers).
    @usableFromInline static let booleanHash: UInt64 = 0xB222_1A58_008A_05A7

    /// ``parseBool``'s spellings of at most five bytes (`""`, `t`, `y`, `1`, `f`, `n`, `0`,
    /// `no`, `yes`, `true`, `false`), each in the slot of 16 its folded word hashes to: the
    /// word as it must read once folded (letters folded, digits not: 0x11 folds to `1`), its
    /// length in bits 56–58, whether its bytes fold in bit 59, its value in bit 60, and bit 63
    /// set. The slots are a C constant (`consentry_boolean_slot`): a Swift table is made on
    /// first use, and the check that it was cost a call per flag. The tests make them again
    /// from the spellings.
    @usableFromInline @inline(__always)
    static func booleanSlot(_ k: Int) -> UInt64 { consentry_boolean_slot(UInt64(truncatingIfNeeded: k)) }

    /// ``parseLabelStatus``'s multiplier, as ``booleanHash``.
    @usableFromInline static let statusHash: UInt64 = 0xDCF4_BB99_F4BE_A973

    /// ``parseLabelStatus``'s spellings (`""`, `major`, `licensed`, `unsigned`,
    /// `independent`, `unknown`), each in the slot of 16 its first eight bytes (folded) hash
    /// to, two words a slot: those bytes, then its length in bits 0–3, its ``LabelStatus``
    /// raw value in bits 4–5, and bit 63 set. (`independent` also needs its last eight
    /// bytes.) A C constant, as ``booleanSlot(_:)``'s.
    @usableFromInline @inline(__always)
    static func statusWord(_ i: Int) -> UInt64 { consentry_status_word(UInt64(truncatingIfNeeded: i)) }

    /// Interprets a boolean (contract §1.3); empty is false; nil when not a boolean.
    ///
    /// `@_transparent`, as ``parseTimestamp(_:_:_:value:)``: every record's flags and
    /// timestamps go through them, and `@inline(__always)` left them called (see
    /// `RecordProcessor.Fields`); the helpers they use are `@usableFromInline` for that.
    @_transparent
    public static func parseBool(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool? {
        let n = end - start
        if n <= 5 && start + 8 <= b.count {
            // One slot of a table, found by a hash of the folded word, and one comparison:
            // exports mix spellings from row to row, and a branch per spelling, which is what
            // the optimizer made of comparing the word with each, was mispredicted for most
            // flags. The comparison is of integers, not of several conditions, which it would
            // turn into branches again.
            let w = load8(b, start) & lowBytes(n)
            let fold = 0x2020_2020_2020_2020 & lowBytes(n)
            let slot = booleanSlot(Int(truncatingIfNeeded: ((w | fold) &* booleanHash) >> 60))
            let folds = fold & (0 &- (slot >> 59 & 1))
            let differs = ((w | folds) ^ (slot & 0xFF_FFFF_FFFF)) | (UInt64(truncatingIfNeeded: n) ^ (slot >> 56 & 7)) | (~slot >> 63)
            return differs != 0 ? nil : slot >> 60 & 1 != 0
        }
        switch n {
        case 0: return false
        case 1:
            switch b[start] | 0x20 {
            case UInt8(ascii: "t"), UInt8(ascii: "y"): return true
            case UInt8(ascii: "f"), UInt8(ascii: "n"): return false
            default:
                if b[start] == UInt8(ascii: "1") { return true }
                if b[start] == UInt8(ascii: "0") { return false }
                return nil
            }
        case 2...5:
            switch foldedWord(b, start, n) {
            case 0x6575_7274, 0x73_6579: return true            // "true", "yes"
            case 0x65_736C_6166, 0x6F6E: return false           // "false", "no"
            default: return nil
            }
        default:
            return nil
        }
    }

    /// Interprets a label status (contract §1.3); empty is `unknown`; nil when invalid.
    @inline(__always)
    public static func parseLabelStatus(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> LabelStatus? {
        let n = end - start
        if n <= 11 && start + 11 <= b.count {
            // A slot found by a hash of the first eight bytes folded, as in `parseBool`; `tail`
            // is bytes 3 to 10, "ependent" for "independent".
            let head = (load8(b, start) | 0x2020_2020_2020_2020) & lowBytes(min(n, 8))
            let tail = load8(b, start + 3) | 0x2020_2020_2020_2020
            let k = Int(truncatingIfNeeded: (head &* statusHash) >> 60)
            let word = statusWord(2 &* k)
            let meta = statusWord(2 &* k &+ 1)
            let eleven = 0 &- bit(n == 11)
            let differs = (head ^ word) | (UInt64(truncatingIfNeeded: n) ^ (meta & 0xF)) | (~meta >> 63)
                | (tail ^ 0x746E_6564_6E65_7065) & eleven
            return differs != 0 ? nil : LabelStatus(rawValue: UInt8(truncatingIfNeeded: meta >> 4 & 3))
        }
        switch n {
        case 0: return .unknown
        case 5: return foldedWord(b, start, 5) == 0x72_6F6A_616D ? .major : nil                 // "major"
        case 7: return foldedWord(b, start, 7) == 0x6E_776F_6E6B_6E75 ? .unknown : nil          // "unknown"
        case 8:
            switch foldedWord(b, start, 8) {
            case 0x6465_736E_6563_696C: return .licensed                                    // "licensed"
            case 0x6465_6E67_6973_6E75: return .independent                                 // "unsigned"
            default: return nil
            }
        case 11:
            // "independ" and the overlapping "dent"
            return foldedWord(b, start, 8) == 0x646E_6570_6564_6E69
                && foldedWord(b, start + 7, 4) == 0x746E_6564 ? .independent : nil
        default: return nil
        }
    }

    /// Whether any byte of `b[start..<end]` is an ASCII control character (below 0x20, or DEL).
    @inline(__always)
    public static func containsControl(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        // Eight bytes at a time: every track id is checked, and a byte loop was a sixth of
        // the per-record work around it.
        var i = start
        while i + 8 <= end {
            if controlBytes(load8(b, i)) != 0 { return true }
            i += 8
        }
        let rest = end - i
        if rest == 0 { return false }
        if i + 8 <= b.count {
            // The bytes after the range become letters, which are no control characters.
            let keep = lowBytes(rest)
            return controlBytes(load8(b, i) & keep | 0x4141_4141_4141_4141 & ~keep) != 0
        }
        while i < end {
            let c = b[i]
            if c < 0x20 || c == 0x7F { return true }
            i += 1
        }
        return false
    }

    /// Non-zero when a byte of `w` is below 0x20 or is 0x7F. Exact as a yes/no answer: a
    /// borrow that sets a high bit wrongly starts at a byte that really is one of them.
    @inline(__always)
    private static func controlBytes(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let below = (w &- ones &* 0x20) & ~w & high
        let del = w ^ (ones &* 0x7F)
        return below | (del &- ones) & ~del & high
    }

    /// Two ASCII digits at `b[at]` as a number, or -1.
    @usableFromInline @inline(__always)
    static func twoDigits(_ b: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int {
        let hi = b[at] &- 0x30
        let lo = b[at + 1] &- 0x30
        guard hi <= 9 && lo <= 9 else { return -1 }
        return Int(hi) * 10 + Int(lo)
    }

    /// Whether every byte of `w` under `mask` is an ASCII digit: its high nibble is 3, and
    /// adding 6 keeps it so (no byte carries into the next: each is at most 0x3F).
    @usableFromInline @inline(__always)
    static func digits(_ w: UInt64, _ mask: UInt64) -> Bool {
        let nibbles = 0xF0F0_F0F0_F0F0_F0F0 & mask
        let threes = 0x3030_3030_3030_3030 & mask
        return w & nibbles == threes && (w &+ 0x0606_0606_0606_0606 & mask) & nibbles == threes
    }

    /// Byte `k` of `w` as a number.
    @usableFromInline @inline(__always)
    static func byte(_ w: UInt64, _ k: UInt64) -> Int { Int(truncatingIfNeeded: w >> (8 * k) & 0xFF) }

    /// Interprets an ISO 8601 timestamp (contract §1.3) as whole seconds since 1970 UTC.
    ///
    /// `YYYY-MM-DD`, or that followed by `T` or a space, `hh:mm:ss`, an optional fraction
    /// and an optional `Z` or `±hh:mm`. Returns nil for anything else or a date or time that
    /// does not exist. With `value` false it only validates and returns 0 for a valid
    /// timestamp: converting to seconds is only needed when a policy compares dates.
    ///
    /// `YYYY-MM-` and `hh:mm:ss` are each checked as one word (every record has a timestamp
    /// or two, and a byte at a time was a twentieth of a scan).
    @_transparent
    public static func parseTimestamp(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, value: Bool = true) -> Int64? {
        let n = end - start
        guard n >= 10 else { return nil }
        // "YYYY-MM-": digits in bytes 0-3, 5 and 6, dashes in 4 and 7.
        let date = load8(b, start)
        guard date & 0xFF00_00FF_0000_0000 == 0x2D00_002D_0000_0000, digits(date, 0x00FF_FF00_FFFF_FFFF) else { return nil }
        let d = date &- 0x0030_3000_3030_3030
        let year = byte(d, 0) * 1000 + byte(d, 1) * 100 + byte(d, 2) * 10 + byte(d, 3)
        let month = byte(d, 5) * 10 + byte(d, 6)
        let day = twoDigits(b, start + 8)
        guard month >= 1, month <= 12, day >= 1, day <= 28 || day <= daysInMonth(year, month) else { return nil }
        var seconds: Int64 = value ? Int64(daysFromCivil(year, month, day)) * 86_400 : 0
        if n == 10 { return seconds }
        let sep = b[start + 10]
        guard sep == UInt8(ascii: "T") || sep == UInt8(ascii: " "), n >= 19 else { return nil }
        // "hh:mm:ss": digits in bytes 0, 1, 3, 4, 6 and 7, colons in 2 and 5.
        let time = load8(b, start + 11)
        guard time & 0x0000_FF00_00FF_0000 == 0x0000_3A00_003A_0000, digits(time, 0xFFFF_00FF_FF00_FFFF) else { return nil }
        let t = time &- 0x3030_0030_3000_3030
        let hour = byte(t, 0) * 10 + byte(t, 1)
        let minute = byte(t, 3) * 10 + byte(t, 4)
        let second = byte(t, 6) * 10 + byte(t, 7)
        guard hour <= 23, minute <= 59, second <= 59 else { return nil }
        if value { seconds += Int64(hour * 3600 + minute * 60 + second) }
        var i = 19
        if i < n && b[start + i] == 0x2E {
            i += 1
            let fractionStart = i
            while i < n, b[start + i] &- 0x30 <= 9 { i += 1 }
            guard i > fractionStart else { return nil }
        }
        if i == n { return seconds }
        let zone = b[start + i]
        if zone == UInt8(ascii: "Z") && i + 1 == n { return seconds }
        guard zone == UInt8(ascii: "+") || zone == UInt8(ascii: "-"), n - i == 6 else { return nil }
        let zh = twoDigits(b, start + i + 1)
        let zm = twoDigits(b, start + i + 4)
        guard zh >= 0, zh <= 23, b[start + i + 3] == 0x3A, zm >= 0, zm <= 59 else { return nil }
        guard value else { return 0 }
        let shift = Int64(zh * 3600 + zm * 60)
        return zone == UInt8(ascii: "+") ? seconds - shift : seconds + shift
    }

    /// Parses `YYYY-MM-DD` (a policy date) as seconds since 1970 at midnight UTC.
    public static func parseDate(_ text: String) -> Int64? {
        var bytes = Array(text.utf8)
        guard bytes.count == 10 else { return nil }
        return bytes.withUnsafeMutableBufferPointer { parseTimestamp(UnsafeBufferPointer($0), 0, 10) }
    }

    @usableFromInline
    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    @usableFromInline
    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    @usableFromInline
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
