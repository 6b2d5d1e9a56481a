import ConsentryModel
import Foundation

/// The labels a shard's spill records number, in `labels.bin` beside its manifest: each
/// label's UTF-8 byte count (UInt32, little-endian), then its bytes, in number order, the
/// empty label first.
///
/// A file of its own rather than a list in the manifest: the merge reads the shards' labels
/// one shard at a time, so its memory holds the run's distinct labels once, not every
/// shard's list together.
enum ShardLabels {
    static let fileName = "labels.bin"

    static func write(_ labels: [String], to path: String) throws {
        let writer = try WorkFileWriter(path: path)
        for label in labels {
            let bytes = Array(label.utf8)
            try writer.write(UInt32(bytes.count))
            try writer.write(bytes)
        }
        try writer.close(durable: true)
    }

    /// The `count` labels in `path`; throws when the file is missing, damaged, or holds
    /// another number of labels.
    static func read(_ path: String, count: Int) throws -> [String] {
        func damaged(_ why: String) -> InputError {
            InputError(.shardInconsistent, "the shard result's labels \(why)", remedy: "run that shard again", file: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw damaged("are missing") }
        var labels: [String] = []
        labels.reserveCapacity(count)
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var at = 0
            while at < raw.count {
                guard raw.count - at >= 4 else { throw damaged("end inside a label") }
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                at += 4
                guard length <= raw.count - at else { throw damaged("end inside a label") }
                labels.append(String(decoding: UnsafeRawBufferPointer(rebasing: raw[at..<(at + length)]), as: UTF8.self))
                at += length
            }
        }
        guard labels.count == count else { throw damaged("hold \(labels.count) labels where the manifest says \(count)") }
        guard labels.first == "" else { throw damaged("do not begin with the empty label") }
        return labels
    }
}
