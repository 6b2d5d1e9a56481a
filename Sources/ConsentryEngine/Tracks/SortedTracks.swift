import CMemory
import ConsentryModel
import Glibc

/// Track records read from one or more spill files (a scan's, or every shard's), handed out
/// in (hash, id, position) order — or in position order, for duplicates — in at most
/// `budgetBytes` of memory.
///
/// A partition that fits is sorted in memory. A larger one is cut into sorted runs written
/// to work files, merged as they are read: memory stays within the budget whatever the
/// partition's size, even when most records share one id.
final class SortedTracks {
    enum Order {
        /// By hash, then id bytes, then position: equal ids are adjacent, first occurrence first.
        case hash
        /// By position: input order.
        case position
    }

    private let layout: TrackRecordLayout
    private let order: Order
    // One in-memory run (constants, so that handing out a record costs no reference
    // counting)...
    private let bytes: [UInt8]
    private let sorted: [SortEntry]
    private var cursor = 0
    // ...or a merge of runs on disk.
    private var runs: [WorkFileReader] = []
    private var heap = Heap<Int>()
    private var current: [TrackRecordRef?] = []
    private var lastTaken: Int?

    /// How many records ahead ``next()`` prefetches: about the records a miss takes to read.
    static let prefetchDistance = 8

    struct SortEntry {
        /// The radix key: the hash or the position.
        var key: UInt64
        var offset: Int
    }

    /// Reads `files` (missing ones count as empty); sorted runs go to `workDirectory`.
    init(files: [String], layout: TrackRecordLayout, order: Order = .hash, budgetBytes: Int, workDirectory: String,
         runPrefix: String) throws {
        self.layout = layout
        self.order = order
        let budget = max(budgetBytes, 1 << 20)
        let present = try SortedTracks.measure(files)
        if present.reduce(0, { $0 + $1.size }) <= budget {
            bytes = try SortedTracks.readWhole(present, layout: layout).bytes
            sorted = SortedTracks.sort(bytes, layout: layout, order: order)
            return
        }
        var runPaths: [String] = []
        var buffer: [UInt8] = []
        buffer.reserveCapacity(min(budget, 1 << 24))
        for (file, size) in present {
            let reader = try WorkFileReader(path: file, bufferBytes: 1 << 20)
            if buffer.count + size <= budget {
                // The whole file fits: read it in blocks, then check its records' framing.
                let start = buffer.count
                try reader.readAll(into: &buffer)
                _ = try buffer.withUnsafeBytes {
                    try SortedTracks.checkFraming(UnsafeRawBufferPointer(rebasing: $0[start...]), layout: layout, file: file)
                }
                continue
            }
            while let head = try reader.peek(TrackRecordLayout.headerBytes) {
                guard let size = layout.size(header: head), let record = try reader.peek(size) else {
                    throw WorkFileError(.damaged, "a spill file holds a malformed record",
                                        remedy: "it was changed while consentry ran; run the scan again", file: file)
                }
                if buffer.count + size > budget {
                    let path = workDirectory + "/\(runPrefix)-run-\(runPaths.count).bin"
                    try SortedTracks.writeRun(buffer, layout: layout, order: order, to: path)
                    runPaths.append(path)
                    buffer.removeAll(keepingCapacity: true)
                }
                buffer.append(contentsOf: UnsafeRawBufferPointer(start: record, count: size))
                reader.consume(size)
            }
        }
        if runPaths.isEmpty {
            bytes = buffer
            sorted = SortedTracks.sort(bytes, layout: layout, order: order)
            return
        }
        if !buffer.isEmpty {
            let path = workDirectory + "/\(runPrefix)-run-\(runPaths.count).bin"
            try SortedTracks.writeRun(buffer, layout: layout, order: order, to: path)
            runPaths.append(path)
        }
        buffer = []
        bytes = []
        sorted = []
        runs = try runPaths.map { try WorkFileReader(path: $0, bufferBytes: 1 << 20) }
        current = Array(repeating: nil, count: runs.count)
        for i in runs.indices {
            current[i] = try head(of: i)
            if current[i] != nil { heap.push(i, by: less) }
        }
    }

    /// The records of `files`, in file order, read into one array with their count, when
    /// together they fit in `budgetBytes`; nil when they do not. A missing file holds none.
    ///
    /// Each file is read straight into the array: a partition is read once per scan, and
    /// copying it through a read buffer was a pass over every record.
    static func inMemory(files: [String], layout: TrackRecordLayout, budgetBytes: Int) throws -> ([UInt8], Int)? {
        let present = try measure(files)
        guard present.reduce(0, { $0 + $1.size }) <= budgetBytes else { return nil }
        return try readWhole(present, layout: layout)
    }

