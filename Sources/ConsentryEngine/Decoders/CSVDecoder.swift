import CMemory
import ConsentryModel
import Glibc

/// Cuts RFC 4180 CSV into records, fed in chunks of any size.
///
/// A byte-level state machine: it never makes a `String`, it records where each interpreted
/// field lies and hands over whole records. A record cut by a chunk boundary is kept in
/// `carry` until the rest arrives, so the same bytes cut anywhere give the same records.
///
/// Choices where RFC 4180 is silent (the README lists them): a `"` opens a quoted field
/// only as the first byte of the field; a stray `"` in an unquoted field is data; bytes
/// after a closing quote are appended as data; a CR before the record's LF is dropped, any
/// other CR is data; a line that holds only spaces and tabs is not a record.
public final class CSVDecoder {
    public struct Configuration: Sendable {
        public var delimiter: UInt8
        public var maxRecordBytes: Int
        /// For each column, the ``RecordField`` raw value it feeds, or -1.
        public var columnFields: [Int8]
        /// The header's field count; 0 while reading the header itself (no check).
        public var columnCount: Int

        public init(delimiter: UInt8 = UInt8(ascii: ","), maxRecordBytes: Int = 1 << 20,
                    columnFields: [Int8] = [], columnCount: Int = 0) {
            self.delimiter = delimiter
            self.maxRecordBytes = maxRecordBytes
            self.columnFields = columnFields
            self.columnCount = columnCount
        }
    }

    private enum State {
        case recordStart, fieldStart, unquoted, quoted, quoteInQuoted, skipping
        /// The record is too long but fewer than 201 of its bytes have arrived: they are kept
        /// until its excerpt is certain (at 201 bytes or the line feed), whatever the chunking.
        case tooLong
    }

    private static let quote = UInt8(ascii: "\"")
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")
    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// How many bytes of a rejected record are kept as its excerpt.
    public static let excerptBytes = 200

    public let configuration: Configuration
    /// Added to every line number handed out (lines are 1-based after it).
    @exclusivity(unchecked) public var lineOrigin = 0
    /// LF bytes seen so far.
    @exclusivity(unchecked) public private(set) var lineFeeds = 0
    /// Absolute offset of the next byte to be fed.
    @exclusivity(unchecked) public private(set) var offset: Int

    @exclusivity(unchecked) private var state = State.recordStart
    @exclusivity(unchecked) private var checkingBOM: Bool
    @exclusivity(unchecked) private var bomMatched = 0
    /// The bytes of the pending record, from its first byte, when a feed ended inside it.
    @exclusivity(unchecked) private var carry: [UInt8] = []
    @exclusivity(unchecked) private var carryOffset = 0
    @exclusivity(unchecked) private var recordLine = 0
    @exclusivity(unchecked) private var recordOffset = 0
    @exclusivity(unchecked) private var fieldIndex = 0
    @exclusivity(unchecked) private var fieldStart = 0
    @exclusivity(unchecked) private var fieldQuoted = false
    @exclusivity(unchecked) private var nonASCII = false
    private let fields: UnsafeMutableBufferPointer<FieldValue>
    private let problems = RawRecord.ProblemSlot()
    /// `configuration.columnFields`, held outside any array so the per-field lookup in the
    /// hot loop costs no reference counting.
    private let columnFields: UnsafeMutableBufferPointer<Int8>
    private let columnFieldCount: Int
    /// Whether a record's fields must be cleared before it is read: not when every mapped
    /// column is among the fields of each record that can be read (see ``scan``).
    private let clearsFields: Bool
    /// Builds the 64-byte blocks' masks of ``scanPlainRecord``.
    private let blockMasks = BlockMasks()
    /// When set, every field's span is kept in `allFields` (for reading a header).
    @exclusivity(unchecked) public var collectsAllFields = false
    /// The spans of all fields of the last record, relative to its first byte, when
    /// `collectsAllFields` is set.
    @exclusivity(unchecked) public private(set) var allFields: [(start: Int, end: Int, quoted: Bool)] = []

