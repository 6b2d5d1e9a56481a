import Crypto
import ConsentryModel

/// Reads an input's bytes, gunzipping them when the content starts with the gzip magic.
///
/// Compression is decided by content, never by name (contract §1). It also counts and hashes the
/// raw bytes for `run_inputs`.
public final class DecompressingReader {
    public let path: String
    private let source: ByteSource
    private var inflater: GzipInflater?
    private var raw: UnsafeMutableRawBufferPointer
    private var rawStart = 0
    private var rawEnd = 0
    private var sourceEnded = false
    private var decided = false
    private var hasher = SHA256()
    private var finished = false

    /// Raw (compressed) bytes read from the source so far.
    public private(set) var rawBytesRead = 0
    /// Decompressed bytes produced so far.
    public private(set) var bytesProduced = 0

    public init(source: ByteSource, rawBufferSize: Int = 1 << 20) {
        self.source = source
        self.path = source.path
        raw = .allocate(byteCount: max(rawBufferSize, 16), alignment: 16)
    }

    deinit { raw.deallocate() }

    /// Whether the input is gzip; known after the first `read`.
    public var isGzip: Bool { inflater != nil }

    /// Members seen in a gzip input.
    public var gzipMembers: Int { inflater?.members ?? 0 }

    /// The SHA-256 of the raw bytes, as lowercase hex; valid once `read` returned 0.
    public private(set) var sha256Hex = ""

    private func fillRaw() throws {
        if rawStart == rawEnd { rawStart = 0; rawEnd = 0 }
        if rawStart > 0 && rawEnd == raw.count {
            raw.baseAddress!.copyMemory(from: raw.baseAddress! + rawStart, byteCount: rawEnd - rawStart)
            rawEnd -= rawStart
            rawStart = 0
        }
        guard !sourceEnded, rawEnd < raw.count else { return }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[rawEnd...]))
        if n == 0 {
            sourceEnded = true
        } else {
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: raw[rawEnd..<(rawEnd + n)]))
            rawEnd += n
            rawBytesRead += n
        }
    }

    /// Fills `buffer` with decompressed bytes; returns 0 only at the end of the input.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if finished || buffer.count == 0 { return 0 }
        if !decided {
            while rawEnd - rawStart < 2 && !sourceEnded { try fillRaw() }
            if rawEnd - rawStart >= 2 && raw[rawStart] == 0x1F && raw[rawStart + 1] == 0x8B {
                inflater = GzipInflater(path: path)
            }
            decided = true
        }
        while true {
            if rawStart == rawEnd && !sourceEnded {
                try fillRaw()
                continue
            }
            let available = UnsafeRawBufferPointer(rebasing: raw[rawStart..<rawEnd])
            if let inflater {
                // Called with empty input too once the source ended: the inflater may hold
                // bytes it consumed that still have output in them.
                let (used, produced) = try inflater.inflate(available, into: buffer)
                rawStart += used
                if produced > 0 {
                    bytesProduced += produced
                    return produced
                }
                if used == 0 {
                    if sourceEnded { try inflater.finish(); finish(); return 0 }
                    // The inflater needs more input than we hold; read more before trying again.
                    try fillRaw()
                }
            } else {
                if available.isEmpty {
                    finish()
                    return 0
                }
                let n = min(available.count, buffer.count)
                buffer.baseAddress!.copyMemory(from: available.baseAddress!, byteCount: n)
                rawStart += n
                bytesProduced += n
                return n
            }
        }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        sha256Hex = hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
