import Foundation
import Testing
import ConsentryModel
@testable import ConsentryEngine
import TestSupport

@Suite("A shard result's labels file and manifest format")
struct ShardResultTests {
    static let labels = ["", "A\u{0}B", "A", "Éditions Ω", String(repeating: "é", count: 512)]

    @Test("labels of any bytes read back as written, in number order")
    func labelsRoundTrip() throws {
        let dir = try TempDir("shardlabels")
        let path = dir.file("labels.bin")
        try ShardLabels.write(Self.labels, to: path)
        #expect(try ShardLabels.read(path, count: Self.labels.count) == Self.labels)
    }

    @Test("a missing, cut, miscounted or misordered labels file is an inconsistent shard, not a crash",
          arguments: ["missing", "cut", "count", "first"])
    func damagedLabels(_ damage: String) throws {
        let dir = try TempDir("shardlabels")
        let path = dir.file("labels.bin")
        try ShardLabels.write(damage == "first" ? Array(Self.labels.dropFirst()) : Self.labels, to: path)
        var count = damage == "first" ? Self.labels.count - 1 : Self.labels.count
        switch damage {
        case "missing": try FileManager.default.removeItem(atPath: path)
        case "cut":
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            try data.dropLast(3).write(to: URL(fileURLWithPath: path))
        case "count": count += 1
        default: break
        }
        #expect {
            try ShardLabels.read(path, count: count)
        } throws: { error in
            (error as? InputError)?.kind == .shardInconsistent
        }
    }

    @Test("a result of another format is refused as such, even when its manifest has other fields")
    func anotherFormatIsNamed() throws {
        let dir = try TempDir("shardformat")
        let folder = dir.file("shard-0-of-2")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(#"{"format": 2, "labels": ["", "A"]}"#.utf8).write(to: URL(fileURLWithPath: folder + "/manifest.json"))
        #expect {
            try ShardResult.load(folder)
        } throws: { error in
            guard let error = error as? InputError else { return false }
            return error.kind == .shardInconsistent && error.message.contains("format 2, this consentry reads \(ShardResult.formatVersion)")
        }
    }
}
