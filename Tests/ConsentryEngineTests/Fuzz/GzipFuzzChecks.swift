// zlib as the reference for GzipInflater, the chunked harness that drives the inflater, and the
// gzip fuzz target's check built from the two.
//
// Compiled twice, like FuzzRegressionTests.swift: by SwiftPM into ConsentryEngineTests (the
// DEFLATE and gzip tests use `Zlib` and `KitGzip`; the regression tests are at the end), and by
// `Scripts/fuzz gzip` with the inflater's sources and `-D CONSENTRY_FUZZ`. So the tests and the
// fuzz target hold the inflater to the same rule: zlib's reading of the same bytes.

import ConsentryModel
import CZlib
#if !CONSENTRY_FUZZ
import Foundation
import Testing
import TestSupport
@testable import ConsentryEngine
#endif

/// zlib's inflate, the reference the inflater must agree with.
enum Zlib {
    /// The smallest gzip member header: no flags, no time, OS Unix.
    static let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]

    /// The gzip member trailer for `data`: its CRC-32 and length, little-endian.
    static func trailer(for data: [UInt8]) -> [UInt8] {
        let crc = UInt32(crc32_z(0, data, data.count))
        return stride(from: 0, to: 32, by: 8).map { UInt8(truncatingIfNeeded: crc >> UInt32($0)) }
            + stride(from: 0, to: 32, by: 8).map { UInt8(truncatingIfNeeded: data.count >> $0) }
    }

    /// Inflates one stream from the start of `input` (`windowBits` as for inflateInit2: 15 + 16
    /// a gzip member, -15 raw DEFLATE): its output, the input bytes it used, whether it ended,
    /// and zlib's message when it refused the stream. Stops early once more than `limit` bytes
    /// have come out.
    static func inflate(_ input: ArraySlice<UInt8>, windowBits: Int32, limit: Int = .max)
        -> (data: [UInt8], consumed: Int, ended: Bool, refusal: String?) {
        var stream = z_stream()
        guard consentry_inflateInit2(&stream, windowBits) == Z_OK else { return ([], 0, false, "inflateInit2 failed") }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var rc: Int32 = Z_OK
        var bytes = Array(input)
        bytes.withUnsafeMutableBufferPointer { inBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            repeat {
                rc = buffer.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = UInt32(outBuffer.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                out.append(contentsOf: buffer[0..<(buffer.count - Int(stream.avail_out))])
            } while rc == Z_OK && out.count <= limit
        }
        return (out, bytes.count - Int(stream.avail_in), rc == Z_STREAM_END, stream.msg.map { String(cString: $0) })
    }

    /// What zlib makes of `gz` with the inflater's rules for what follows a member (another
    /// member, or only zero bytes): the data, or nil when zlib or the rules reject it.
    ///
    /// Stops once more than `limit` bytes have come out and returns them: a result longer than
    /// `limit` is cut short and says only that the whole would be longer.
    static func gunzip(_ gz: [UInt8], limit: Int = .max) -> [UInt8]? {
        if case .accepted(let data) = read(gz, limit: limit) { return data }
        return nil
    }

    /// zlib's reading of a gzip file: its data, or what came out before zlib or the rules
    /// refused it and why.
    enum Reading {
        case accepted([UInt8])
        case refused(before: [UInt8], reason: String)
    }

    /// ``gunzip(_:limit:)``, with the reason for a refusal.
    static func read(_ gz: [UInt8], limit: Int = .max) -> Reading {
        var out: [UInt8] = []
        var position = 0
        while true {
            let member = inflate(gz[position...], windowBits: 15 + 16, limit: limit - out.count)
            out += member.data
            if out.count > limit { return .accepted(out) }
            guard member.ended else { return .refused(before: out, reason: member.refusal ?? "truncated") }
            position += member.consumed
            if position == gz.count { return .accepted(out) }
            if gz[position] == 0x1F { continue }
            return gz[position...].allSatisfy { $0 == 0 } ? .accepted(out) : .refused(before: out, reason: "trailing garbage")
        }
    }

    /// zlib's words for a block whose Huffman code lengths do not fill the code space exactly:
    /// too many codes (over-subscribed) or too few (incomplete). ISA-L refuses the first and
    /// takes the second, refusing only once the data reaches a code that is missing. So it
    /// accepts, where zlib does not, a stream whose incomplete code the data never leaves; the
    /// member's CRC-32 and length still vouch for every byte it gives.
    static let codeSpaceRefusals: Set<String> = ["invalid code lengths set", "invalid literal/lengths set", "invalid distances set"]
}

