import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fresh directory per test, removed when the value goes away.
package final class TempDir {
    /// The directory's path (no trailing slash).
    package let path: String
    package var url: URL { URL(fileURLWithPath: path, isDirectory: true) }

    /// `tag` only makes the directory's name (`consentry-TAG-PID-RANDOM`) easier to recognise.
    package init(_ tag: String = "test") throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("consentry-\(tag)-\(getpid())-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The path of `name` (which may contain `/`) in this directory.
    package func file(_ name: String) -> String { path + "/" + name }

    /// The results database path of this test.
    package var db: String { file("results.sqlite") }

    /// Writes `name` (its parent directories must exist) and returns its path.
    @discardableResult
    package func write(_ name: String, _ data: Data) throws -> String {
        let p = file(name)
        try data.write(to: URL(fileURLWithPath: p))
        return p
    }

    @discardableResult
    package func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        try write(name, Data(bytes))
    }

    @discardableResult
    package func write(_ name: String, _ text: String) throws -> String {
        try write(name, Data(text.utf8))
    }

    /// Creates the subdirectory `name` and returns its path.
    @discardableResult
    package func makeDirectory(_ name: String) throws -> String {
        let p = file(name)
        try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        return p
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
