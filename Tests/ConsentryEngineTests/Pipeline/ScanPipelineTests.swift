import Foundation
import Testing
import ConsentryModel
@testable import ConsentryEngine
import PipelineTestSupport
import TestSupport

/// Crafted inputs whose records straddle chunk boundaries in every way the chunk sizes of
/// ``scanTestChunkSizes`` can produce.
enum ScanTestInputs {
    static let labels = ["independent", "major", "licensed", "unknown", "unsigned", "", "Independent"]
    static let flags = ["", "yes", "no", "1", "0", "TRUE", "f"]

    /// CSV: quoted fields with LF and CRLF inside, a record longer than every small chunk,
    /// CRLF and LF line ends, blank lines, rejects of several kinds, a rejected id that is
    /// later scanned and then duplicated, and a last record without a line break.
    static var csvA: [UInt8] {
        var s = "track_id,artist_id,title,label_status,genai_opt_in,ai_opt_out,no_ai_tag,uploaded_at,consent_updated_at\n"
        s += "t01,a1,Plain,independent,,,,2024-01-01,\n"
        s += "t02,a1,\"multi\nline\ntitle, with \"\"quotes\"\"\",major,yes,no,no,,\r\n"
        s += "\n"
        s += "t03,a2,\"" + String(repeating: "x", count: 1500) + "\",licensed,,,,,\n"
        s += "   \t\r\n"
        s += "t04,a2,\"short\r\nCRLF inside\",unknown,y,n,0,,\r\n"
        s += "r1,a3,Rejected first,bogus,,,,,\n"
        s += "r1,a3,\"Now\nvalid\",Independent,true,,,,\n"
        s += "r1,a3,Duplicate,major,,,,,\n"
        s += "t05,a4,Bad bool,independent,maybe,,,,\n"
        s += ",a4,No id,independent,,,,,\n"
        s += "t06,a4,Too,few\n"
        s += "t07,a5,\"" + (0..<10).map { "line\($0)" }.joined(separator: "\n") + "\",unsigned,,yes,,2023-02-30,\n"
        s += "t08,a5,\"" + String(repeating: "ab\n", count: 40) + "\",independent,no,yes,yes,,\n"
        s += "t01,a6,dup in same input,licensed,,,,,\n"
        s += "t09,a6,unquoted " + String(repeating: "long ", count: 60) + "title,unknown,1,1,1,2020-02-29T12:00:00Z,\n"
        for i in 10..<40 {
            let newlines = String(repeating: "\n", count: i % 4)
            let crlf = i % 3 == 0 ? "\r\n" : "\n"
            s += "t\(i),a\(i),\"q\(i)\(newlines)line \(String(repeating: "z", count: i % 7))\",\(labels[i % labels.count]),\(flags[i % flags.count]),\(flags[(i / 2) % flags.count]),,,\(crlf)"
            if i % 5 == 0 { s += "\n" }
        }
        s += "t99,a9,\"last, no newline\",major,,,,,"
        return Array(s.utf8)
    }

    /// A second CSV input (gzipped by the tests), CRLF throughout, a subset of columns:
    /// duplicates of ids scanned in `csvA`, an id rejected there (scanned here) and a
    /// duplicate within the input.
    static var csvB: [UInt8] {
        var s = "track_id,label_status,genai_opt_in,ai_opt_out\r\n"
        s += "t02,independent,,\r\n"
        s += "t05,independent,,\r\n"
        s += "b1,major,,\r\n"
        s += "b1,major,,\r\n"
        s += "t03,\"licensed\",,\r\n"
        s += "b2,\"ind\nependent\",,\r\n"
        s += "b3,independent,1,1\r\n"
        s += "\r\n"
        s += "t06,unsigned,yes,\r\n"
        return Array(s.utf8)
    }

