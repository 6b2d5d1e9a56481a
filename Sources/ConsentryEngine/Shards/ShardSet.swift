import ConsentryModel
import Foundation
import Glibc

/// A complete, consistent set of shard results in one folder, ready to merge.
///
/// ``load(_:)`` refuses — naming the shard — a missing shard, an extra one (of another
/// count), one whose inputs, sizes, policies or options differ from the others', and
/// inputs that changed since the shards read them (the merge reads them again to locate
/// duplicates).
public struct ShardSet: Sendable {
    public let directory: String
    /// By shard, 0..<count.
    public let results: [ShardResult]
    public let paths: [String]
    public let policies: [Policy]
    public let options: InputOptions
    public let keepRejects: Int?

    public static func load(_ directory: String) throws -> ShardSet {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw InputError(.shardMissing, "cannot list the shard folder (\(FailureReason.of(error)))",
                             remedy: "check the path: it is the --shard-dir the shards wrote into", file: directory, underlying: error)
        }
        // Hidden entries are results still being written, or set aside by a retried shard.
        let folders = names.filter { $0.hasPrefix("shard-") }.sorted()
        guard !folders.isEmpty else {
            throw InputError(.shardMissing, "the folder holds no shard results (shard-K-of-N)",
                             remedy: "run the shards with --shard-dir pointing here, then merge", file: directory)
        }
        var parsed: [(name: String, shard: Int, count: Int)] = []
        for name in folders {
            let parts = name.split(separator: "-")
            guard parts.count == 4, parts[2] == "of", let k = Int(parts[1]), let n = Int(parts[3]), n > 0, k >= 0, k < n else {
                throw InputError(.shardInconsistent, "an entry named like a shard result is not one (shard-K-of-N, 0 ≤ K < N)",
                                 remedy: "remove it from the shard folder", file: directory + "/" + name)
            }
            parsed.append((name, k, n))
        }
        let counts = Dictionary(grouping: parsed, by: \.count)
        if counts.count > 1 {
            // The count most results share is the set; the others are extra.
            let main = counts.max { a, b in a.value.count != b.value.count ? a.value.count < b.value.count : a.key > b.key }!.key
            let extra = parsed.first { $0.count != main }!
            throw InputError(.shardInconsistent, "an extra shard result: the set has \(main) shards, this one is one of \(extra.count)",
                             remedy: "remove it (a run with another shard count left it), then merge again",
                             file: directory + "/" + extra.name)
        }
        let count = parsed[0].count
        let present = Set(parsed.map(\.shard))
        if let missing = (0..<count).first(where: { !present.contains($0) }) {
            throw InputError(.shardMissing, "shard \(missing) of \(count) is missing: nothing was recorded",
                             remedy: "run that shard again (its task failed or has not finished), then merge again",
                             file: directory + "/" + ShardResult.folderName(shard: missing, count: count))
        }
        let results = try (0..<count).map { try ShardResult.load(directory + "/" + ShardResult.folderName(shard: $0, count: count)) }
        let first = results[0].manifest
        for result in results {
            let m = result.manifest
            var differs: String?
            if m.shard != results.firstIndex(where: { $0.directory == result.directory }) || m.count != count {
                differs = "its manifest says shard \(m.shard) of \(m.count)"
            } else if m.inputs != first.inputs {
                differs = "its inputs (or their sizes or modification times) differ from shard 0's"
            } else if m.policies != first.policies {
                differs = "its policies differ from shard 0's"
            } else if m.options != first.options {
                differs = "its input options differ from shard 0's"
            } else if m.toolVersion != first.toolVersion {
                differs = "it was written by consentry \(m.toolVersion), shard 0 by \(first.toolVersion)"
            }
            if let differs {
                throw InputError(.shardInconsistent, "an inconsistent shard result: \(differs)",
                                 remedy: "run every shard of the set with the same inputs and options, then merge again",
                                 file: result.directory)
            }
        }
        let read = results.flatMap { $0.manifest.read.map(\.input) }.sorted()
        guard read == Array(first.inputs.indices) else {
            throw InputError(.shardInconsistent, "the shards did not read every input exactly once",
                             remedy: "run every shard of the set again with the same inputs", file: directory)
        }
        for input in first.inputs where (try? ShardResult.Manifest.Input.now(input.path)) != input {
            throw InputError(.unreadable, "the input changed or is gone since the shards read it (its size or modification time differs)",
                             remedy: "keep the inputs in place until the merge, or run the shards again", file: input.path)
        }
        let policies = try first.policies.map { try PolicyLoader.load(yaml: $0.yaml, origin: $0.origin) }
        var options = InputOptions()
        options.format = first.options.format.flatMap(InputFormat.init(rawValue:))
        options.delimiter = first.options.delimiter
        for (field, name) in first.options.columns {
            if let field = RecordField(name: field) { options.columns[field] = name }
        }
        options.maxRecordBytes = first.options.maxRecordBytes
        if let source = first.options.labelMap, let digest = first.options.labelMapSHA256 {
            // The shards applied the map; the merge reads no statuses (it locates duplicates,
            // whose header needs no label_status with a map) and records which map it was.
            options.labelMap = LabelMap(source: source, sha256: digest)
        }
        return ShardSet(directory: directory, results: results, paths: first.inputs.map(\.path), policies: policies,
                        options: options, keepRejects: first.options.keepRejects)
    }
}
