import CFileIO
import Foundation
import ConsentryModel
import ConsentryEngine

/// Has the kernel write a database's dirty pages while a long transaction is still making
/// them, so that the syncs of its commit find little left to write.
///
/// A `--store all` scan writes its rows to the WAL for the whole scan (a new database's first
/// run: to the database file); the commit then syncs the WAL, copies it into the database
/// file and syncs that. Linux leaves dirty pages for up to 30 s before writing them, so both
/// syncs wrote everything at the end — about 0.3 s each for 5M tracks, with every scan thread
/// idle. Started every 50 ms, the writing overlaps the scan and the copy instead. It changes
/// no guarantee: SQLite still syncs where it did.
///
/// It uses SQLite's own descriptors, found by inode in `/proc/self/fd`: closing a descriptor
/// of ours on the database file would drop the POSIX locks SQLite holds on it. Where there
/// is no `/proc` (or no `sync_file_range`), it does nothing.
final class WritebackNudger: @unchecked Sendable {
    private let timer: DispatchSourceTimer?

    /// Starts nudging the database at `path` and its WAL, as open in this process.
    init(databasePath path: String, interval: DispatchTimeInterval = .milliseconds(50)) {
        let descriptors = WritebackNudger.openDescriptors(of: [path, path + "-wal"])
        guard !descriptors.isEmpty else {
            timer = nil
            return
        }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        timer.setEventHandler {
            for fd in descriptors { _ = consentry_start_writeback(fd) }
        }
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.resume()
        self.timer = timer
    }

    /// Stops the nudging and waits for a nudge under way; call it before SQLite closes the
    /// files. Calling it again does nothing.
    func stop() {
        guard let timer, !timer.isCancelled else { return }
        // Dispatch runs the cancel handler only after a running event handler has returned.
        let done = DispatchSemaphore(value: 0)
        timer.setCancelHandler { done.signal() }
        timer.cancel()
        done.wait()
    }

    deinit { stop() }

    /// The descriptors of this process open on the files at `paths` (matched by device and
    /// inode), one per file.
    static func openDescriptors(of paths: [String]) -> [Int32] {
        var wanted: [(dev_t, ino_t)] = []
        for path in paths {
            var s = stat()
            if stat(path, &s) == 0 { wanted.append((s.st_dev, s.st_ino)) }
        }
        guard !wanted.isEmpty,
              let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return [] }
        var found: [Int32] = []
        for name in names {
            guard let fd = Int32(name) else { continue }
            var s = stat()
            guard fstat(fd, &s) == 0, (s.st_mode & S_IFMT) == S_IFREG,
                  let index = wanted.firstIndex(where: { $0.0 == s.st_dev && $0.1 == s.st_ino }) else { continue }
            wanted.remove(at: index)
            found.append(fd)
        }
        return found
    }
}
