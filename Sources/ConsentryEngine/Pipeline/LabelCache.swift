import ConsentryModel
import Glibc

/// One worker's memo of the labels it has met: each label's number in the scan's
/// ``LabelNumbers`` and, once asked, its status in the label map.
///
/// A catalogue repeats a few thousand labels millions of times. The memo answers with a
/// hash and one comparison of the label's bytes, so the shared numbering (and its lock) is
/// met once per label and worker, and the label map, which folds case and allocates, once
/// per label. A slot holds a label's first 16 bytes, so a lookup of most labels reads no
/// memory beyond its slot, and the few labels that hold most tracks are found in a small
/// table of recent ones, which the input streaming through the caches does not push out as
/// it does the large one.
struct LabelCache: ~Copyable {
    private struct Entry {
        /// The label's hash with the top bit set; 0 marks an empty slot.
        var tag: UInt64
        var number: UInt32
        /// Where the bytes after the first 16 are in `tails`.
        var tailStart: UInt32
        var length: UInt16
        /// A ``LabelStatus`` raw value, or ``LabelCache/unmapped``.
        var status: UInt8
        /// The first 16 bytes, zero-padded.
        var head: (UInt64, UInt64)
    }

    private static let unmapped: UInt8 = 0xFF
    private static let headBytes = 16
    /// Past this many labels, or bytes of them, the memo starts over: a worker's memory stays
    /// bounded whatever the catalogue, and the numbers live on in ``LabelNumbers``.
    private let maxEntries: Int
    private let maxTailBytes: Int

    /// Open addressing, `capacity` a power of two, at most half full. Not an `Array`: a
    /// lookup per track would check its uniqueness.
    private var slots: UnsafeMutablePointer<Entry>
    private var capacity: Int
    /// The label last found in each of a few hundred buckets: the few labels that hold most
    /// tracks stay in a table small enough to stay in the caches.
    private let recent: UnsafeMutablePointer<Entry>
    private static let recentCount = 512
    private var tails: [UInt8] = []
    private var used = 0

    init(maxEntries: Int = 1 << 16, maxTailBytes: Int = 4 << 20) {
        self.maxEntries = maxEntries
        self.maxTailBytes = maxTailBytes
        capacity = 1024
        slots = LabelCache.emptySlots(capacity)
        recent = LabelCache.emptySlots(LabelCache.recentCount)
    }

    deinit {
        slots.deallocate()
        recent.deallocate()
    }

    private static let empty = Entry(tag: 0, number: 0, tailStart: 0, length: 0, status: 0, head: (0, 0))

    private static func emptySlots(_ count: Int) -> UnsafeMutablePointer<Entry> {
        let slots = UnsafeMutablePointer<Entry>.allocate(capacity: count)
        slots.initialize(repeating: empty, count: count)
        return slots
    }

    /// The hash ``slot(of:hash:numbers:)`` takes.
    @inline(__always)
    static func hash(_ label: UnsafeBufferPointer<UInt8>) -> UInt64 { TrackHash.of(label) | 1 << 63 }

    /// The number of `label` (not empty, with `hash` from ``hash(_:)``) in `numbers`.
    @inline(__always)
    mutating func number(of label: UnsafeBufferPointer<UInt8>, hash: UInt64, numbers: LabelNumbers) -> UInt32 {
        let head = LabelCache.head(label)
        let bucket = recent + Int(truncatingIfNeeded: hash >> 32) & (LabelCache.recentCount - 1)
        if LabelCache.matches(bucket.pointee, label, hash: hash, head: head, tails: tails) { return bucket.pointee.number }
        let s = slot(of: label, hash: hash, head: head, numbers: numbers)
        bucket.pointee = slots[s]
        return slots[s].number
    }

    /// The slot of `label` (not empty, with `hash` from ``hash(_:)``), numbered in `numbers`
    /// when this worker meets it for the first time. Valid until the next call.
    @inline(__always)
    mutating func slot(of label: UnsafeBufferPointer<UInt8>, hash: UInt64, numbers: LabelNumbers) -> Int {
        slot(of: label, hash: hash, head: LabelCache.head(label), numbers: numbers)
    }

