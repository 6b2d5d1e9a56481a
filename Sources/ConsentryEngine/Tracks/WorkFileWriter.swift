import CFileIO
import ConsentryModel
import Glibc

/// Appends bytes to a new file through a buffer it owns.
///
/// Spill, state and history files are written once, front to back, by one thread; errors
/// name the file and say what to do (a full disk is the likely one).
public final class WorkFileWriter {
    public let path: String
    private let descriptor: Int32
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    // Written by one thread, a record at a time: no dynamic exclusivity checks per record.
    @exclusivity(unchecked) private var count = 0
    @exclusivity(unchecked) public private(set) var bytesWritten = 0
    private var closed = false
    private let writesBack: Bool

    /// `writesBack` starts the kernel writing each buffer's worth as it is written, for a
    /// file that will be closed durably: its sync then finds little left to write, instead
    /// of the whole file while the thread waits.
    public init(path: String, bufferBytes: Int = 256 << 10, writesBack: Bool = false) throws {
        self.path = path
        self.writesBack = writesBack
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw WorkFileWriter.failure("create", path, errno) }
        capacity = bufferBytes
        buffer = .allocate(byteCount: bufferBytes, alignment: 16)
    }

    deinit {
        if !closed { Glibc.close(descriptor) }
        buffer.deallocate()
    }

    static func failure(_ what: String, _ path: String, _ code: Int32) -> WorkFileError {
        let reason = String(cString: strerror(code))
        if code == ENOSPC || code == EDQUOT {
            return WorkFileError(
                .diskFull, "the disk is full (\(what): \(reason))",
                remedy: "free space, or pass --temp-dir on a disk with room; nothing was recorded", file: path)
        }
        return WorkFileError(.io, "cannot \(what) a work file (\(reason))",
                             remedy: "check that the directory is writable and the disk healthy", file: path)
    }

    /// Space for `bytes` more bytes (at most the buffer's size), written in place and then
    /// committed with ``advance(_:)``.
    @inline(__always)
    func reserve(_ bytes: Int) throws -> UnsafeMutableRawPointer {
        if count + bytes > capacity { try flush() }
        return buffer + count
    }

    @inline(__always)
    func advance(_ bytes: Int) {
        count += bytes
        bytesWritten += bytes
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes `value` in little-endian byte order.
    public func write<T: FixedWidthInteger>(_ value: T) throws {
        try withUnsafeBytes(of: value.littleEndian) { try write($0) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes
        while !rest.isEmpty {
            let room = capacity - count
            if room == 0 {
                try flush()
                continue
            }
            let n = min(room, rest.count)
            (buffer + count).copyMemory(from: rest.baseAddress!, byteCount: n)
            count += n
            bytesWritten += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
    }

    func flush() throws {
        var offset = 0
        while offset < count {
            let n = Glibc.write(descriptor, buffer + offset, count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw WorkFileWriter.failure("write", path, errno)
            }
            offset += n
        }
        if writesBack && count > 0 { _ = consentry_start_writeback(descriptor) }
        count = 0
    }

    /// Writes what is buffered and closes the file; `durable` syncs it to disk first.
    public func close(durable: Bool = false) throws {
        guard !closed else { return }
        try flush()
        if durable && fsync(descriptor) != 0 { throw WorkFileWriter.failure("sync", path, errno) }
        closed = true
        if Glibc.close(descriptor) != 0 { throw WorkFileWriter.failure("close", path, errno) }
    }
}