enum KitGzip {
    /// Inflates `gz` with a fresh `GzipInflater`, handing in `inChunk` bytes at a time and giving
    /// it `outChunk` bytes of output space per call; then drains it with empty input and calls `finish`.
    ///
    /// Each piece of input and the output space are arrays of exactly their size, so that under
    /// AddressSanitizer (the fuzz target) a read or write past either is caught.
    static func inflate(_ gz: [UInt8], inChunk: Int, outChunk: Int) throws -> (data: [UInt8], members: Int) {
        let inflater = GzipInflater(path: "test.gz")
        var out: [UInt8] = []
        var space = [UInt8](repeating: 0, count: outChunk)
        var position = 0
        while position < gz.count {
            let piece = Array(gz[position..<min(position + inChunk, gz.count)])
            var used = 0
            while used < piece.count {
                let (consumed, produced) = try piece[used...].withUnsafeBytes { input in
                    try space.withUnsafeMutableBytes { try inflater.inflate(input, into: $0) }
                }
                out.append(contentsOf: space[0..<produced])
                used += consumed
                if consumed == 0 && produced == 0 {
                    // A caller that waits for progress would loop forever.
                    let stall = "no progress with \(piece.count - used) bytes and \(outChunk) bytes of space"
                    #if CONSENTRY_FUZZ
                    fatalError("GzipInflater: \(stall), in \(inChunk) out \(outChunk)")
                    #else
                    Issue.record(Comment(rawValue: stall))
                    return (out, inflater.members)
                    #endif
                }
            }
            position += piece.count
        }
        // The inflater may hold consumed bytes that still have output in them.
        while true {
            let produced = try space.withUnsafeMutableBytes { try inflater.inflate(UnsafeRawBufferPointer(start: nil, count: 0), into: $0).produced }
            if produced == 0 { break }
            out.append(contentsOf: space[0..<produced])
        }
        try inflater.finish()
        return (out, inflater.members)
    }
}

// MARK: - The gzip fuzz target's check

extension FuzzChecks {
    /// Input chunk sizes: byte by byte, around ISA-L's 8-byte bit buffer and 10-byte member
    /// header, just past its 328-byte block header buffer, and whole.
    static let gzipInputChunks = [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 17, 33, 100, 329, 1000, 1 << 20]
    /// Output space per call: tiny, a longest match, around the 32 KiB window ISA-L keeps when a
    /// call's output reaches it, and past its 64 KiB internal buffer (decoding straight into
    /// the caller's space).
    static let gzipOutputChunks = [1, 2, 7, 258, 4096, 32767, 32768, 1 << 17]
    /// Inputs whose output is longer are skipped, so that bombs (DEFLATE reaches 1032:1) do not
    /// slow the fuzzer down. With little space the limit is just past the 32 KiB window: every
    /// call then costs about as much as the window.
    static func gzipOutputLimit(space: Int) -> Int { space < 4096 ? 40 << 10 : 1 << 20 }

