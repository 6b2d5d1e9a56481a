import ConsentryModel
import Foundation
import Testing
import TestSupport
@testable import ConsentryEngine

@Suite("SortedTracks: records in (hash, id, position) order, in memory and from runs on disk")
struct SortedTracksTests {
    /// Records whose hashes collide in every way the sort has to tell apart: the same top
    /// bits with different low ones, the same hash with different ids, and repeated ids.
    static func records(count: Int, seed: UInt64) -> [(hash: UInt64, id: String, position: UInt64)] {
        var rng = SeededRNG(seed: seed)
        let low = SortedTracks.hashRadixLowBit
        var out: [(hash: UInt64, id: String, position: UInt64)] = []
        for i in 0..<count {
            if i % 7 == 3 {
                // An id met before: a duplicate, with its hash.
                let earlier = out[Int.random(in: 0..<i, using: &rng)]
                out.append((earlier.hash, earlier.id, UInt64(i * 100)))
                continue
            }
            var hash = UInt64.random(in: 0...(UInt64.max >> 1), using: &rng)
            switch i % 5 {
            case 1: hash = (out[i - 1].hash >> low) << low | UInt64.random(in: 0..<(1 << low), using: &rng)
            case 2: hash = out[i - 1].hash
            default: break
            }
            out.append((hash, "id-\(i)", UInt64(i * 100)))
        }
        return out
    }

    static func buffer(_ records: [(hash: UInt64, id: String, position: UInt64)], layout: TrackRecordLayout) -> [UInt8] {
        var bytes: [UInt8] = []
        for r in records {
            let id = Array(r.id.utf8)
            var record = [UInt8](repeating: 0, count: layout.size(textBytes: id.count))
            let verdicts: [UInt32] = [7]
            record.withUnsafeMutableBytes { to in
                verdicts.withUnsafeBufferPointer { v in
                    id.withUnsafeBufferPointer { text in
                        layout.write(to: to.baseAddress!, hash: r.hash, position: r.position, flags: 0, labelNumber: 0,
                                     verdicts: v, text: text, idLength: id.count, artistLength: 0)
                    }
                }
            }
            bytes += record
        }
        return bytes
    }

    static func expected(_ records: [(hash: UInt64, id: String, position: UInt64)]) -> [UInt64] {
        records.sorted { a, b in
            if a.hash != b.hash { return a.hash < b.hash }
            if a.id != b.id { return Array(a.id.utf8).lexicographicallyPrecedes(Array(b.id.utf8)) }
            return a.position < b.position
        }.map(\.position)
    }

    @Test("the same order whether a partition is sorted in memory or merged from runs", arguments: [1 << 30, 1 << 20])
    func order(budget: Int) throws {
        let dir = try TempDir("sorted")
        let layout = TrackRecordLayout(policyCount: 1)
        let records = Self.records(count: 40_000, seed: 0x5027)
        // The records were made to need every step of the order.
        #expect(Set(records.map { $0.hash >> SortedTracks.hashRadixLowBit }).count < Set(records.map(\.hash)).count)
        #expect(Set(records.map(\.hash)).count < Set(records.map(\.id)).count)
        #expect(Set(records.map(\.id)).count < records.count)
        let path = try dir.write("spill.bin", Self.buffer(records, layout: layout))
        let sorted = try SortedTracks(files: [path], layout: layout, budgetBytes: budget, workDirectory: dir.path,
                                      runPrefix: "test")
        // 1 MiB, the smallest budget, holds about 25,000 of these records.
        let runs = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("test-run-") }
        #expect(runs.isEmpty == (budget > 1 << 20))
        var got: [UInt64] = []
        // What `upcoming(4)` names is what the fourth `next()` after returns (in memory;
        // nothing from runs on disk).
        var named: [Int: UInt64] = [:]
        var checked = 0
        while let record = try sorted.next() {
            if let soon = named.removeValue(forKey: got.count) {
                #expect(soon == record.position)
                checked += 1
            }
            got.append(record.position)
            if let soon = sorted.upcoming(4) { named[got.count + 3] = soon.position }
        }
        #expect(got == Self.expected(records))
        #expect(named.isEmpty)
        #expect(checked == (runs.isEmpty ? records.count - 4 : 0))
    }

    @Test("a missing file holds no tracks; one that cannot be read is an error naming it, never a partition left out")
    func unreadableFile() throws {
        let dir = try TempDir("sortedopen")
        let layout = TrackRecordLayout(policyCount: 1)
        let records = Self.records(count: 50, seed: 7)
        let path = try dir.write("p.bin", Self.buffer(records, layout: layout))
        let missing = dir.file("missing.bin")
        let sorted = try SortedTracks(files: [missing, path], layout: layout, budgetBytes: 1 << 30, workDirectory: dir.path,
                                      runPrefix: "t")
        var count = 0
        while try sorted.next() != nil { count += 1 }
        #expect(count == records.count)
        // A link to itself: stat and open fail with ELOOP.
        let looping = dir.file("loop.bin")
        try FileManager.default.createSymbolicLink(atPath: looping, withDestinationPath: looping)
        let error = thrownError {
            try SortedTracks(files: [path, looping], layout: layout, budgetBytes: 1 << 30, workDirectory: dir.path, runPrefix: "t")
        }
        #expect((error as? WorkFileError)?.file == looping, "\(String(describing: error))")
    }

    @Test("a partition is read whole only as it was measured: a cut record or a file of another size is an error naming it")
    func wholePartitionChecks() throws {
        let dir = try TempDir("sortedwhole")
        let layout = TrackRecordLayout(policyCount: 1)
        let bytes = Self.buffer(Self.records(count: 40, seed: 9), layout: layout)
        let a = try dir.write("a.bin", bytes)
        let b = try dir.write("b.bin", bytes)
        let (whole, count) = try #require(try SortedTracks.inMemory(files: [a, dir.file("none.bin"), b], layout: layout,
                                                                    budgetBytes: 1 << 20))
        #expect(whole == bytes + bytes && count == 80)
        #expect(try SortedTracks.inMemory(files: [a, b], layout: layout, budgetBytes: 2 * bytes.count - 1) == nil)
        let cut = try dir.write("cut.bin", Array(bytes.dropLast(3)))
        let error = thrownError { try SortedTracks.inMemory(files: [a, cut], layout: layout, budgetBytes: 1 << 20) }
        #expect((error as? WorkFileError)?.kind == .damaged && (error as? WorkFileError)?.file == cut, "\(String(describing: error))")
        // The file grew after it was measured.
        var room = [UInt8](repeating: 0, count: bytes.count - 1)
        let grown = thrownError { try room.withUnsafeMutableBytes { try WorkFileReader.read(a, into: $0) } }
        #expect((grown as? WorkFileError)?.kind == .damaged && (grown as? WorkFileError)?.file == a)
        var more = [UInt8](repeating: 0, count: bytes.count + 1)
        let shrunk = thrownError { try more.withUnsafeMutableBytes { try WorkFileReader.read(a, into: $0) } }
        #expect((shrunk as? WorkFileError)?.kind == .damaged)
    }
}
