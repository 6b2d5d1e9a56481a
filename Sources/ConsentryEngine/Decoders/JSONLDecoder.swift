import CMemory
import ConsentryModel
import Glibc

/// Cuts JSON Lines into records, fed in chunks of any size, checking each line against the
/// full JSON grammar (RFC 8259) and keeping only the top-level keys consentry reads.
///
/// A raw line feed cannot occur inside a JSON string, so every LF ends a record; a line cut
/// by a chunk boundary waits in `carry` for its rest.
public final class JSONLDecoder {
    public struct Configuration: Sendable {
        public var maxRecordBytes: Int
        /// The key feeding each ``RecordField``, indexed by its raw value.
        public var keys: [[UInt8]]

        public init(maxRecordBytes: Int = 1 << 20, names: FieldNames = FieldNames()) {
            self.maxRecordBytes = maxRecordBytes
            self.keys = names.names.map { Array($0.utf8) }
        }
    }

    /// Nesting deeper than this is rejected as `invalid_json` (as Foundation's parser does).
    public static let maxDepth = 512

    public let configuration: Configuration
    @exclusivity(unchecked) public var lineOrigin = 0
    @exclusivity(unchecked) public private(set) var lineFeeds = 0
    @exclusivity(unchecked) public private(set) var offset: Int

    @exclusivity(unchecked) private var carry: [UInt8] = []
    @exclusivity(unchecked) private var carryOffset = 0
    @exclusivity(unchecked) private var carryLine = 0
    @exclusivity(unchecked) private var skipping = false
    @exclusivity(unchecked) private var checkingBOM: Bool
    @exclusivity(unchecked) private var bomMatched = 0
    private let fields: UnsafeMutableBufferPointer<FieldValue>
    private let problems = RawRecord.ProblemSlot()
    /// Builds the 64-byte blocks' masks of the strings of flat lines.
    private let blockMasks = BlockMasks()
    @exclusivity(unchecked) private var stack: [UInt8] = []
    @exclusivity(unchecked) private var keyScratch: [UInt8] = []
    /// The keys' bytes back to back, and where each starts (one extra entry at the end):
    /// outside arrays, so matching a key costs no reference counting.
    private let keyTable: UnsafeMutableBufferPointer<UInt8>
    private let keyStarts: UnsafeMutableBufferPointer<Int>
    /// The first eight bytes of each key as a little-endian word, zero-padded.
    private let keyWords: UnsafeMutableBufferPointer<UInt64>
    /// For each key length below `keyLengthLimit`, the first key of that length, then the
    /// next one of the same length per key (-1 ends): a line's key is compared with the
    /// keys of its length only, usually one.
    private let firstKeyOfLength: UnsafeMutableBufferPointer<Int8>
    private let nextKeyOfLength: UnsafeMutableBufferPointer<Int8>
    private static let keyLengthLimit = 64

    public init(_ configuration: Configuration, offset: Int = 0, atStreamStart: Bool = false) {
        self.configuration = configuration
        self.offset = offset
        self.checkingBOM = atStreamStart
        fields = .allocate(capacity: RecordField.allCases.count)
        fields.initialize(repeating: .absent)
        stack.reserveCapacity(64)
        let flat = configuration.keys.flatMap { $0 }
        keyTable = .allocate(capacity: max(flat.count, 1))
        _ = keyTable.initialize(from: flat)
        keyStarts = .allocate(capacity: configuration.keys.count + 1)
        var position = 0
        for (index, key) in configuration.keys.enumerated() {
            keyStarts[index] = position
            position += key.count
        }
        keyStarts[configuration.keys.count] = position
        keyWords = .allocate(capacity: max(configuration.keys.count, 1))
        for (index, key) in configuration.keys.enumerated() {
            keyWords[index] = key.withUnsafeBufferPointer { JSONLDecoder.word($0, 0, min($0.count, 8)) }
        }
        firstKeyOfLength = .allocate(capacity: JSONLDecoder.keyLengthLimit)
        firstKeyOfLength.initialize(repeating: -1)
        nextKeyOfLength = .allocate(capacity: max(configuration.keys.count, 1))
        nextKeyOfLength.initialize(repeating: -1)
        for (index, key) in configuration.keys.enumerated().reversed() where key.count < JSONLDecoder.keyLengthLimit {
            nextKeyOfLength[index] = firstKeyOfLength[key.count]
            firstKeyOfLength[key.count] = Int8(index)
        }
    }

