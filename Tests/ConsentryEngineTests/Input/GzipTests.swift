import Foundation
import Testing
import ConsentryModel
@testable import ConsentryEngine
import TestSupport

/// Text that compresses into several deflate blocks, with long matches and some noise.
private func sampleText(bytes: Int, seed: UInt64) -> [UInt8] {
    var rng = SeededRNG(seed: seed)
    var out: [UInt8] = []
    out.reserveCapacity(bytes + 64)
    var row = 0
    let statuses = ["major", "licensed", "independent", "unsigned", ""]
    while out.count < bytes {
        let line = "trk-\(row),\(statuses[Int(rng.next() % 5)]),\(rng.next() % 2 == 0 ? "yes" : "no"),"
            + "2024-0\(1 + rng.next() % 9)-1\(rng.next() % 10),\"Title \(rng.next() % 100_000)\"\n"
        out.append(contentsOf: line.utf8)
        row += 1
    }
    return Array(out.prefix(bytes))
}

/// The kind of `InputError` thrown by `body`, or nil when it succeeds.
private func inputErrorKind(_ body: () throws -> Void) -> InputError.Code? {
    do {
        try body()
        return nil
    } catch let error as InputError {
        return error.kind
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

/// Reads a file through `DecompressingReader` to the end.
private func readFile(_ path: String, rawBufferSize: Int = 1 << 20, readSize: Int = 1 << 16)
    throws -> (data: [UInt8], reader: DecompressingReader) {
    let reader = DecompressingReader(source: try ByteSource(path: path), rawBufferSize: rawBufferSize)
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: readSize)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
        if n == 0 { break }
        out.append(contentsOf: buffer[0..<n])
    }
    return (out, reader)
}

@Suite("Gzip input")
struct GzipTests {
    @Test("GzipInflater round-trips gzip(1) output at any input and output chunk size")
    func inflaterRoundTrip() throws {
        let data = sampleText(bytes: 40_000, seed: 1)
        let gz = try gzip(data)
        #expect(gz.count < data.count / 2)
        for (inChunk, outChunk) in [(gz.count, 1 << 20), (1, 1 << 16), (7, 3), (4096, 1), (100, 65_536), (1 << 16, 333)] {
            let result = try KitGzip.inflate(gz, inChunk: inChunk, outChunk: outChunk)
            #expect(result.data == data, "in \(inChunk) out \(outChunk)")
            #expect(result.members == 1)
        }
    }

    @Test("DecompressingReader round-trips a single member at any buffer size")
    func readerRoundTrip() throws {
        let dir = try TempDir()
        let big = sampleText(bytes: 300_000, seed: 2)
        let bigPath = try dir.write("big.csv.gz", try gzip(big, level: 9))
        for (raw, read) in [(1 << 20, 1 << 16), (16, 1 << 16), (4096, 1000), (1 << 20, 1_000_000)] {
            let (out, reader) = try readFile(bigPath, rawBufferSize: raw, readSize: read)
            #expect(out == big, "raw \(raw) read \(read)")
            #expect(reader.isGzip)
            #expect(reader.gzipMembers == 1)
            #expect(reader.bytesProduced == big.count)
        }
        let small = sampleText(bytes: 5_000, seed: 3)
        let smallPath = try dir.write("small.gz", try gzip(small, level: 1))
        for (raw, read) in [(16, 1), (17, 3), (16, 7), (100, 1)] {
            #expect(try readFile(smallPath, rawBufferSize: raw, readSize: read).data == small, "raw \(raw) read \(read)")
        }
    }

