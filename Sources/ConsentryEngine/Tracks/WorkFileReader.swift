import ConsentryModel
import Glibc

/// Reads a work file front to back in large blocks, handing out whole records.
public final class WorkFileReader {
    public let path: String
    private let descriptor: Int32
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    /// Unconsumed bytes are `buffer[start..<end]`.
    private var start = 0
    private var end = 0
    private var atEOF = false

    public init(path: String, bufferBytes: Int = 256 << 10) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw WorkFileReader.failure("open", path, errno) }
        capacity = bufferBytes
        buffer = .allocate(byteCount: bufferBytes, alignment: 16)
    }

    deinit {
        Glibc.close(descriptor)
        buffer.deallocate()
    }

    static func failure(_ what: String, _ path: String, _ code: Int32) -> WorkFileError {
        WorkFileError(.io, "cannot \(what) a work file (\(String(cString: strerror(code))))",
                      remedy: "check the disk; run the scan again", file: path)
    }

    /// At least `count` bytes (at most the buffer's size) at the read position, or nil at the
    /// end of the file; throws when the file ends inside them.
    @inline(__always)
    func peek(_ count: Int) throws -> UnsafeRawPointer? {
        if end - start >= count { return UnsafeRawPointer(buffer + start) }
        return try fill(count)
    }

    @inline(__always)
    func consume(_ count: Int) { start += count }

    private func fill(_ count: Int) throws -> UnsafeRawPointer? {
        if start > 0 {
            let rest = end - start
            if rest > 0 { buffer.copyMemory(from: buffer + start, byteCount: rest) }
            start = 0
            end = rest
        }
        while end < count && !atEOF {
            let n = Glibc.read(descriptor, buffer + end, capacity - end)
            if n < 0 {
                if errno == EINTR { continue }
                throw WorkFileReader.failure("read", path, errno)
            }
            if n == 0 { atEOF = true } else { end += n }
        }
        if end >= count { return UnsafeRawPointer(buffer) }
        if end == 0 { return nil }
        throw WorkFileError(.damaged, "a work file ends in the middle of a record",
                            remedy: "it was cut short or changed while consentry ran; run the scan again", file: path)
    }

    /// The next `count` bytes, or nil at the end of the file (`count` at most the buffer's
    /// size); throws when the file ends inside them.
    public func read(_ count: Int) throws -> [UInt8]? {
        guard let bytes = try peek(count) else { return nil }
        defer { consume(count) }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// The next little-endian integer, or nil at the end of the file.
    public func read<T: FixedWidthInteger>(_ type: T.Type) throws -> T? {
        guard let bytes = try peek(MemoryLayout<T>.size) else { return nil }
        defer { consume(MemoryLayout<T>.size) }
        return T(littleEndian: bytes.loadUnaligned(as: T.self))
    }

    /// Reads the file at `path`, which must hold exactly `into.count` bytes, into `into`.
    static func read(_ path: String, into destination: UnsafeMutableRawBufferPointer) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open", path, errno) }
        defer { Glibc.close(descriptor) }
        var done = 0
        var extra: UInt8 = 0
        while true {
            // After the expected bytes, one more read must find the end of the file.
            let n = done < destination.count
                ? Glibc.read(descriptor, destination.baseAddress! + done, destination.count - done)
                : Glibc.read(descriptor, &extra, 1)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("read", path, errno)
            }
            if n == 0 && done == destination.count { return }
            if n == 0 || done == destination.count {
                throw WorkFileError(.damaged, "a work file changed size while it was read",
                                    remedy: "it was changed while consentry ran; run the scan again", file: path)
            }
            done += n
        }
    }

    /// Reads the whole rest of the file into `into`, appending.
    func readAll(into: inout [UInt8]) throws {
        if end > start { into.append(contentsOf: UnsafeRawBufferPointer(start: buffer + start, count: end - start)) }
        start = 0
        end = 0
        while !atEOF {
            let n = Glibc.read(descriptor, buffer, capacity)
            if n < 0 {
                if errno == EINTR { continue }
                throw WorkFileReader.failure("read", path, errno)
            }
            if n == 0 { atEOF = true } else { into.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: n)) }
        }
    }
}