    /// Creates a decoder whose first fed byte is at absolute `offset`; `atStreamStart`
    /// skips a UTF-8 byte order mark.
    public init(_ configuration: Configuration, offset: Int = 0, atStreamStart: Bool = false) {
        self.configuration = configuration
        self.offset = offset
        self.checkingBOM = atStreamStart
        fields = .allocate(capacity: RecordField.allCases.count)
        fields.initialize(repeating: .absent)
        columnFields = .allocate(capacity: max(configuration.columnFields.count, 1))
        _ = columnFields.initialize(from: configuration.columnFields)
        columnFieldCount = configuration.columnFields.count
        clearsFields = configuration.columnCount == 0 || columnFieldCount > configuration.columnCount
    }

    deinit {
        fields.deallocate()
        columnFields.deallocate()
    }

    /// Whether the decoder is between records (nothing pending, not skipping).
    public var isAtRecordBoundary: Bool { state == .recordStart }

    /// Feeds the next bytes; calls `emit` for each complete record.
    ///
    /// `emit` returns false to stop: the decoder then stands at the next record and `feed`
    /// returns how many bytes it consumed. Otherwise it returns `bytes.count`.
    @discardableResult
    public func feed(_ bytes: UnsafeBufferPointer<UInt8>, emit: (inout RawRecord) -> Bool) -> Int {
        var input = bytes
        var consumedPrefix = 0
        if checkingBOM {
            var i = 0
            while i < input.count && bomMatched < 3 && input[i] == CSVDecoder.bom[bomMatched] {
                bomMatched += 1
                i += 1
            }
            offset += i
            consumedPrefix = i
            if bomMatched == 3 {
                checkingBOM = false
            } else if i < input.count {
                // Not a byte order mark: the bytes matched so far are data.
                checkingBOM = false
                if bomMatched > 0 {
                    offset -= bomMatched
                    let prefix = Array(CSVDecoder.bom[0..<bomMatched])
                    var stopped = false
                    prefix.withUnsafeBufferPointer { p in
                        stopped = feedCore(p, emit: emit) < p.count
                    }
                    if stopped { return 0 }
                }
            } else {
                return input.count
            }
            input = UnsafeBufferPointer(rebasing: input[i...])
        }
        return consumedPrefix + feedCore(input, emit: emit)
    }

    private func feedCore(_ input: UnsafeBufferPointer<UInt8>, emit: (inout RawRecord) -> Bool) -> Int {
        guard input.count > 0 else { return 0 }
        let midRecord = state != .recordStart && state != .skipping
        if !midRecord {
            carry.removeAll(keepingCapacity: true)
            let (used, pending) = scan(input, from: 0, recordStart: 0, bufferOffset: offset, emit: emit)
            if let pending {
                carry.append(contentsOf: UnsafeBufferPointer(rebasing: input[pending..<used]))
                carryOffset = offset + pending
            }
            offset += used
            return used
        }
        let resume = carry.count
        carry.append(contentsOf: input)
        var result: (Int, Int?) = (0, nil)
        let base = carryOffset
        carry.withUnsafeBufferPointer { buf in
            result = scan(buf, from: resume, recordStart: 0, bufferOffset: base, emit: emit)
        }
        let (used, pending) = result
        if let pending {
            carry.removeSubrange(0..<pending)
            carryOffset = base + pending
        } else {
            carry.removeAll(keepingCapacity: true)
        }
        let consumed = used - resume
        offset += consumed
        return consumed
    }

    /// Signals the end of the input: emits the last record, or an `unterminatedQuote`.
    public func finish(emit: (inout RawRecord) -> Bool) {
        if checkingBOM && bomMatched > 0 {
            checkingBOM = false
            offset -= bomMatched
            let prefix = Array(CSVDecoder.bom[0..<bomMatched])
            prefix.withUnsafeBufferPointer { p in _ = feedCore(p, emit: emit) }
        }
        checkingBOM = false
        switch state {
        case .recordStart, .skipping:
            break
        case .quoted:
            carry.withUnsafeBufferPointer { buf in
                var record = makeRecord(buf, start: 0, end: min(buf.count, CSVDecoder.excerptBytes),
                                        error: .unterminatedQuote)
                _ = emit(&record)
            }
        case .tooLong:
            carry.withUnsafeBufferPointer { buf in
                var end = buf.count
                if end > 0 && buf[end - 1] == CSVDecoder.cr { end -= 1 }
                var record = makeRecord(buf, start: 0, end: min(end, CSVDecoder.excerptBytes), error: .recordTooLong)
                _ = emit(&record)
            }
        case .fieldStart, .unquoted, .quoteInQuoted:
            carry.withUnsafeBufferPointer { buf in
                var end = buf.count
                if end > 0 && buf[end - 1] == CSVDecoder.cr { end -= 1 }
                _ = endRecord(buf, start: 0, end: end, emit: emit)
            }
        }
        carry.removeAll()
        state = .recordStart
    }

