import ConsentryModel

/// Decodes a raw DEFLATE stream (RFC 1951), fed in chunks of any size into output space of
/// any size.
///
/// A state machine that suspends between any two symbols, and inside a match or a stored
/// block, when the input runs out or the output is full. When at least 16 input bytes and
/// 274 bytes of output space are at hand it runs a fast loop (libdeflate's design): a 64-bit
/// bit buffer refilled 8 bytes at a time without branches, 11-bit (lengths) and 8-bit
/// (distances) lookup tables whose entries carry the extra-bit counts, and matches copied
/// 8 bytes at a time. That decodes the nightly exports about 1.5 times as fast as zlib's
/// `inflate` (measured in the README), which is the scan's single-threaded floor.
///
/// Output goes straight into the caller's buffer; the last 32 KiB of the stream are kept in
/// a window for matches that reach back before the current buffer. The decoder never reads
/// past the input it is given, and reports a stream that needs more input by returning
/// without having ended (the caller decides whether more input exists).
final class DeflateDecoder {
    /// A broken stream; `reason` says what was wrong, in zlib's words where it has them.
    struct Corrupt: Error {
        var reason: String
    }

    private enum Step {
        case blockHeader, storedLength, stored, tableCounts, codeLengthCodes, codeLengths, codes, copy, done
    }

    private var step = Step.blockHeader
    private var finalBlock = false

    /// Bits not yet used, lowest first. Bits above `bitCount` are zero or the stream's next bits.
    private var bits: UInt64 = 0
    private var bitCount: UInt64 = 0

    private var storedRemaining = 0
    private var lengthCodes = 0
    private var distanceCodes = 0
    private var codeLengthCount = 0
    private var lengthIndex = 0
    private let lengths: UnsafeMutablePointer<UInt8>

    private var copyLength = 0
    private var copyDistance = 0

    private let literalTable: UnsafeMutablePointer<UInt32>
    private let distanceTable: UnsafeMutablePointer<UInt32>
    private let codeLengthTable: UnsafeMutablePointer<UInt32>

    static let windowSize = 1 << 15
    private let window: UnsafeMutablePointer<UInt8>
    /// Bytes of the stream held in `window` (at most `windowSize`), its last bytes at the end.
    private var windowCount = 0

    // Table entries (UInt32): bits 0-4 the bits to consume (code plus extra bits; for a
    // subtable link the root bits), bit 5 literal, bit 6 exceptional (end of block, invalid
    // or link), bit 7 subtable link, bits 8-11 the code length (for a link: the subtable's
    // bits), bit 12 invalid, bits 16-31 the value (literal, base length or distance, or the
    // subtable's offset).
    private static let literalFlag: UInt32 = 1 << 5
    private static let exceptionalFlag: UInt32 = 1 << 6
    private static let subtableFlag: UInt32 = 1 << 7
    private static let invalid: UInt32 = exceptionalFlag | (1 << 12)
    private static let literalRootBits = 11
    private static let distanceRootBits = 8
    /// Largest table a valid code can need with these root bits (zlib's `enough`, as libdeflate
    /// computes it: 2342 and 402), with room to spare; the builder also checks.
    private static let literalTableSize = 2342 + 64
    private static let distanceTableSize = 402 + 64

