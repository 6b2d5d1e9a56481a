import ConsentryEngine
import ConsentryModel
import Foundation

/// The folder a scan keeps its spill and work files in: beside the database, or under
/// `--temp-dir`, with a name fixed per database.
///
/// Only the scan holding the database's lock uses it, so a folder found there at the start
/// was left by a scan that was killed: it is removed before the new one is made. It is
/// removed again when the scan ends, whether it completed or failed.
struct WorkDirectory {
    let path: String

    init(databasePath: String, temporaryDirectory: String?) {
        let database = URL(fileURLWithPath: databasePath).standardizedFileURL
        // Absolute, so that a later scan from another directory finds it (the run records it).
        let parent = temporaryDirectory.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            ?? database.deletingLastPathComponent().path
        // The database's full path picks the name, so two databases can share --temp-dir.
        let tag = String(TrackHash.of(database.path) & 0xFFFF_FFFF, radix: 16)
        path = parent + "/.\(database.lastPathComponent).work-\(tag)"
    }

    /// Removes what a killed scan left, then makes the folder afresh.
    func create() throws {
        remove()
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        } catch {
            throw WorkFileError(
                .io, "cannot create the scan's work folder (\(FailureReason.of(error)))",
                remedy: "check that its directory exists and is writable, or pass --temp-dir", file: path, underlying: error)
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Removes `folder`, another scan's work folder of the same database (recorded by its
    /// run), if its name says it is one: a path read from the database is never trusted to
    /// name anything else.
    func removeSibling(_ folder: String) {
        guard folder != path, (folder as NSString).lastPathComponent == (path as NSString).lastPathComponent else { return }
        try? FileManager.default.removeItem(atPath: folder)
    }
}
