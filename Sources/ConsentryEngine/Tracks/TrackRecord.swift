import ConsentryModel

/// The byte layout of one scanned track in the spill files: what duplicate detection,
/// history and the breakdowns need of it, and nothing else (no line, no excerpt: a
/// duplicate's reject is located again from its input, see ``DuplicateLocator``).
///
/// ```
/// 0   hash          UInt64   TrackHash of the id
/// 8   position      UInt64   input index << 40 | byte offset of the record in its input
/// 16  flags         UInt8    LabelStatus in bits 0-1, ContainsAI (0: undeclared) in bits 2-3
/// 17  idLength      UInt16
/// 19  artistLength  UInt16
/// 21  label         UInt32   the label's number (0: none), see ``RunLabels``
/// 25  verdicts      UInt32 × policyCount   PackedDecisions, one per policy of the run
/// ..  id, artist    their lengths' bytes
/// ```
///
/// Little-endian, unaligned. Shards hand these records to the merge, so the layout is part
/// of the shard result format. A label is a number rather than its text: the by-label
/// breakdown counts every track by it, and a number costs neither the copies nor the
/// lookups of a text.
public struct TrackRecordLayout: Sendable, Equatable {
    public let policyCount: Int

    public init(policyCount: Int) {
        self.policyCount = policyCount
    }

    static let headerBytes = 25
    /// The longest id, and the longest label or artist a track keeps.
    static let maxIDBytes = 256
    static let maxTextBytes = 1024

    /// The bytes of a record whose id and artist take `textBytes` together.
    @inline(__always)
    func size(textBytes: Int) -> Int { TrackRecordLayout.headerBytes + 4 * policyCount + textBytes }

    /// The largest record.
    var maxSize: Int { size(textBytes: TrackRecordLayout.maxIDBytes + TrackRecordLayout.maxTextBytes) }

    /// The size of the record whose header is at `head`, or nil when the header is not one
    /// this layout writes (a damaged file).
    @inline(__always)
    func size(header head: UnsafeRawPointer) -> Int? {
        let id = Int(UInt16(littleEndian: head.loadUnaligned(fromByteOffset: 17, as: UInt16.self)))
        let artist = Int(UInt16(littleEndian: head.loadUnaligned(fromByteOffset: 19, as: UInt16.self)))
        guard id <= TrackRecordLayout.maxIDBytes, artist <= TrackRecordLayout.maxTextBytes else { return nil }
        return size(textBytes: id + artist)
    }

    /// The position of a record: its input and its byte offset there, in input order.
    @inline(__always)
    public static func position(input: Int, offset: Int) -> UInt64 {
        UInt64(input) << 40 | UInt64(offset)
    }

    @inline(__always)
    public static func input(ofPosition position: UInt64) -> Int { Int(position >> 40) }

    @inline(__always)
    public static func offset(ofPosition position: UInt64) -> Int { Int(position & (1 << 40 - 1)) }

    /// The flags byte of a track.
    @inline(__always)
    static func flags(label: LabelStatus, containsAI: UInt8) -> UInt8 { label.rawValue | containsAI << 2 }

    /// Writes a record at `to`, which must have room for `size(textBytes:)` bytes; `text`
    /// holds the id, then the artist.
    @inline(__always)
    func write(to: UnsafeMutableRawPointer, hash: UInt64, position: UInt64, flags: UInt8, labelNumber: UInt32,
               verdicts: UnsafeBufferPointer<UInt32>, text: UnsafeBufferPointer<UInt8>, idLength: Int,
               artistLength: Int) {
        to.storeBytes(of: hash.littleEndian, toByteOffset: 0, as: UInt64.self)
        to.storeBytes(of: position.littleEndian, toByteOffset: 8, as: UInt64.self)
        to.storeBytes(of: flags, toByteOffset: 16, as: UInt8.self)
        to.storeBytes(of: UInt16(idLength).littleEndian, toByteOffset: 17, as: UInt16.self)
        to.storeBytes(of: UInt16(artistLength).littleEndian, toByteOffset: 19, as: UInt16.self)
        to.storeBytes(of: labelNumber.littleEndian, toByteOffset: 21, as: UInt32.self)
        var at = TrackRecordLayout.headerBytes
        for v in verdicts {
            to.storeBytes(of: v.littleEndian, toByteOffset: at, as: UInt32.self)
            at += 4
        }
        if let base = text.baseAddress, text.count > 0 { ShortCopy.copy(base, to: to + at, count: text.count) }
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
    @inline(__always) var flags: UInt8 { base.load(fromByteOffset: 16, as: UInt8.self) }
    @inline(__always) var label: LabelStatus { LabelStatus(rawValue: flags & 3)! }
    @inline(__always) var containsAI: ContainsAI? { ContainsAI(rawValue: flags >> 2 & 3) }
    @inline(__always) var idLength: Int {
        Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 17, as: UInt16.self)))
    }
    @inline(__always) var artistLength: Int {
        Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 19, as: UInt16.self)))
    }
    @inline(__always) var labelNumber: UInt32 {
        UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 21, as: UInt32.self))
    }
    @inline(__always) func verdict(_ policy: Int) -> UInt32 {
        UInt32(littleEndian: base.loadUnaligned(fromByteOffset: TrackRecordLayout.headerBytes + 4 * policy, as: UInt32.self))
    }
    @inline(__always) private var textStart: UnsafeRawPointer { base + TrackRecordLayout.headerBytes + 4 * layout.policyCount }
    @inline(__always) var id: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: textStart, count: idLength) }
    @inline(__always) var artist: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: textStart + idLength, count: artistLength)
    }
    @inline(__always) var size: Int { layout.size(textBytes: idLength + artistLength) }
    var idString: String { String(decoding: id, as: UTF8.self) }
}