    /// Up to eight bytes from `start` as a little-endian word, zero-padded.
    private static func word(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> UInt64 {
        var w: UInt64 = 0
        for k in 0..<count { w |= UInt64(b[start + k]) << (8 * UInt64(k)) }
        return w
    }

    deinit {
        fields.deallocate()
        keyTable.deallocate()
        keyStarts.deallocate()
        keyWords.deallocate()
        firstKeyOfLength.deallocate()
        nextKeyOfLength.deallocate()
    }

    /// Whether the decoder is between records (nothing pending, not skipping).
    public var isAtRecordBoundary: Bool { carry.isEmpty && !skipping }

    /// Feeds the next bytes; calls `emit` for each complete line that is not blank.
    public func feed(_ bytes: UnsafeBufferPointer<UInt8>, emit: (inout RawRecord) -> Bool) {
        var input = bytes
        if checkingBOM {
            let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
            var i = 0
            while i < input.count && bomMatched < 3 && input[i] == bom[bomMatched] {
                bomMatched += 1
                i += 1
            }
            if bomMatched == 3 {
                checkingBOM = false
                offset += 3
            } else if i < input.count {
                checkingBOM = false
                if bomMatched > 0 {
                    Array(bom[0..<bomMatched]).withUnsafeBufferPointer { feedCore($0, emit: emit) }
                }
            } else {
                return
            }
            input = UnsafeBufferPointer(rebasing: input[i...])
        }
        feedCore(input, emit: emit)
    }

    private func feedCore(_ input: UnsafeBufferPointer<UInt8>, emit: (inout RawRecord) -> Bool) {
        let n = input.count
        guard n > 0, let base = input.baseAddress else { return }
        var i = 0
        // The line feeds of the 64 bytes from `feedsBase`, a bit per byte.
        var feedsBase = -64
        var feeds: UInt64 = 0
        while i < n {
            var lineEnd = n
            var hit = false
            var j = i
            while true {
                if UInt(bitPattern: j &- feedsBase) >= 64 {
                    guard n &- j >= 64 else {
                        if let p = memchr(base + j, Int32(UInt8(ascii: "\n")), n &- j) {
                            lineEnd = base.distance(to: p.assumingMemoryBound(to: UInt8.self))
                            hit = true
                        }
                        break
                    }
                    feeds = consentry_line_feeds64(base + j)
                    feedsBase = j
                }
                let m = feeds &>> UInt64(j &- feedsBase)
                if m != 0 {
                    lineEnd = j &+ m.trailingZeroBitCount
                    hit = true
                    break
                }
                j = feedsBase &+ 64
            }
            if skipping {
                if hit { skipping = false; lineFeeds += 1 }
                i = lineEnd + 1
                continue
            }
            if !carry.isEmpty {
                carry.append(contentsOf: UnsafeBufferPointer(rebasing: input[i..<lineEnd]))
                if !hit {
                    // Over the limit: the excerpt (200 bytes up to the line feed) must be certain
                    // before the record is rejected, so short ones wait for more bytes.
                    if exceedsLimit(carry.count, lastIsCR: carry.last == 13) && carry.count > CSVDecoder.excerptBytes {
                        tooLongInCarry(emit: emit)
                    }
                    i = n
                    continue
                }
                let start = carryOffset
                let line = carryLine
                carry.withUnsafeBufferPointer { buf in
                    processLine(buf, 0, buf.count, line: line, offset: start, emit: emit)
                }
                carry.removeAll(keepingCapacity: true)
                lineFeeds += 1
                i = lineEnd + 1
                continue
            }
            if !hit {
                let pending = n - i
                carryOffset = offset + i
                carryLine = lineFeeds
                if exceedsLimit(pending, lastIsCR: input[n - 1] == 13) && pending > CSVDecoder.excerptBytes {
                    var record = RawRecord(
                        bytes: UnsafeBufferPointer(rebasing: input[i..<min(n, i + CSVDecoder.excerptBytes)]),
                        line: lineOrigin + lineFeeds + 1, offset: offset + i,
                        problem: problems.hold(.recordTooLong), hasNonASCII: true,
                        fields: UnsafeBufferPointer(fields))
                    _ = emit(&record)
                    skipping = true
                } else {
                    carry.append(contentsOf: UnsafeBufferPointer(rebasing: input[i..<n]))
                }
                i = n
                continue
            }
            processLine(input, i, lineEnd, line: lineFeeds, offset: offset + i, emit: emit)
            lineFeeds += 1
            i = lineEnd + 1
        }
        offset += n
    }

    private func exceedsLimit(_ length: Int, lastIsCR: Bool) -> Bool {
        length - (lastIsCR ? 1 : 0) > configuration.maxRecordBytes
    }

    private func tooLongInCarry(emit: (inout RawRecord) -> Bool) {
        let line = carryLine
        let start = carryOffset
        carry.withUnsafeBufferPointer { buf in
            var record = RawRecord(
                bytes: UnsafeBufferPointer(rebasing: buf[0..<min(buf.count, CSVDecoder.excerptBytes)]),
                line: lineOrigin + line + 1, offset: start, problem: problems.hold(.recordTooLong),
                hasNonASCII: true, fields: UnsafeBufferPointer(fields))
            _ = emit(&record)
        }
        carry.removeAll(keepingCapacity: true)
        skipping = true
    }

    /// Signals the end of the input: a last line without LF is still a record.
    public func finish(emit: (inout RawRecord) -> Bool) {
        if checkingBOM && bomMatched > 0 {
            checkingBOM = false
            Array([0xEF, 0xBB, 0xBF][0..<bomMatched]).withUnsafeBufferPointer { feedCore($0, emit: emit) }
        }
        checkingBOM = false
        if !carry.isEmpty {
            let line = carryLine
            let start = carryOffset
            carry.withUnsafeBufferPointer { buf in
                processLine(buf, 0, buf.count, line: line, offset: start, emit: emit)
            }
            carry.removeAll()
        }
        skipping = false
    }

    private func processLine(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ lineEnd: Int,
                             line: Int, offset: Int, emit: (inout RawRecord) -> Bool) {
        var end = lineEnd
        if end > start && buf[end - 1] == 13 { end -= 1 }
        let tooLong = end - start > configuration.maxRecordBytes
        var blank = !tooLong
        var k = start
        while blank && k < end {
            let c = buf[k]
            if c != 0x20 && c != 0x09 { blank = false; break }
            k += 1
        }
        if blank { return }
        let record = UnsafeBufferPointer(rebasing: buf[start..<end])
        for f in 0..<fields.count { fields[f] = .absent }
        var error: StructuralError? = nil
        var nonASCII = false
        if tooLong {
            error = .recordTooLong
        } else {
            error = parse(record, readable: buf.count - start, nonASCII: &nonASCII)
        }
        var raw = RawRecord(
            bytes: error == .some(.recordTooLong)
                ? UnsafeBufferPointer(rebasing: record[0..<min(record.count, CSVDecoder.excerptBytes)])
                : record,
            line: lineOrigin + line + 1, offset: offset, problem: problems.hold(error),
            hasNonASCII: nonASCII, fields: UnsafeBufferPointer(fields))
        _ = emit(&raw)
    }

    // MARK: - JSON grammar

    private enum Failure: Error { case invalid(String) }

    @inline(__always)
    private static func isSpace(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A
    }

    /// Moves `p` past white space. A static function, not one nested in the parsers: a
    /// nested function that captures `p` makes every access to it, and to the variables
    /// passed `inout` beside it, a checked one at run time.
    @inline(__always)
    private static func skipSpace(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int) {
        while p < b.count && isSpace(b[p]) { p += 1 }
    }

    /// Validates one line; fills `fields` from the top-level object's keys. Flat objects take a
    /// shorter path. `readable` bytes from the line's start may be read (the line's own and
    /// those after it in the same buffer).
    private func parse(_ b: UnsafeBufferPointer<UInt8>, readable: Int, nonASCII: inout Bool) -> StructuralError? {
        if parseFlat(b, readable: readable, nonASCII: &nonASCII) { return nil }
        // Not a flat object, or not valid: the general parser decides, from a clean start.
        for f in 0..<fields.count { fields[f] = .absent }
        nonASCII = false
        return parseGeneral(b, nonASCII: &nonASCII)
    }

    /// Parses the common line, one object under unescaped keys, filling `fields`; returns
    /// false, for the general parser to decide, at anything else, valid or not. Its scalars
    /// need no container stack and no dispatch on nesting; a nested object or array is
    /// validated by the general parser's ``walkValue(_:_:_:topIsObject:)`` where it lies. It
    /// accepts only what the general parser accepts.
    ///
    /// Its strings end where masks of 64 bytes at a time say (see ``flatString``). The line
    /// is non-ASCII when a byte of a masked block within it is: in a line this accepts, such
    /// bytes can only be in strings.
    private func parseFlat(_ b: UnsafeBufferPointer<UInt8>, readable: Int, nonASCII: inout Bool) -> Bool {
        let n = b.count
        var p = 0
        var block = StringBlock.none
        var high: UInt64 = 0
        JSONLDecoder.skipSpace(b, &p)
        guard p < n, b[p] == UInt8(ascii: "{") else { return false }
        p += 1
        JSONLDecoder.skipSpace(b, &p)
        if p < n && b[p] == UInt8(ascii: "}") {
            p += 1
            JSONLDecoder.skipSpace(b, &p)
            return p == n
        }
        while true {
            guard p < n, b[p] == UInt8(ascii: "\"") else { return false }
            let keyStart = p + 1
            guard let keyEscaped = flatString(b, &p, readable: readable, block: &block, high: &high,
                                              nonASCII: &nonASCII), !keyEscaped else { return false }
            let field = matchKey(b, keyStart, p - 1)
            JSONLDecoder.skipSpace(b, &p)
            guard p < n, b[p] == UInt8(ascii: ":") else { return false }
            p += 1
            JSONLDecoder.skipSpace(b, &p)
            guard p < n else { return false }
            let value: FieldValue
            let c = b[p]
            if c == UInt8(ascii: "\"") {
                let start = p
                guard let escaped = flatString(b, &p, readable: readable, block: &block, high: &high,
                                               nonASCII: &nonASCII) else { return false }
                value = .text(start: Int32(start + 1), end: Int32(p - 1), escaped: escaped)
            } else if let literal = JSONLDecoder.literal(b, &p) {
                // Before `scanScalar`, which also knows literals: through it the flat parser
                // took a quarter more samples (its throwing paths weigh on the loop).
                value = literal
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                // A nested value (whose keys feed nothing) is validated in place: starting the
                // line over in the general parser read it twice.
                stack.removeAll(keepingCapacity: true)
                stack.append(UInt8(ascii: "{"))
                guard (try? walkValue(b, &p, &nonASCII, topIsObject: false)) != nil else { return false }
                value = .container
            } else {
                guard let scalar = try? scanScalar(b, &p, &nonASCII) else { return false }
                value = scalar
            }
            if field >= 0 { fields[field] = value }
            JSONLDecoder.skipSpace(b, &p)
            guard p < n else { return false }
            if b[p] == UInt8(ascii: ",") {
                p += 1
                JSONLDecoder.skipSpace(b, &p)
                continue
            }
            guard b[p] == UInt8(ascii: "}") else { return false }
            p += 1
            JSONLDecoder.skipSpace(b, &p)
            if high != 0 { nonASCII = true }
            return p == n
        }
    }

    /// The stops (quote, backslash, control byte) and non-ASCII bytes of 64 bytes of a line,
    /// a bit per byte from `base`.
    private struct StringBlock {
        var base: Int
        var stops: UInt64 = 0
        var high: UInt64 = 0
        /// No block yet: every position is past it.
        static let none = StringBlock(base: -64)
    }

    /// ``scanString`` for ``parseFlat``: scans the string at its opening quote `b[p]` and
    /// leaves `p` after its closing one; returns whether it has escapes, or nil at anything
    /// the general parser must judge (a control byte, a bad escape, no closing quote).
    ///
    /// The string's stops come from masks of 64 bytes at a time (`block`, carried from
    /// string to string, and ORed into `high` for the bytes within the line): a string costs
    /// a count of trailing zeros, where walking it cost a branch per eight bytes. Within 64
    /// bytes of the end of what may be read it walks, as ``scanString``.
    @inline(__always)
    private func flatString(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, readable: Int,
                            block: inout StringBlock, high: inout UInt64, nonASCII: inout Bool) -> Bool? {
        let n = b.count
        var i = p &+ 1
        var escaped = false
        while true {
            var m: UInt64
            while true {
                if UInt(bitPattern: i &- block.base) >= 64 {
                    guard i < n else { return nil }
                    guard readable &- i >= 64 else { return try? scanString(b, &p, &nonASCII) }
                    let masks = blockMasks.jsonString(b.baseAddress! + i)
                    block = StringBlock(base: i, stops: masks.stops, high: masks.high)
                    let inLine = n &- i
                    high |= inLine >= 64 ? masks.high : masks.high & ((1 &<< UInt64(inLine)) &- 1)
                }
                m = block.stops &>> UInt64(i &- block.base)
                if m != 0 { break }
                i = block.base &+ 64
            }
            i &+= m.trailingZeroBitCount
            guard i < n else { return nil }
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                p = i &+ 1
                return escaped
            }
            guard c == UInt8(ascii: "\\"), i &+ 1 < n else { return nil }
            switch b[i &+ 1] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                 UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                i &+= 2
            case UInt8(ascii: "u"):
                guard i &+ 5 < n else { return nil }
                for k in 2...5 where FieldText.hexValue(b[i &+ k]) == nil { return nil }
                i &+= 6
            default:
                return nil
            }
            escaped = true
        }
    }

    /// Validates one line against the whole grammar; fills `fields` from the top-level
    /// object's keys.
    private func parseGeneral(_ b: UnsafeBufferPointer<UInt8>, nonASCII: inout Bool) -> StructuralError? {
        let n = b.count
        var p = 0
        stack.removeAll(keepingCapacity: true)
        do {
            JSONLDecoder.skipSpace(b, &p)
            guard p < n else { throw Failure.invalid("empty line") }
            let topIsObject = b[p] == UInt8(ascii: "{")
            try walkValue(b, &p, &nonASCII, topIsObject: topIsObject)
            guard p == n else { throw Failure.invalid("unexpected text after the JSON value at column \(p + 1)") }
            return topIsObject ? nil : .notAnObject
        } catch Failure.invalid(let why) {
            return .invalidJSON(why)
        } catch {
            return .invalidJSON("\(error)")
        }
    }

    /// Validates the value at `b[p]` with everything nested in it, and leaves `p` after it
    /// and the white space that follows. The containers open around it are on `stack`: none
    /// for a whole line, the line's object for a value nested in it (``parseFlat``). With
    /// `topIsObject`, the values of the line's object fill `fields` by their keys.
    private func walkValue(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, _ nonASCII: inout Bool,
                           topIsObject: Bool) throws {
        let n = b.count
        let depth = stack.count
        var pendingField = -1
        parseValue: while true {
            JSONLDecoder.skipSpace(b, &p)
            guard p < n else { throw Failure.invalid("unexpected end of line, a value was expected") }
            let c = b[p]
            let field = stack.count == 1 && topIsObject ? pendingField : -1
            pendingField = -1
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if stack.count >= JSONLDecoder.maxDepth { throw Failure.invalid("nesting deeper than \(JSONLDecoder.maxDepth) levels") }
                if field >= 0 { fields[field] = .container }
                stack.append(c)
                p += 1
                JSONLDecoder.skipSpace(b, &p)
                if c == UInt8(ascii: "{") {
                    if p < n && b[p] == UInt8(ascii: "}") { stack.removeLast(); p += 1; break }
                    pendingField = try parseKey(b, &p, &nonASCII)
                    continue parseValue
                } else {
                    if p < n && b[p] == UInt8(ascii: "]") { stack.removeLast(); p += 1; break }
                    continue parseValue
                }
            default:
                guard let value = try scanScalar(b, &p, &nonASCII) else {
                    throw Failure.invalid("unexpected character at column \(p + 1)")
                }
                if field >= 0 { fields[field] = value }
            }
            // After a value: close containers or go on to the next element.
            while true {
                JSONLDecoder.skipSpace(b, &p)
                guard stack.count > depth else { return }
                let top = stack[stack.count - 1]
                guard p < n else { throw Failure.invalid("unexpected end of line inside \(top == UInt8(ascii: "{") ? "an object" : "an array")") }
                let c = b[p]
                if c == UInt8(ascii: ",") {
                    p += 1
                    if top == UInt8(ascii: "{") {
                        JSONLDecoder.skipSpace(b, &p)
                        pendingField = try parseKey(b, &p, &nonASCII)
                    }
                    continue parseValue
                }
                if (top == UInt8(ascii: "{") && c == UInt8(ascii: "}")) || (top == UInt8(ascii: "[") && c == UInt8(ascii: "]")) {
                    stack.removeLast()
                    p += 1
                    continue
                }
                throw Failure.invalid("expected ',' or a closing bracket at column \(p + 1)")
            }
        }
    }

    /// Parses `"key" :` and returns the field it names (at the top level only), or -1.
    private func parseKey(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, _ nonASCII: inout Bool) throws -> Int {
        guard p < b.count, b[p] == UInt8(ascii: "\"") else {
            throw Failure.invalid("expected a quoted key at column \(p + 1)")
        }
        let start = p + 1
        let escaped = try scanString(b, &p, &nonASCII)
        let end = p - 1
        while p < b.count && JSONLDecoder.isSpace(b[p]) { p += 1 }
        guard p < b.count, b[p] == UInt8(ascii: ":") else {
            throw Failure.invalid("expected ':' after a key at column \(p + 1)")
        }
        p += 1
        guard stack.count == 1 else { return -1 }
        if escaped {
            keyScratch.removeAll(keepingCapacity: true)
            guard FieldText.appendJSONUnescaped(UnsafeBufferPointer(rebasing: b[start..<end]), to: &keyScratch) else { return -1 }
            for (index, key) in configuration.keys.enumerated() where key == keyScratch { return index }
            return -1
        }
        return matchKey(b, start, end)
    }

    /// The field an unescaped top-level key `b[start..<end]` feeds, or -1.
    @inline(__always)
    private func matchKey(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        let keys = keyTable
        let length = end - start
        guard length < JSONLDecoder.keyLengthLimit else {
            let text = UnsafeBufferPointer(rebasing: b[start..<end])
            for (index, key) in configuration.keys.enumerated() where key.elementsEqual(text) { return index }
            return -1
        }
        var index = Int(firstKeyOfLength[length])
        if index < 0 { return -1 }
        // The first eight bytes as one word (the closing quote and more follow the key, but
        // near the end of the buffer fall back to bytes).
        let word = start + 8 <= b.count
            ? UnsafeRawPointer(b.baseAddress!).loadUnaligned(fromByteOffset: start, as: UInt64.self)
            : JSONLDecoder.word(b, start, min(length, 8))
        let mask: UInt64 = length >= 8 ? .max : (1 << (8 * UInt64(length))) - 1
        while index >= 0 {
            if word & mask == keyWords[index] {
                if length <= 8 { return index }
                // The rest a word at a time, the last word overlapping the one before: both
                // the line's key and the stored one are at least eight bytes long here.
                let line = UnsafeRawPointer(b.baseAddress! + start)
                let key = UnsafeRawPointer(keys.baseAddress! + keyStarts[index])
                var same = true
                var k = 8
                while k &+ 8 < length {
                    if line.loadUnaligned(fromByteOffset: k, as: UInt64.self)
                        != key.loadUnaligned(fromByteOffset: k, as: UInt64.self) { same = false; break }
                    k &+= 8
                }
                if same && line.loadUnaligned(fromByteOffset: length &- 8, as: UInt64.self)
                    == key.loadUnaligned(fromByteOffset: length &- 8, as: UInt64.self) { return index }
            }
            index = Int(nextKeyOfLength[index])
        }
        return -1
    }

    /// `true`, `false` or `null` at `b[p]`, compared as one word, leaving `p` after it; nil,
    /// leaving `p`, for anything else. Most lines have three or four of them: a byte-by-byte
    /// compare was 1.6 % of a JSON Lines scan.
    @inline(__always)
    private static func literal(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int) -> FieldValue? {
        guard p &+ 4 <= b.count else { return nil }
        switch UInt32(littleEndian: UnsafeRawPointer(b.baseAddress! + p).loadUnaligned(as: UInt32.self)) {
        case 0x6575_7274:   // "true"
            p &+= 4
            return .bool(true)
        case 0x6C6C_756E:   // "null"
            p &+= 4
            return .null
        case 0x736C_6166 where p &+ 5 <= b.count && b[p &+ 4] == UInt8(ascii: "e"):   // "fals" "e"
            p &+= 5
            return .bool(false)
        default:
            return nil
        }
    }

    /// Scans the string, number or literal at `b[p]` and returns it as a field value; nil,
    /// leaving `p`, when no such value starts there.
    @inline(__always)
    private func scanScalar(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, _ nonASCII: inout Bool) throws -> FieldValue? {
        let start = p
        switch b[p] {
        case UInt8(ascii: "\""):
            let escaped = try scanString(b, &p, &nonASCII)
            return .text(start: Int32(start + 1), end: Int32(p - 1), escaped: escaped)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let integer = try scanNumber(b, &p)
            return .number(start: Int32(start), end: Int32(p), integer: integer)
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            guard let literal = JSONLDecoder.literal(b, &p) else {
                throw Failure.invalid("invalid literal at column \(p + 1)")
            }
            return literal
        default:
            return nil
        }
    }

    /// Scans a string starting at its opening quote; leaves `p` after the closing quote.
    /// Returns whether it contains escapes.
    private func scanString(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, _ nonASCII: inout Bool) throws -> Bool {
        let n = b.count
        var i = p + 1
        var escaped = false
        let raw = UnsafeRawPointer(b.baseAddress!)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var wide: UInt64 = 0
        while true {
            // To the next quote, backslash or control byte, eight bytes at a time: the lowest
            // flagged byte of a word is exact (borrows only run upwards), so the loop jumps
            // straight to it instead of re-reading the word byte by byte.
            var found = false
            while i &+ 8 <= n {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let q = w ^ (ones &* 0x22)
                let s = w ^ (ones &* 0x5C)
                // Bytes below 0x20 (valid for bytes without the high bit; others are not control).
                let hit = ((q &- ones) & ~q | (s &- ones) & ~s | (w &- ones &* 0x20) & ~w) & highs
                if hit != 0 {
                    let k = hit.trailingZeroBitCount >> 3
                    wide |= k == 0 ? 0 : w & (UInt64.max >> (64 &- 8 &* UInt64(k)))
                    i &+= k
                    found = true
                    break
                }
                wide |= w
                i &+= 8
            }
            if !found {
                while i < n {
                    let c = b[i]
                    if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 { found = true; break }
                    wide |= UInt64(c)
                    i += 1
                }
                if !found { throw Failure.invalid("unterminated string") }
            }
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                p = i + 1
                if wide & highs != 0 { nonASCII = true }
                return escaped
            }
            if c < 0x20 { throw Failure.invalid("control character in a string at column \(i + 1)") }
            escaped = true
            guard i + 1 < n else { throw Failure.invalid("unterminated string") }
            switch b[i + 1] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                 UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                i += 2
            case UInt8(ascii: "u"):
                guard i + 5 < n else { throw Failure.invalid("truncated \\u escape at column \(i + 1)") }
                for k in 2...5 where FieldText.hexValue(b[i + k]) == nil {
                    throw Failure.invalid("invalid \\u escape at column \(i + 1)")
                }
                i += 6
            default:
                throw Failure.invalid("invalid escape at column \(i + 1)")
            }
        }
    }

    /// Scans a number; returns whether it is an integer (no fraction, no exponent).
    private func scanNumber(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int) throws -> Bool {
        let n = b.count
        var i = p
        @inline(__always) func isDigit(_ i: Int) -> Bool { i < n && b[i] >= 0x30 && b[i] <= 0x39 }
        if b[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { throw Failure.invalid("invalid number at column \(p + 1)") }
        if b[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            while isDigit(i) { i += 1 }
        }
        var integer = true
        if i < n && b[i] == UInt8(ascii: ".") {
            integer = false
            i += 1
            guard isDigit(i) else { throw Failure.invalid("invalid number at column \(p + 1)") }
            while isDigit(i) { i += 1 }
        }
        if i < n && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
            integer = false
            i += 1
            if i < n && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) { i += 1 }
            guard isDigit(i) else { throw Failure.invalid("invalid number at column \(p + 1)") }
            while isDigit(i) { i += 1 }
        }
        p = i
        return integer
    }
}