    private func makeRecord(_ buf: UnsafeBufferPointer<UInt8>, start: Int, end: Int,
                            error: StructuralError?) -> RawRecord {
        RawRecord(
            bytes: UnsafeBufferPointer(rebasing: buf[start..<min(end, buf.count)]),
            line: lineOrigin + recordLine + 1,
            offset: recordOffset,
            problem: problems.hold(error),
            hasNonASCII: nonASCII,
            fields: UnsafeBufferPointer(fields))
    }

    @inline(__always)
    private func endField(_ start: Int, _ end: Int) {
        keepField(fieldIndex, from: fieldStart, to: end - start, quoted: fieldQuoted, collecting: collectsAllFields)
        fieldIndex += 1
        fieldQuoted = false
    }

    /// Keeps field `index` of the record, `from..<to` relative to its first byte, where its
    /// column's field wants it. Positions fit 32 bits: a record is at most
    /// `InputOptions.maxRecordBytesLimit` long.
    @inline(__always)
    private func keepField(_ index: Int, from: Int, to: Int, quoted: Bool, collecting: Bool) {
        if collecting { allFields.append((from, to, quoted)) }
        CSVDecoder.place(index, from: from, to: to, quoted: quoted, map: columnFields.baseAddress!,
                         mapped: columnFieldCount, into: fields.baseAddress!)
    }

    /// Writes field `index` (`from..<to`) to `values` where `map` (of `mapped` columns) says
    /// its column goes, if anywhere.
    @inline(__always)
    private static func place(_ index: Int, from: Int, to: Int, quoted: Bool, map: UnsafeMutablePointer<Int8>,
                              mapped: Int, into values: UnsafeMutablePointer<FieldValue>) {
        guard index < mapped else { return }
        let target = Int(map[index])
        if target >= 0 {
            values[target] = .text(start: Int32(truncatingIfNeeded: from), end: Int32(truncatingIfNeeded: to), escaped: quoted)
        }
    }

    /// Finishes the record in `buf[start..<end]`; returns what `emit` returned.
    private func endRecord(_ buf: UnsafeBufferPointer<UInt8>, start: Int, end: Int,
                           emit: (inout RawRecord) -> Bool) -> Bool {
        endField(start, end)
        let length = end - start
        if length > configuration.maxRecordBytes {
            var record = makeRecord(buf, start: start, end: min(end, start + CSVDecoder.excerptBytes),
                                    error: .recordTooLong)
            return emit(&record)
        }
        var blank = true
        var i = start
        while i < end {
            let c = buf[i]
            if c != 0x20 && c != 0x09 { blank = false; break }
            i += 1
        }
        if blank { return true }
        let expected = configuration.columnCount
        // Two calls rather than an optional error for both: the optional, its `String`
        // cases aside, was consumed by a call per record.
        if expected > 0 && fieldIndex != expected {
            var record = makeRecord(buf, start: start, end: end, error: .fieldCount(expected: expected, found: fieldIndex))
            return emit(&record)
        }
        var record = makeRecord(buf, start: start, end: end, error: nil)
        return emit(&record)
    }

    /// Ends the record at the line feed at `lineFeed` (dropping a CR before it).
    @inline(__always)
    private func endLine(_ buf: UnsafeBufferPointer<UInt8>, recordStart rs: Int, lineFeed: Int,
                         emit: (inout RawRecord) -> Bool) -> Bool {
        lineFeeds += 1
        var end = lineFeed
        if end > rs && buf[end - 1] == CSVDecoder.cr { end -= 1 }
        state = .recordStart
        return endRecord(buf, start: rs, end: end, emit: emit)
    }

    private func beginRecord() {
        fieldIndex = 0
        fieldStart = 0
        fieldQuoted = false
        nonASCII = false
        for f in 0..<fields.count { fields[f] = .absent }
        if collectsAllFields { allFields.removeAll(keepingCapacity: true) }
    }