    /// JSONL: a duplicate of a CSV id, a line longer than every small chunk, invalid JSON,
    /// a non-object, an integer id and its string duplicate, CRLF and a last line without LF.
    static var jsonlC: [UInt8] {
        var s = "{\"track_id\":\"c1\",\"label_status\":\"independent\",\"genai_opt_in\":true}\n"
        s += "\r\n"
        s += "{\"track_id\":\"t04\",\"label_status\":\"major\"}\r\n"
        s += "{\"track_id\":\"c2\",\"label_status\":\"unknown\",\"title\":\"" + String(repeating: "y", count: 2000) + "\"}\n"
        s += "not json\n"
        s += "[1,2]\n"
        s += "   \n"
        s += "{\"track_id\":42,\"label_status\":\"licensed\",\"ai_opt_out\":\"yes\"}\n"
        s += "{\"track_id\":\"42\",\"label_status\":\"licensed\"}\n"
        s += "{\"track_id\":\"c3\",\"label_status\":\"independent\",\"no_ai_tag\":\"nah\"}\n"
        s += "{\"track_id\":\"b2\",\"label_status\":\"Unsigned\",\"ai_opt_out\":1}\r\n"
        s += "{\"track_id\":\"c3\",\"label_status\":\"independent\"}"
        return Array(s.utf8)
    }
}

@Suite("ScanPipeline: results do not depend on jobs or chunking (contract §1.4)")
struct ScanPipelineTests {
    let policyIDs = ["soundcloud-2025-05", "soundcloud-opt-out"]

    func writeInputs(_ dir: TempDir) throws -> [String] {
        [
            try dir.write("a.csv", ScanTestInputs.csvA),
            try dir.write("b.csv.gz", try gzip(ScanTestInputs.csvB)),
            try dir.write("c.jsonl", ScanTestInputs.jsonlC),
        ]
    }

    @Test("crafted CSV + gzipped CSV + JSONL: identical outcome for every jobs × chunkBytes")
    func matrixIsInvariant() throws {
        let dir = try TempDir()
        let paths = try writeInputs(dir)
        let policies = try policyIDs.map(BuiltInPolicies.policy)
        let outcome = try scanTestMatrix(paths, policies: policies)
        #expect(outcome.rowsRead == outcome.rowsScanned + outcome.rowsRejected)
        #expect(outcome.inputs.map(\.rowsRead).reduce(0, +) == outcome.rowsRead)
        #expect(outcome.inputs.map(\.format) == [.csv, .csv, .jsonl])
        #expect(outcome.inputs.map(\.compression) == ["none", "gzip", "none"])
    }

    @Test("crafted inputs: the outcome equals the reference oracle's (rows, rejects, verdicts in order, statistics)")
    func matchesOracle() throws {
        let dir = try TempDir()
        let paths = try writeInputs(dir)
        let policies = try policyIDs.map(BuiltInPolicies.policy)
        let outcome = try scanTestRunPipeline(paths, policies: policies, jobs: 3, chunkBytes: 31)
        let oracle = try referenceScan(paths + policyIDs.flatMap { ["--policy", $0] } + ["--verdicts"])
        let rows = oracle["rows"]
        #expect(outcome.rowsRead == rows?["read"]?.int)
        #expect(outcome.rowsScanned == rows?["scanned"]?.int)
        #expect(outcome.rowsRejected == rows?["rejected"]?.int)
        #expect(scanTestCodes(outcome.rejectsByCode) == scanTestJSONCodes(oracle["rejects_by_code"]))
        let ours = scanTestOutcomeRejects(outcome)
        let theirs = scanTestOracleRejects(oracle)
        #expect(ours == theirs, "first difference: \(zip(ours, theirs).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "lengths \(ours.count) vs \(theirs.count)")")
        let ourVerdicts = scanTestOutcomeVerdicts(outcome, policies: policies)
        let theirVerdicts = scanTestOracleVerdicts(oracle)
        #expect(ourVerdicts == theirVerdicts, "first difference: \(zip(ourVerdicts, theirVerdicts).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "lengths \(ourVerdicts.count) vs \(theirVerdicts.count)")")
        scanTestCheckStatistics(outcome, policies: policies, against: oracle)
    }