    @inline(__always)
    private mutating func slot(of label: UnsafeBufferPointer<UInt8>, hash: UInt64, head: (UInt64, UInt64),
                               numbers: LabelNumbers) -> Int {
        let mask = capacity - 1
        var s = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[s]
            if entry.tag == 0 { return insert(label, hash: hash, head: head, numbers: numbers) }
            if LabelCache.matches(entry, label, hash: hash, head: head, tails: tails) { return s }
            s = (s + 1) & mask
        }
    }

    /// The label's number in the scan.
    @inline(__always)
    func number(_ slot: Int) -> UInt32 { slots[slot].number }

    /// The label's length in bytes.
    @inline(__always)
    func length(_ slot: Int) -> Int { Int(slots[slot].length) }

    /// The label's status in the map, asked of `map` the first time.
    mutating func status(_ slot: Int, in map: LabelMap) -> LabelStatus {
        if let known = LabelStatus(rawValue: slots[slot].status) { return known }
        let status = bytes(slots[slot]).withUnsafeBufferPointer { map.status(of: $0) } ?? .unknown
        slots[slot].status = status.rawValue
        return status
    }

    /// The first 16 bytes of `label`, zero-padded: loads that overlap rather than a copy
    /// byte by byte, and never a byte outside the label.
    @inline(__always)
    private static func head(_ label: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        let n = label.count
        let raw = UnsafeRawBufferPointer(label)
        @inline(__always) func load64(_ at: Int) -> UInt64 { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        @inline(__always) func load32(_ at: Int) -> UInt64 {
            UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        }
        if n >= 16 { return (load64(0), load64(8)) }
        if n > 8 { return (load64(0), load64(n - 8) >> UInt64(8 * (16 - n))) }
        if n >= 4 { return (load32(0) | (load32(n - 4) >> UInt64(8 * (8 - n))) << 32, 0) }
        var word: UInt64 = 0
        for i in 0..<n { word |= UInt64(label[i]) << UInt64(8 * i) }
        return (word, 0)
    }

    /// Whether `entry` holds `label`.
    @inline(__always)
    private static func matches(_ entry: Entry, _ label: UnsafeBufferPointer<UInt8>, hash: UInt64, head: (UInt64, UInt64),
                                tails: [UInt8]) -> Bool {
        entry.tag == hash && Int(entry.length) == label.count && entry.head == head
            && (label.count <= headBytes || tailMatches(entry, label, tails))
    }

    @inline(never)
    private static func tailMatches(_ entry: Entry, _ label: UnsafeBufferPointer<UInt8>, _ tails: [UInt8]) -> Bool {
        tails.withUnsafeBufferPointer {
            memcmp($0.baseAddress! + Int(entry.tailStart), label.baseAddress! + headBytes, label.count - headBytes) == 0
        }
    }

    /// A slot's label, whole.
    private func bytes(_ entry: Entry) -> [UInt8] {
        var head = entry.head
        var label = withUnsafeBytes(of: &head) { Array($0.prefix(min(Int(entry.length), LabelCache.headBytes))) }
        if Int(entry.length) > LabelCache.headBytes {
            label += tails[Int(entry.tailStart)..<(Int(entry.tailStart) + Int(entry.length) - LabelCache.headBytes)]
        }
        return label
    }

    @inline(never)
    private mutating func insert(_ label: UnsafeBufferPointer<UInt8>, hash: UInt64, head: (UInt64, UInt64),
                                 numbers: LabelNumbers) -> Int {
        if used >= maxEntries || tails.count > maxTailBytes {
            slots.deallocate()
            capacity = 1024
            slots = LabelCache.emptySlots(capacity)
            recent.update(repeating: LabelCache.empty, count: LabelCache.recentCount)
            tails.removeAll(keepingCapacity: false)
            used = 0
        } else if 2 * (used + 1) > capacity {
            let old = slots
            let oldCapacity = capacity
            capacity *= 2
            slots = LabelCache.emptySlots(capacity)
            let mask = capacity - 1
            for entry in UnsafeBufferPointer(start: old, count: oldCapacity) where entry.tag != 0 {
                var s = Int(truncatingIfNeeded: entry.tag) & mask
                while slots[s].tag != 0 { s = (s + 1) & mask }
                slots[s] = entry
            }
            old.deallocate()
        }
        let mask = capacity - 1
        var s = Int(truncatingIfNeeded: hash) & mask
        while slots[s].tag != 0 { s = (s + 1) & mask }
        slots[s] = Entry(tag: hash, number: numbers.number(of: label), tailStart: UInt32(tails.count),
                         length: UInt16(label.count), status: LabelCache.unmapped, head: head)
        if label.count > LabelCache.headBytes { tails.append(contentsOf: label[LabelCache.headBytes...]) }
        used += 1
        return s
    }
}