    @Test("every member of a multi-member file is read, even at tiny buffer sizes")
    func multiMember() throws {
        let parts = [sampleText(bytes: 3_000, seed: 4), Array("second member\n".utf8), [], sampleText(bytes: 700, seed: 5)]
        var gz: [UInt8] = []
        for part in parts { gz += try gzip(part) }
        let all = parts.flatMap { $0 }
        for (inChunk, outChunk) in [(gz.count, 1 << 16), (1, 1), (3, 5), (64, 2)] {
            let result = try KitGzip.inflate(gz, inChunk: inChunk, outChunk: outChunk)
            #expect(result.data == all, "in \(inChunk) out \(outChunk)")
            #expect(result.members == 4)
        }
        let dir = try TempDir()
        let path = try dir.write("multi.jsonl.gz", gz)
        // The same concatenation `cat a.gz b.gz` makes, which gzip -d reads whole.
        #expect(Array(try runTool(Paths.gzip, ["-dc", path])) == all)
        for (raw, read) in [(1 << 20, 1 << 16), (16, 1), (16, 5), (33, 2)] {
            let (out, reader) = try readFile(path, rawBufferSize: raw, readSize: read)
            #expect(out == all, "raw \(raw) read \(read)")
            #expect(reader.gzipMembers == 4)
        }
    }

    @Test("every truncation of a gzip stream is gzip_truncated")
    func truncatedEverywhere() throws {
        let one = try gzip(Array("track_id,label_status\n1,major\n2,independent\n".utf8))
        let two = one + (try gzip(Array("3,unknown\n".utf8)))
        for stream in [one, two] {
            for length in 2..<stream.count where length != one.count {
                let prefix = Array(stream[0..<length])
                for chunk in [length, 1] {
                    let kind = inputErrorKind { _ = try KitGzip.inflate(prefix, inChunk: chunk, outChunk: 64) }
                    #expect(kind == .gzipTruncated, "cut at \(length) of \(stream.count), chunk \(chunk)")
                }
            }
        }
        // Through the reader, with its message naming the file.
        let dir = try TempDir()
        for length in [2, 10, one.count / 2, one.count - 1] {
            let path = try dir.write("cut-\(length).csv", Array(one[0..<length]))
            do {
                _ = try readFile(path, rawBufferSize: 16, readSize: 5)
                Issue.record("no error for a stream cut at \(length)")
            } catch let error as InputError {
                #expect(error.kind == .gzipTruncated)
                #expect(error.file == path)
            }
        }
    }

    @Test("corrupt gzip data is gzip_corrupt")
    func corrupt() throws {
        let data = sampleText(bytes: 2_000, seed: 6)
        let gz = try gzip(data)
        var variants: [(String, [UInt8])] = []
        var crc = gz
        crc[gz.count - 8] ^= 0x01
        variants.append(("CRC-32 changed", crc))
        var size = gz
        size[gz.count - 2] ^= 0x40
        variants.append(("ISIZE changed", size))
        var method = gz
        method[2] = 7
        variants.append(("compression method 7", method))
        var flags = gz
        flags[3] = 0xE0
        variants.append(("reserved header flags", flags))
        variants.append(("garbage after the magic", [0x1F, 0x8B] + Array("this is not deflate data at all".utf8)))
        var body = gz
        for i in 10..<(gz.count - 8) where i % 3 == 0 { body[i] = ~body[i] }
        variants.append(("deflate data inverted", body))
        let dir = try TempDir()
        for (name, bytes) in variants {
            #expect(inputErrorKind { _ = try KitGzip.inflate(bytes, inChunk: 1 << 16, outChunk: 1 << 16) } == .gzipCorrupt, "\(name)")
            let path = try dir.write("corrupt.csv", bytes)
            do {
                _ = try readFile(path)
                Issue.record("\(name): no error")
            } catch let error as InputError {
                #expect(error.kind == .gzipCorrupt, "\(name)")
                #expect(error.file == path)
            }
        }
    }