    @Test("JSON numbers as track ids and flags: integers keep their digits, 0 and 1 are booleans, others are rejects, as the oracle says")
    func jsonNumbersMatchOracle() throws {
        let dir = try TempDir()
        var s = ""
        s += "{\"track_id\": 7, \"label_status\": \"major\", \"genai_opt_in\": 1, \"ai_opt_out\": 0, \"no_ai_tag\": 0}\n"
        s += "{\"track_id\": -8, \"label_status\": \"independent\", \"ai_opt_out\": 1}\n"
        s += "{\"track_id\": \"7\", \"label_status\": \"licensed\"}\n"      // the first's duplicate
        s += "{\"track_id\": 10, \"label_status\": \"major\", \"no_ai_tag\": 2}\n"
        s += "{\"track_id\": 11, \"label_status\": \"major\", \"ai_opt_out\": 1.0}\n"
        s += "{\"track_id\": 12, \"label_status\": \"major\", \"genai_opt_in\": -1}\n"
        s += "{\"track_id\": 13, \"label_status\": \"major\", \"genai_opt_in\": 1e0}\n"
        s += "{\"track_id\": 1.5, \"label_status\": \"major\"}\n"
        s += "{\"track_id\": 0012, \"label_status\": \"major\"}\n"
        s += "{\"track_id\": 123456789012345678901234567890, \"label_status\": \"unsigned\", \"no_ai_tag\": 1}\n"
        let paths = [try dir.write("numbers.jsonl", Array(s.utf8))]
        let policies = try policyIDs.map(BuiltInPolicies.policy)
        let oracle = try referenceScan(paths + policyIDs.flatMap { ["--policy", $0] } + ["--verdicts"])
        for chunkBytes in [1, 7, 64, 1 << 16] {
            let outcome = try scanTestRunPipeline(paths, policies: policies, jobs: 2, chunkBytes: chunkBytes)
            #expect(outcome.rowsScanned == oracle["rows"]?["scanned"]?.int)
            #expect(scanTestOutcomeRejects(outcome) == scanTestOracleRejects(oracle))
            #expect(scanTestOutcomeVerdicts(outcome, policies: policies) == scanTestOracleVerdicts(oracle))
            scanTestCheckStatistics(outcome, policies: policies, against: oracle)
        }
        // Not an empty comparison: 7, -8 and the long integer are scanned; the rest are
        // rejects (a duplicate, four non-booleans, a fraction as id, JSON's leading zero).
        #expect(oracle["rows"]?["scanned"]?.int == 3)
        #expect(oracle["rows"]?["rejected"]?.int == 7)
    }

