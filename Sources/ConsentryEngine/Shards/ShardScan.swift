import ConsentryModel
import Foundation
import Glibc

/// One shard of a scan split across machines: expands the inputs exactly as a whole scan
/// would, reads its share of them (``ShardAssignment``), and leaves its result in the shard
/// folder (``ShardResult``). It needs no results database and takes no lock.
public struct ShardScan: Sendable {
    public var inputs: [String]
    public var policies: [Policy]
    public var options = InputOptions()
    public var jobs = 1
    public var keepRejects: Int? = 1000
    /// This shard (0..<count) and the number of shards.
    public var shard: Int
    public var count: Int
    /// The folder every shard of the set writes into.
    public var directory: String

    public init(inputs: [String], policies: [Policy], shard: Int, count: Int, directory: String) {
        self.inputs = inputs
        self.policies = policies
        self.shard = shard
        self.count = count
        self.directory = directory
    }

    /// Runs the shard; returns its result, in place.
    public func run(cancellation: Cancellation = Cancellation(), progress: ScanProgress? = nil) throws -> ShardResult {
        precondition(shard >= 0 && shard < count)
        let paths = try InputResolver.expand(inputs)
        let found = try paths.map(ShardResult.Manifest.Input.now)
        let assignment = ShardAssignment.shards(sizes: found.map(\.bytes), count: count)
        let mine = paths.indices.filter { assignment[$0] == shard }

        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw WorkFileError(.io, "cannot create the shard folder (\(FailureReason.of(error)))",
                                remedy: "check that its parent exists and is writable", file: directory, underlying: error)
        }
        let name = ShardResult.folderName(shard: shard, count: count)
        let final = directory + "/" + name
        let staging = directory + "/.\(name).writing-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
        do {
            let rejects = try ShardResult.RejectFile(path: staging + "/" + ShardResult.rejectsName)
            let scan = CatalogueScan(
                paths: paths, readingOnly: mine, policies: policies, options: options, jobs: jobs, keepRejects: keepRejects,
                workDirectory: staging, cancellation: cancellation, progress: progress)
            try scan.read(rejects: rejects)
            try rejects.close()
            if let reason = cancellation.error { throw reason }
            let reading = scan.reading
            let manifest = ShardResult.Manifest(
                format: ShardResult.formatVersion, toolVersion: ConsentryVersion.current, shard: shard, count: count,
                inputs: found,
                policies: policies.map { .init(id: $0.id, origin: $0.origin, yaml: $0.yaml) },
                options: ShardScan.manifestOptions(options, keepRejects: keepRejects),
                read: zip(reading.inputNumbers, reading.outcome.inputs).map {
                    .init(input: $0, format: $1.format.rawValue, compression: $1.compression, bytes: $1.bytes,
                          sha256: $1.sha256, rowsRead: $1.rowsRead)
                },
                rowsRead: reading.outcome.rowsRead, rowsRejected: reading.outcome.rowsRejected,
                rejectsByCode: Dictionary(uniqueKeysWithValues: reading.outcome.rejectsByCode.map { ($0.key.rawValue, $0.value) }),
                rejectsNotKept: reading.rejectsNotKept, statistics: reading.outcome.statistics.counts,
                labelCount: reading.labelCount)
            try ShardLabels.write(scan.labelTexts, to: staging + "/" + ShardLabels.fileName)
            for file in reading.spillFiles { try ShardScan.sync(file) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let writer = try WorkFileWriter(path: staging + "/" + ShardResult.manifestName)
            try writer.write(Array(try encoder.encode(manifest)))
            try writer.close(durable: true)
            try ShardScan.sync(staging)
            try ShardScan.replace(final, with: staging)
            return ShardResult(directory: final, manifest: manifest)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
    }

    /// The options as a manifest records them: what every shard of a set must agree on.
    public static func manifestOptions(_ options: InputOptions, keepRejects: Int?) -> ShardResult.Manifest.Options {
        .init(format: options.format?.rawValue, delimiter: options.delimiter,
              columns: Dictionary(uniqueKeysWithValues: options.columns.map { ($0.key.name, $0.value) }),
              maxRecordBytes: options.maxRecordBytes, keepRejects: keepRejects, labelMap: options.labelMap?.source,
              labelMapSHA256: options.labelMap?.sha256)
    }

    /// Puts `staging` at `final`, replacing an earlier result of the same shard: the old one
    /// moves aside first, so the merge never sees half of either.
    static func replace(_ final: String, with staging: String) throws {
        let aside = final + ".old-\(getpid())"
        let manager = FileManager.default
        do {
            if manager.fileExists(atPath: final) { try manager.moveItem(atPath: final, toPath: aside) }
            try manager.moveItem(atPath: staging, toPath: final)
        } catch {
            throw WorkFileError(.io, "cannot put the shard result in place (\(FailureReason.of(error)))",
                                remedy: "check that the shard folder is writable", file: final, underlying: error)
        }
        try? manager.removeItem(atPath: aside)
        try sync((final as NSString).deletingLastPathComponent)
    }

    /// Syncs a file or folder to disk: the merge may run on another machine.
    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw WorkFileWriter.failure("open", path, errno) }
        defer { close(fd) }
        if fsync(fd) != 0 && errno != EINVAL { throw WorkFileWriter.failure("sync", path, errno) }
    }
}
