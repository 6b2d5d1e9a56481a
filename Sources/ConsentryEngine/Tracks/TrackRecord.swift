import ConsentryModel

/// The byte layout of one scanned track in the spill files: what duplicate detection and
/// history need of it, and nothing else (no line, no excerpt: a duplicate's reject is
/// located again from its input, see ``DuplicateLocator``).
///
/// ```
/// 0   hash        UInt64   TrackHash of the id
/// 8   position    UInt64   input index << 40 | byte offset of the record in its input
/// 16  label       UInt8    LabelStatus
/// 17  idLength    UInt16
/// 19  verdicts    UInt32 × policyCount   PackedDecisions, one per policy of the run
/// ..  id          idLength bytes
/// ```
///
/// Little-endian, unaligned. Shards hand these records to the merge, so the layout is part
/// of the shard result format.
public struct TrackRecordLayout: Sendable, Equatable {
    public let policyCount: Int

    public init(policyCount: Int) {
        self.policyCount = policyCount
    }

    static let headerBytes = 19

    /// The bytes of a record with an id of `idLength` bytes.
    @inline(__always)
    func size(idLength: Int) -> Int { TrackRecordLayout.headerBytes + 4 * policyCount + idLength }

    /// The largest record: an id of at most 256 bytes.
    var maxSize: Int { size(idLength: 256) }

    /// The position of a record: its input and its byte offset there, in input order.
    @inline(__always)
    public static func position(input: Int, offset: Int) -> UInt64 {
        UInt64(input) << 40 | UInt64(offset)
    }

    @inline(__always)
    public static func input(ofPosition position: UInt64) -> Int { Int(position >> 40) }

    @inline(__always)
    public static func offset(ofPosition position: UInt64) -> Int { Int(position & (1 << 40 - 1)) }

    /// Writes a record at `to`, which must have room for `size(idLength:)` bytes.
    @inline(__always)
    func write(to: UnsafeMutableRawPointer, hash: UInt64, position: UInt64, label: LabelStatus,
               verdicts: UnsafeBufferPointer<UInt32>, id: UnsafeBufferPointer<UInt8>) {
        to.storeBytes(of: hash.littleEndian, toByteOffset: 0, as: UInt64.self)
        to.storeBytes(of: position.littleEndian, toByteOffset: 8, as: UInt64.self)
        to.storeBytes(of: label.rawValue, toByteOffset: 16, as: UInt8.self)
        to.storeBytes(of: UInt16(id.count).littleEndian, toByteOffset: 17, as: UInt16.self)
        var at = TrackRecordLayout.headerBytes
        for v in verdicts {
            to.storeBytes(of: v.littleEndian, toByteOffset: at, as: UInt32.self)
            at += 4
        }
        if let base = id.baseAddress, id.count > 0 { (to + at).copyMemory(from: base, byteCount: id.count) }
    }
}

/// One record in place: a view of its bytes, valid while the memory it points into is.
struct TrackRecordRef {
    let base: UnsafeRawPointer
    let layout: TrackRecordLayout

    @inline(__always) var hash: UInt64 { UInt64(littleEndian: base.loadUnaligned(as: UInt64.self)) }
    @inline(__always) var position: UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }
    @inline(__always) var label: LabelStatus {
        LabelStatus(rawValue: base.load(fromByteOffset: 16, as: UInt8.self) & 3)!
    }
    @inline(__always) var idLength: Int {
        Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 17, as: UInt16.self)))
    }
    @inline(__always) func verdict(_ policy: Int) -> UInt32 {
        UInt32(littleEndian: base.loadUnaligned(fromByteOffset: TrackRecordLayout.headerBytes + 4 * policy, as: UInt32.self))
    }
    @inline(__always) var id: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + TrackRecordLayout.headerBytes + 4 * layout.policyCount, count: idLength)
    }
    @inline(__always) var size: Int { layout.size(idLength: idLength) }
    var idString: String { String(decoding: id, as: UTF8.self) }

    /// Copies the verdicts out, for the statistics.
    func verdicts() -> [UInt32] { (0..<layout.policyCount).map(verdict) }
}
