import CMemory

/// The first occurrence of each track id among a partition's records held in memory, found
/// in one pass over them in whatever order they lie: how duplicates are resolved when no
/// history needs the records in (hash, id) order.
///
/// Sorting a partition by hash took three radix passes over its records and then a cache
/// miss per record to read them in that order; this table of 8-byte slots (the hash's top
/// half and the record's offset), at most half full, takes one probe per record. Records
/// may lie out of input order (inputs merged as they finish, shards' files one after
/// another), so an occurrence earlier in the input than the one held takes its place.
struct FirstOccurrences: ~Copyable {
    /// What ``offer(_:offset:)`` found.
    enum Outcome: Equatable {
        /// The first occurrence of its id so far.
        case first
        /// A later occurrence of an id already held: a duplicate.
        case later
        /// An occurrence earlier in the input than the one held, at `replacing`, which is
        /// now the duplicate.
        case earlier(replacing: Int)
    }

    /// 0 for an empty slot; otherwise the hash's top 32 bits, then the offset plus one.
    private let slots: UnsafeMutablePointer<UInt64>
    private let mask: Int
    private let records: UnsafeRawBufferPointer
    private let layout: TrackRecordLayout

    /// The most bytes of records a table takes: offsets are kept in 32 bits.
    static let maxBytes = Int(UInt32.max) - 1

    /// A table for `count` records of `records` (at most ``maxBytes``), which must stay
    /// where they are while it lives.
    init(records: UnsafeRawBufferPointer, count: Int, layout: TrackRecordLayout) {
        precondition(records.count <= FirstOccurrences.maxBytes)
        var capacity = 64
        while capacity < 2 * count { capacity *= 2 }
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: 0, count: capacity)
        mask = capacity - 1
        self.records = records
        self.layout = layout
    }

    deinit { slots.deallocate() }

    /// Starts loading the slot a record with `hash` is looked up in first, so that work done
    /// before ``offer(_:offset:)`` hides the miss.
    @inline(__always)
    func prefetch(hash: UInt64) {
        consentry_prefetch(slots + (Int(truncatingIfNeeded: hash) & mask))
    }

    /// Records the record at `offset` of the records, unless an occurrence of its id earlier
    /// in the input is held.
    @inline(__always)
    mutating func offer(_ record: TrackRecordRef, offset: Int) -> Outcome {
        let hash = record.hash
        let tag = hash >> 32
        let entry = tag << 32 | UInt64(offset + 1)
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[i]
            if slot == 0 {
                slots[i] = entry
                return .first
            }
            if slot >> 32 == tag {
                let heldOffset = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1
                let held = TrackRecordRef(base: records.baseAddress! + heldOffset, layout: layout)
                if held.hash == hash && SortedTracks.compareIDs(held.id, record.id) == 0 {
                    guard record.position < held.position else { return .later }
                    slots[i] = entry
                    return .earlier(replacing: heldOffset)
                }
            }
            i = (i + 1) & mask
        }
    }
}
