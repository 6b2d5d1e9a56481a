import CMemory
import ConsentryModel
import Glibc

/// One worker's memo of the labels it has met: each label's number in the scan's
/// ``LabelNumbers`` and, once asked, its status in the label map.
///
/// A catalogue repeats a few thousand labels millions of times. The memo answers with a
/// hash and one comparison of the label's bytes, so the shared numbering (and its lock) is
/// met once per label and worker, and the label map, which folds case and allocates, once
/// per label. An entry holds a label's first 48 bytes, so a lookup of nearly every label
/// reads no memory beyond its entry (with 16, the rest of most labels was a second miss,
/// which no prefetch could hide: where it lay was in the entry).
///
/// The cost of a lookup is where it finds its entry, as the input streaming through the
/// caches pushes the memo out of them: the entries of the labels that hold most tracks stay
/// in the nearest caches as they are used, those of the long tail are asked for a record
/// ahead (``prefetch(_:)``). An entry is one cache line. (An index of 8-byte slots over
/// entries kept apart took less memory but two lines per lookup, and was slower; a small
/// table of recent labels in front of this one cost more than it saved once entries were a
/// line each: copying them in took longer than the misses it spared.)
struct LabelCache: ~Copyable {
    /// 64 bytes: one cache line.
    private struct Entry {
        /// The first 48 bytes, zero-padded.
        var head: Head
        /// ``LabelCache/tag(_:)`` of the label's hash.
        var tag: UInt32
        var number: UInt32
        /// Where the bytes after the first 48 are in `tails`.
        var tailStart: UInt32
        var length: UInt16
        /// A ``LabelStatus`` raw value, or ``LabelCache/unmapped``.
        var status: UInt8
    }

    fileprivate typealias Head = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
    private static let unmapped: UInt8 = 0xFF
    /// The bytes of a label an entry, and a key, hold.
    static let headBytes = 48
    /// Past this many labels, or bytes of them, the memo starts over: a worker's memory stays
    /// bounded whatever the catalogue, and the numbers live on in ``LabelNumbers``.
    private let maxEntries: Int
    private let maxTailBytes: Int

    /// Open addressing by the tag's low bits, `capacity` a power of two, at most three
    /// quarters full. Not an `Array`: a lookup per track would check its uniqueness.
    private var slots: UnsafeMutablePointer<Entry>
    private var capacity: Int
    private var used = 0
    private var tails: [UInt8] = []

    init(maxEntries: Int = 1 << 16, maxTailBytes: Int = 4 << 20) {
        self.maxEntries = maxEntries
        self.maxTailBytes = maxTailBytes
        capacity = 1024
        slots = LabelCache.emptyEntries(capacity)
    }

    deinit { slots.deallocate() }

    private static let empty = Entry(head: (0, 0, 0, 0, 0, 0), tag: 0, number: 0, tailStart: 0, length: 0, status: 0)

