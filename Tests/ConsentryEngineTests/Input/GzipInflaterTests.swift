import CZlib
import Testing
import ConsentryModel
import TestSupport
@testable import ConsentryEngine

/// zlib as the writer of test streams (its inflate, the reference, is in Fuzz/GzipFuzzChecks.swift).
private extension Zlib {
    /// `windowBits` 9...15 makes a gzip member (+16); negative makes raw DEFLATE.
    static func compress(_ data: [UInt8], level: Int32, windowBits: Int32 = 15, memLevel: Int32 = 8,
                         strategy: Int32 = Z_DEFAULT_STRATEGY, gzip: Bool = true) -> [UInt8] {
        var stream = z_stream()
        precondition(consentry_deflateInit2(&stream, level, gzip ? windowBits + 16 : -windowBits, memLevel, strategy) == Z_OK)
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(data.count))) + 64)
        var input = data
        let produced = input.withUnsafeMutableBufferPointer { inBuffer in
            out.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        return Array(out.prefix(produced))
    }
}

/// Inflates `gz` with `GzipInflater`, `inChunk` input bytes and `outChunk` bytes of space per
/// call, draining it at the end; nil when it throws.
private func ourGunzip(_ gz: [UInt8], inChunk: Int, outChunk: Int) -> [UInt8]? {
    try? ourGunzipOrError(gz, inChunk: inChunk, outChunk: outChunk).get()
}

private func ourGunzipOrError(_ gz: [UInt8], inChunk: Int, outChunk: Int) -> Result<[UInt8], any Error> {
    Result { try KitGzip.inflate(gz, inChunk: inChunk, outChunk: outChunk).data }
}

/// The message of the error `ourGunzipOrError` gives, or "" when it succeeds.
private func ourError(_ gz: [UInt8], inChunk: Int, outChunk: Int) -> String {
    if case .failure(let error) = ourGunzipOrError(gz, inChunk: inChunk, outChunk: outChunk) {
        guard let error = error as? InputError else { return "\(error)" }
        return error.message + (error.remedy.map { "; " + $0 } ?? "")
    }
    return ""
}

