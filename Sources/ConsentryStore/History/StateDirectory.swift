import ConsentryEngine
import ConsentryModel
import Foundation
import GRDB

/// The history state beside a database: every track's current period, one sorted file per
/// partition, so that a night's scan finds its changes by merging, without reading the
/// history tables.
///
/// The files are a cache of the open periods in the database. `current/MANIFEST` names the
/// token the database's `history_meta` holds for them; a state whose token does not match
/// (missing, stale, from another copy of the database) is rebuilt from the database.
///
/// A scan writes the next state into `next/` and syncs it, with its manifest, before the
/// run's transaction commits the new token; after the commit it moves `next/` to
/// `current/`. A crash in between leaves `next/` matching the database, which the next scan
/// takes.
final class StateDirectory {
    let root: String
    private var current: String { root + "/current" }
    var next: String { root + "/next" }
    private static let manifestName = "MANIFEST"
    /// The manifest's first line: the state files' format (2: tracks carry their artist). A
    /// state in another format is rebuilt from the database.
    private static let formatLine = "consentry-history-state 2"

    init(databasePath: String) {
        root = databasePath + ".state"
    }

    /// The files of the state matching `token`, or nil when there is none; promotes a
    /// matching `next/` left by a scan that committed but did not finish.
    func files(token: String?) -> [String]? {
        guard let token else { return nil }
        if StateDirectory.manifest(at: current) == token { return files(in: current) }
        if StateDirectory.manifest(at: next) == token, (try? promote()) != nil { return files(in: current) }
        return nil
    }

    private func files(in directory: String) -> [String] {
        (0..<HistoryPlan.partitionCount).map { directory + "/" + HistoryPlan.stateFileName(partition: $0) }
    }

    private static func manifest(at directory: String) -> String? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + manifestName),
              let text = String(data: data, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").map(String.init)
        guard lines.count >= 2, lines[0] == StateDirectory.formatLine else { return nil }
        // Every partition file must be there with the size the manifest gives.
        for line in lines.dropFirst(2) {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let size = Int(parts[1]),
                  let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + parts[0]),
                  (attributes[.size] as? Int) == size else { return nil }
        }
        return lines.count == HistoryPlan.partitionCount + 2 ? lines[1] : nil
    }

    /// An empty `next/` for a scan to write its state into.
    func prepareNext() throws -> String {
        try? FileManager.default.removeItem(atPath: next)
        do {
            try FileManager.default.createDirectory(atPath: next, withIntermediateDirectories: true)
        } catch {
            throw WorkFileError(.io, "cannot create the history state folder (\(FailureReason.of(error)))",
                                remedy: "check that the database's directory is writable", file: next, underlying: error)
        }
        return next
    }

    /// Seals `next/` for `token`: the manifest, synced, so the state survives a crash once the
    /// database says it is current.
    func seal(token: String) throws {
        var text = "\(StateDirectory.formatLine)\n\(token)\n"
        for file in files(in: next) {
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
            guard let size else {
                throw WorkFileError(.damaged, "a history state file is missing", remedy: "run the scan again", file: file)
            }
            text += "\((file as NSString).lastPathComponent) \(size)\n"
        }
        let writer = try WorkFileWriter(path: next + "/" + StateDirectory.manifestName)
        try writer.write(Array(text.utf8))
        try writer.close(durable: true)
        try StateDirectory.syncDirectory(next)
    }

    /// Makes `next/` the current state (after the commit).
    func promote() throws {
        let old = root + "/old"
        try? FileManager.default.removeItem(atPath: old)
        if FileManager.default.fileExists(atPath: current) {
            try FileManager.default.moveItem(atPath: current, toPath: old)
        }
        try FileManager.default.moveItem(atPath: next, toPath: current)
        try StateDirectory.syncDirectory(root)
        try? FileManager.default.removeItem(atPath: old)
    }

    /// Removes a `next/` that no committed run needs.
    func discardNext() {
        try? FileManager.default.removeItem(atPath: next)
    }

    private static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        if fsync(fd) != 0 {
            throw WorkFileError(.io, "cannot sync a folder (\(String(cString: strerror(errno))))",
                                remedy: "check the disk", file: path)
        }
    }

    /// A fresh random token.
    static func newToken() -> String {
        (0..<4).map { _ in String(UInt32.random(in: 0...UInt32.max), radix: 16) }.joined(separator: "-")
    }

    /// Writes the open periods of the database as a state in `directory` (for a scan that
    /// found no matching state), one file per partition.
    static func rebuild(_ db: Database, path: String, into directory: String) throws {
        let live = try LiveTracks(db: db, path: path, at: nil)
        var writers: [WorkFileWriter] = []
        for p in 0..<HistoryPlan.partitionCount {
            writers.append(try WorkFileWriter(path: directory + "/" + HistoryPlan.stateFileName(partition: p),
                                              bufferBytes: 64 << 10, writesBack: true))
        }
        while let entry = try live.next() {
            let p = Int(entry.hash >> (63 - UInt64(HistoryPlan.partitionBits)))
            try HistoryPlan.writeState(to: writers[p], hash: entry.hash, fromRun: entry.fromRun, combo: entry.combo, id: entry.id,
                                       artist: entry.artist)
        }
        for writer in writers { try writer.close(durable: true) }
    }
}
