import Foundation
import Testing
import ConsentryModel
@testable import ConsentryEngine
import PipelineTestSupport
import TestSupport

@Suite("ScanPipeline: input options and excerpts")
struct ScanPipelineOptionsTests {
    static let smallJobs = [1, 3]
    static let smallChunks = [16, 31, 1 << 20]

    /// Runs the small matrix and compares rejects, verdicts and statistics with the oracle.
    func compareWithOracle(_ paths: [String], options: (inout InputOptions) -> Void = { _ in }, oracleArguments: [String] = [],
                           sourceLocation: SourceLocation = #_sourceLocation) throws -> ScanTestOutcome {
        let policies = try ["soundcloud-opt-out"].map(BuiltInPolicies.policy)
        var baseline: ScanTestOutcome?
        for jobs in Self.smallJobs {
            for chunk in Self.smallChunks {
                var o = InputOptions()
                o.chunkBytes = chunk
                options(&o)
                let outcome = try scanTestRunPipeline(paths, policies: policies, jobs: jobs, options: o)
                if let baseline {
                    #expect(outcome == baseline, "jobs \(jobs) chunk \(chunk): \(outcome.firstDifference(from: baseline))", sourceLocation: sourceLocation)
                } else {
                    baseline = outcome
                }
            }
        }
        let outcome = baseline!
        let oracle = try referenceScan(paths + ["--policy", "soundcloud-opt-out", "--verdicts"] + oracleArguments)
        #expect(scanTestOutcomeRejects(outcome) == scanTestOracleRejects(oracle), sourceLocation: sourceLocation)
        #expect(scanTestOutcomeVerdicts(outcome, policies: policies) == scanTestOracleVerdicts(oracle), sourceLocation: sourceLocation)
        scanTestCheckStatistics(outcome, policies: policies, against: oracle, sourceLocation: sourceLocation)
        return outcome
    }

    @Test("blank lines before the header and a header with a quoted line break shift every line number")
    func headerLines() throws {
        let dir = try TempDir()
        var s = "\n  \n\t\r\n"
        s += "track_id,label_status,\"Extra\nColumn\",ai_opt_out\r\n"
        for i in 0..<12 { s += "h\(i % 9),\(i % 5 == 4 ? "nah" : ScanTestInputs.labels[i % 4]),\"x\(i)\ny\",\(i % 2 == 0 ? "yes" : "")\n" }
        let path = try dir.write("header.csv", s)
        let outcome = try compareWithOracle([path])
        #expect(outcome.rejects.first.map { $0.line > 5 } == true)
    }

    @Test("--delimiter ';' with quoted delimiters, commas and line breaks")
    func delimiter() throws {
        let dir = try TempDir()
        var s = "track_id;label_status;title;genai_opt_in\n"
        for i in 0..<15 {
            let title = i % 3 == 0 ? "\"a;b,c\nd\"" : "plain, with comma"
            s += "s\(i % 11);\(ScanTestInputs.labels[i % 5]);\(title);\(ScanTestInputs.flags[i % 7])\n"
        }
        s += "s99,independent,wrong delimiter,\n"
        let path = try dir.write("semi.csv", s)
        let outcome = try compareWithOracle([path], options: { $0.delimiter = UInt8(ascii: ";") }, oracleArguments: ["--delimiter", ";"])
        #expect(outcome.rejectsByCode[.fieldCount] == 1)
    }

    @Test("--column maps fields to other header names and JSON keys")
    func columns() throws {
        let dir = try TempDir()
        var csv = "ISRC,Label,track_id,Opt In\n"
        for i in 0..<10 { csv += "isrc\(i % 8),\(ScanTestInputs.labels[i % 4]),ignored\(i),\(i % 2 == 0 ? "yes" : "no")\n" }
        var jsonl = ""
        for i in 0..<10 { jsonl += "{\"ISRC\":\"isrc\(i + 5)\",\"Label\":\"\(ScanTestInputs.labels[i % 4])\",\"track_id\":\"no\",\"Opt In\":\(i % 3 == 0)}\n" }
        let paths = [try dir.write("mapped.csv", csv), try dir.write("mapped.jsonl", jsonl)]
        let outcome = try compareWithOracle(paths, options: {
            $0.columns = [.trackID: "ISRC", .labelStatus: "Label", .genaiOptIn: "Opt In"]
        }, oracleArguments: ["--column", "track_id=ISRC", "--column", "label_status=Label", "--column", "genai_opt_in=Opt In"])
        #expect(outcome.tracks.allSatisfy { $0.id.hasPrefix("isrc") })
    }