    /// The gzip target: `GzipInflater`, fed the input in chunks through ``KitGzip/inflate(_:inChunk:outChunk:)``,
    /// accepts exactly what ``Zlib/gunzip(_:limit:)`` accepts and gives the same bytes, except
    /// that it may also accept a stream zlib refuses for an incomplete Huffman code
    /// (``Zlib/codeSpaceRefusals``).
    ///
    /// The first byte chooses the input chunk size (bits 0-3, ``gzipInputChunks``) and the
    /// output space (bits 4-6, ``gzipOutputChunks``). With bit 7 clear the rest is the gzip
    /// file. With bit 7 set it is raw DEFLATE, wrapped in a gzip member whose trailer fits
    /// zlib's reading of it, so that mutations reach the DEFLATE decoding instead of failing the
    /// header or CRC check. Inputs whose output passes ``gzipOutputLimit(space:)`` are skipped.
    static func checkGzip(_ data: [UInt8]) -> [String] {
        guard let config = data.first else { return [] }
        let inChunk = gzipInputChunks[Int(config & 15)]
        let outChunk = gzipOutputChunks[Int((config >> 4) & 7)]
        let limit = gzipOutputLimit(space: outChunk)
        let wrapped = config & 0x80 != 0
        var gz = Array(data.dropFirst())
        if wrapped {
            let raw = Zlib.inflate(gz[...], windowBits: -15, limit: limit)
            if raw.data.count > limit { return [] }
            // The bytes after a stream that ended follow the trailer, where they must be another
            // member or zeros; a stream zlib refuses keeps all of them.
            let end = raw.ended ? raw.consumed : gz.count
            gz = Zlib.header + gz[..<end] + Zlib.trailer(for: raw.data) + gz[end...]
        }
        let reading = Zlib.read(gz, limit: limit)
        let expected: [UInt8]? = if case .accepted(let data) = reading { data } else { nil }
        if let expected, expected.count > limit { return [] }
        let what = "gzip, \(gz.count) bytes\(wrapped ? " (wrapped raw DEFLATE)" : ""), in \(inChunk) out \(outChunk)"
        switch (Result { try KitGzip.inflate(gz, inChunk: inChunk, outChunk: outChunk).data }, expected) {
        case (.success(let got), .some(let want)) where got != want:
            let at = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
            return ["\(what): GzipInflater gives \(got.count) bytes, zlib \(want.count); they differ from offset \(at)"]
        case (.success(let got), nil):
            // The one thing zlib refuses that the inflater may take (see Zlib.codeSpaceRefusals):
            // then all that zlib gave before refusing must be where the inflater's output starts.
            if case .refused(let before, let reason) = reading, Zlib.codeSpaceRefusals.contains(reason),
               got.starts(with: before) {
                return []
            }
            return ["\(what): GzipInflater accepts (\(got.count) bytes) what zlib refuses"]
        case (.failure(let error), .some(let want)):
            return ["\(what): GzipInflater refuses what zlib accepts (\(want.count) bytes): \(error)"]
        default:
            return []
        }
    }
}

// MARK: - Regression tests

#if !CONSENTRY_FUZZ
/// The gzip target's seeds, and the inputs it found (as hex of the whole fuzz input, see
/// ``FuzzChecks/checkGzip(_:)``), run through its check.
@Suite("Gzip fuzz regressions")
struct GzipFuzzRegressionTests {
    static let seeds: [(name: String, bytes: [UInt8])] = {
        let directory = Paths.inRepository("Fuzz/corpus/gzip")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().compactMap { name in
            FileManager.default.contents(atPath: directory + "/" + name).map { (name, Array($0)) }
        }
    }()

    @Test("the gzip check passes on every seed at every chunking")
    func seedsAtEveryChunking() {
        #expect(Self.seeds.count >= 10, "Fuzz/corpus/gzip: \(Self.seeds.map(\.name)); run Scripts/fuzz gzip seed")
        for seed in Self.seeds {
            // Keep the seed's wrapping bit, try every input and output chunk size.
            for sizes in UInt8(0)..<128 {
                let config = (seed.bytes.first ?? 0) & 0x80 | sizes
                let failures = FuzzChecks.checkGzip([config] + seed.bytes.dropFirst())
                #expect(failures.isEmpty, "\(seed.name), config \(config): \(failures)")
            }
        }
    }
}
#endif
