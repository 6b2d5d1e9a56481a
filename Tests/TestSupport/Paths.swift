import Foundation

/// Where the repository's files are, found from this file's path
/// (Tests/TestSupport/Paths.swift), and where the system tools the tests use live.
package enum Paths {
    /// The repository root.
    package static let repository: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A path inside the repository, e.g. `inRepository("Fuzz/corpus/gzip")`.
    package static func inRepository(_ relativePath: String) -> String {
        repository.appendingPathComponent(relativePath).path
    }

    /// A file in SampleCatalogs/.
    package static func sample(_ name: String) -> String {
        repository.appendingPathComponent("SampleCatalogs").appendingPathComponent(name).path
    }

    /// Scripts/reference-scan, the Python oracle.
    package static var referenceScan: String { inRepository("Scripts/reference-scan") }

    /// A built-in policy's YAML file in the sources.
    package static func builtInPolicy(_ id: String) -> String {
        inRepository("Sources/ConsentryEngine/Policy/BuiltIn/\(id).yaml")
    }

    /// The `sqlite3` command-line tool: `$SQLITE3`, else the first one installed.
    package static let sqlite3: String? = {
        if let env = ProcessInfo.processInfo.environment["SQLITE3"], !env.isEmpty { return env }
        return ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3", "/opt/homebrew/bin/sqlite3"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }()

    /// gzip(1).
    package static let gzip: String = tool(["/usr/bin/gzip", "/bin/gzip"]) ?? "/usr/bin/gzip"

    /// The first of `candidates` that is an executable file.
    package static func tool(_ candidates: [String]) -> String? {
        candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
