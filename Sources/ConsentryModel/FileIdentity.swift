#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which file a path names: its device and inode, equal for every path (link, relative or
/// absolute) to one file.
public struct FileIdentity: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64

    /// The identity of the file at `path`, following symbolic links; nil when there is none.
    public init?(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }

    /// The results database at `path` and the journal files SQLite keeps beside it, those
    /// that exist.
    public static func ofDatabase(_ path: String) -> [FileIdentity] {
        ["", "-wal", "-shm", "-journal"].compactMap { FileIdentity(path + $0) }
    }
}