    /// Cache-line aligned, so that an entry is one line.
    private static func emptyEntries(_ count: Int) -> UnsafeMutablePointer<Entry> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Entry>.stride, alignment: 64)
        let entries = raw.bindMemory(to: Entry.self, capacity: count)
        entries.initialize(repeating: empty, count: count)
        return entries
    }

    /// A label as the memo looks it up: its first 48 bytes, its length and its hash, made
    /// once when its record is read (``key(_:)``) and looked up a record later, so that
    /// nothing of the label is loaded or copied twice. A longer label's bytes after the
    /// first 48 travel apart (``number(of:tail:numbers:)``).
    struct Key {
        fileprivate var head: Head
        var hash: UInt64
        var length: Int

        /// No label.
        static let none = Key(head: (0, 0, 0, 0, 0, 0), hash: 0, length: 0)
    }

    /// The key of `label`, hashed by ``hash(_:)``.
    @_transparent
    static func key(_ label: UnsafeBufferPointer<UInt8>) -> Key {
        let head = head(label)
        return Key(head: head, hash: hash(head: head, label), length: label.count)
    }

    /// The key of `label` under another hash (tests give labels one they share).
    @inline(__always)
    static func key(_ label: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Key {
        Key(head: head(label), hash: hash, length: label.count)
    }

    /// The hash the memo and ``LabelNumbers`` find a label by.
    @inline(__always)
    static func hash(_ label: UnsafeBufferPointer<UInt8>) -> UInt64 { hash(head: head(label), label) }

    /// The head's three pairs of words mixed by a multiplication each, side by side rather
    /// than one after another (a short label's zero words mix to a constant), then the bytes
    /// after the first 48 a word at a time.
    @_transparent
    private static func hash(head: Head, _ label: UnsafeBufferPointer<UInt8>) -> UInt64 {
        @inline(__always) func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let r = a.multipliedFullWidth(by: b)
            return r.high ^ r.low
        }
        let n = label.count
        var h = mix(head.0 ^ 0x9E37_79B9_7F4A_7C15, head.1 ^ UInt64(n) ^ 0xBF58_476D_1CE4_E5B9)
            ^ mix(head.2 ^ 0x94D0_49BB_1331_11EB, head.3 ^ 0xA076_1D64_78BD_642F)
            ^ mix(head.4 ^ 0xE703_7ED1_A0B4_28DB, head.5 ^ 0x8EBC_6AF0_9C88_C6E3)
        if n > headBytes {
            let raw = UnsafeRawBufferPointer(label)
            var i = headBytes
            while i + 8 < n {
                h = mix(h ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)), 0x94D0_49BB_1331_11EB)
                i += 8
            }
            // The last eight bytes, overlapping the word before: no byte loop.
            h = mix(h ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)), 0xA076_1D64_78BD_642F)
        }
        return h
    }

    /// The hash's top half, never 0 (0 marks an empty slot). Its low bits place the label in
    /// `slots`.
    @inline(__always)
    private static func tag(_ hash: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: hash >> 32) | 1 << 31 }

    /// Starts loading the cache line a lookup of `key` reads first, its first slot, so that
    /// work done before the lookup hides the miss.
    @inline(__always)
    func prefetch(_ key: Key) {
        consentry_prefetch(slots + (Int(LabelCache.tag(key.hash)) & (capacity - 1)))
    }

    /// The number of `label` (not empty) in `numbers`, whose `hash` is ``hash(_:)``'s (or
    /// any other, in tests of labels that share one).
    @inline(__always)
    mutating func number(of label: UnsafeBufferPointer<UInt8>, hash: UInt64, numbers: LabelNumbers) -> UInt32 {
        number(of: LabelCache.key(label, hash: hash), tail: label.baseAddress!, numbers: numbers)
    }

    /// The number of the label of `key` (not empty) in `numbers`; `label` holds its bytes
    /// when it is longer than 48 (only those after the first 48 are read).
    @inline(__always)
    mutating func number(of key: Key, tail label: UnsafePointer<UInt8>, numbers: LabelNumbers) -> UInt32 {
        // The slot first: a new label can move the table.
        let slot = slot(of: key, label: label, numbers: numbers)
        return slots[slot].number
    }

    /// The slot of `label` (not empty, with `hash` from ``hash(_:)``), numbered in `numbers`
    /// when this worker meets it for the first time. Valid until the next call.
    @inline(__always)
    mutating func slot(of label: UnsafeBufferPointer<UInt8>, hash: UInt64, numbers: LabelNumbers) -> Int {
        slot(of: LabelCache.key(label, hash: hash), label: label.baseAddress!, numbers: numbers)
    }

    @inline(__always)
    private mutating func slot(of key: Key, label: UnsafePointer<UInt8>, numbers: LabelNumbers) -> Int {
        let tag = LabelCache.tag(key.hash)
        let mask = capacity - 1
        var s = Int(tag) & mask
        while true {
            let entry = slots[s]
            if entry.tag == 0 { return insert(key, label: label, numbers: numbers) }
            if LabelCache.matches(entry, key, tag: tag, label: label, tails: tails) { return s }
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

    /// The first 48 bytes of `label`, zero-padded: word loads, the last one overlapping the
    /// word before it rather than a copy byte by byte, and never a byte outside the label.
    @_transparent
    private static func head(_ label: UnsafeBufferPointer<UInt8>) -> Head {
        let n = label.count
        let raw = UnsafeRawBufferPointer(label)
        @inline(__always) func load64(_ at: Int) -> UInt64 { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        @inline(__always) func load32(_ at: Int) -> UInt64 {
            UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        }
        if n < 8 {
            if n >= 4 { return (load32(0) | (load32(n - 4) >> UInt64(8 * (8 - n))) << 32, 0, 0, 0, 0, 0) }
            var word: UInt64 = 0
            for i in 0..<n { word |= UInt64(label[i]) << UInt64(8 * i) }
            return (word, 0, 0, 0, 0, 0)
        }
        // Word k of the head: whole, the label's last eight bytes shifted into place, or zero.
        @inline(__always) func word(_ k: Int) -> UInt64 {
            let end = 8 * k + 8
            if end <= n { return load64(8 * k) }
            if end - 8 >= n { return 0 }
            return load64(n - 8) >> UInt64(8 * (end - n))
        }
        return (word(0), word(1), word(2), word(3), word(4), word(5))
    }

    /// Whether two heads are equal: one test of all their words.
    @inline(__always)
    private static func equal(_ a: Head, _ b: Head) -> Bool {
        ((a.0 ^ b.0) | (a.1 ^ b.1) | (a.2 ^ b.2) | (a.3 ^ b.3) | (a.4 ^ b.4) | (a.5 ^ b.5)) == 0
    }

    /// Whether `entry` holds the label of `key`, whose bytes `label` holds.
    @inline(__always)
    private static func matches(_ entry: Entry, _ key: Key, tag: UInt32, label: UnsafePointer<UInt8>,
                                tails: [UInt8]) -> Bool {
        entry.tag == tag && Int(entry.length) == key.length && equal(entry.head, key.head)
            && (key.length <= headBytes || tailMatches(entry, label, length: key.length, tails))
    }

    /// Whether the bytes after the first 48 match, compared a word at a time in place: most
    /// tails are a word or two, shorter than a call of `memcmp` takes to set up.
    @inline(__always)
    private static func tailMatches(_ entry: Entry, _ label: UnsafePointer<UInt8>, length: Int, _ tails: [UInt8]) -> Bool {
        tails.withUnsafeBufferPointer {
            let a = UnsafeRawPointer($0.baseAddress! + Int(entry.tailStart))
            let b = UnsafeRawPointer(label + headBytes)
            let n = length - headBytes
            @inline(__always) func word(_ p: UnsafeRawPointer, _ at: Int) -> UInt64 { p.loadUnaligned(fromByteOffset: at, as: UInt64.self) }
            @inline(__always) func half(_ p: UnsafeRawPointer, _ at: Int) -> UInt32 { p.loadUnaligned(fromByteOffset: at, as: UInt32.self) }
            if n >= 8 {
                var i = 0
                while i + 8 < n {
                    if word(a, i) != word(b, i) { return false }
                    i += 8
                }
                return word(a, n - 8) == word(b, n - 8)
            }
            if n >= 4 { return half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4) }
            for i in 0..<n where a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) {
                return false
            }
            return true
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
    private mutating func insert(_ key: Key, label: UnsafePointer<UInt8>, numbers: LabelNumbers) -> Int {
        let tag = LabelCache.tag(key.hash)
        if used >= maxEntries || tails.count > maxTailBytes {
            slots.update(repeating: LabelCache.empty, count: capacity)
            tails.removeAll(keepingCapacity: false)
            used = 0
        } else if 4 * (used + 1) > 3 * capacity {
            let old = slots
            let oldCapacity = capacity
            capacity *= 2
            slots = LabelCache.emptyEntries(capacity)
            for entry in UnsafeBufferPointer(start: old, count: oldCapacity) where entry.tag != 0 {
                slots[freeSlot(entry.tag)] = entry
            }
            old.deallocate()
        }
        let s = freeSlot(tag)
        // The label whole, for the shared numbering: its head's bytes are its first 48.
        let number = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: key.length) { whole in
            var head = key.head
            withUnsafeBytes(of: &head) { bytes in
                for i in 0..<min(key.length, LabelCache.headBytes) { whole[i] = bytes[i] }
            }
            for i in LabelCache.headBytes..<max(key.length, LabelCache.headBytes) { whole[i] = label[i] }
            return numbers.number(of: UnsafeBufferPointer(whole), hash: key.hash)
        }
        slots[s] = Entry(head: key.head, tag: tag, number: number, tailStart: UInt32(tails.count),
                         length: UInt16(key.length), status: LabelCache.unmapped)
        if key.length > LabelCache.headBytes {
            tails.append(contentsOf: UnsafeBufferPointer(start: label + LabelCache.headBytes, count: key.length - LabelCache.headBytes))
        }
        used += 1
        return s
    }

    /// The first empty slot from `tag`'s place on.
    private func freeSlot(_ tag: UInt32) -> Int {
        let mask = capacity - 1
        var s = Int(tag) & mask
        while slots[s].tag != 0 { s = (s + 1) & mask }
        return s
    }
}
