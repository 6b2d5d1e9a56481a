import Foundation
import Testing
import ConsentryModel
@testable import ConsentryEngine
import TestSupport

private func resolverErrorKind(_ arguments: [String]) -> (InputError.Code?, String?) {
    do {
        _ = try InputResolver.expand(arguments)
        return (nil, nil)
    } catch let error as InputError {
        return (error.kind, error.file)
    } catch {
        Issue.record("unexpected error type: \(error)")
        return (nil, nil)
    }
}

@Suite("InputResolver")
struct InputResolverTests {
    @Test("a directory expands to its .csv/.jsonl/.ndjson files (optionally .gz) in name order, not recursively")
    func directoryExpansion() throws {
        let dir = try TempDir()
        let inputs = ["b.csv", "a.jsonl", "c.ndjson.gz", "d.csv.gz", "Z.csv", "a b.csv", "x.gz.csv", "10.csv", "9.csv"]
        let others = ["e.txt", "f.gz", "g.json", "h.csv.bak", "i.csv.gz.tmp", "csv", "j.tsv", "k.jsonl.zip", ".gz"]
        for name in inputs + others { _ = try dir.write(name, []) }
        let sub = dir.url.appendingPathComponent("sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: false)
        _ = try dir.write("sub/nested.csv", [])

        let got = try InputResolver.expand([dir.path])
        // Byte order of the names: digits, upper case, then lower case.
        let order = ["10.csv", "9.csv", "Z.csv", "a b.csv", "a.jsonl", "b.csv", "c.ndjson.gz", "d.csv.gz", "x.gz.csv"]
        #expect(got == order.map { dir.path + "/" + $0 })
        // A trailing slash does not double.
        #expect(try InputResolver.expand([dir.path + "/"]) == order.map { dir.path + "/" + $0 })
    }

    /// contract §1: a directory stands for "every file in it ... whose name ends in .csv ...".
    /// A subdirectory is not a file, whatever its name; taking it would fail the whole scan
    /// later ("input is a directory where a file was expected").
    @Test("a subdirectory whose name looks like an input is not an input")
    func subdirectoryWithInputName() throws {
        let dir = try TempDir()
        _ = try dir.write("a.csv", [])
        try FileManager.default.createDirectory(at: dir.url.appendingPathComponent("archive.csv"),
                                                withIntermediateDirectories: false)
        #expect(try InputResolver.expand([dir.path]) == [dir.path + "/a.csv"])
    }

    @Test("files keep their names and command-line order; - may appear once")
    func filesAndStdin() throws {
        let dir = try TempDir()
        let txt = try dir.write("export.txt", [])
        let csv = try dir.write("b.csv", [])
        let sub = dir.url.appendingPathComponent("d")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: false)
        let inDir = try dir.write("d/a.jsonl", [])
        #expect(try InputResolver.expand([txt, "-", sub.path, csv]) == [txt, "-", inDir, csv])
        #expect(try InputResolver.expand(["-"]) == ["-"])

        let (kind, file) = resolverErrorKind(["-", csv, "-"])
        #expect(kind == .noInputs)
        #expect(file == "-")
    }

    @Test("a missing path is input_not_found and names the path")
    func missingPath() throws {
        let dir = try TempDir()
        let csv = try dir.write("a.csv", [])
        let missing = dir.url.appendingPathComponent("nope.csv").path
        let (kind, file) = resolverErrorKind([csv, missing])
        #expect(kind == .notFound)
        #expect(file == missing)
    }

    @Test("a directory without inputs, or no argument at all, is no_inputs")
    func emptyDirectory() throws {
        let dir = try TempDir()
        let empty = dir.url.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: false)
        var (kind, file) = resolverErrorKind([empty.path])
        #expect(kind == .noInputs)
        #expect(file == empty.path)

        let others = dir.url.appendingPathComponent("others")
        try FileManager.default.createDirectory(at: others, withIntermediateDirectories: false)
        _ = try dir.write("others/readme.txt", [])
        _ = try dir.write("others/data.json", [])
        (kind, file) = resolverErrorKind([others.path])
        #expect(kind == .noInputs)
        #expect(file == others.path)

        (kind, _) = resolverErrorKind([])
        #expect(kind == .noInputs)
    }

    @Test("input names", arguments: [
        ("a.csv", true), ("a.jsonl", true), ("a.ndjson", true), ("a.csv.gz", true), ("a.jsonl.gz", true),
        ("a.ndjson.gz", true), ("a.gz", false), ("a.json", false), ("a.csv.gz.gz", false), ("a.csvx", false),
        ("acsv", false), ("a.tsv", false), ("a.csv.bz2", false),
    ])
    func inputNames(_ name: String, _ isInput: Bool) {
        #expect(InputResolver.isInputName(name) == isInput)
    }
}
