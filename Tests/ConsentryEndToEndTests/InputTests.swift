import Foundation
import Testing
import TestSupport

/// Runs `consentry scan ARGS --format json` and parses the report (nil when it printed none).
func scanJSON(_ arguments: [String], stdin: Data? = nil) throws -> (result: ProcessResult, json: JSON?) {
    let r = try consentry(["scan"] + arguments + ["--format", "json"], stdin: stdin)
    return (r, try? JSON.parse(r.stdoutData))
}

/// `path` with `.`/`..` and doubled slashes resolved, for comparing stored input paths.
func normalized(_ path: String) -> String {
    path == "-" ? path : URL(fileURLWithPath: path).standardizedFileURL.path
}

extension EndToEnd {
    /// Tests 4 and 5: several inputs, directories, standard input, and gzip detected by content.
    @Suite struct Inputs {
        static let jsonl = """
            {"track_id": "t1", "label_status": "independent"}
            {"track_id": "t2", "label_status": "bogus"}
            {"track_id": "t3", "label_status": "major"}

            """
        static let csv = """
            track_id,label_status
            t4,independent
            t1,major
            t2,licensed
            t2,licensed
            t3,unknown

            """

        func rejects(_ db: SQLite, run: Int) throws -> [String] {
            try db.rows("SELECT input, line, byte_offset, code, \"column\" AS col FROM rejects WHERE run_id = \(run)").map { r in
                "\(normalized(r["input"]?.string ?? "?")) \(r["line"]?.int ?? -1) \(r["byte_offset"]?.int ?? -1) \(r["code"]?.string ?? "?") \(r["col"]?.string ?? "-")"
            }.sorted()
        }

        func labels(_ db: SQLite, run: Int) throws -> [String: String] {
            var out: [String: String] = [:]
            for line in try db.lines("SELECT DISTINCT track_id, label_status FROM verdicts_readable WHERE run_id = \(run)") {
                let f = line.split(separator: "\t").map(String.init)
                if f.count == 2 { out[f[0], default: ""] += f[1] }
            }
            return out
        }

        func reject(_ path: String, _ prefix: String, in text: String, _ code: String, _ column: String,
                    occurrence: Int = 1) -> String {
            let p = position(of: prefix, in: text, occurrence: occurrence) ?? (-1, -1)
            return "\(normalized(path)) \(p.line) \(p.offset) \(code) \(column)"
        }

        @Test func directoryInputsAreScannedInNameOrderWithDuplicatesRejectedInTheLaterInput() throws {
            let tmp = try TempDir()
            let dir = tmp.file("export")
            try FileManager.default.createDirectory(atPath: dir + "/nested", withIntermediateDirectories: true)
            // Written in the reverse of name order, so creation order cannot pass for name order.
            try Data("track_id,label_status\nx1,major\n".utf8).write(to: URL(fileURLWithPath: dir + "/nested/n.csv"))
            try Data("track_id,label_status\nx2,major\n".utf8).write(to: URL(fileURLWithPath: dir + "/c-notes.txt"))
            try gzip(Self.csv).write(to: URL(fileURLWithPath: dir + "/b.csv.gz"))
            try Data(Self.jsonl.utf8).write(to: URL(fileURLWithPath: dir + "/a.jsonl"))
            let a = dir + "/a.jsonl", b = dir + "/b.csv.gz"

            let (r, json) = try scanJSON([dir, "--db", tmp.db])
            #expect(r.exitCode == 0, "\(r)")
            let report = try #require(json)
            #expect(report["rows"] == (try JSON.parse(#"{"read": 8, "scanned": 4, "rejected": 4}"#)))
            #expect(report["rejects_by_code"] == (try JSON.parse(#"{"invalid_label_status": 1, "duplicate_track_id": 3}"#)))
            let run = try #require(report["run_id"]?.int)
            let db = SQLite(tmp.db)
            #expect(try rejects(db, run: run) == [
                reject(a, #"{"track_id": "t2""#, in: Self.jsonl, "invalid_label_status", "label_status"),
                reject(b, "t1,", in: Self.csv, "duplicate_track_id", "track_id"),
                reject(b, "t2,", in: Self.csv, "duplicate_track_id", "track_id", occurrence: 2),
                reject(b, "t3,", in: Self.csv, "duplicate_track_id", "track_id"),
            ].sorted())
            // The first scanned occurrence decides; t2's first occurrence was rejected, so its second counts.
            #expect(try labels(db, run: run) == ["t1": "independent", "t2": "licensed", "t3": "major", "t4": "independent"])

            let inputs = try db.rows("SELECT path, format, compression FROM run_inputs WHERE run_id = \(run)")
            let described = Set(inputs.map { "\(normalized($0["path"]?.string ?? "?")) \($0["format"]?.string ?? "?") \($0["compression"]?.string ?? "?")" })
            #expect(described == ["\(normalized(a)) jsonl none", "\(normalized(b)) csv gzip"])
        }

