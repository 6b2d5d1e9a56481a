import CZlib
import ConsentryModel

/// Inflates a gzip stream (RFC 1952) of one or more concatenated members, fed in chunks of
/// any size.
///
/// A pure state machine: the caller hands in compressed bytes and output space and gets back
/// how much of each was used. It parses the member headers and trailers itself, decodes the
/// DEFLATE data with ``DeflateDecoder`` and checks every member's CRC-32 and length, as
/// zlib's `inflate` would (and with zlib's words for what is wrong).
public final class GzipInflater {
    private enum State {
        /// Reading a member header: `step` bytes of its fixed 10 read so far.
        case header(Int)
        case extraLength(Int)
        case extra(Int)
        case name
        case comment
        case headerCRC(Int)
        /// Inside a member's DEFLATE data.
        case body
        /// Reading the member's CRC-32 and length: `step` of 8 bytes read.
        case trailer(Int)
        /// A member ended; the next byte decides between another member and trailing bytes.
        case betweenMembers
        /// Only zero bytes have followed the last member (padding, which gzip(1) ignores too).
        case trailingZeros
    }

    private let decoder = DeflateDecoder()
    private var state = State.header(0)
    private var flags: UInt8 = 0
    private var headerCRC: UInt32 = 0
    private var extraLength = 0
    private var trailer: UInt64 = 0
    /// CRC-32 and length (mod 2^32) of the current member's output so far.
    private var crc: UInt32 = 0
    private var length: UInt32 = 0
    /// Compressed bytes consumed so far, for error messages.
    public private(set) var consumed: Int = 0
    /// Number of members that started.
    public private(set) var members: Int = 1
    private let path: String

    #if arch(x86_64)
    private static let foldCRC: Int32 = consentry_has_crc32_fold()
    #else
    private static let foldCRC: Int32 = 0
    #endif

    public init(path: String) {
        self.path = path
    }

    /// Where the current call's input starts, for the offsets in error messages.
    private var callStart = UnsafePointer<UInt8>(bitPattern: 1)!

    private func corrupt(_ reason: String, at ip: UnsafePointer<UInt8>) -> InputError {
        InputError(
            .gzipCorrupt,
            "gzip data is corrupt near compressed offset \(consumed + (ip - callStart)) (\(reason))", remedy: "re-export or re-download the file",
            file: path)
    }

