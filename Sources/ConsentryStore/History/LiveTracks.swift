import ConsentryEngine
import ConsentryModel
import GRDB

/// The tracks live in a run — in a period that began in it or before and had not ended by
/// it — in (hash, id) order; with no run, the open periods (the current state).
///
/// Each run that began periods is a segment of packs in hash order; its live tracks are its
/// pack entries minus its ended periods (a merge with `history_ends` in the same order). A
/// track is live in at most one period at a time, so merging the segments by (hash, id)
/// yields each live track once. Memory holds one pack per segment.
final class LiveTracks {
    struct Entry {
        var hash: UInt64
        var id: [UInt8]
        var combo: UInt32
        var fromRun: Int64
        var artist: [UInt8]
    }

    private var segments: [Segment] = []
    private var heap = Heap<Int>()

    init(db: Database, path: String, at run: Int64?) throws {
        let runs = try Int64.fetchAll(db, sql: "SELECT from_run FROM history_segments WHERE from_run <= ? ORDER BY from_run",
                                      arguments: [run ?? Int64.max])
        for fromRun in runs {
            let segment = try Segment(db: db, path: path, fromRun: fromRun, endedBy: run ?? Int64.max)
            segments.append(segment)
            if segment.current != nil { heap.push(segments.count - 1, by: less) }
        }
    }

    func next() throws -> Entry? {
        guard !heap.isEmpty else { return nil }
        let top = heap.pop(by: less)
        let entry = segments[top].current!
        try segments[top].advance()
        if segments[top].current != nil { heap.push(top, by: less) }
        return entry
    }

    @inline(__always)
    static func compare(_ hashA: UInt64, _ idA: [UInt8], _ hashB: UInt64, _ idB: [UInt8]) -> Int {
        idB.withUnsafeBytes { compare(hashA, idA, hashB, $0) }
    }

    /// The history's order of two tracks: by hash, then id bytes.
    @inline(__always)
    static func compare(_ hashA: UInt64, _ idA: [UInt8], _ hashB: UInt64, _ idB: UnsafeRawBufferPointer) -> Int {
        if hashA != hashB { return hashA < hashB ? -1 : 1 }
        return idA.withUnsafeBytes { TrackOrder.compareIDs($0, idB) }
    }

    private func less(_ i: Int, _ j: Int) -> Bool {
        let a = segments[i].current!, b = segments[j].current!
        return LiveTracks.compare(a.hash, a.id, b.hash, b.id) < 0
    }

    /// One run's packs, without the periods ended by the run asked about.
    final class Segment {
        private let path: String
        private let fromRun: Int64
        private let packs: RowCursor
        private let ends: RowCursor
        private var entries: [HistoryPack.Entry] = []
        private var index = 0
        private var end: (hash: UInt64, id: [UInt8])?
        private(set) var current: Entry?

        init(db: Database, path: String, fromRun: Int64, endedBy run: Int64) throws {
            self.path = path
            self.fromRun = fromRun
            packs = try Row.fetchCursor(db, sql: "SELECT entries FROM history_packs WHERE from_run = ? ORDER BY first_hash",
                                        arguments: [fromRun])
            ends = try Row.fetchCursor(db, sql: """
                SELECT hash, track_id FROM history_ends WHERE from_run = ? AND to_run <= ? ORDER BY hash, track_id
                """, arguments: [fromRun, run])
            try nextEnd()
            try advance()
        }

        private func nextEnd() throws {
            if let row = try ends.next() {
                let hash: Int64 = row[0]
                let id: String = row[1]
                end = (UInt64(hash), Array(id.utf8))
            } else {
                end = nil
            }
        }

        /// Moves to the next live entry.
        func advance() throws {
            while true {
                if index == entries.count {
                    guard let row = try packs.next() else {
                        current = nil
                        return
                    }
                    let text: String = row[0]
                    entries = try HistoryPack.decode(Array(text.utf8), path: path)
                    index = 0
                    continue
                }
                let entry = entries[index]
                let id = entry.id
                index += 1
                let hash = TrackHash.of(id)
                if try id.withUnsafeBytes({ try isEnded(hash: hash, id: $0) }) { continue }
                current = Entry(hash: hash, id: id, combo: entry.combo, fromRun: fromRun, artist: entry.artist)
                return
            }
        }

        /// Calls `body` with the current entry and every live entry after it, in order; the
        /// packs after the current one are read without copying their ids and artists (a
        /// by-artist breakdown reads millions). The segment is at its end afterwards.
        func forEachRemaining(
            _ body: (_ id: UnsafeRawBufferPointer, _ combo: UInt32, _ artist: UnsafeRawBufferPointer) throws -> Void
        ) throws {
            func live(_ id: UnsafeRawBufferPointer) throws -> Bool {
                // A segment no run has ended periods of needs no hashes.
                try end == nil || !isEnded(hash: TrackHash.of(id.assumingMemoryBound(to: UInt8.self)), id: id)
            }
            if let entry = current {
                try entry.id.withUnsafeBytes { id in try entry.artist.withUnsafeBytes { try body(id, entry.combo, $0) } }
            }
            while index < entries.count {
                let entry = entries[index]
                index += 1
                try entry.id.withUnsafeBytes { id in
                    if try live(id) { try entry.artist.withUnsafeBytes { try body(id, entry.combo, $0) } }
                }
            }
            while let row = try packs.next() {
                var text: String = row[0]
                try text.withUTF8 { text in
                    try HistoryPack.forEach(UnsafeRawBufferPointer(text), path: path) { id, combo, artist in
                        if try live(id) { try body(id, combo, artist) }
                    }
                }
            }
            entries = []
            index = 0
            current = nil
        }

        /// Whether the run asked about ended the period of the entry (`hash`, `id`): the ends
        /// come in the entries' order, so those before it are passed for good.
        private func isEnded(hash: UInt64, id: UnsafeRawBufferPointer) throws -> Bool {
            while let e = end, LiveTracks.compare(e.hash, e.id, hash, id) < 0 { try nextEnd() }
            guard let e = end, LiveTracks.compare(e.hash, e.id, hash, id) == 0 else { return false }
            try nextEnd()
            return true
        }
    }
}
