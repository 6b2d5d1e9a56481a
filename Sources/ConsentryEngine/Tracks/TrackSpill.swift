import CMemory
import ConsentryModel
import Glibc

/// The scanned tracks of a run, written in input order into partition files by hash.
///
/// The merge role appends every scanned record here instead of keeping its id in memory;
/// once the inputs are read, each partition is sorted and resolved on its own
/// (``TrackResolver``), so memory stays the same for 5 million tracks and for 500 million.
/// Partitions are ranges of the hash, so resolving them in order visits tracks in hash
/// order: the order the history is stored in.
///
/// One buffer per partition in one allocation, written with write(2): the merge appends
/// millions of records, and a file object per partition would cost a reference count per
/// record.
final class TrackSpill {
    /// 64 partitions: small enough that their write buffers cost little, enough that two
    /// workers keep each other busy and a 5-million-track partition sorts in memory.
    static let partitionBits = 6
    static let partitionCount = 1 << partitionBits
    /// 256 KiB a partition, 16 MiB in all: with 64 KiB a scan without history spent a fifth
    /// more system time (writing, reading back and removing the spill in four times as many,
    /// smaller pieces); 1 MiB gained nothing more.
    private static let bufferBytes = 256 << 10

    @inline(__always)
    static func partition(of hash: UInt64) -> Int { Int(hash >> (63 - UInt64(partitionBits))) }

    static func fileName(partition: Int) -> String { "tracks-\(partition).bin" }

    let directory: String
    let layout: TrackRecordLayout
    private let paths: [String]
    /// Each partition's file, -1 until its first buffer is written. Creating all 64 up front
    /// took 10-20 ms on ext4 (finding a free inode among ones freed moments ago) before any
    /// input was read; created when their buffers first fill, they cost that while the
    /// workers read.
    private var descriptors: [Int32]
    private let buffers: UnsafeMutableRawPointer
    /// Bytes buffered per partition. Not an `Array`: every track's append would check its
    /// uniqueness.
    private let fill: UnsafeMutablePointer<Int>
    private var closed = false

    init(directory: String, layout: TrackRecordLayout) {
        self.directory = directory
        self.layout = layout
        paths = (0..<TrackSpill.partitionCount).map { directory + "/" + TrackSpill.fileName(partition: $0) }
        descriptors = Array(repeating: -1, count: TrackSpill.partitionCount)
        buffers = .allocate(byteCount: TrackSpill.partitionCount * TrackSpill.bufferBytes, alignment: 64)
        fill = .allocate(capacity: TrackSpill.partitionCount)
        fill.initialize(repeating: 0, count: TrackSpill.partitionCount)
    }

    deinit {
        if !closed { for fd in descriptors where fd >= 0 { close(fd) } }
        buffers.deallocate()
        fill.deallocate()
    }

    /// Appends one track; `text` holds its id and artist (``TrackRecordLayout``).
    @inline(__always)
    func append(hash: UInt64, position: UInt64, flags: UInt8, labelNumber: UInt32, verdicts: UnsafeBufferPointer<UInt32>,
                text: UnsafeBufferPointer<UInt8>, idLength: Int, artistLength: Int) throws {
        let p = TrackSpill.partition(of: hash)
        let size = layout.size(textBytes: text.count)
        if fill[p] + size > TrackSpill.bufferBytes { try drain(p) }
        layout.write(to: buffers + p * TrackSpill.bufferBytes + fill[p], hash: hash, position: position, flags: flags,
                     labelNumber: labelNumber, verdicts: verdicts, text: text, idLength: idLength,
                     artistLength: artistLength)
        fill[p] += size
        // The partition's next record lands a few dozen records from now, in a line that
        // has left the caches since its buffer was last drained: its load starts now.
        consentry_prefetch_write(buffers + p * TrackSpill.bufferBytes + fill[p] + 64)
    }

    @inline(never)
    private func drain(_ p: Int) throws {
        if descriptors[p] < 0 {
            let fd = open(paths[p], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw WorkFileWriter.failure("create", paths[p], errno) }
            descriptors[p] = fd
        }
        let base = buffers + p * TrackSpill.bufferBytes
        var offset = 0
        while offset < fill[p] {
            let n = write(descriptors[p], base + offset, fill[p] - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw WorkFileWriter.failure("write", paths[p], errno)
            }
            offset += n
        }
        fill[p] = 0
    }

    /// Writes what is buffered and closes every file (a partition without tracks gets an
    /// empty one); returns each partition's file.
    func finish() throws -> [String] {
        guard !closed else { return paths }
        for p in 0..<TrackSpill.partitionCount { try drain(p) }
        closed = true
        // Every file is closed, whichever fails: deinit closes none once `closed` is set.
        var failure: WorkFileError? = nil
        for (p, fd) in descriptors.enumerated() where close(fd) != 0 && failure == nil {
            failure = WorkFileWriter.failure("close", paths[p], errno)
        }
        if let failure { throw failure }
        return paths
    }
}
