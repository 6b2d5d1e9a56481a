#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A sequential source of raw bytes: a file, or standard input for `-`.
public final class ByteSource {
    /// The name used in messages and in `run_inputs.path`.
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool

    /// Opens `path` for reading; `-` means standard input.
    public init(path: String) throws {
        self.path = path
        if path == "-" {
            fd = STDIN_FILENO
            ownsDescriptor = false
            return
        }
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else {
            let err = errno
            throw InputError(
                err == ENOENT ? .notFound : .unreadable,
                "cannot open input: \(String(cString: strerror(err))); check the path and its permissions",
                file: path)
        }
        var info = stat()
        if fstat(opened, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(opened)
            throw InputError(.unreadable, "input is a directory where a file was expected", file: path)
        }
        fd = opened
        ownsDescriptor = true
    }

    /// Reads up to `buffer.count` bytes; returns 0 at end of input.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = Glibc.read(fd, base, buffer.count)
            if n >= 0 { return n }
            let err = errno
            if err == EINTR { continue }
            throw InputError(
                .unreadable,
                "read failed: \(String(cString: strerror(err))); check that the file is readable and the disk is healthy",
                file: path)
        }
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }
}