    private static let lengthBase: [UInt16] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
                                               67, 83, 99, 115, 131, 163, 195, 227, 258]
    private static let lengthExtra: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4,
                                               5, 5, 5, 5, 0]
    private static let distanceBase: [UInt16] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385,
                                                 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    private static let distanceExtra: [UInt8] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10,
                                                 10, 11, 11, 12, 12, 13, 13]
    private static let codeLengthOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    init() {
        lengths = .allocate(capacity: 320)
        literalTable = .allocate(capacity: DeflateDecoder.literalTableSize)
        distanceTable = .allocate(capacity: DeflateDecoder.distanceTableSize)
        codeLengthTable = .allocate(capacity: 128)
        window = .allocate(capacity: DeflateDecoder.windowSize)
    }

    deinit {
        lengths.deallocate()
        literalTable.deallocate()
        distanceTable.deallocate()
        codeLengthTable.deallocate()
        window.deallocate()
    }

    /// Starts a new stream (the next gzip member). Call when the bit buffer is byte-aligned.
    func reset() {
        step = .blockHeader
        finalBlock = false
        windowCount = 0
    }

    // MARK: - Bytes, for the gzip framing around the stream

    /// Drops the bits up to the next byte boundary (after the end of a stream).
    func alignToByte() {
        let drop = bitCount & 7
        bits &>>= drop
        bitCount &-= drop
    }

    /// The next byte after the bits already buffered, or nil when `input` is used up.
    func readByte(_ input: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UInt8? {
        if bitCount >= 8 {
            let byte = UInt8(truncatingIfNeeded: bits)
            bits &>>= 8
            bitCount &-= 8
            return byte
        }
        guard input < end else { return nil }
        // Byte-aligned and empty: whatever sits above bitCount was read ahead from `input`.
        bits = 0
        bitCount = 0
        let byte = input.pointee
        input += 1
        return byte
    }

    /// The byte `readByte` would return, without taking it.
    func peekByte(_ input: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UInt8? {
        if bitCount >= 8 { return UInt8(truncatingIfNeeded: bits) }
        return input < end ? input.pointee : nil
    }

    // MARK: - Window

    /// Appends the output `bytes` just produced to the window.
    func retain(_ bytes: UnsafeBufferPointer<UInt8>) {
        let n = bytes.count
        guard n > 0 else { return }
        let size = DeflateDecoder.windowSize
        if n >= size {
            window.update(from: bytes.baseAddress! + (n - size), count: size)
            windowCount = size
            return
        }
        let keep = min(windowCount, size - n)
        if keep < windowCount {
            window.update(from: window + (windowCount - keep), count: keep)
        }
        (window + keep).update(from: bytes.baseAddress!, count: n)
        windowCount = keep + n
    }

    // MARK: - Decoding

    /// Decodes from `input` into `output` until the stream ends (returns true), the input is
    /// used up, or the output is full.
    ///
    /// `output` starts where this call's bytes go; what the stream produced before it must
    /// have been handed to `retain`.
    func decode(_ input: inout UnsafePointer<UInt8>, _ inputEnd: UnsafePointer<UInt8>,
                _ output: inout UnsafeMutablePointer<UInt8>, _ outputEnd: UnsafeMutablePointer<UInt8>) throws -> Bool {
        let base = output
        while true {
            switch step {
            case .done:
                return true
            case .blockHeader:
                guard fill(3, &input, inputEnd) else { return false }
                finalBlock = take(1) == 1
                switch take(2) {
                case 0:
                    alignToByte()
                    step = .storedLength
                case 1:
                    DeflateDecoder.fixedTables.copy(into: literalTable, distanceTable)
                    step = .codes
                case 2:
                    step = .tableCounts
                default:
                    throw Corrupt(reason: "invalid block type")
                }
            case .storedLength:
                guard fill(32, &input, inputEnd) else { return false }
                let length = Int(take(16))
                let complement = Int(take(16))
                guard length == complement ^ 0xFFFF else { throw Corrupt(reason: "invalid stored block lengths") }
                storedRemaining = length
                step = .stored
            case .stored:
                while storedRemaining > 0 {
                    guard output < outputEnd else { return false }
                    if let byte = bitCount >= 8 ? readByte(&input, inputEnd) : nil {
                        output.pointee = byte
                        output += 1
                        storedRemaining -= 1
                        continue
                    }
                    let n = min(storedRemaining, inputEnd - input, outputEnd - output)
                    guard n > 0 else { return false }
                    // Bytes read ahead into the empty bit buffer are taken directly now.
                    bits = 0
                    output.update(from: input, count: n)
                    output += n
                    input += n
                    storedRemaining -= n
                }
                step = finalBlock ? .done : .blockHeader
            case .tableCounts:
                guard fill(14, &input, inputEnd) else { return false }
                lengthCodes = Int(take(5)) + 257
                distanceCodes = Int(take(5)) + 1
                codeLengthCount = Int(take(4)) + 4
                guard lengthCodes <= 286, distanceCodes <= 30 else {
                    throw Corrupt(reason: "too many length or distance symbols")
                }
                lengthIndex = 0
                for i in 0..<19 { lengths[i] = 0 }
                step = .codeLengthCodes
            case .codeLengthCodes:
                while lengthIndex < codeLengthCount {
                    guard fill(3, &input, inputEnd) else { return false }
                    lengths[DeflateDecoder.codeLengthOrder[lengthIndex]] = UInt8(take(3))
                    lengthIndex += 1
                }
                let ok = DeflateDecoder.buildTable(lengths, count: 19, rootBits: 7, into: codeLengthTable, capacity: 128,
                                                   complete: true) { symbol, length in
                    (UInt32(symbol) << 16) | UInt32(length)
                }
                guard ok else { throw Corrupt(reason: "invalid code lengths set") }
                lengthIndex = 0
                step = .codeLengths
            case .codeLengths:
                guard try readCodeLengths(&input, inputEnd) else { return false }
                guard lengths[256] != 0 else { throw Corrupt(reason: "invalid code -- missing end-of-block") }
                let literalsOK = DeflateDecoder.buildTable(
                    lengths, count: lengthCodes, rootBits: DeflateDecoder.literalRootBits, into: literalTable,
                    capacity: DeflateDecoder.literalTableSize, complete: false, DeflateDecoder.literalEntry)
                guard literalsOK else { throw Corrupt(reason: "invalid literal/lengths set") }
                let distancesOK = DeflateDecoder.buildTable(
                    lengths + lengthCodes, count: distanceCodes, rootBits: DeflateDecoder.distanceRootBits,
                    into: distanceTable, capacity: DeflateDecoder.distanceTableSize, complete: false,
                    DeflateDecoder.distanceEntry)
                guard distancesOK else { throw Corrupt(reason: "invalid distances set") }
                step = .codes
            case .codes:
                if inputEnd - input >= 16 && outputEnd - output >= 274 {
                    try fastCodes(&input, inputEnd, &output, outputEnd, base: base)
                    if step != .codes { continue }
                }
                guard try slowSymbol(&input, inputEnd, &output, outputEnd, base: base) else { return false }
            case .copy:
                let n = min(copyLength, outputEnd - output)
                copyMatch(&output, distance: copyDistance, length: n, base: base)
                copyLength -= n
                guard copyLength == 0 else { return false }
                step = .codes
            }
        }
    }

    /// Buffers at least `count` (≤ 56) bits, a byte at a time; false when the input ran out first.
    @inline(__always)
    private func fill(_ count: UInt64, _ input: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Bool {
        while bitCount < count {
            guard input < end else { return false }
            bits |= UInt64(input.pointee) &<< bitCount
            input += 1
            bitCount &+= 8
        }
        return true
    }

    /// Buffers as many whole bytes as fit in 56 bits.
    @inline(__always)
    private func fillAll(_ input: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) {
        while bitCount <= 48 && input < end {
            bits |= UInt64(input.pointee) &<< bitCount
            input += 1
            bitCount &+= 8
        }
    }

    @inline(__always)
    private func take(_ count: UInt64) -> UInt64 {
        let value = bits & ((1 &<< count) &- 1)
        bits &>>= count
        bitCount &-= count
        return value
    }

    /// Reads the literal/length and distance code lengths; false when the input ran out.
    private func readCodeLengths(_ input: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) throws -> Bool {
        let total = lengthCodes + distanceCodes
        while lengthIndex < total {
            fillAll(&input, end)
            let entry = codeLengthTable[Int(bits & 127)]
            let codeBits = UInt64(entry & 31)
            if entry & DeflateDecoder.exceptionalFlag != 0 {
                guard bitCount >= 7 else { return false }
                throw Corrupt(reason: "invalid code lengths set")
            }
            let symbol = Int(entry >> 16)
            let extra: UInt64 = symbol == 16 ? 2 : symbol == 17 ? 3 : symbol == 18 ? 7 : 0
            guard bitCount >= codeBits + extra else { return false }
            bits &>>= codeBits
            bitCount &-= codeBits
            if symbol < 16 {
                lengths[lengthIndex] = UInt8(symbol)
                lengthIndex += 1
                continue
            }
            let repeatCount = Int(take(extra)) + (symbol == 16 ? 3 : symbol == 17 ? 3 : 11)
            guard symbol != 16 || lengthIndex > 0, lengthIndex + repeatCount <= total else {
                throw Corrupt(reason: "invalid bit length repeat")
            }
            let value = symbol == 16 ? lengths[lengthIndex - 1] : 0
            for _ in 0..<repeatCount {
                lengths[lengthIndex] = value
                lengthIndex += 1
            }
        }
        return true
    }

    /// Copies a match of `length` bytes from `distance` back, where the output space is known
    /// to suffice; reaches into the window for bytes before `base`.
    private func copyMatch(_ output: inout UnsafeMutablePointer<UInt8>, distance: Int, length: Int,
                           base: UnsafeMutablePointer<UInt8>) {
        var n = length
        let inBuffer = output - base
        if distance > inBuffer {
            // The first bytes come from the window.
            var from = windowCount - (distance - inBuffer)
            while n > 0 && from < windowCount {
                output.pointee = window[from]
                output += 1
                from += 1
                n -= 1
            }
        }
        var source = UnsafeMutablePointer(output - distance)
        while n > 0 {
            output.pointee = source.pointee
            output += 1
            source += 1
            n -= 1
        }
    }

    /// Decodes one symbol exactly, never consuming bits it cannot complete; false when it
    /// needs more input or output space.
    private func slowSymbol(_ input: inout UnsafePointer<UInt8>, _ inputEnd: UnsafePointer<UInt8>,
                            _ output: inout UnsafeMutablePointer<UInt8>, _ outputEnd: UnsafeMutablePointer<UInt8>,
                            base: UnsafeMutablePointer<UInt8>) throws -> Bool {
        fillAll(&input, inputEnd)
        var b = bits
        var n = bitCount
        guard let entry = DeflateDecoder.lookup(literalTable, rootBits: DeflateDecoder.literalRootBits, &b, &n) else {
            return false
        }
        if entry == DeflateDecoder.invalid {
            // Decided only once a whole code's worth of bits is at hand.
            guard bitCount >= 15 else { return false }
            throw Corrupt(reason: "invalid literal/length code")
        }
        let entryBits = UInt64(entry & 31)
        guard n >= entryBits else { return false }
        if entry & DeflateDecoder.literalFlag != 0 {
            guard output < outputEnd else { return false }
            output.pointee = UInt8(truncatingIfNeeded: entry >> 16)
            output += 1
            bits = b &>> entryBits
            bitCount = n &- entryBits
            return true
        }
        if entry & DeflateDecoder.exceptionalFlag != 0 {
            bits = b &>> entryBits
            bitCount = n &- entryBits
            step = finalBlock ? .done : .blockHeader
            return true
        }
        let length = DeflateDecoder.value(of: entry, b)
        b &>>= entryBits
        n &-= entryBits
        let afterLength = n
        guard let distanceEntry = DeflateDecoder.lookup(distanceTable, rootBits: DeflateDecoder.distanceRootBits, &b, &n) else {
            return false
        }
        if distanceEntry & DeflateDecoder.exceptionalFlag != 0 {
            guard afterLength >= 15 else { return false }
            throw Corrupt(reason: "invalid distance code")
        }
        let distanceBits = UInt64(distanceEntry & 31)
        guard n >= distanceBits else { return false }
        let distance = DeflateDecoder.value(of: distanceEntry, b)
        guard distance <= (output - base) + windowCount else { throw Corrupt(reason: "invalid distance too far back") }
        bits = b &>> distanceBits
        bitCount = n &- distanceBits
        let now = min(length, outputEnd - output)
        copyMatch(&output, distance: distance, length: now, base: base)
        if now < length {
            copyLength = length - now
            copyDistance = distance
            step = .copy
            return false
        }
        return true
    }

    /// The fast loop: runs while 16 input bytes and 274 bytes of space remain, which covers
    /// the most one turn reads (two 8-byte refills) and writes (three literals and a match of
    /// 258 bytes copied in 8-byte words).
    @inline(__always)
    private func fastCodes(_ input: inout UnsafePointer<UInt8>, _ inputEnd: UnsafePointer<UInt8>,
                           _ output: inout UnsafeMutablePointer<UInt8>, _ outputEnd: UnsafeMutablePointer<UInt8>,
                           base: UnsafeMutablePointer<UInt8>) throws {
        let literals = literalTable
        let distances = distanceTable
        let literalFlag = DeflateDecoder.literalFlag
        let exceptionalFlag = DeflateDecoder.exceptionalFlag
        let subtableFlag = DeflateDecoder.subtableFlag
        var b = bits
        var n = bitCount
        var ip = input
        var op = output
        let inputLimit = inputEnd - 16
        let outputLimit = outputEnd - 274
        defer {
            bits = b
            bitCount = n
            input = ip
            output = op
        }
        @inline(__always) func refill() {
            b |= UnsafeRawPointer(ip).loadUnaligned(as: UInt64.self).littleEndian &<< n
            let bytes = (63 &- n) &>> 3
            ip += Int(bytes)
            n |= 56
        }
        @inline(__always) func consume(_ count: UInt64) {
            b &>>= count
            n &-= count
        }
        while ip <= inputLimit && op <= outputLimit {
            refill()
            var entry = literals[Int(b & 0x7FF)]
            if entry & literalFlag != 0 {
                // Up to three literals per refill: each code is at most 15 bits of the 56.
                consume(UInt64(entry & 31))
                op.pointee = UInt8(truncatingIfNeeded: entry &>> 16)
                op += 1
                entry = literals[Int(b & 0x7FF)]
                if entry & literalFlag != 0 {
                    consume(UInt64(entry & 31))
                    op.pointee = UInt8(truncatingIfNeeded: entry &>> 16)
                    op += 1
                    entry = literals[Int(b & 0x7FF)]
                    if entry & literalFlag != 0 {
                        consume(UInt64(entry & 31))
                        op.pointee = UInt8(truncatingIfNeeded: entry &>> 16)
                        op += 1
                        continue
                    }
                }
                refill()
                entry = literals[Int(b & 0x7FF)]
            }
            if entry & exceptionalFlag != 0 {
                if entry & subtableFlag != 0 {
                    consume(11)
                    entry = DeflateDecoder.follow(entry, in: literals, b)
                    if entry & literalFlag != 0 {
                        consume(UInt64(entry & 31))
                        op.pointee = UInt8(truncatingIfNeeded: entry &>> 16)
                        op += 1
                        continue
                    }
                }
                if entry & exceptionalFlag != 0 {
                    if entry == DeflateDecoder.invalid { throw Corrupt(reason: "invalid literal/length code") }
                    consume(UInt64(entry & 31))
                    step = finalBlock ? .done : .blockHeader
                    return
                }
            }
            let length = DeflateDecoder.value(of: entry, b)
            consume(UInt64(entry & 31))
            var distanceEntry = distances[Int(b & 0xFF)]
            if distanceEntry & exceptionalFlag != 0 {
                if distanceEntry & subtableFlag != 0 {
                    consume(8)
                    distanceEntry = DeflateDecoder.follow(distanceEntry, in: distances, b)
                }
                if distanceEntry & exceptionalFlag != 0 { throw Corrupt(reason: "invalid distance code") }
            }
            let distance = DeflateDecoder.value(of: distanceEntry, b)
            consume(UInt64(distanceEntry & 31))
            if distance > op - base {
                guard distance <= (op - base) + windowCount else {
                    throw Corrupt(reason: "invalid distance too far back")
                }
                copyMatch(&op, distance: distance, length: length, base: base)
                continue
            }
            var source = UnsafeRawPointer(op - distance)
            let end = op + length
            if distance >= 8 {
                repeat {
                    UnsafeMutableRawPointer(op).storeBytes(of: source.loadUnaligned(as: UInt64.self), as: UInt64.self)
                    op += 8
                    source += 8
                } while op < end
            } else if distance == 1 {
                let word = UInt64(source.load(as: UInt8.self)) &* 0x0101_0101_0101_0101
                repeat {
                    UnsafeMutableRawPointer(op).storeBytes(of: word, as: UInt64.self)
                    op += 8
                } while op < end
            } else {
                var from = op - distance
                repeat {
                    op.pointee = from.pointee
                    op += 1
                    from += 1
                } while op < end
            }
            op = end
        }
    }

    /// The subtable entry a link entry points to, chosen by the bits after the root bits
    /// (already consumed from `bits`).
    @inline(__always)
    private static func follow(_ link: UInt32, in table: UnsafeMutablePointer<UInt32>, _ bits: UInt64) -> UInt32 {
        table[Int(link &>> 16) + Int(bits & ((1 &<< UInt64((link &>> 8) & 15)) &- 1))]
    }

    /// The careful path's lookup of the code at the front of `b` (`n` bits valid) in a table
    /// with `rootBits` root bits: a subtable link consumes the root bits and is followed. Nil
    /// when the link's subtable needs root bits that have not arrived yet.
    @inline(__always)
    private static func lookup(_ table: UnsafeMutablePointer<UInt32>, rootBits: Int,
                               _ b: inout UInt64, _ n: inout UInt64) -> UInt32? {
        let entry = table[Int(b & ((1 &<< UInt64(rootBits)) &- 1))]
        guard entry & subtableFlag != 0 else { return entry }
        guard n >= UInt64(rootBits) else { return nil }
        b &>>= UInt64(rootBits)
        n &-= UInt64(rootBits)
        return follow(entry, in: table, b)
    }

    /// A length or distance: the entry's base plus the extra bits that follow its code in
    /// `bits` (not yet consumed).
    @inline(__always)
    private static func value(of entry: UInt32, _ bits: UInt64) -> Int {
        Int(entry &>> 16) + Int((bits & ((1 &<< UInt64(entry & 31)) &- 1)) &>> UInt64((entry &>> 8) & 15))
    }

    // MARK: - Tables

    private static func literalEntry(_ symbol: Int, _ codeLength: Int) -> UInt32 {
        if symbol < 256 { return (UInt32(symbol) << 16) | literalFlag | UInt32(codeLength) }
        if symbol == 256 { return exceptionalFlag | UInt32(codeLength) }
        let k = symbol - 257
        guard k < 29 else { return invalid }
        return (UInt32(lengthBase[k]) << 16) | (UInt32(codeLength) << 8) | UInt32(codeLength + Int(lengthExtra[k]))
    }

    private static func distanceEntry(_ symbol: Int, _ codeLength: Int) -> UInt32 {
        guard symbol < 30 else { return invalid }
        return (UInt32(distanceBase[symbol]) << 16) | (UInt32(codeLength) << 8)
            | UInt32(codeLength + Int(distanceExtra[symbol]))
    }

    /// Builds the lookup table of a canonical Huffman code from its code lengths.
    ///
    /// Entries for codes longer than `rootBits` link to subtables after the root table. An
    /// over-subscribed code is refused, and so is an incomplete one unless `complete` is false
    /// and the code is a single one-bit code (RFC 1951 allows one distance code; zlib accepts
    /// the same). Unused slots hold `invalid`.
    static func buildTable(_ lengths: UnsafePointer<UInt8>, count: Int, rootBits: Int,
                           into table: UnsafeMutablePointer<UInt32>, capacity: Int, complete: Bool,
                           _ entry: (Int, Int) -> UInt32) -> Bool {
        var counts = [Int](repeating: 0, count: 16)
        for symbol in 0..<count { counts[Int(lengths[symbol])] += 1 }
        counts[0] = 0
        var left = 1
        var maxLength = 0
        for length in 1...15 {
            left <<= 1
            left -= counts[length]
            if left < 0 { return false }
            if counts[length] > 0 { maxLength = length }
        }
        let rootSize = 1 << rootBits
        table.update(repeating: invalid, count: rootSize)
        if maxLength == 0 { return !complete }
        if left > 0 && (complete || maxLength != 1) { return false }
        var offsets = [Int](repeating: 0, count: 16)
        for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
        var sorted = [Int](repeating: 0, count: count)
        for symbol in 0..<count where lengths[symbol] != 0 {
            sorted[offsets[Int(lengths[symbol])]] = symbol
            offsets[Int(lengths[symbol])] += 1
        }
        var remaining = counts
        var code = 0
        var index = 0
        var next = rootSize
        var prefix = -1
        var subtableStart = 0
        var subtableBits = 0
        for length in 1...15 {
            for _ in 0..<counts[length] {
                let symbol = sorted[index]
                index += 1
                var reversed = 0
                for bit in 0..<length where code & (1 << bit) != 0 { reversed |= 1 << (length - 1 - bit) }
                if length <= rootBits {
                    let value = entry(symbol, length)
                    var slot = reversed
                    while slot < rootSize {
                        table[slot] = value
                        slot += 1 << length
                    }
                } else {
                    let low = reversed & (rootSize - 1)
                    if low != prefix {
                        // Size the subtable to hold every code left that shares this prefix.
                        var bits = length - rootBits
                        var room = 1 << bits
                        while bits + rootBits < maxLength {
                            room -= remaining[bits + rootBits]
                            if room <= 0 { break }
                            bits += 1
                            room <<= 1
                        }
                        guard next + (1 << bits) <= capacity else { return false }
                        subtableBits = bits
                        subtableStart = next
                        next += 1 << bits
                        (table + subtableStart).update(repeating: invalid, count: 1 << bits)
                        table[low] = (UInt32(subtableStart) << 16) | (UInt32(subtableBits) << 8) | subtableFlag
                            | exceptionalFlag | UInt32(rootBits)
                        prefix = low
                    }
                    let value = entry(symbol, length - rootBits)
                    var slot = reversed >> rootBits
                    while slot < 1 << subtableBits {
                        table[subtableStart + slot] = value
                        slot += 1 << (length - rootBits)
                    }
                }
                remaining[length] -= 1
                code += 1
            }
            code <<= 1
        }
        return true
    }

    /// The fixed code's tables (RFC 1951 3.2.6), built once.
    private struct FixedTables: @unchecked Sendable {
        let literals: UnsafeMutablePointer<UInt32>
        let distances: UnsafeMutablePointer<UInt32>

        init() {
            literals = .allocate(capacity: DeflateDecoder.literalTableSize)
            distances = .allocate(capacity: DeflateDecoder.distanceTableSize)
            var lengths = [UInt8](repeating: 8, count: 288)
            for i in 144..<256 { lengths[i] = 9 }
            for i in 256..<280 { lengths[i] = 7 }
            lengths.withUnsafeBufferPointer {
                _ = DeflateDecoder.buildTable($0.baseAddress!, count: 288, rootBits: DeflateDecoder.literalRootBits,
                                              into: literals, capacity: DeflateDecoder.literalTableSize,
                                              complete: true, DeflateDecoder.literalEntry)
            }
            // 32 distance codes of 5 bits; 30 and 31 are invalid entries.
            let distanceLengths = [UInt8](repeating: 5, count: 32)
            distanceLengths.withUnsafeBufferPointer {
                _ = DeflateDecoder.buildTable($0.baseAddress!, count: 32, rootBits: DeflateDecoder.distanceRootBits,
                                              into: distances, capacity: DeflateDecoder.distanceTableSize,
                                              complete: true, DeflateDecoder.distanceEntry)
            }
        }

        func copy(into literalTable: UnsafeMutablePointer<UInt32>, _ distanceTable: UnsafeMutablePointer<UInt32>) {
            literalTable.update(from: literals, count: 1 << DeflateDecoder.literalRootBits)
            distanceTable.update(from: distances, count: 1 << DeflateDecoder.distanceRootBits)
        }
    }

    private static let fixedTables = FixedTables()
}