    @Test("duplicates: the first scanned occurrence counts once; the reject is in the later input, on the later line")
    func duplicates() throws {
        let dir = try TempDir()
        let paths = try writeInputs(dir)
        let policies = try policyIDs.map(BuiltInPolicies.policy)
        let outcome = try scanTestRunPipeline(paths, policies: policies, jobs: 2, chunkBytes: 17)
        let ids = outcome.tracks.map(\.id)
        #expect(Set(ids).count == ids.count, "every id is scanned at most once")

        // t02: scanned in a.csv as major; the independent copy in b.csv.gz line 2 is the duplicate.
        let t02 = try #require(outcome.tracks.first { $0.id == "t02" })
        #expect(t02.label == .major)
        let dupT02 = outcome.rejects.filter { $0.code == .duplicateTrackID && $0.message.contains("'t02'") }
        #expect(dupT02.count == 1)
        #expect(dupT02.first?.input == paths[1])
        #expect(dupT02.first?.line == 2)
        #expect(dupT02.first?.offset == Array("track_id,label_status,genai_opt_in,ai_opt_out\r\n".utf8).count)
        #expect(dupT02.first?.column == "track_id")

        // t05 was rejected in a.csv (invalid boolean), so its copy in b.csv.gz is scanned.
        #expect(outcome.rejects.contains { $0.input == paths[0] && $0.code == .invalidBoolean && $0.column == "genai_opt_in" })
        let t05 = try #require(outcome.tracks.first { $0.id == "t05" })
        #expect(t05.label == .independent)

        // r1: rejected (bad label, line 11), then scanned (line 12, a quoted line break inside), then a duplicate on line 14.
        let r1 = try #require(outcome.tracks.first { $0.id == "r1" })
        #expect(r1.label == .independent)
        let r1Rejects = outcome.rejects.filter { $0.input == paths[0] && $0.excerpt.hasPrefix("r1,") }
        #expect(r1Rejects.map(\.code) == [.invalidLabelStatus, .duplicateTrackID])
        #expect(r1Rejects.map(\.line) == [11, 14])

        // JSONL: integer 42 is scanned, the string "42" is its duplicate; c3 rejected then scanned.
        #expect(outcome.tracks.contains { $0.id == "42" && $0.label == .licensed })
        #expect(outcome.rejects.contains { $0.input == paths[2] && $0.code == .duplicateTrackID && $0.message.contains("'42'") })
        #expect(outcome.tracks.contains { $0.id == "c3" })
        // b2: rejected in b.csv.gz (label with a line break), scanned in c.jsonl.
        #expect(outcome.tracks.contains { $0.id == "b2" && $0.label == .independent })
        // t06: field_count in a.csv, scanned in b.csv.gz.
        #expect(outcome.tracks.contains { $0.id == "t06" && $0.label == .independent })

        // Every id scanned once (a scan keeps no order for tracks: history is by hash).
        #expect(Set(["t01", "t02", "t03", "t99", "t05", "b1", "b3", "c1", "c2", "42", "b2", "c3"]).isSubset(of: Set(ids)))
        #expect(Set(ids).count == ids.count)

        // Statistics count every scanned track once, in the label of its first scanned occurrence.
        for (p, _) in policies.enumerated() {
            #expect(outcome.statistics.group(policy: p, label: nil).tracks == outcome.tracks.count)
            for label in LabelStatus.allCases {
                #expect(outcome.statistics.group(policy: p, label: label).tracks == outcome.tracks.filter { $0.label == label }.count)
            }
            // And each scanned track's verdicts, recounted, give the same statistics.
            var recount = RunStatistics(policyCount: policies.count)
            for t in outcome.tracks { t.verdicts.withUnsafeBufferPointer { recount.add(label: t.label, packed: $0) } }
            #expect(recount == outcome.statistics)
        }
    }

    @Test("duplicates only: two identical inputs give the first one's statistics and one reject per record of the second")
    func identicalInputs() throws {
        let dir = try TempDir()
        var text = "track_id,label_status,genai_opt_in\n"
        for i in 0..<50 { text += "id\(i),\(ScanTestInputs.labels[i % 4]),\(i % 3 == 0 ? "yes" : "")\n" }
        let first = try dir.write("one.csv", text)
        let second = try dir.write("two.csv", text)
        let policies = try policyIDs.map(BuiltInPolicies.policy)
        let single = try scanTestRunPipeline([first], policies: policies, jobs: 1, chunkBytes: 1 << 20)
        let both = try scanTestMatrix([first, second], policies: policies, chunkSizes: [16, 64, 1 << 20])
        #expect(both.statistics == single.statistics)
        #expect(both.tracks == single.tracks)
        #expect(both.rowsRead == 100)
        #expect(both.rejects.count == 50)
        #expect(both.rejects.allSatisfy { $0.input == second && $0.code == .duplicateTrackID })
        #expect(both.rejects.map(\.line) == Array(2...51))
        #expect(both.rejectsByCode == [.duplicateTrackID: 50])
    }

