import Foundation
import Glibc
import ConsentryModel
import ConsentryStore

/// write(2); the name is taken by ``OutputFile``'s own `write`.
@inline(__always)
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    Glibc.write(descriptor, bytes, count)
}

/// Buffered output to standard output, or to a file replaced atomically: the bytes go to a
/// temporary file beside the target, which ``commit()`` syncs and renames over it.
///
/// A reader (a metrics collector, a browser, a web server) sees the old file or the new one,
/// never half of one; a failed or interrupted write leaves the old file in place. The
/// temporary file is in the same directory because rename is only atomic within one file
/// system. Used by every command that writes a file or a stream of millions of lines.
public final class OutputFile {
    private let descriptor: Int32
    /// How errors name the output.
    private let name: String
    /// The temporary file and the path it replaces, when writing a file.
    private let file: (temporary: String, target: String)?
    private let buffer: UnsafeMutableRawPointer
    private var count = 0
    private var closed = false

    static let capacity = 64 * 1024

    /// Writes `text` to `path`, replacing it atomically, or to standard output when nil.
    ///
    /// A `cancellation` (a signal) that arrived before the rename throws its reason and
    /// leaves `path` as it was, with no temporary file beside it.
    public static func write(_ text: String, to path: String?, protecting database: String? = nil,
                             cancellation: Cancellation? = nil) throws {
        let file = try path.map { try OutputFile(replacing: $0, protecting: database) } ?? standardOutput()
        do {
            try file.write(text)
            // Standard output has been given everything by now; a file is left as it was.
            if path != nil, let reason = cancellation?.error { throw reason }
            try file.commit()
        } catch {
            file.discard()
            throw error
        }
    }

    /// Standard output, buffered.
    public static func standardOutput() -> OutputFile { OutputFile(descriptor: STDOUT_FILENO, name: "standard output") }

    init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.name = name
        file = nil
        buffer = .allocate(byteCount: OutputFile.capacity, alignment: 16)
    }

    /// Creates a temporary file beside `path` (same directory, so the rename is atomic).
    ///
    /// `protecting` names a results database: replacing it, or its `-wal`, `-shm` or
    /// `-journal` file, would lose every run, so such a target is refused.
    public init(replacing path: String, protecting database: String? = nil) throws {
        if let database, let target = FileIdentity(path), FileIdentity.ofDatabase(database).contains(target) {
            throw OutputError(.badTarget, "this is the results database", remedy: "write to another path", file: path)
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw OutputError(.badTarget, "this is a directory", remedy: "pass a file path to --output", file: path)
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var descriptor: Int32 = -1
        var temporary = ""
        for _ in 0..<16 {
            temporary = directory + "/." + url.lastPathComponent + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
            // 0666 and the umask: the file gets the permissions any new file would.
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else {
            throw OutputError(.io, "cannot create a file in \(directory) (\(String(cString: strerror(errno))))", remedy: "check that the directory exists and is writable", file: path)
        }
        self.descriptor = descriptor
        name = path
        file = (temporary, path)
        buffer = .allocate(byteCount: OutputFile.capacity, alignment: 16)
    }

    deinit {
        discard()
        buffer.deallocate()
    }

    @inline(__always)
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.count > OutputFile.capacity - count {
            try flush()
            if bytes.count > OutputFile.capacity {
                try writeAll(bytes)
                return
            }
        }
        guard let base = bytes.baseAddress else { return }
        (buffer + count).copyMemory(from: base, byteCount: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    public func flush() throws {
        guard count > 0 else { return }
        let pending = UnsafeRawBufferPointer(start: buffer, count: count)
        count = 0
        try writeAll(pending)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw failure("write")
            }
            offset += written
        }
    }

    private func failure(_ what: String) -> OutputError {
        let code = errno
        let reason = String(cString: strerror(code))
        let unchanged = file.map { " — \($0.target) was not changed" } ?? ""
        if code == ENOSPC {
            return OutputError(.diskFull, "the disk is full (\(what): \(reason))", remedy: "free space and run the command again\(unchanged)", file: name)
        }
        return OutputError(.io, "cannot \(what) the output (\(reason))", remedy: "check the disk and that the directory is writable\(unchanged)", file: name)
    }

    /// Writes what is buffered and, for a file, syncs it and renames it over the target.
    public func commit() throws {
        try flush()
        guard let file, !closed else { return }
        if fsync(descriptor) != 0 { throw failure("sync") }
        closed = true
        if close(descriptor) != 0 {
            let error = failure("close")
            unlink(file.temporary)
            throw error
        }
        if rename(file.temporary, file.target) != 0 {
            let error = failure("rename")
            unlink(file.temporary)
            throw error
        }
    }

    /// Removes the temporary file of an output that did not finish; nothing for stdout.
    public func discard() {
        guard let file, !closed else { return }
        closed = true
        close(descriptor)
        unlink(file.temporary)
    }
}
