import Foundation
import Testing
import ConsentryModel

@Suite("FailureReason: the system's reason under Foundation's file errors")
struct FailureReasonTests {
    @Test("a Foundation file error says the POSIX reason beneath it, not 'NSCocoaErrorDomain error 256'")
    func foundationErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("failure-reason-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let read = #expect(throws: (any Error).self) { _ = try Data(contentsOf: dir) }
        #expect(read.map(FailureReason.of) == String(cString: strerror(EISDIR)))
        let file = dir.appendingPathComponent("f")
        try Data("x".utf8).write(to: file)
        let create = #expect(throws: (any Error).self) {
            try FileManager.default.createDirectory(at: file.appendingPathComponent("sub"), withIntermediateDirectories: false)
        }
        #expect(create.map(FailureReason.of) == String(cString: strerror(ENOTDIR)))
    }

    @Test("a POSIX error says itself; any other error its description")
    func otherErrors() {
        #expect(FailureReason.of(POSIXError(.EACCES)) == String(cString: strerror(EACCES)))
        struct Odd: Error, CustomStringConvertible { var description: String { "odd" } }
        #expect(!FailureReason.of(Odd()).isEmpty)
    }
}
