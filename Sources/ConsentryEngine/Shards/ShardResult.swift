import ConsentryModel
import Foundation

/// One shard's result on disk: `DIR/shard-K-of-N/` with `manifest.json`, `rejects.jsonl`
/// (the rejects it kept, in input order), one spill file per partition and `labels.bin`
/// (the labels its spill records number, ``ShardLabels``).
///
/// A shard writes it into a hidden folder beside its final place and renames it there in one
/// step, so the merge sees a whole result or none; a retried task replaces its own.
public struct ShardResult: Sendable {
    /// The format of the folder; a merge refuses another. (3: records carry label numbers,
    /// `labels.bin` their texts; 4: inputs carry their modification time.)
    public static let formatVersion = 4

    /// What a shard was asked to do (the same for every shard of a set) and what it read.
    public struct Manifest: Codable, Sendable, Equatable {
        /// An input as the shard found it: a file changed in place keeps its size, not its
        /// modification time (nanoseconds since 1970).
        public struct Input: Codable, Sendable, Equatable {
            public var path: String
            public var bytes: Int
            public var modified: Int

            /// The input at `path` as it is now.
            static func now(_ path: String) throws -> Input {
                var info = stat()
                guard stat(path, &info) == 0 else {
                    throw InputError(.unreadable, "cannot read the input's size (\(String(cString: strerror(errno))))",
                                     remedy: "check the path and its permissions", file: path)
                }
                return Input(path: path, bytes: Int(info.st_size),
                             modified: info.st_mtim.tv_sec * 1_000_000_000 + info.st_mtim.tv_nsec)
            }
        }

        public struct PolicyText: Codable, Sendable, Equatable {
            public var id: String
            public var origin: String
            public var yaml: String
        }

        /// The options that shape reading; every shard of a set must have the same.
        public struct Options: Codable, Sendable, Equatable {
            public var format: String?
            public var delimiter: UInt8
            public var columns: [String: String]
            public var maxRecordBytes: Int
            public var keepRejects: Int?
            /// The `--label-map` file and the SHA-256 of its bytes.
            public var labelMap: String?
            public var labelMapSHA256: String?
        }

        public struct InputRead: Codable, Sendable, Equatable {
            public var input: Int
            public var format: String
            public var compression: String
            public var bytes: Int
            public var sha256: String
            public var rowsRead: Int
        }

        public var format: Int
        public var toolVersion: String
        public var shard: Int
        public var count: Int
        /// Every input of the whole scan, as expanded, with its size and modification time.
        public var inputs: [Input]
        public var policies: [PolicyText]
        public var options: Options
        /// The inputs this shard read, in input order.
        public var read: [InputRead]
        public var rowsRead: Int
        public var rowsRejected: Int
        public var rejectsByCode: [String: Int]
        public var rejectsNotKept: Int
        /// ``RunStatistics/counts`` of the tracks it read, duplicates not yet taken out.
        public var statistics: [Int]
        /// How many labels its spill records number (``ShardLabels``), the empty one included.
        public var labelCount: Int
    }

    public static func folderName(shard: Int, count: Int) -> String { "shard-\(shard)-of-\(count)" }

    static let manifestName = "manifest.json"
    static let rejectsName = "rejects.jsonl"

    /// The folder of the result.
    public let directory: String
    public let manifest: Manifest

    /// Reads the result in `directory`; throws a message naming it when it is not one.
    public static func load(_ directory: String) throws -> ShardResult {
        let path = directory + "/" + manifestName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(.shardMissing, "the shard result has no manifest (a shard still writing, or killed before it finished)",
                             remedy: "run that shard again", file: directory)
        }
        // The format first: another format's manifest may not decode as this one.
        struct Format: Decodable { var format: Int }
        let manifest: Manifest
        do {
            let format = try JSONDecoder().decode(Format.self, from: data).format
            guard format == formatVersion else {
                throw InputError(.shardInconsistent, "the shard result has format \(format), this consentry reads \(formatVersion)",
                                 remedy: "run every shard and the merge with the same consentry", file: directory)
            }
            manifest = try JSONDecoder().decode(Manifest.self, from: data)
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(.shardInconsistent, "the shard result's manifest cannot be read (\(FailureReason.of(error)))",
                             remedy: "run that shard again", file: path, underlying: error)
        }
        return ShardResult(directory: directory, manifest: manifest)
    }

    /// The shard's reading, for ``CatalogueScan/init(paths:resuming:policies:options:jobs:keepRejects:workDirectory:cancellation:)``.
    public func reading(policyCount: Int) throws -> ShardReading {
        guard let statistics = RunStatistics(policyCount: policyCount, counts: manifest.statistics) else {
            throw InputError(.shardInconsistent, "the shard result's statistics do not fit its policies", remedy: "run that shard again",
                             file: directory)
        }
        var outcome = ScanOutcome(statistics: statistics)
        outcome.rowsRead = manifest.rowsRead
        outcome.rowsRejected = manifest.rowsRejected
        for (code, n) in manifest.rejectsByCode {
            if let code = RejectCode(rawValue: code) { outcome.rejectsByCode[code] = n }
        }
        outcome.inputs = manifest.read.map {
            InputSummary(path: manifest.inputs[$0.input].path, format: InputFormat(rawValue: $0.format) ?? .csv,
                         compression: $0.compression, bytes: $0.bytes, sha256: $0.sha256, rowsRead: $0.rowsRead)
        }
        return ShardReading(
            inputNumbers: manifest.read.map(\.input), outcome: outcome, rejectsNotKept: manifest.rejectsNotKept,
            spillFiles: (0..<TrackSpill.partitionCount).map { directory + "/" + TrackSpill.fileName(partition: $0) },
            labelsFile: directory + "/" + ShardLabels.fileName, labelCount: manifest.labelCount)
    }

    /// The rejects the shard kept, in input order.
    public func rejects() throws -> [(input: Int, reject: RejectedRecord)] {
        let path = directory + "/" + ShardResult.rejectsName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(.shardInconsistent, "the shard result has no rejects file", remedy: "run that shard again", file: directory)
        }
        var out: [(Int, RejectedRecord)] = []
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            let r = try JSONDecoder().decode(StoredReject.self, from: Data(line))
            guard let code = RejectCode(rawValue: r.code) else {
                throw InputError(.shardInconsistent, "the shard result holds an unknown reject code '\(r.code)'", remedy: "run that shard again", file: path)
            }
            out.append((r.input, RejectedRecord(line: r.line, offset: r.offset, code: code, column: r.column,
                                                message: r.message, excerpt: r.excerpt)))
        }
        return out
    }

    struct StoredReject: Codable {
        var input: Int
        var line: Int
        var offset: Int
        var code: String
        var column: String?
        var message: String
        var excerpt: String
    }

    /// Writes a shard's kept rejects as JSON lines.
    final class RejectFile: RejectSink {
        private let writer: WorkFileWriter
        private let encoder = JSONEncoder()

        init(path: String) throws {
            writer = try WorkFileWriter(path: path)
        }

        func rejected(input: Int, path: String, _ reject: RejectedRecord) throws {
            let stored = StoredReject(input: input, line: reject.line, offset: reject.offset, code: reject.code.rawValue,
                                      column: reject.column, message: reject.message, excerpt: reject.excerpt)
            try writer.write(Array(try encoder.encode(stored)) + [UInt8(ascii: "\n")])
        }

        func close() throws { try writer.close(durable: true) }
    }
}
