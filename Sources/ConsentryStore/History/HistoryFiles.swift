import ConsentryEngine
import ConsentryModel
import Foundation

/// Receives a run's history changes from the resolver threads and writes them, partition by
/// partition, to files the run's transaction then inserts in partition order.
///
/// The resolver works on several partitions at once while SQLite takes one writer, so the
/// changes wait in files (bounded memory) rather than in a queue. Packs are built here, on
/// the resolver threads, so the writer only inserts them.
final class HistoryFiles: HistoryOutput, @unchecked Sendable {
    let directory: String

    init(directory: String) {
        self.directory = directory
    }

    func packsPath(_ p: Int) -> String { directory + "/packs-\(p).bin" }
    func endsPath(_ p: Int) -> String { directory + "/ends-\(p).bin" }

    func partition(_ index: Int) throws -> any HistoryPartitionWriter {
        try Partition(packs: WorkFileWriter(path: packsPath(index), bufferBytes: 128 << 10),
                      ends: WorkFileWriter(path: endsPath(index), bufferBytes: 64 << 10))
    }

    /// A packs file holds records `firstHash UInt64, lastHash UInt64, tracks UInt32,
    /// length UInt32, text`;
    /// an ends file `fromRun Int64, hash UInt64, combo UInt32, length UInt16, id`.
    final class Partition: HistoryPartitionWriter {
        private let packs: WorkFileWriter
        private let ends: WorkFileWriter
        // Used by one resolver thread at a time, a track at a time: no dynamic exclusivity
        // checks per track (they were about 2 % of a first night's samples).
        @exclusivity(unchecked) private var text: [UInt8] = []
        @exclusivity(unchecked) private var tracks = 0
        @exclusivity(unchecked) private var firstHash: UInt64 = 0
        @exclusivity(unchecked) private var lastHash: UInt64 = 0

        init(packs: WorkFileWriter, ends: WorkFileWriter) {
            self.packs = packs
            self.ends = ends
            text.reserveCapacity(HistoryPack.targetBytes + 600)
        }

        func began(hash: UInt64, id: UnsafeRawBufferPointer, combo: UInt32, artist: UnsafeRawBufferPointer) throws {
            // Equal hashes stay in one pack, so a lookup by hash finds every track with it
            // in the last pack that starts at or before it.
            if tracks > 0 && text.count >= HistoryPack.targetBytes && hash != lastHash { try closePack() }
            if tracks == 0 {
                firstHash = hash
                text.append(UInt8(ascii: "["))
            }
            HistoryPack.append(id: id, combo: combo, artist: artist, first: tracks == 0, to: &text)
            tracks += 1
            lastHash = hash
        }

        func ended(hash: UInt64, id: UnsafeRawBufferPointer, fromRun: Int64, combo: UInt32) throws {
            try ends.write(fromRun)
            try ends.write(hash)
            try ends.write(combo)
            try ends.write(UInt16(id.count))
            try ends.write(Array(id))
        }

        private func closePack() throws {
            text.append(UInt8(ascii: "]"))
            try packs.write(firstHash)
            try packs.write(lastHash)
            try packs.write(UInt32(tracks))
            try packs.write(UInt32(text.count))
            try packs.write(text)
            text.removeAll(keepingCapacity: true)
            tracks = 0
        }

        func close() throws {
            if tracks > 0 { try closePack() }
            try packs.close()
            try ends.close()
        }
    }
}
