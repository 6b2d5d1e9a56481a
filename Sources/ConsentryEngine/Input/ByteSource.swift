import Glibc
import ConsentryModel

/// A sequential source of raw bytes: a file, or standard input for `-`.
public final class ByteSource {
    /// The name used in messages and in `run_inputs.path`.
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let isRegularFile: Bool
    /// Asked while a read from a pipe or terminal waits for data; an error it returns is
    /// thrown, so a scan blocked on a stalled upstream still stops on SIGINT or SIGTERM.
    public var interruption: (@Sendable () -> (any Error)?)?
    /// Receives a copy of every byte read: standard input's, so that it can be read again.
    var copy: WorkFileWriter?

    /// Opens `path` for reading; `-` means standard input.
    public init(path: String) throws {
        self.path = path
        if path == "-" {
            fd = STDIN_FILENO
            ownsDescriptor = false
            var info = stat()
            isRegularFile = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
            return
        }
        // O_NONBLOCK: opening a FIFO with no writer yet would block here, where no signal can
        // stop it (SIGINT and SIGTERM are handled, not delivered). Reads block again; for a
        // FIFO they wait in `read(into:)`'s poll loop, which notices a cancellation.
        let opened = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard opened >= 0 else {
            let err = errno
            throw InputError(
                err == ENOENT ? .notFound : .unreadable,
                "cannot open input: \(String(cString: strerror(err))); check the path and its permissions",
                file: path)
        }
        let flags = fcntl(opened, F_GETFL)
        if flags >= 0 { _ = fcntl(opened, F_SETFL, flags & ~O_NONBLOCK) }
        var info = stat()
        _ = fstat(opened, &info)
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(opened)
            throw InputError(.unreadable, "input is a directory where a file was expected", remedy: "name the directory itself as an input, or a file in it", file: path)
        }
        fd = opened
        ownsDescriptor = true
        isRegularFile = (info.st_mode & S_IFMT) == S_IFREG
    }

    /// Reads up to `buffer.count` bytes; returns 0 at end of input.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        if !isRegularFile, let interruption {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while true {
                let ready = poll(&poller, 1, 100)
                if ready > 0 { break }
                if ready < 0 && errno != EINTR { break }
                if let error = interruption() { throw error }
            }
        }
        while true {
            let n = Glibc.read(fd, base, buffer.count)
            if n > 0, let copy { try copy.write(UnsafeRawBufferPointer(start: base, count: n)) }
            if n == 0 { try copy?.close() }
            if n >= 0 { return n }
            let err = errno
            if err == EINTR { continue }
            throw InputError(
                .unreadable,
                "read failed: \(String(cString: strerror(err)))", remedy: "check that the file is readable and the disk is healthy",
                file: path)
        }
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }
}