/// Payloads that exercise literals, short and long matches, runs, stored blocks and matches
/// reaching the full 32 KiB back.
private func payloads() -> [(String, [UInt8])] {
    var rng = SeededRNG(seed: 20261122)
    var text: [UInt8] = []
    var row = 0
    while text.count < 200_000 {
        let line = "trk-\(row),\(["major", "independent", "unknown"][Int(rng.next() % 3)]),\(rng.next() % 1000)\n"
        text.append(contentsOf: line.utf8)
        row += 1
    }
    let random = (0..<70_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    // A random 20 KiB block repeated: every repeat is a match 20 KiB (and 40 KiB) back.
    let block = (0..<20_000).map { _ in UInt8(truncatingIfNeeded: rng.next() % 7) }
    let far = block + random.prefix(13_000) + block + block
    return [
        ("empty", []),
        ("one byte", [0x41]),
        ("text", text),
        ("random", random),
        ("zeros", [UInt8](repeating: 0, count: 150_000)),
        ("period 3", (0..<100_000).map { UInt8($0 % 3) + 0x61 }),
        ("far matches", far),
    ]
}

/// Writes a fixed-Huffman DEFLATE block bit by bit (RFC 1951 3.2.6), wrapped as a gzip member
/// whose trailer fits `expected`.
private struct FixedBlockWriter {
    var bytes: [UInt8] = []
    var bitCount = 0

    init() { bits(1, 1); bits(1, 2) } // BFINAL, BTYPE 01

    mutating func bits(_ value: Int, _ count: Int) {
        for i in 0..<count {
            if bitCount % 8 == 0 { bytes.append(0) }
            if value & (1 << i) != 0 { bytes[bytes.count - 1] |= UInt8(1 << (bitCount % 8)) }
            bitCount += 1
        }
    }

    /// Huffman codes go most significant bit first.
    mutating func code(_ value: Int, _ count: Int) {
        for i in stride(from: count - 1, through: 0, by: -1) { bits((value >> i) & 1, 1) }
    }

    mutating func literal(_ byte: UInt8) { code(0x30 + Int(byte), 8) }

    /// A match of 3 bytes (symbol 257) at `distance` ≤ 48.
    mutating func match3(distance: Int) {
        code(1, 7)
        switch distance {
        case 1...4: code(distance - 1, 5)
        case 33...48: code(10, 5); bits(distance - 33, 4)
        default: preconditionFailure("not needed")
        }
    }

    func gzip(expected: [UInt8]) -> [UInt8] {
        var w = self
        w.code(0, 7) // end of block
        return Zlib.header + w.bytes + Zlib.trailer(for: expected)
    }
}

@Suite("Gzip inflater against zlib")
struct GzipInflaterTests {
    @Test("every level, strategy and window zlib can write inflates to the same bytes, at any chunk size")
    func agreesWithZlibOnWhatItWrites() {
        let strategies: [(String, Int32)] = [("default", Z_DEFAULT_STRATEGY), ("filtered", Z_FILTERED),
                                             ("huffman only", Z_HUFFMAN_ONLY), ("rle", Z_RLE), ("fixed", Z_FIXED)]
        for (name, data) in payloads() {
            for level: Int32 in [0, 1, 6, 9] {
                for (strategyName, strategy) in strategies {
                    for (windowBits, memLevel): (Int32, Int32) in [(15, 8), (9, 1), (12, 9)] {
                        let gz = Zlib.compress(data, level: level, windowBits: windowBits, memLevel: memLevel,
                                               strategy: strategy)
                        let what = "\(name), level \(level), \(strategyName), window \(windowBits)"
                        #expect(ourGunzip(gz, inChunk: 1 << 20, outChunk: 1 << 20) == data, "\(what)")
                        #expect(ourGunzip(gz, inChunk: 4093, outChunk: 70_001) == data, "\(what), 4093/70001")
                    }
                }
            }
            // Byte-sized pieces stop and resume the inflater in every state.
            let gz = Zlib.compress(Array(data.prefix(40_000)), level: 6)
            #expect(ourGunzip(gz, inChunk: 1, outChunk: 1) == Array(data.prefix(40_000)), "\(name), 1/1")
            #expect(ourGunzip(gz, inChunk: 7, outChunk: 300) == Array(data.prefix(40_000)), "\(name), 7/300")
        }
    }

    @Test("damaged streams are accepted or refused exactly as zlib accepts or refuses them")
    func damageAgreesWithZlib() {
        var rng = SeededRNG(seed: 11)
        let sources = payloads().filter { !$0.1.isEmpty }.map { Array($0.1.prefix(30_000)) }
        var refused = 0
        for round in 0..<1_500 {
            let source = sources[round % sources.count]
            var gz = Zlib.compress(source, level: [1, 6, 9][round % 3], strategy: round % 5 == 0 ? Z_FIXED : Z_DEFAULT_STRATEGY)
            switch rng.next() % 4 {
            case 0:
                gz[Int(rng.next() % UInt64(gz.count))] ^= UInt8(1 << (rng.next() % 8))
            case 1:
                for _ in 0..<4 { gz[Int(rng.next() % UInt64(gz.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            case 2:
                // Damage in the first few hundred bytes hits the block header and code lengths.
                gz[10 + Int(rng.next() % UInt64(min(300, gz.count - 10)))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            default:
                gz.removeLast(Int(rng.next() % UInt64(gz.count)))
            }
            let expected = Zlib.gunzip(gz)
            if expected == nil { refused += 1 }
            #expect(ourGunzip(gz, inChunk: 1 << 16, outChunk: 1 << 16) == expected, "round \(round)")
            if round % 10 == 0 {
                #expect(ourGunzip(gz, inChunk: 3, outChunk: 5) == expected, "round \(round), 3/5")
            }
        }
        #expect(refused > 1_000)
    }

    @Test("header fields (extra, name, comment, header CRC) are skipped and the header CRC is checked")
    func headerFields() {
        let data = Array("track_id,label_status\n1,major\n".utf8)
        let raw = Zlib.compress(data, level: 6, gzip: false)
        let trailer = Zlib.trailer(for: data)
        var header: [UInt8] = [0x1F, 0x8B, 8, 0x04 | 0x08 | 0x10 | 0x02, 1, 2, 3, 4, 0, 3]
        header += [5, 0, 0x41, 0x70, 2, 0, 0xAA] // FEXTRA: 5 bytes, one subfield
        header += Array("export.csv".utf8) + [0]
        header += Array("nightly export".utf8) + [0]
        let headerCRC = UInt32(crc32_z(0, header, header.count))
        let good = header + [UInt8(headerCRC & 0xFF), UInt8((headerCRC >> 8) & 0xFF)] + raw + trailer
        #expect(Zlib.gunzip(good) == data)
        for chunk in [1, 2, 5, 1 << 16] {
            #expect(ourGunzip(good, inChunk: chunk, outChunk: chunk) == data, "chunk \(chunk)")
        }
        var badCRC = good
        badCRC[header.count] ^= 1
        #expect(Zlib.gunzip(badCRC) == nil)
        #expect(ourGunzip(badCRC, inChunk: 1 << 16, outChunk: 1 << 16) == nil)
        // Two members with different header fields, then zero padding.
        let plain = Zlib.compress(data, level: 1)
        #expect(ourGunzip(good + plain + [0, 0, 0], inChunk: 3, outChunk: 7) == data + data)
    }

    @Test("a match may reach back to the stream's first byte and not one byte before it")
    func distanceLimit() {
        let a = UInt8(ascii: "A")
        // At the start of the stream.
        var w = FixedBlockWriter()
        w.literal(a)
        w.match3(distance: 1)
        #expect(ourGunzip(w.gzip(expected: [a, a, a, a]), inChunk: 1 << 10, outChunk: 1 << 10) == [a, a, a, a])
        w = FixedBlockWriter()
        w.literal(a)
        w.match3(distance: 2)
        let tooFar = w.gzip(expected: [])
        #expect(Zlib.gunzip(tooFar) == nil)
        #expect(ourError(tooFar, inChunk: 1 << 10, outChunk: 1 << 10).contains("invalid distance too far back"))
        // After 40 literals and with 30 more behind it.
        for (distance, valid) in [(40, true), (41, false)] {
            var long = FixedBlockWriter()
            var expected: [UInt8] = []
            for i in 0..<40 { long.literal(UInt8(0x30 + i)); expected.append(UInt8(0x30 + i)) }
            long.match3(distance: distance)
            if valid { expected += expected[(40 - distance)..<(43 - distance)] }
            for _ in 0..<30 { long.literal(a); expected.append(a) }
            let gz = long.gzip(expected: expected)
            #expect((Zlib.gunzip(gz) != nil) == valid, "distance \(distance)")
            for (inChunk, outChunk) in [(1 << 10, 1 << 10), (1, 1), (20, 5)] {
                let what = "distance \(distance), \(inChunk)/\(outChunk)"
                if valid {
                    #expect(ourGunzip(gz, inChunk: inChunk, outChunk: outChunk) == expected, "\(what)")
                } else {
                    // The distance itself is refused, before the CRC could catch the bytes.
                    #expect(ourError(gz, inChunk: inChunk, outChunk: outChunk).contains("invalid distance too far back"), "\(what)")
                }
            }
        }
    }
}

extension GzipInflaterTests {
    /// One final dynamic block with an incomplete literal/length code: 'A' has the 1-bit code
    /// 0 and end-of-block the 2-bit code 10, so 11 is missing. Then 'A' three times and, when
    /// `reachingTheGap`, the missing code 11 before end-of-block.
    static func incompleteCodeStream(reachingTheGap: Bool) -> [UInt8] {
        [0x05, 0xC0, 0x01, 0x09, 0x00, 0x00, 0x00, 0x80, 0xA0, 0x6D, 0xFE, 0x3F, 0x15, reachingTheGap ? 0x38 : 0x08]
    }

    @Test("an incomplete Huffman code the data never leaves: zlib refuses it, the inflater gives what the trailer vouches for")
    func incompleteCode() {
        let data = Array("AAA".utf8)
        let gz = Zlib.header + Self.incompleteCodeStream(reachingTheGap: false) + Zlib.trailer(for: data)
        guard case .refused(let before, let reason) = Zlib.read(gz) else {
            Issue.record("zlib accepts an incomplete code")
            return
        }
        #expect(before.isEmpty && reason == "invalid literal/lengths set")
        for chunk in [1, 3, 1 << 10] {
            #expect(ourGunzip(gz, inChunk: chunk, outChunk: chunk) == data, "chunk \(chunk)")
        }
        // The fuzz target's oracle allows exactly this difference.
        #expect(FuzzChecks.checkGzip([0x7F] + gz).isEmpty)
        // The CRC-32 still has to match, and a code from the gap is refused.
        var wrongCRC = gz
        wrongCRC[gz.count - 8] ^= 1
        #expect(ourError(wrongCRC, inChunk: 1 << 10, outChunk: 1 << 10).contains("incorrect data check"))
        let gap = Zlib.header + Self.incompleteCodeStream(reachingTheGap: true) + Zlib.trailer(for: data)
        #expect(ourError(gap, inChunk: 1 << 10, outChunk: 1 << 10).contains("invalid literal/length or distance code"))
    }

    @Test("refusals name what is wrong, in zlib's words where ISA-L's codes tell them apart")
    func refusalMessages() throws {
        let data = Array("track_id,label_status\n1,major\n2,independent\n".utf8)
        let gz = Zlib.compress(data, level: 6)
        var crc = gz
        crc[gz.count - 8] ^= 1
        var length = gz
        length[gz.count - 1] ^= 1
        var method = gz
        method[2] = 7
        var flags = gz
        flags[3] = 0x20
        var magic = gz
        magic[1] = 0x8C
        var blockType = gz
        blockType[10] |= 0x06 // BTYPE 11, reserved
        let cases: [([UInt8], String, Int)] = [
            (crc, "incorrect data check", gz.count), (length, "incorrect length check", gz.count),
            (method, "unknown compression method", 3), (flags, "unknown header flags set", 4),
            (magic, "incorrect header check", 2), (blockType, "invalid block header", -1),
        ]
        for (bytes, reason, offset) in cases {
            for chunk in [1, 5, 1 << 16] {
                let message = ourError(bytes, inChunk: chunk, outChunk: chunk)
                #expect(message.contains("(\(reason))"), "\(reason), chunk \(chunk): \(message)")
                if offset >= 0 {
                    #expect(message.contains("near compressed offset \(offset) "), "\(reason), chunk \(chunk): \(message)")
                }
            }
        }
        let cut = Array(gz.dropLast(3))
        #expect(ourError(cut, inChunk: 7, outChunk: 7)
                == "gzip data is truncated after \(cut.count) compressed bytes (member 1 has no end): the export was cut short; re-export or re-download the file")
    }
}