    /// Inflates from `input` into `output`.
    ///
    /// Returns how many input bytes were consumed and how many output bytes produced. When
    /// `consumed < input.count` the output is full: call again with fresh output space. Call
    /// with empty input once the input has ended, until nothing more is produced: bytes
    /// already consumed may still hold output.
    public func inflate(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws -> (consumed: Int, produced: Int) {
        guard let outputBase = output.baseAddress, output.count > 0 else { return (0, 0) }
        var empty: UInt8 = 0
        return try withUnsafeMutablePointer(to: &empty) { emptyPointer in
            let start = input.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? UnsafePointer(emptyPointer)
            let end = start + input.count
            var ip = start
            callStart = start
            let outStart = outputBase.assumingMemoryBound(to: UInt8.self)
            let outEnd = outStart + output.count
            var op = outStart
            defer { consumed += ip - start }
            try run(&ip, end, &op, outEnd)
            return (ip - start, op - outStart)
        }
    }

    private func run(_ ip: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>,
                     _ op: inout UnsafeMutablePointer<UInt8>, _ outEnd: UnsafeMutablePointer<UInt8>) throws {
        while true {
            switch state {
            case .body:
                let from = op
                let ended: Bool
                do {
                    ended = try decoder.decode(&ip, end, &op, outEnd)
                } catch let error as DeflateDecoder.Corrupt {
                    throw corrupt(error.reason, at: ip)
                }
                let produced = UnsafeBufferPointer(start: from, count: op - from)
                if produced.count > 0 {
                    crc = consentry_crc32(crc, from, produced.count, GzipInflater.foldCRC)
                    length &+= UInt32(truncatingIfNeeded: produced.count)
                    decoder.retain(produced)
                }
                guard ended else { return }
                decoder.alignToByte()
                trailer = 0
                state = .trailer(0)
            case .trailer(let step):
                guard let byte = decoder.readByte(&ip, end) else { return }
                trailer |= UInt64(byte) << (8 * UInt64(step))
                if step < 7 {
                    state = .trailer(step + 1)
                    continue
                }
                guard UInt32(truncatingIfNeeded: trailer) == crc else { throw corrupt("incorrect data check", at: ip) }
                guard UInt32(truncatingIfNeeded: trailer >> 32) == length else { throw corrupt("incorrect length check", at: ip) }
                state = .betweenMembers
            case .betweenMembers, .trailingZeros:
                guard let byte = decoder.peekByte(ip, end) else { return }
                if byte == 0x1F, case .betweenMembers = state {
                    members += 1
                    headerCRC = 0
                    state = .header(0)
                } else if byte == 0 {
                    _ = decoder.readByte(&ip, end)
                    state = .trailingZeros
                } else {
                    throw InputError(
                        .gzipTrailingGarbage,
                        "bytes after the end of the gzip data at compressed offset \(consumed + (ip - callStart)) are not another gzip member; the file is damaged or was appended to — re-export it",
                        file: path)
                }
            default:
                guard try header(&ip, end) else { return }
            }
        }
    }

    /// Reads header bytes; true once the header is complete and the body begins.
    private func header(_ ip: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) throws -> Bool {
        while true {
            if case .body = state { return true }
            guard let byte = decoder.readByte(&ip, end) else { return false }
            if case .headerCRC = state {} else {
                // FHCRC: the low 16 bits of the CRC-32 of the header bytes before it.
                var copy = byte
                headerCRC = consentry_crc32(headerCRC, &copy, 1, 0)
            }
            switch state {
            case .header(let step):
                switch step {
                case 0:
                    guard byte == 0x1F else { throw corrupt("incorrect header check", at: ip) }
                case 1:
                    guard byte == 0x8B else { throw corrupt("incorrect header check", at: ip) }
                case 2:
                    guard byte == 8 else { throw corrupt("unknown compression method", at: ip) }
                case 3:
                    guard byte & 0xE0 == 0 else { throw corrupt("unknown header flags set", at: ip) }
                    flags = byte
                default:
                    break
                }
                state = step < 9 ? .header(step + 1) : afterFixedHeader()
            case .extraLength(let step):
                extraLength |= Int(byte) << (8 * step)
                state = step == 0 ? .extraLength(1) : (extraLength > 0 ? .extra(extraLength) : afterExtra())
            case .extra(let remaining):
                state = remaining > 1 ? .extra(remaining - 1) : afterExtra()
            case .name:
                if byte == 0 { state = afterName() }
            case .comment:
                if byte == 0 { state = afterComment() }
            case .headerCRC(let step):
                let expected = UInt8(truncatingIfNeeded: headerCRC >> (8 * UInt32(step)))
                guard byte == expected else { throw corrupt("header crc mismatch", at: ip) }
                state = step == 0 ? .headerCRC(1) : startBody()
            default:
                return true
            }
        }
    }

    private func afterFixedHeader() -> State {
        extraLength = 0
        return flags & 0x04 != 0 ? .extraLength(0) : afterExtra()
    }

    private func afterExtra() -> State { flags & 0x08 != 0 ? .name : afterName() }

    private func afterName() -> State { flags & 0x10 != 0 ? .comment : afterComment() }

    private func afterComment() -> State { flags & 0x02 != 0 ? .headerCRC(0) : startBody() }

    private func startBody() -> State {
        decoder.reset()
        crc = 0
        length = 0
        return .body
    }

    /// Checks that the stream ended cleanly once the input is exhausted.
    public func finish() throws {
        switch state {
        case .betweenMembers, .trailingZeros:
            return
        default:
            throw InputError(
                .gzipTruncated,
                "gzip data is truncated after \(consumed) compressed bytes (member \(members) has no end); the export was cut short — re-export or re-download the file",
                file: path)
        }
    }
}
