import CISAL
import ConsentryModel

/// Inflates a gzip stream (RFC 1952) of one or more concatenated members, fed in chunks of
/// any size.
///
/// A state machine around Intel ISA-L's `isal_inflate`: the caller hands in compressed bytes
/// and output space and gets back how much of each was used. ISA-L parses each member's
/// header, decodes its DEFLATE data and checks its CRC-32 and length; this type decides what
/// follows a member (another member, zero padding, or garbage) and words every failure as
/// zlib's `inflate` would.
public final class GzipInflater {
    private enum State {
        /// Inside a member: its header, DEFLATE data or trailer.
        case member
        /// A member ended; the next byte decides between another member and trailing bytes.
        case betweenMembers
        /// Only zero bytes have followed the last member (padding, which gzip(1) ignores too).
        case trailingZeros
    }

    /// ISA-L's decoder state: about 90 KiB (Huffman tables and a 64 KiB history buffer), so it
    /// lives on the heap, one per inflater, reused for every member.
    private let isal: UnsafeMutablePointer<inflate_state>
    /// The current member's header as ISA-L has parsed it so far. It must outlive a call:
    /// `isal_inflate` parses headers into a fresh one each call, which loses the flags and
    /// the header CRC when a header is split across calls, so headers are read here.
    private let header: UnsafeMutablePointer<isal_gzip_header>
    private var state = State.member
    /// How many of the current member's first 4 bytes (magic, method, flags) were checked.
    /// ISA-L does not look at the reserved flag bits, which zlib refuses.
    private var headerBytesChecked = 0
    /// The last 8 bytes handed to ISA-L, the latest in the top byte: once a member ends they
    /// are its trailer, which tells a bad CRC-32 from a bad length.
    private var lastBytes: UInt64 = 0
    /// Compressed bytes consumed so far, for error messages.
    public private(set) var consumed: Int = 0
    /// Number of members that started.
    public private(set) var members: Int = 1
    private let path: String

    public init(path: String) {
        self.path = path
        isal = .allocate(capacity: 1)
        isal_inflate_init(isal)
        isal.pointee.crc_flag = UInt32(ISAL_GZIP)
        header = .allocate(capacity: 1)
        isal_gzip_header_init(header)
    }

    deinit {
        isal.deallocate()
        header.deallocate()
    }

    /// Where the current call's input starts, for the offsets in error messages.
    private var callStart = UnsafePointer<UInt8>(bitPattern: 1)!

