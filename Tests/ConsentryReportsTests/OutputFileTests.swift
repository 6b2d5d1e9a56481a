import Foundation
import Testing
import ConsentryModel
import ConsentryEngine
@testable import ConsentryStore
@testable import ConsentryReports
import TestSupport

@Suite("OutputFile replaces a file atomically, and an interruption leaves it as it was")
struct OutputFileTests {
    private func listing(_ dir: TempDir) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    @Test("the text replaces the file, with no temporary file left")
    func replaces() throws {
        let dir = try TempDir("output")
        let target = try dir.write("report.html", "old")
        try OutputFile.write("new report\n", to: target, cancellation: Cancellation())
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "new report\n")
        #expect(try listing(dir) == ["report.html"])
    }

    @Test("the results database and each journal file beside it are refused as targets, also through a link")
    func databaseFilesRefused() throws {
        let dir = try TempDir("output")
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let target = try dir.write("results.sqlite" + suffix, "keep")
            let link = dir.file("link" + suffix)
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
            for path in [target, link] {
                let error = thrownError { _ = try OutputFile(replacing: path, protecting: dir.db) } as? OutputError
                #expect(error?.kind == .badTarget, "\(path): \(String(describing: error))")
            }
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep")
        }
        // Another file beside it is written.
        try OutputFile.write("report\n", to: dir.file("report.html"), cancellation: Cancellation())
    }

    @Test("a signal before the rename throws its reason and leaves the old file, with no temporary file")
    func interrupted() throws {
        let dir = try TempDir("output")
        let target = try dir.write("report.html", "old")
        let cancellation = Cancellation()
        cancellation.cancel(ScanInterrupted(signal: SIGTERM, outcome: ScanInterrupted.outcome(writing: target)))
        let error = thrownError {
            try OutputFile.write(String(repeating: "x", count: 300_000), to: target, cancellation: cancellation)
        } as? ScanInterrupted
        #expect(error?.signal == SIGTERM)
        #expect(error?.message == "interrupted by signal SIGTERM; \(target) was not changed")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "old")
        #expect(try listing(dir) == ["report.html"])
        // A target that did not exist is not created.
        let fresh = dir.file("new.html")
        #expect(thrownError { try OutputFile.write("x", to: fresh, cancellation: cancellation) } is ScanInterrupted)
        #expect(try listing(dir) == ["report.html"])
    }

    @Test("the messages say what an interruption left")
    func messages() {
        #expect(ScanInterrupted(signal: SIGINT).message == "interrupted by signal SIGINT; the run was marked failed")
        #expect(ScanInterrupted(signal: SIGINT, outcome: ScanInterrupted.outcome(writing: nil)).message
                == "interrupted by signal SIGINT; the output is incomplete")
    }
}
