import ConsentryModel

/// One track of a history state file: the period it is in now under every policy its
/// history holds.
///
/// A state file lists the tracks of one partition in (hash, id) order:
/// ```
/// 0   hash          UInt64
/// 8   fromRun       UInt32   the run that began the current period
/// 12  combo         UInt32   ComboTable number of the period's state
/// 16  idLength      UInt16
/// 18  artistLength  UInt16
/// 20  id, artist    their lengths' bytes
/// ```
struct TrackStateRef {
    static let headerBytes = 20

    let base: UnsafeRawPointer

    @inline(__always) var hash: UInt64 { UInt64(littleEndian: base.loadUnaligned(as: UInt64.self)) }
    @inline(__always) var fromRun: Int64 {
        Int64(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
    }
    @inline(__always) var combo: UInt32 { UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 12, as: UInt32.self)) }
    @inline(__always) var idLength: Int {
        Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 16, as: UInt16.self)))
    }
    @inline(__always) var artistLength: Int {
        Int(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 18, as: UInt16.self)))
    }
    @inline(__always) var id: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + TrackStateRef.headerBytes, count: idLength)
    }
    @inline(__always) var artist: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + TrackStateRef.headerBytes + idLength, count: artistLength)
    }
    @inline(__always) var size: Int { TrackStateRef.headerBytes + idLength + artistLength }

    @inline(__always)
    static func write(to writer: WorkFileWriter, hash: UInt64, fromRun: Int64, combo: UInt32,
                      id: UnsafeRawBufferPointer, artist: UnsafeRawBufferPointer) throws {
        let size = headerBytes + id.count + artist.count
        let at = try writer.reserve(size)
        at.storeBytes(of: hash.littleEndian, toByteOffset: 0, as: UInt64.self)
        at.storeBytes(of: UInt32(truncatingIfNeeded: fromRun).littleEndian, toByteOffset: 8, as: UInt32.self)
        at.storeBytes(of: combo.littleEndian, toByteOffset: 12, as: UInt32.self)
        at.storeBytes(of: UInt16(id.count).littleEndian, toByteOffset: 16, as: UInt16.self)
        at.storeBytes(of: UInt16(artist.count).littleEndian, toByteOffset: 18, as: UInt16.self)
        if id.count > 0 { ShortCopy.copy(id.baseAddress!, to: at + headerBytes, count: id.count) }
        if artist.count > 0 { ShortCopy.copy(artist.baseAddress!, to: at + headerBytes + id.count, count: artist.count) }
        writer.advance(size)
    }
}

/// Reads a state file front to back.
final class TrackStateReader {
    private let reader: WorkFileReader
    private var pendingSize = 0

    init(path: String) throws {
        reader = try WorkFileReader(path: path)
    }

    /// The next track, valid until the following call.
    func next() throws -> TrackStateRef? {
        reader.consume(pendingSize)
        pendingSize = 0
        guard let head = try reader.peek(TrackStateRef.headerBytes) else { return nil }
        let ref = TrackStateRef(base: head)
        let length = ref.idLength + ref.artistLength
        guard ref.idLength <= TrackRecordLayout.maxIDBytes, ref.artistLength <= TrackRecordLayout.maxTextBytes,
              let record = try reader.peek(TrackStateRef.headerBytes + length) else {
            throw WorkFileError(.damaged, "a history state file holds a malformed record",
                                remedy: "delete the state folder beside the database; the next scan rebuilds it",
                                file: reader.path)
        }
        pendingSize = TrackStateRef.headerBytes + length
        return TrackStateRef(base: record)
    }
}
