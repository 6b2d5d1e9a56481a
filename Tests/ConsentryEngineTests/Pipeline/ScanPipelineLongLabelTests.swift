import Foundation
import Testing
import ConsentryModel
@testable import ConsentryEngine
import PipelineTestSupport
import TestSupport

@Suite("ScanPipeline: a label longer than the 1,024 bytes kept is matched with the map in full (contract §1.3)")
struct ScanPipelineLongLabelTests {
    /// 1,100 bytes: a pasted notice with a two-byte character across byte 1,024.
    static let long = String(repeating: "Notice ", count: 146) + "é and the rest of it"

    @Test("CSV, quoted CSV and escaped JSONL: the long label gets the map's status; its first 1,024 bytes alone name nothing")
    func longLabel() throws {
        #expect(Self.long.utf8.count > 1030)
        let dir = try TempDir()
        let quoted = Self.long.replacingOccurrences(of: "Notice", with: "\"\"Notice\"\"")
        let csv = try dir.write("a.csv", "track_id,label\nplain,\(Self.long)\nquoted,\"\(quoted)\"\nshort,Short Label\n")
        let escaped = Self.long.replacingOccurrences(of: "é", with: "\\u00e9").replacingOccurrences(of: "Notice", with: "N\\u006ftice")
        let jsonl = try dir.write("b.jsonl", "{\"track_id\": \"json\", \"label\": \"\(escaped)\"}\n")
        var map = LabelMap(source: "map.csv", sha256: "")
        map.set(Self.long.uppercased(), .major)
        map.set(Self.long.replacingOccurrences(of: "Notice", with: "\"Notice\""), .licensed)
        map.set("short label", .independent)
        let cut = String(decoding: Array(Self.long.utf8).prefix(1024), as: UTF8.self)
        map.set(cut, .licensed)
        var options = InputOptions()
        options.labelMap = map
        for jobs in [1, 2] {
            for chunk in [64, 1 << 20] {
                options.chunkBytes = chunk
                let outcome = try scanTestRunPipeline([csv, jsonl], policies: [try BuiltInPolicies.policy("soundcloud-2025-05")],
                                                      jobs: jobs, options: options)
                let labels = Dictionary(uniqueKeysWithValues: outcome.tracks.map { ($0.id, $0.label) })
                #expect(labels == ["plain": .major, "quoted": .licensed, "json": .major, "short": .independent],
                        "jobs \(jobs) chunk \(chunk)")
                // The breakdown keeps the labels cut at a character boundary.
                #expect(outcome.labels.rows(policy: 0).allSatisfy { $0.key.utf8.count <= 1024 })
            }
        }
    }
}