    /// The index of the first delimiter or line feed at or after `from`, or `buf.count`; the
    /// bytes before it are ORed into `seen` (bit 7 set: a byte outside ASCII).
    ///
    /// Eight bytes at a time: a word with neither is skipped whole, and in one with either
    /// the lowest flagged byte is exact (borrows only run upwards).
    @inline(__always)
    private func fieldEnd(_ buf: UnsafeBufferPointer<UInt8>, from: Int, seen: inout UInt64) -> Int {
        let n = buf.count
        let delimiter = configuration.delimiter
        let raw = UnsafeRawPointer(buf.baseAddress!)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let delimiters = ones &* UInt64(delimiter)
        let feedBytes = ones &* UInt64(CSVDecoder.lf)
        var j = from
        while j &+ 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: j, as: UInt64.self)
            let d = w ^ delimiters
            let l = w ^ feedBytes
            let hit = ((d &- ones) & ~d | (l &- ones) & ~l) & 0x8080_8080_8080_8080
            if hit != 0 {
                let k = hit.trailingZeroBitCount >> 3
                seen |= k == 0 ? 0 : w & (UInt64.max >> (64 &- 8 &* UInt64(k)))
                return j &+ k
            }
            seen |= w
            j &+= 8
        }
        while j < n {
            let c = buf[j]
            if c == delimiter || c == CSVDecoder.lf { break }
            seen |= UInt64(c)
            j &+= 1
        }
        return j
    }

    /// The field ends, line feeds, quotes and non-ASCII bytes of 64 bytes of the buffer being
    /// scanned, a bit per byte from `base`.
    private struct Block {
        var base: Int
        var ends: UInt64 = 0
        var feeds: UInt64 = 0
        var quotes: UInt64 = 0
        var high: UInt64 = 0
        /// No block yet: every position is past it.
        static let none = Block(base: -64)
    }

    /// Makes `block` the one holding `j`, first adding the non-ASCII bits of the record's
    /// bytes from `from` in the block before to `high`; false when fewer than 64 bytes are
    /// left in `buf`.
    @inline(__always)
    private func load(_ buf: UnsafeBufferPointer<UInt8>, _ j: Int, _ block: inout Block, _ high: inout UInt64,
                      _ from: inout Int) -> Bool {
        guard UInt(bitPattern: j &- block.base) >= 64 else { return true }
        guard buf.count &- j >= 64 else { return false }
        if from < j { high |= block.high &>> UInt64(from &- block.base) }
        from = j
        let masks = blockMasks.csv(buf.baseAddress! + j, delimiter: configuration.delimiter)
        block = Block(base: j, ends: masks.ends, feeds: masks.feeds, quotes: masks.quotes, high: masks.high)
        return true
    }

    /// Decodes the record at `rs` in one pass when it is the common kind: its quoted fields
    /// (if any) hold no line feed and no escaped quote and are followed by the delimiter or
    /// the line feed, and its line feed is in `buf` within `maxRecordBytes`, with 64 bytes of
    /// `buf` after each block it starts. Returns the index of that line feed, having ended
    /// every field but the last; nil otherwise.
    ///
    /// The fields' ends and the quoted fields' closing quotes come from bit masks of 64 bytes
    /// at a time (`block`, carried from record to record). The ends still ahead in the block
    /// are kept as bits (`ends`), and each field takes the lowest (a count of trailing zeros
    /// and a clear) rather than shifting the block's mask to its start and testing whether
    /// it has left the block. The loop has one unpredictable branch per record, at its line
    /// feed, where walking the bytes had one per field and the general state machine two or
    /// more.
    @inline(__always)
    private func scanPlainRecord(_ buf: UnsafeBufferPointer<UInt8>, from rs: Int, block: inout Block) -> Int? {
        let n = buf.count
        let limit = rs &+ configuration.maxRecordBytes
        // In locals: the class's properties would be loaded again for every field.
        let fieldValues = fields.baseAddress!
        let columnMap = columnFields.baseAddress!
        let mapped = columnFieldCount
        let collecting = collectsAllFields
        // The record's bytes before `from` are in `high`.
        var high: UInt64 = 0
        var from = rs
        guard load(buf, rs, &block, &high, &from) else { return nil }
        // The field ends at or after the field being read, among the block's.
        var ends = block.ends & (UInt64.max &<< UInt64(rs &- block.base))
        // The field being read, kept here rather than in the decoder's properties, which the
        // optimizer must load and store around every field's write to `fields`; handed to
        // them when the record is whole. `start` is absolute: within `block`, or the byte
        // just after it.
        var index = 0
        var start = rs
        var quoted = false
        while true {
            guard start < n else { return nil }
            if buf[start] == CSVDecoder.quote {
                // To the closing quote; the delimiter or the line feed must follow it. The
                // block holding the opening quote first, so that `from` lies in `block`.
                guard load(buf, start, &block, &high, &from) else { return nil }
                var q = start &+ 1
                while true {
                    guard load(buf, q, &block, &high, &from) else { return nil }
                    let shift = UInt64(q &- block.base)
                    let quotes = block.quotes &>> shift
                    let feeds = block.feeds &>> shift
                    if quotes != 0 {
                        let k = quotes.trailingZeroBitCount
                        // A line feed inside: the state machine counts the lines.
                        if feeds & ((1 &<< UInt64(k)) &- 1) != 0 { return nil }
                        q &+= k
                        break
                    }
                    if feeds != 0 { return nil }
                    q = block.base &+ 64
                    if q > limit { return nil }
                }
                let after = q &+ 1
                guard after < n, after <= limit,
                      buf[after] == configuration.delimiter || buf[after] == CSVDecoder.lf else { return nil }
                quoted = true
                // The closing quote is in `block`, so `after` is in it or just past it.
                let shift = after &- block.base
                ends = shift < 64 ? block.ends & (UInt64.max &<< UInt64(shift)) : 0
            }
            while ends == 0 {
                let next = block.base &+ 64
                if next > limit { return nil }
                guard load(buf, next, &block, &high, &from) else { return nil }
                ends = block.ends
            }
            let k = ends.trailingZeroBitCount
            ends &= ends &- 1
            let j = block.base &+ k
            if block.feeds &>> UInt64(k) & 1 != 0 {
                if j > limit { return nil }
                let tail = (1 as UInt64) &<< UInt64(j &- from) &- 1
                high |= block.high &>> UInt64(from &- block.base) & tail
                if high != 0 { nonASCII = true }
                fieldIndex = index
                fieldStart = start &- rs
                fieldQuoted = quoted
                return j
            }
            if collecting { allFields.append((start &- rs, j &- rs, quoted)) }
            CSVDecoder.place(index, from: start &- rs, to: j &- rs, quoted: quoted, map: columnMap, mapped: mapped,
                             into: fieldValues)
            index &+= 1
            quoted = false
            start = j &+ 1
        }
    }

    /// Runs the state machine over `buf` from `from`; the pending record (if any) starts at
    /// `recordStart`. Returns the index where it stopped and the start of a record still
    /// open there.
    private func scan(_ buf: UnsafeBufferPointer<UInt8>, from: Int, recordStart: Int,
                      bufferOffset: Int, emit: (inout RawRecord) -> Bool) -> (Int, Int?) {
        let n = buf.count
        let delimiter = configuration.delimiter
        let maxRecordBytes = configuration.maxRecordBytes
        let quote = CSVDecoder.quote
        let lf = CSVDecoder.lf
        var i = from
        var rs = recordStart
        var block = Block.none
        while i < n {
            switch state {
            case .skipping:
                guard let hit = memchr(buf.baseAddress! + i, Int32(lf), n - i) else {
                    i = n
                    continue
                }
                i = buf.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
                lineFeeds += 1
                state = .recordStart

            case .tooLong:
                if let hit = memchr(buf.baseAddress! + i, Int32(lf), n - i) {
                    let p = buf.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    lineFeeds += 1
                    var end = p
                    if end > rs && buf[end - 1] == CSVDecoder.cr { end -= 1 }
                    state = .recordStart
                    i = p + 1
                    var record = makeRecord(buf, start: rs, end: min(end, rs + CSVDecoder.excerptBytes),
                                            error: .recordTooLong)
                    if !emit(&record) { return (i, nil) }
                } else {
                    i = n
                    if n - rs > CSVDecoder.excerptBytes {
                        state = .skipping
                        var record = makeRecord(buf, start: rs, end: rs + CSVDecoder.excerptBytes, error: .recordTooLong)
                        _ = emit(&record)
                    }
                }

            case .recordStart:
                rs = i
                recordLine = lineFeeds
                recordOffset = bufferOffset + i
                // The one-pass decoder keeps its own field state, and writes every mapped field
                // of a record with the header's field count when the header maps no column
                // past it (as a scan's does); a record with another count is rejected before
                // its fields are read. So only a header itself (no count to check) needs the
                // fields cleared first: clearing them was a twentieth of the decoder's work.
                if clearsFields || collectsAllFields { beginRecord() } else { nonASCII = false }
                if let lineFeed = scanPlainRecord(buf, from: rs, block: &block) {
                    i = lineFeed + 1
                    if !endLine(buf, recordStart: rs, lineFeed: lineFeed, emit: emit) { return (i, nil) }
                    continue
                }
                // A quoted field that holds a line feed or an escaped quote, or has data after
                // its closing quote; or cut by the chunk, or too long: the state machine decodes
                // it from its start.
                beginRecord()
                state = .fieldStart

            case .fieldStart:
                let c = buf[i]
                if c == quote {
                    fieldQuoted = true
                    state = .quoted
                    i += 1
                } else if c == delimiter {
                    endField(rs, i)
                    fieldStart = i + 1 - rs
                    i += 1
                } else if c == lf {
                    i += 1
                    if !endLine(buf, recordStart: rs, lineFeed: i - 1, emit: emit) { return (i, nil) }
                } else {
                    state = .unquoted
                }

            case .unquoted:
                var seen: UInt64 = 0
                let j = fieldEnd(buf, from: i, seen: &seen)
                if seen & 0x8080_8080_8080_8080 != 0 { nonASCII = true }
                i = j
                if j == n { continue }
                if buf[j] == delimiter {
                    endField(rs, j)
                    fieldStart = j + 1 - rs
                    state = .fieldStart
                    i = j + 1
                } else {
                    i = j + 1
                    if !endLine(buf, recordStart: rs, lineFeed: j, emit: emit) { return (i, nil) }
                }

            case .quoted:
                var j = i
                var acc: UInt8 = 0
                var tooLong = false
                while j < n {
                    let c = buf[j]
                    if c == quote { break }
                    if c == lf {
                        lineFeeds += 1
                        if j - rs + 1 > maxRecordBytes { tooLong = true; break }
                    }
                    acc |= c
                    j += 1
                }
                if acc >= 0x80 { nonASCII = true }
                if tooLong {
                    // Reading resumes after this line break (contract §1.4).
                    state = .recordStart
                    i = j + 1
                    let stop = buf[j - 1] == CSVDecoder.cr ? j - 1 : j
                    var record = makeRecord(buf, start: rs, end: min(stop, rs + CSVDecoder.excerptBytes),
                                            error: .recordTooLong)
                    if !emit(&record) { return (i, nil) }
                    continue
                }
                i = j
                if j < n {
                    state = .quoteInQuoted
                    i = j + 1
                }

            case .quoteInQuoted:
                let c = buf[i]
                if c == quote {
                    state = .quoted
                    i += 1
                } else if c == delimiter {
                    endField(rs, i)
                    fieldStart = i + 1 - rs
                    state = .fieldStart
                    i += 1
                } else if c == lf {
                    i += 1
                    if !endLine(buf, recordStart: rs, lineFeed: i - 1, emit: emit) { return (i, nil) }
                } else {
                    state = .unquoted
                }
            }
        }
        switch state {
        case .recordStart, .skipping:
            return (n, nil)
        case .tooLong:
            return (n, rs)
        default:
            var pending = n - rs
            if state != .quoted && buf[n - 1] == CSVDecoder.cr { pending -= 1 }
            guard pending > maxRecordBytes else { return (n, rs) }
            // Over the limit before its line feed: reading resumes after the next one. The
            // excerpt is the record's first 200 bytes up to that line feed, so it waits until
            // those are certain.
            guard n - rs > CSVDecoder.excerptBytes else {
                state = .tooLong
                return (n, rs)
            }
            state = .skipping
            var record = makeRecord(buf, start: rs, end: rs + CSVDecoder.excerptBytes, error: .recordTooLong)
            _ = emit(&record)
            return (n, nil)
        }
    }
}