    @Test("record_too_long straddling chunks (quoted and unquoted) is invariant and reading resumes after the next line break")
    func tooLongInvariant() throws {
        let dir = try TempDir()
        var s = "track_id,label_status,title\r\n"
        s += "ok1,independent,short\r\n"
        s += "long1,independent," + String(repeating: "L", count: 400) + "\r\n"
        s += "ok2,major,after long1\r\n"
        s += "long2,independent,\"" + String(repeating: "Q", count: 350) + "\nstill quoted\",x\r\n"
        s += "ok3,licensed,after long2\r\n"
        s += "exact,unknown," + String(repeating: "E", count: 300 - "exact,unknown,".utf8.count) + "\r\n"
        s += "long3,unknown,\"" + String(repeating: "R", count: 100) + "\n" + String(repeating: "S", count: 250) + "\nrest\"\r\n"
        s += "ok4,independent,end\r\n"
        let path = try dir.write("long.csv", s)
        let policies = try ["soundcloud-2025-05"].map(BuiltInPolicies.policy)
        let outcome = try scanTestMatrix([path], policies: policies, maxRecordBytes: 300)
        let oracle = try referenceScan([path, "--max-record-bytes", "300", "--verdicts"])
        #expect(scanTestOutcomeRejects(outcome) == scanTestOracleRejects(oracle))
        #expect(scanTestOutcomeVerdicts(outcome, policies: policies) == scanTestOracleVerdicts(oracle))
        #expect(outcome.tracks.map(\.id) == ["exact", "ok1", "ok2", "ok3", "ok4"], "tracks come in id order")
        #expect(outcome.rejects.filter { $0.code == .recordTooLong }.count >= 3)
        // Excerpts are at most 200 bytes of valid UTF-8.
        #expect(outcome.rejects.allSatisfy { $0.excerpt.utf8.count <= 200 })
    }

    @Test("JSONL lines around the record limit, LF and CRLF, are invariant and match the oracle")
    func jsonlTooLongInvariant() throws {
        let dir = try TempDir()
        var s = ""
        var n = 0
        for length in [298, 299, 300, 301, 302, 450, 50] {
            for crlf in [false, true] {
                n += 1
                let head = "{\"track_id\":\"j\(n)\",\"label_status\":\"independent\",\"title\":\""
                let fill = max(0, length - head.utf8.count - 2)
                s += head + String(repeating: "w", count: fill) + "\"}" + (crlf ? "\r\n" : "\n")
            }
        }
        s += "{\"track_id\":\"last\",\"label_status\":\"major\"}"
        let path = try dir.write("limit.jsonl", s)
        let policies = try ["soundcloud-2025-05"].map(BuiltInPolicies.policy)
        let outcome = try scanTestMatrix([path], policies: policies, maxRecordBytes: 300)
        let oracle = try referenceScan([path, "--max-record-bytes", "300", "--verdicts"])
        #expect(scanTestOutcomeRejects(outcome) == scanTestOracleRejects(oracle))
        #expect(scanTestOutcomeVerdicts(outcome, policies: policies) == scanTestOracleVerdicts(oracle))
        #expect(outcome.rejectsByCode == [.recordTooLong: 6])
        #expect(outcome.tracks.count == 9)
    }

    @Test("CRLF-only CSV with quoted CRLF inside fields: lines and offsets are invariant and match the oracle")
    func crlfQuoted() throws {
        let dir = try TempDir()
        var s = "\u{FEFF}track_id,label_status,genai_opt_in,title\r\n"
        for i in 0..<25 {
            let title = i % 2 == 0 ? "\"two\r\nlines \(i)\"" : "plain \(i)"
            let label = i % 6 == 5 ? "nope" : ScanTestInputs.labels[i % 4]
            s += "cr\(i % 20),\(label),\(i % 7 == 3 ? "maybe" : "no"),\(title)\r\n"
        }
        let path = try dir.write("crlf.csv", s)
        let policies = try ["soundcloud-2024-02"].map(BuiltInPolicies.policy)
        let outcome = try scanTestMatrix([path], policies: policies)
        let oracle = try referenceScan([path, "--policy", "soundcloud-2024-02", "--verdicts"])
        #expect(scanTestOutcomeRejects(outcome) == scanTestOracleRejects(oracle))
        #expect(scanTestOutcomeVerdicts(outcome, policies: policies) == scanTestOracleVerdicts(oracle))
        scanTestCheckStatistics(outcome, policies: policies, against: oracle)
    }

