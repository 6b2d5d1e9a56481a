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
        let parent = temporaryDirectory ?? database.deletingLastPathComponent().path
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
                .io, "cannot create the scan's work folder (\(error.localizedDescription))",
                remedy: "check that its directory exists and is writable, or pass --temp-dir", file: path, underlying: error)
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