        @Test func inputsOnTheCommandLineAreScannedInArgumentOrder() throws {
            let tmp = try TempDir()
            let a = try tmp.write("a.jsonl", Self.jsonl)
            let b = try tmp.write("b.csv.gz", try gzip(Self.csv))
            let (r, json) = try scanJSON([b, a, "--db", tmp.db])
            #expect(r.exitCode == 0, "\(r)")
            let report = try #require(json)
            #expect(report["rows"] == (try JSON.parse(#"{"read": 8, "scanned": 4, "rejected": 4}"#)))
            let run = try #require(report["run_id"]?.int)
            let db = SQLite(tmp.db)
            #expect(try rejects(db, run: run) == [
                reject(b, "t2,", in: Self.csv, "duplicate_track_id", "track_id", occurrence: 2),
                reject(a, #"{"track_id": "t1""#, in: Self.jsonl, "duplicate_track_id", "track_id"),
                reject(a, #"{"track_id": "t2""#, in: Self.jsonl, "invalid_label_status", "label_status"),
                reject(a, #"{"track_id": "t3""#, in: Self.jsonl, "duplicate_track_id", "track_id"),
            ].sorted())
            #expect(try labels(db, run: run) == ["t1": "major", "t2": "licensed", "t3": "unknown", "t4": "independent"])
        }

        @Test func anErrorQuotingTheInputShowsItsControlCharacters() throws {
            // A header of binary bytes (a file compressed twice, say) is quoted by the error.
            let tmp = try TempDir()
            let input = try tmp.write("odd.csv", Data("id\u{1B}[2J,\u{7}x,\u{0}y\nz,1,2\n".utf8))
            let r = try consentry(["scan", input, "--db", tmp.db])
            #expect(r.exitCode == 2, "\(r)")
            #expect(r.stderr.contains("found: id␛[2J, ␇x, ␀y."), "\(r.stderr)")
            #expect(!r.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(r.stderr.debugDescription)")
            // The failed run keeps the error; runs and report show it the same way.
            for command in [["runs"], ["report", "--run", "1"]] {
                let shown = try consentry(command + ["--db", tmp.db])
                #expect(shown.stdout.contains("id␛[2J, ␇x, ␀y"), "\(command): \(shown.stdout)")
                #expect(!shown.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(command): \(shown.stdout.debugDescription)")
            }
        }

        @Test func aDirectoryWithoutInputsIsAFatalError() throws {
            let tmp = try TempDir()
            let dir = tmp.file("empty-export")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Data("track_id,label_status\nx,major\n".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
            let r = try consentry(["scan", dir, "--db", tmp.db])
            #expect(r.exitCode == 2, "\(r)")
            #expect(r.stderr.contains(dir), "\(r)")
        }

        @Test func standardInputIsReadForADash() throws {
            let tmp = try TempDir()
            let db = SQLite(tmp.db)

            let (plain, plainJSON) = try scanJSON(["-", "--db", tmp.db], stdin: Data(Self.csv.utf8))
            #expect(plain.exitCode == 0, "\(plain)")
            #expect(plainJSON?["rows"] == (try JSON.parse(#"{"read": 5, "scanned": 4, "rejected": 1}"#)))
            let plainRun = try #require(plainJSON?["run_id"]?.int)
            #expect(try db.lines("SELECT path, format, compression FROM run_inputs WHERE run_id = \(plainRun)") == ["-\tcsv\tnone"])
            #expect(try rejects(db, run: plainRun) == [reject("-", "t2,", in: Self.csv, "duplicate_track_id", "track_id", occurrence: 2)])

            // gzip on standard input is recognised by its content.
            let (zipped, zippedJSON) = try scanJSON(["-", "--db", tmp.db], stdin: try gzip(Self.csv))
            #expect(zipped.exitCode == 0, "\(zipped)")
            #expect(zippedJSON?["rows"] == plainJSON?["rows"])
            let zippedRun = try #require(zippedJSON?["run_id"]?.int)
            #expect(try db.lines("SELECT path, format, compression FROM run_inputs WHERE run_id = \(zippedRun)") == ["-\tcsv\tgzip"])

            // JSONL on standard input: the first non-blank byte is `{`.
            let jsonl = "\n  \n" + Self.jsonl
            let (lines, linesJSON) = try scanJSON(["-", "--db", tmp.db], stdin: Data(jsonl.utf8))
            #expect(lines.exitCode == 0, "\(lines)")
            #expect(linesJSON?["rows"] == (try JSON.parse(#"{"read": 3, "scanned": 2, "rejected": 1}"#)))
            let linesRun = try #require(linesJSON?["run_id"]?.int)
            #expect(try db.lines("SELECT path, format FROM run_inputs WHERE run_id = \(linesRun)") == ["-\tjsonl"])
            #expect(try rejects(db, run: linesRun) == [reject("-", #"{"track_id": "t2""#, in: jsonl, "invalid_label_status", "label_status")])
        }

        @Test func standardInputAfterAFileIsTheLaterInput() throws {
            let tmp = try TempDir()
            let a = try tmp.write("a.jsonl", Self.jsonl)
            let piped = "track_id,label_status\nt9,major\nt1,major\n"
            let (r, json) = try scanJSON([a, "-", "--db", tmp.db], stdin: Data(piped.utf8))
            #expect(r.exitCode == 0, "\(r)")
            let run = try #require(json?["run_id"]?.int)
            #expect(json?["rows"] == (try JSON.parse(#"{"read": 5, "scanned": 3, "rejected": 2}"#)))
            #expect(try rejects(SQLite(tmp.db), run: run) == [
                reject(a, #"{"track_id": "t2""#, in: Self.jsonl, "invalid_label_status", "label_status"),
                reject("-", "t1,", in: piped, "duplicate_track_id", "track_id"),
            ].sorted())
        }

        // MARK: gzip by content

        static let catalogue = generatedCSV(count: 300, prefix: "z")

        @Test func aGzipFileNamedCsvIsGunzipped() throws {
            let tmp = try TempDir()
            let path = try tmp.write("export.csv", try gzip(Self.catalogue))
            let (r, json) = try scanJSON([path, "--db", tmp.db])
            #expect(r.exitCode == 0, "\(r)")
            #expect(json?["rows"] == (try JSON.parse(#"{"read": 300, "scanned": 300, "rejected": 0}"#)))
            let run = try #require(json?["run_id"]?.int)
            #expect(try SQLite(tmp.db).lines("SELECT format, compression FROM run_inputs WHERE run_id = \(run)") == ["csv\tgzip"])
        }

        @Test func aPlainFileNamedCsvGzIsReadAsPlainText() throws {
            let tmp = try TempDir()
            let path = try tmp.write("export.csv.gz", Self.catalogue)
            let (r, json) = try scanJSON([path, "--db", tmp.db])
            #expect(r.exitCode == 0, "\(r)")
            #expect(json?["rows"] == (try JSON.parse(#"{"read": 300, "scanned": 300, "rejected": 0}"#)))
            let run = try #require(json?["run_id"]?.int)
            #expect(try SQLite(tmp.db).lines("SELECT format, compression FROM run_inputs WHERE run_id = \(run)") == ["csv\tnone"])
        }

        @Test func multiMemberGzipIsReadThroughEveryMember() throws {
            let tmp = try TempDir()
            // The first member ends in the middle of a record: members concatenate to one stream.
            let text = Self.catalogue
            let cut = text.utf8.index(text.utf8.startIndex, offsetBy: text.utf8.count / 2 + 3)
            let first = String(text[..<cut]), second = String(text[cut...])
            var data = try gzip(first)
            data.append(try gzip(second))
            let path = try tmp.write("members.csv.gz", data)
            let (r, json) = try scanJSON([path, "--db", tmp.db, "--policy", "soundcloud-opt-out"])
            #expect(r.exitCode == 0, "\(r)")
            let single = try tmp.write("single.csv.gz", try gzip(text))
            let (r2, json2) = try scanJSON([single, "--db", tmp.db, "--policy", "soundcloud-opt-out"])
            #expect(r2.exitCode == 0, "\(r2)")
            #expect(json?["rows"] == (try JSON.parse(#"{"read": 300, "scanned": 300, "rejected": 0}"#)))
            #expect(json?["policies"] == json2?["policies"])
            let run = try #require(json?["run_id"]?.int)
            let stored = try SQLite(tmp.db).rows("SELECT compression, bytes, sha256 FROM run_inputs WHERE run_id = \(run)")
            #expect(stored.first?["compression"]?.string == "gzip")
            #expect(stored.first?["bytes"]?.int == data.count)
            #expect(stored.first?["sha256"]?.string?.lowercased() == (try sha256sum(path)))
        }

        @Test func multiMemberGzipWithAnEmptyMember() throws {
            let tmp = try TempDir()
            var data = try gzip("track_id,label_status\ne1,major\n")
            data.append(try gzip(""))
            data.append(try gzip("e2,independent\ne3,licensed\n"))
            let path = try tmp.write("empty-member.csv", data)
            let (r, json) = try scanJSON([path, "--db", tmp.db])
            #expect(r.exitCode == 0, "\(r)")
            #expect(json?["rows"] == (try JSON.parse(#"{"read": 3, "scanned": 3, "rejected": 0}"#)))
        }
    }
}
