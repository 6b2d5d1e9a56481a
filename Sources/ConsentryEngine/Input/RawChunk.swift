import Glibc
import ConsentryModel

/// A chunk of decompressed input: whole lines, except where a line is longer than a chunk.
struct RawChunk: @unchecked Sendable {
    let input: Int
    let sequence: Int
    let buffer: ByteBuffer
    /// Absolute offset of the chunk's first byte in the decompressed input.
    let offset: Int
    let isLast: Bool
}