    @Test("bytes after the last member that are not a member are gzip_trailing_garbage")
    func trailingGarbage() throws {
        let data = Array("a,b\n1,2\n".utf8)
        let gz = try gzip(data)
        let dir = try TempDir()
        for tail in [Array("junk\n".utf8), [0x00, 0x00, 0x41], [0x8B], Array("\n".utf8)] {
            #expect(inputErrorKind { _ = try KitGzip.inflate(gz + tail, inChunk: 1 << 16, outChunk: 1 << 16) } == .gzipTrailingGarbage,
                    "tail \(tail)")
            #expect(inputErrorKind { _ = try KitGzip.inflate(gz + tail, inChunk: 1, outChunk: 1) } == .gzipTrailingGarbage,
                    "tail \(tail), byte by byte")
            let path = try dir.write("tail.csv.gz", gz + tail)
            #expect(inputErrorKind { _ = try readFile(path) } == .gzipTrailingGarbage, "tail \(tail)")
        }
    }

    @Test("zero bytes after the last member are ignored")
    func trailingZeros() throws {
        let data = Array("a,b\n1,2\n".utf8)
        let gz = try gzip(data)
        let dir = try TempDir()
        for zeros in [1, 7, 5_000] {
            let padded = gz + [UInt8](repeating: 0, count: zeros)
            let result = try KitGzip.inflate(padded, inChunk: 3, outChunk: 2)
            #expect(result.data == data)
            #expect(result.members == 1)
            let path = try dir.write("padded.csv", padded)
            let (out, reader) = try readFile(path, rawBufferSize: 64, readSize: 3)
            #expect(out == data)
            #expect(reader.gzipMembers == 1)
            #expect(reader.rawBytesRead == padded.count)
        }
    }

    @Test("data that does not start with the gzip magic passes through unchanged")
    func passThrough() throws {
        let dir = try TempDir()
        let gz = try gzip(Array("x".utf8))
        let inputs: [[UInt8]] = [
            [],
            [0x1F],
            [0x1F, 0x41, 0x42],
            [0x8B, 0x1F, 0x00],
            Array("id,label_status\n".utf8) + gz,   // the magic later in the data
            sampleText(bytes: 70_000, seed: 7),
            (0..<256).map { UInt8($0) },
        ]
        for (index, input) in inputs.enumerated() {
            let path = try dir.write("plain-\(index).csv.gz", input)
            for (raw, read) in [(1 << 20, 1 << 16), (16, 1), (16, 7)] {
                let (out, reader) = try readFile(path, rawBufferSize: raw, readSize: read)
                #expect(out == input, "input \(index), raw \(raw) read \(read)")
                #expect(!reader.isGzip)
                #expect(reader.gzipMembers == 0)
                #expect(reader.rawBytesRead == input.count)
                #expect(reader.bytesProduced == input.count)
            }
        }
    }

    @Test("sha256Hex and rawBytesRead describe the raw (compressed) bytes")
    func hashAndSize() throws {
        let dir = try TempDir()
        let data = sampleText(bytes: 120_000, seed: 8)
        let gz = try gzip(data)
        let files: [(String, [UInt8])] = [("empty.csv", []), ("plain.csv", data), ("packed.csv.gz", gz),
                                          ("multi.csv.gz", gz + gz)]
        for (name, bytes) in files {
            let path = try dir.write(name, bytes)
            let expected = try sha256sum(path)
            #expect(expected.count == 64)
            for raw in [1 << 20, 16, 1000] {
                let (_, reader) = try readFile(path, rawBufferSize: raw, readSize: 4096)
                #expect(reader.sha256Hex == expected, "\(name), raw \(raw)")
                #expect(reader.rawBytesRead == bytes.count, "\(name), raw \(raw)")
            }
        }
        #expect(try readFile(dir.url.appendingPathComponent("empty.csv").path).reader.sha256Hex
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("a missing file is input_not_found, a directory is input_unreadable")
    func sourceErrors() throws {
        let dir = try TempDir()
        let missing = dir.url.appendingPathComponent("missing.csv").path
        #expect(inputErrorKind { _ = try ByteSource(path: missing) } == .notFound)
        #expect(inputErrorKind { _ = try ByteSource(path: dir.path) } == .unreadable)
    }
}