    @Test("an unterminated quote at the end of the input is one reject at the record's start, whatever the chunking")
    func unterminatedAtEnd() throws {
        let dir = try TempDir()
        let s = "track_id,label_status,title\nu1,independent,ok\nu2,major,\"open\nand\nnever closed,,,\n\n"
        let path = try dir.write("open.csv", s)
        let outcome = try scanTestMatrix([path], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy))
        #expect(outcome.tracks.map(\.id) == ["u1"])
        #expect(outcome.rejects.map(\.code) == [.unterminatedQuote])
        #expect(outcome.rejects.first?.line == 3)
        #expect(outcome.rejects.first?.offset == Array("track_id,label_status,title\nu1,independent,ok\n".utf8).count)
    }

    @Test("an empty data section and a header-only input scan to zero rows")
    func headerOnly() throws {
        let dir = try TempDir()
        let a = try dir.write("h.csv", "track_id,label_status\n")
        let b = try dir.write("h2.csv", "track_id,label_status")
        let c = try dir.write("e.jsonl", "")
        let outcome = try scanTestMatrix([a, b, c], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy), chunkSizes: [16, 1 << 20])
        #expect(outcome.rowsRead == 0)
        #expect(outcome.tracks.isEmpty && outcome.rejects.isEmpty)
        #expect(outcome.statistics.group(policy: 0, label: nil).tracks == 0)
    }

    @Test("a fatal input error (missing column) is thrown, whatever the jobs")
    func missingColumnThrows() throws {
        let dir = try TempDir()
        let good = try dir.write("good.csv", "track_id,label_status\ng1,major\n")
        let bad = try dir.write("bad.csv", "track_id,title\nx,y\n")
        for jobs in [1, 3] {
            #expect(throws: InputError.self) {
                _ = try scanTestRunPipeline([good, bad], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy), jobs: jobs, chunkBytes: 16)
            }
        }
    }
}

@Suite("ScanPipeline on SampleCatalogs/dirty.* against dirty.expected.json")
struct ScanPipelineDirtySampleTests {
    static func expected(_ name: String) throws -> JSON {
        let data = try Data(contentsOf: URL(fileURLWithPath: Paths.sample("dirty.expected.json")))
        return try #require(try JSON.parse(data)[name], "no object '\(name)' in dirty.expected.json")
    }

    static let policies = BuiltInPolicies.ids

    func check(_ name: String, maxRecordBytes: Int) throws {
        let expected = try Self.expected(name)
        let policies = try Self.policies.map(BuiltInPolicies.policy)
        let path = Paths.sample(name)
        let outcome = try scanTestMatrix([path], policies: policies, maxRecordBytes: maxRecordBytes)
        let rows = expected["rows"]
        #expect(outcome.rowsRead == rows?["read"]?.int)
        #expect(outcome.rowsScanned == rows?["scanned"]?.int)
        #expect(outcome.rowsRejected == rows?["rejected"]?.int)
        #expect(scanTestCodes(outcome.rejectsByCode) == scanTestJSONCodes(expected["rejects_by_code"]))
        let ours = outcome.rejects.map { "\($0.line)@\($0.offset) \($0.code.rawValue) \($0.column ?? "-")" }
        let theirs = (expected["rejects"]?.array ?? []).map { r in
            "\(r["line"]?.int ?? -1)@\(r["byte_offset"]?.int ?? -1) \(r["code"]?.string ?? "?") \(r["column"]?.string ?? "-")"
        }
        #expect(ours == theirs, "first difference: \(zip(ours, theirs).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "lengths \(ours.count) vs \(theirs.count)")")
        #expect(outcome.rejects.allSatisfy { $0.input == path })
        scanTestCheckStatistics(outcome, policies: policies, against: expected, fullGroups: false)
    }

    @Test("dirty.csv with maxRecordBytes 300")
    func dirtyCSV() throws {
        try check("dirty.csv", maxRecordBytes: 300)
    }

    @Test("dirty.jsonl with default options")
    func dirtyJSONL() throws {
        try check("dirty.jsonl", maxRecordBytes: 1 << 20)
    }
}