    private func corrupt(_ reason: String, at ip: UnsafePointer<UInt8>) -> InputError {
        InputError(
            .gzipCorrupt,
            "gzip data is corrupt near compressed offset \(consumed + (ip - callStart)) (\(reason))",
            remedy: "re-export or re-download the file",
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
            let start = input.baseAddress.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) }
                ?? UnsafePointer(emptyPointer)
            var ip = start
            callStart = start
            let outStart = outputBase.assumingMemoryBound(to: UInt8.self)
            var op = outStart
            defer { consumed += ip - start }
            try run(&ip, start + input.count, &op, outStart + output.count)
            return (ip - start, op - outStart)
        }
    }

    /// ISA-L counts in 32 bits; a call is given at most this much of either buffer.
    private static let maxCallBytes = 1 << 30

    private func run(_ ip: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>,
                     _ op: inout UnsafeMutablePointer<UInt8>, _ outEnd: UnsafeMutablePointer<UInt8>) throws {
        while true {
            switch state {
            case .member:
                try checkHeaderStart(ip, end)
                let (inFrom, outFrom) = (ip, op)
                isal.pointee.next_in = UnsafeMutablePointer(mutating: ip)
                isal.pointee.avail_in = UInt32(min(end - ip, GzipInflater.maxCallBytes))
                let rc: Int32
                if isal.pointee.wrapper_flag == 0 {
                    rc = isal_read_gzip_header(isal, header)
                } else {
                    isal.pointee.next_out = op
                    isal.pointee.avail_out = UInt32(min(outEnd - op, GzipInflater.maxCallBytes))
                    rc = isal_inflate(isal)
                    op = isal.pointee.next_out
                }
                ip = UnsafePointer(isal.pointee.next_in)
                remember(inFrom, ip)
                // isal_read_gzip_header reports a header that needs more input as a positive code.
                if rc < 0 { throw failure(rc, at: ip) }
                if isal.pointee.block_state == ISAL_BLOCK_FINISH {
                    state = .betweenMembers
                } else if ip == inFrom && op == outFrom || ip == end || op == outEnd {
                    // Needs more input or more output space.
                    return
                }
            case .betweenMembers, .trailingZeros:
                guard ip < end else { return }
                if ip.pointee == 0x1F, case .betweenMembers = state {
                    members += 1
                    isal_inflate_reset(isal)
                    isal_gzip_header_init(header)
                    headerBytesChecked = 0
                    state = .member
                } else if ip.pointee == 0 {
                    ip += 1
                    state = .trailingZeros
                } else {
                    throw InputError(
                        .gzipTrailingGarbage,
                        "bytes after the end of the gzip data at compressed offset \(consumed + (ip - callStart)) are not another gzip member: the file is damaged or was appended to",
                        remedy: "re-export it",
                        file: path)
                }
            }
        }
    }

    /// Checks the member's first 4 bytes among those about to go to ISA-L (which takes every
    /// byte of a header it is given), with zlib's messages and the offset after the bad byte.
    private func checkHeaderStart(_ ip: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) throws {
        var p = ip
        while headerBytesChecked < 4 && p < end {
            let byte = p.pointee
            p += 1
            switch headerBytesChecked {
            case 0, 1:
                guard byte == (headerBytesChecked == 0 ? 0x1F : 0x8B) else { throw corrupt("incorrect header check", at: p) }
            case 2:
                guard byte == 8 else { throw corrupt("unknown compression method", at: p) }
            default:
                guard byte & 0xE0 == 0 else { throw corrupt("unknown header flags set", at: p) }
            }
            headerBytesChecked += 1
        }
    }

    /// Keeps the last 8 of the bytes ISA-L consumed, `from..<to` being the latest.
    private func remember(_ from: UnsafePointer<UInt8>, _ to: UnsafePointer<UInt8>) {
        if to - from >= 8 {
            lastBytes = UInt64(littleEndian: UnsafeRawPointer(to - 8).loadUnaligned(as: UInt64.self))
            return
        }
        var p = from
        while p < to {
            lastBytes = lastBytes >> 8 | UInt64(p.pointee) << 56
            p += 1
        }
    }

    /// The error for ISA-L's return code `rc`, in zlib's words where ISA-L's codes allow.
    private func failure(_ rc: Int32, at ip: UnsafePointer<UInt8>) -> InputError {
        switch rc {
        case ISAL_INVALID_BLOCK:
            return corrupt("invalid block header", at: ip)
        case ISAL_INVALID_SYMBOL:
            return corrupt("invalid literal/length or distance code", at: ip)
        case ISAL_INVALID_LOOKBACK:
            return corrupt("invalid distance too far back", at: ip)
        case ISAL_INVALID_WRAPPER:
            return corrupt("incorrect header check", at: ip)
        case ISAL_UNSUPPORTED_METHOD:
            return corrupt("unknown compression method", at: ip)
        case ISAL_INCORRECT_CHECKSUM where isal.pointee.wrapper_flag == 0:
            return corrupt("header crc mismatch", at: ip)
        case ISAL_INCORRECT_CHECKSUM where UInt32(truncatingIfNeeded: lastBytes) != isal.pointee.crc:
            return corrupt("incorrect data check", at: ip)
        case ISAL_INCORRECT_CHECKSUM:
            return corrupt("incorrect length check", at: ip)
        default:
            return corrupt("ISA-L error \(rc)", at: ip)
        }
    }

    /// Checks that the stream ended cleanly once the input is exhausted.
    public func finish() throws {
        switch state {
        case .betweenMembers, .trailingZeros:
            return
        case .member:
            throw InputError(
                .gzipTruncated,
                "gzip data is truncated after \(consumed) compressed bytes (member \(members) has no end): the export was cut short",
                remedy: "re-export or re-download the file",
                file: path)
        }
    }
}