    /// The records of the `present` files, measured by ``measure(_:)``, read into one array,
    /// with their count.
    private static func readWhole(_ present: [(path: String, size: Int)],
                                  layout: TrackRecordLayout) throws -> (bytes: [UInt8], count: Int) {
        var count = 0
        let total = present.reduce(0) { $0 + $1.size }
        let bytes = try [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            for (path, size) in present {
                let part = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[initialized..<(initialized + size)])
                try WorkFileReader.read(path, into: part)
                initialized += size
                count += try checkFraming(UnsafeRawBufferPointer(part), layout: layout, file: path)
            }
        }
        return (bytes, count)
    }

    /// The files that exist, with their sizes. A missing file holds no tracks (a partition no
    /// record fell into, a shard's empty one); any other failure to read one is an error,
    /// never a partition left out.
    private static func measure(_ files: [String]) throws -> [(path: String, size: Int)] {
        try files.compactMap { file in
            var info = stat()
            guard stat(file, &info) == 0 else {
                if errno == ENOENT { return nil }
                throw WorkFileReader.failure("open", file, errno)
            }
            return (file, Int(info.st_size))
        }
    }

    /// Checks that `records` is whole records; returns how many.
    private static func checkFraming(_ records: UnsafeRawBufferPointer, layout: TrackRecordLayout, file: String) throws -> Int {
        var offset = 0
        var count = 0
        while offset < records.count {
            guard records.count - offset >= TrackRecordLayout.headerBytes,
                  let size = layout.size(header: records.baseAddress! + offset), records.count - offset >= size else {
                throw WorkFileError(.damaged, "a spill file holds a malformed record",
                                    remedy: "it was changed while consentry ran; run the scan again", file: file)
            }
            offset += size
            count += 1
        }
        return count
    }

    private static func writeRun(_ buffer: [UInt8], layout: TrackRecordLayout, order: Order, to path: String) throws {
        let sorted = sort(buffer, layout: layout, order: order)
        let writer = try WorkFileWriter(path: path, bufferBytes: 1 << 20)
        try buffer.withUnsafeBytes { raw in
            for entry in sorted {
                let record = TrackRecordRef(base: raw.baseAddress! + entry.offset, layout: layout)
                try writer.write(UnsafeRawBufferPointer(start: record.base, count: record.size))
            }
        }
        try writer.close()
    }

    /// The next record, valid until the following call.
    func next() throws -> TrackRecordRef? {
        if runs.isEmpty {
            guard cursor < sorted.count else { return nil }
            defer { cursor += 1 }
            // `bytes` never changes, so its storage stays where the record points.
            let offset = sorted[cursor].offset
            // The records lie in input order and are read in hash order: each is a cache miss.
            // Asking for one a few records ahead overlaps the misses.
            let ahead = cursor + SortedTracks.prefetchDistance < sorted.count
                ? sorted[cursor + SortedTracks.prefetchDistance].offset : nil
            return bytes.withUnsafeBytes { buffer in
                if let ahead { consentry_prefetch(buffer.baseAddress! + ahead) }
                return TrackRecordRef(base: buffer.baseAddress! + offset, layout: layout)
            }
        }
        if let taken = lastTaken {
            runs[taken].consume(current[taken]!.size)
            current[taken] = try head(of: taken)
            if current[taken] != nil { heap.push(taken, by: less) }
            lastTaken = nil
        }
        guard !heap.isEmpty else { return nil }
        let top = heap.pop(by: less)
        lastTaken = top
        return current[top]
    }

    /// The record `k` places after the one ``next()`` returned last, when the records are in
    /// memory and there is one; its bytes were asked for by ``next()`` `prefetchDistance - k`
    /// calls ago. For prefetching what counting that record will need.
    func upcoming(_ k: Int) -> TrackRecordRef? {
        guard runs.isEmpty, cursor + k - 1 < sorted.count else { return nil }
        let offset = sorted[cursor + k - 1].offset
        return bytes.withUnsafeBytes { TrackRecordRef(base: $0.baseAddress! + offset, layout: layout) }
    }

    private func head(of run: Int) throws -> TrackRecordRef? {
        guard let head = try runs[run].peek(TrackRecordLayout.headerBytes), let size = layout.size(header: head),
              let record = try runs[run].peek(size) else { return nil }
        return TrackRecordRef(base: record, layout: layout)
    }

    // MARK: - Order

    /// Whether `a` sorts before `b` in `order`.
    @inline(__always)
    static func precedes(_ a: TrackRecordRef, _ b: TrackRecordRef, _ order: Order) -> Bool {
        if order == .position { return a.position < b.position }
        let ha = a.hash, hb = b.hash
        if ha != hb { return ha < hb }
        let c = compareIDs(a.id, b.id)
        if c != 0 { return c < 0 }
        return a.position < b.position
    }

    /// Byte-wise comparison, shorter first on a common prefix.
    @inline(__always)
    static func compareIDs(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        if n > 0 {
            let c = memcmp(a.baseAddress!, b.baseAddress!, n)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }

    /// The hash bits below this one are left to the comparisons after the radix sort: with
    /// the top 33 bits sorted in three passes instead of six, records that share them are
    /// few even in the largest partition that fits in memory.
    static let hashRadixLowBit: UInt64 = 30

    /// The records of `buffer` in `order`: a radix sort on the position, or on the top bits
    /// of the hash followed by a sort by hash, id and position (positions are unique) of each
    /// run of records that share those bits.
    static func sort(_ buffer: [UInt8], layout: TrackRecordLayout, order: Order) -> [SortEntry] {
        var entries: [SortEntry] = []
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let record = TrackRecordRef(base: raw.baseAddress! + offset, layout: layout)
                entries.append(SortEntry(key: order == .hash ? record.hash : record.position, offset: offset))
                offset += record.size
            }
        }
        guard order == .hash else {
            radixSort(&entries, lowBit: 0)
            return entries
        }
        let low = hashRadixLowBit
        radixSort(&entries, lowBit: low)
        buffer.withUnsafeBytes { raw in
            var i = 0
            while i < entries.count {
                var j = i + 1
                while j < entries.count && entries[j].key >> low == entries[i].key >> low { j += 1 }
                if j - i > 1 {
                    entries[i..<j].sort { a, b in
                        precedes(TrackRecordRef(base: raw.baseAddress! + a.offset, layout: layout),
                                 TrackRecordRef(base: raw.baseAddress! + b.offset, layout: layout), .hash)
                    }
                }
                i = j
            }
        }
        return entries
    }

    /// Stable LSD radix sort by the key's bits from `lowBit` up, 11 bits a pass; passes whose
    /// digit is the same for every key are skipped (the partition's top bits, for one).
    static func radixSort(_ entries: inout [SortEntry], lowBit: UInt64) {
        let n = entries.count
        guard n > 1 else { return }
        var scratch = entries
        var counts = [Int](repeating: 0, count: 2048)
        var shift = lowBit
        var inScratch = false
        while shift < 64 {
            counts.withUnsafeMutableBufferPointer { c in
                for k in 0..<2048 { c[k] = 0 }
            }
            let digitShift = shift
            let skipped: Bool = (inScratch ? scratch : entries).withUnsafeBufferPointer { source in
                counts.withUnsafeMutableBufferPointer { c in
                    for e in source { c[Int((e.key >> digitShift) & 2047)] += 1 }
                    return c.contains(n)
                }
            }
            if !skipped {
                counts.withUnsafeMutableBufferPointer { c in
                    var sum = 0
                    for k in 0..<2048 {
                        let v = c[k]
                        c[k] = sum
                        sum += v
                    }
                }
                if inScratch {
                    scatter(from: scratch, to: &entries, counts: &counts, shift: digitShift)
                } else {
                    scatter(from: entries, to: &scratch, counts: &counts, shift: digitShift)
                }
                inScratch.toggle()
            }
            shift += 11
        }
        if inScratch { entries = scratch }
    }

    @inline(__always)
    private static func scatter(from source: [SortEntry], to target: inout [SortEntry], counts: inout [Int], shift: UInt64) {
        source.withUnsafeBufferPointer { s in
            target.withUnsafeMutableBufferPointer { t in
                counts.withUnsafeMutableBufferPointer { c in
                    for e in s {
                        let d = Int((e.key >> shift) & 2047)
                        t[c[d]] = e
                        c[d] += 1
                    }
                }
            }
        }
    }

    // MARK: - Heap of runs

    private func less(_ i: Int, _ j: Int) -> Bool { SortedTracks.precedes(current[i]!, current[j]!, order) }
}
