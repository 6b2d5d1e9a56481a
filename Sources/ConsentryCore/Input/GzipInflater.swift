import CZlib

/// Inflates a gzip stream of one or more concatenated members, fed in chunks of any size.
///
/// A pure state machine over zlib: the caller hands in compressed bytes and output space
/// and gets back how much of each was used. The `z_stream` lives at a fixed heap address
/// because zlib keeps a pointer back to it in its internal state.
public final class GzipInflater {
    private enum State {
        /// Inside a member: bytes go to zlib.
        case member
        /// A member ended; the next byte decides between another member and trailing bytes.
        case betweenMembers
        /// Only zero bytes have followed the last member (padding, which gzip(1) ignores too).
        case trailingZeros
    }

    private let stream: UnsafeMutablePointer<z_stream>
    private var state: State = .member
    /// Compressed bytes consumed so far, for error messages.
    public private(set) var consumed: Int = 0
    /// Number of members that started.
    public private(set) var members: Int = 1
    private let path: String

    public init(path: String) throws {
        self.path = path
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 16: a 32 KiB window and gzip framing only (a zlib or raw stream is corrupt here).
        let rc = consentry_inflateInit2(stream, 15 + 16)
        guard rc == Z_OK else {
            stream.deallocate()
            throw InputError(.gzipCorrupt, "cannot initialise zlib (code \(rc))", file: path)
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Inflates from `input` into `output`.
    ///
    /// Returns how many input bytes were consumed and how many output bytes produced. When
    /// `consumed < input.count` the output is full: call again with fresh output space.
    public func inflate(
        _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) throws -> (consumed: Int, produced: Int) {
        var inPos = 0
        var outPos = 0
        while inPos < input.count && outPos < output.count {
            switch state {
            case .trailingZeros, .betweenMembers:
                let byte = input[inPos]
                if byte == 0x1F && state == .betweenMembers {
                    // The next member's header is checked by zlib itself.
                    inflateReset(stream)
                    state = .member
                    members += 1
                } else if byte == 0 {
                    state = .trailingZeros
                    inPos += 1
                    consumed += 1
                } else {
                    throw InputError(
                        .gzipTrailingGarbage,
                        "bytes after the end of the gzip data at compressed offset \(consumed) are not another gzip member; the file is damaged or was appended to — re-export it",
                        file: path)
                }
            case .member:
                let base = input.baseAddress!.advanced(by: inPos)
                stream.pointee.next_in = UnsafeMutablePointer(
                    mutating: base.assumingMemoryBound(to: Bytef.self))
                stream.pointee.avail_in = UInt32(min(input.count - inPos, Int(UInt32.max)))
                stream.pointee.next_out = output.baseAddress!.advanced(by: outPos)
                    .assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = UInt32(min(output.count - outPos, Int(UInt32.max)))
                let availIn = stream.pointee.avail_in
                let availOut = stream.pointee.avail_out
                let rc = CZlib.inflate(stream, Z_NO_FLUSH)
                let usedIn = Int(availIn - stream.pointee.avail_in)
                let usedOut = Int(availOut - stream.pointee.avail_out)
                inPos += usedIn
                outPos += usedOut
                consumed += usedIn
                switch rc {
                case Z_OK:
                    break
                case Z_STREAM_END:
                    state = .betweenMembers
                case Z_BUF_ERROR:
                    // No progress possible with what we were given; the caller brings more.
                    if usedIn == 0 && usedOut == 0 { return (inPos, outPos) }
                default:
                    let detail = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                    throw InputError(
                        .gzipCorrupt,
                        "gzip data is corrupt near compressed offset \(consumed) (\(detail)); re-export or re-download the file",
                        file: path)
                }
            }
        }
        return (inPos, outPos)
    }

    /// Checks that the stream ended cleanly once the input is exhausted.
    public func finish() throws {
        if state == .member {
            throw InputError(
                .gzipTruncated,
                "gzip data is truncated after \(consumed) compressed bytes (member \(members) has no end); the export was cut short — re-export or re-download the file",
                file: path)
        }
    }
}
