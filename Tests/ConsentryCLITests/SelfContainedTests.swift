import Foundation
import Testing
import TestSupport

/// The binary must run alone: copied out of the build directory, by a user who cannot read
/// where it lives. Foundation's `Bundle` looks for files beside the executable, and finding
/// its main bundle traps when the executable's directory cannot be resolved, so no source
/// may use it, and no target may carry resources (SwiftPM reaches those through
/// `Bundle.module`). The end-to-end tests run the copied binary that way
/// (`InstalledBinary`); this catches a new use before it gets that far.
@Suite("Self-contained binary")
struct SelfContainedTests {
    @Test("no source looks anything up through Bundle, and no target has resources")
    func noBundle() throws {
        let sources = Paths.inRepository("Sources")
        let enumerator = try #require(FileManager.default.enumerator(atPath: sources))
        var checked = 0
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(".swift") else { continue }
            let text = try String(contentsOfFile: sources + "/" + relative, encoding: .utf8)
            checked += 1
            guard text.contains("Bundle") || text.contains("#bundle") else { continue }
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where (line.contains("Bundle") || line.contains("#bundle"))
                && line.contains(/\bBundle\s*[.(]|\bCFBundle|#bundle\b/) && !line.trimmingPrefix(while: \.isWhitespace).hasPrefix("//") {
                Issue.record("Sources/\(relative):\(number + 1) uses Bundle: \(line)")
            }
        }
        #expect(checked > 50)
        let manifest = try String(contentsOfFile: Paths.inRepository("Package.swift"), encoding: .utf8)
        #expect(!manifest.contains("resources:"), "Package.swift gives a target resources")
    }
}