    @Test("format by content for names without a known suffix, and a forced format")
    func formats() throws {
        let dir = try TempDir()
        let jsonText = "\n \r\n{\"track_id\":\"f1\",\"label_status\":\"major\"}\n{\"track_id\":\"f2\",\"label_status\":\"unknown\"}\n"
        let csvText = "track_id,label_status\nf3,independent\nf1,licensed\n"
        let auto = [try dir.write("export.dat", jsonText), try dir.write("export2.txt", csvText)]
        let outcome = try compareWithOracle(auto)
        #expect(outcome.inputs.map(\.format) == [.jsonl, .csv])
        #expect(outcome.tracks.map(\.id) == ["f1", "f2", "f3"])

        let forced = try dir.write("looks-like.csv", jsonText)
        let jsonOutcome = try compareWithOracle([forced], options: { $0.format = .jsonl }, oracleArguments: ["--input-format", "jsonl"])
        #expect(jsonOutcome.tracks.map(\.id) == ["f1", "f2"])
    }

    /// A record in which the 200-byte limit falls inside `character`: it starts 1 byte
    /// before the limit for a 2-byte character, 3 bytes before it for a 4-byte one.
    static func splitRecord(prefix: String, character: String) -> (record: String, keep: Int) {
        let width = character.utf8.count
        let start = 200 - (width == 2 ? 1 : width - 1)
        return (prefix + String(repeating: "a", count: start - prefix.utf8.count) + String(repeating: character, count: 60), start)
    }

    @Test("a reject's excerpt is at most 200 bytes of the record and never ends in a U+FFFD the record does not have",
          arguments: ["invalid_label_status", "duplicate_track_id", "record_too_long (CSV)", "record_too_long (JSONL)"], ["é", "🎵"])
    func excerptCutsBeforeACharacter(kind: String, character: String) throws {
        let dir = try TempDir()
        let split: (record: String, keep: Int)
        let path: String
        switch kind {
        case "invalid_label_status":
            split = Self.splitRecord(prefix: "e1,bogus,", character: character)
            path = try dir.write("e.csv", "track_id,label_status,title\n" + split.record + "\n")
        case "duplicate_track_id":
            split = Self.splitRecord(prefix: "e1,independent,", character: character)
            path = try dir.write("e.csv", "track_id,label_status,title\ne1,major,first\n" + split.record + "\n")
        case "record_too_long (CSV)":
            split = Self.splitRecord(prefix: "e1,independent,", character: character)
            path = try dir.write("e.csv", "track_id,label_status,title\n" + split.record + "\n")
        default:
            split = Self.splitRecord(prefix: "{\"track_id\":\"e1\",\"label_status\":\"independent\",\"title\":\"", character: character)
            path = try dir.write("e.jsonl", split.record + "\"}\n")
        }
        let bytes = Array(split.record.utf8)
        #expect(bytes.count > 300)
        #expect(bytes[split.keep] >= 0xC0 && bytes[200] & 0xC0 == 0x80, "the limit falls inside a character")
        let expected = String(decoding: bytes[0..<split.keep], as: UTF8.self)
        for chunk in [16, 1 << 20] {
            let outcome = try scanTestRunPipeline([path], policies: try ["soundcloud-2025-05"].map(BuiltInPolicies.policy), jobs: 2,
                                                  chunkBytes: chunk, maxRecordBytes: kind.hasPrefix("record_too_long") ? 300 : 1 << 20)
            let reject = try #require(outcome.rejects.last)
            #expect(kind.hasPrefix(reject.code.rawValue))
            #expect(reject.excerpt.utf8.count <= 200)
            #expect(!reject.excerpt.unicodeScalars.contains("\u{FFFD}"),
                    "\(kind), chunk \(chunk): the excerpt ends in U+FFFD: …\(String(reject.excerpt.suffix(4)).debugDescription)")
            #expect(reject.excerpt == expected, "\(kind), chunk \(chunk)")
        }
    }
}
