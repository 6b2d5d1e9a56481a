import Foundation
import Testing
import ConsentryModel
@testable import ConsentryEngine
import TestSupport

@Suite("LabelCache and LabelNumbers: a worker's memo of label numbers and label-map statuses")
struct LabelCacheTests {
    /// Labels that differ only after their first 16 bytes, in length only, or in one byte,
    /// short and long, ASCII and not.
    static func pool() -> [[UInt8]] {
        (0..<3000).map { i in
            switch i % 6 {
            case 0: return Array("L\(i)".utf8)
            case 1: return Array("Sixteen bytes ok-\(i)".utf8)
            case 2: return Array("Sixteen bytes ok".utf8) + Array(repeating: UInt8(ascii: "x"), count: i % 50)
            case 3: return Array("Éditions \(i % 700) Ω".utf8)
            case 4: return Array(String(repeating: "a", count: 1 + i % 24).utf8)
            default: return Array("label \(i % 13)".utf8) + [UInt8(0x20 + i % 90)]
            }
        }
    }

    @Test("LabelNumbers: one dense number per distinct label, asked from two threads at once, exact when labels share a hash",
          arguments: [false, true])
    func sharedNumbering(sharedHash: Bool) throws {
        let pool = sharedHash ? Array(LabelCacheTests.pool().prefix(400)) : LabelCacheTests.pool()
        let numbers = LabelNumbers()
        @Sendable func hash(_ label: UnsafeBufferPointer<UInt8>) -> UInt64 { sharedHash ? 0x5EED_0000_0000_0001 : LabelCache.hash(label) }
        final class Answers: @unchecked Sendable {
            let lock = NSLock()
            var byWorker: [[[UInt8]: UInt32]] = [[:], [:]]
        }
        let answers = Answers()
        let group = DispatchGroup()
        for worker in 0..<2 {
            group.enter()
            Thread {
                var mine: [[UInt8]: UInt32] = [:]
                // The workers meet the labels in opposite orders, each label twice.
                let order = worker == 0 ? pool + pool : (pool + pool).reversed()
                for label in order {
                    let number = label.withUnsafeBufferPointer { numbers.number(of: $0, hash: hash($0)) }
                    #expect(mine.updateValue(number, forKey: label).map { $0 == number } ?? true)
                }
                answers.lock.lock()
                answers.byWorker[worker] = mine
                answers.lock.unlock()
                group.leave()
            }.start()
        }
        group.wait()
        let byWorker = answers.byWorker
        #expect(byWorker[0] == byWorker[1])
        let distinct = Set(pool)
        #expect(Set(byWorker[0].values) == Set((1...UInt32(distinct.count)).map { $0 }), "dense, from 1")
        let labels = numbers.labels
        #expect(labels.count == distinct.count + 1 && labels[0] == "")
        for (label, number) in byWorker[0] { #expect(labels[Int(number)] == String(decoding: label, as: UTF8.self)) }
        #expect([UInt8]().withUnsafeBufferPointer { numbers.number(of: $0, hash: 0) } == 0)
    }

    @Test("numbers follow the label's bytes exactly, through two workers' memos, growth, restarts and shared hashes",
          arguments: [(1 << 20, false), (64, false), (1 << 20, true)])
    func numbersAreExact(maxEntries: Int, sharedHash: Bool) {
        var rng = SeededRNG(seed: 0x1ABE1)
        // With `sharedHash` every label has the same hash: only the bytes tell them apart.
        let pool = sharedHash ? Array(LabelCacheTests.pool().prefix(300)) : LabelCacheTests.pool()
        func hash(_ text: UnsafeBufferPointer<UInt8>) -> UInt64 { sharedHash ? 1 << 63 | 7 : LabelCache.hash(text) }
        let numbers = LabelNumbers()
        var first = LabelCache(maxEntries: maxEntries)
        var second = LabelCache(maxEntries: maxEntries, maxTailBytes: 256)
        var seen: [[UInt8]: UInt32] = [:]
        for step in 0..<(sharedHash ? 6_000 : 60_000) {
            // A few labels hold most tracks, as in a real catalogue.
            let pick = Int.random(in: 0..<10, using: &rng) < 7 ? Int.random(in: 0..<20, using: &rng) : Int.random(in: 0..<pool.count, using: &rng)
            let label = pool[pick]
            func look(_ cache: inout LabelCache) -> UInt32 {
                label.withUnsafeBufferPointer { text in
                    switch step % 3 {
                    case 0: cache.number(cache.slot(of: text, hash: hash(text), numbers: numbers))
                    default: cache.number(of: text, hash: hash(text), numbers: numbers)
                    }
                }
            }
            let number = step % 2 == 0 ? look(&first) : look(&second)
            if let known = seen[label] {
                #expect(known == number, "label \(String(decoding: label, as: UTF8.self))")
            } else {
                #expect(!seen.values.contains(number))
                seen[label] = number
            }
        }
        let labels = numbers.labels
        #expect(labels.first == "")
        #expect(labels.count == seen.count + 1)
        for (label, number) in seen { #expect(labels[Int(number)] == String(decoding: label, as: UTF8.self)) }
    }

    @Test("labels of one length and hash are told apart by every byte, in the entry's head and after it, at any length")
    func everyByteIsCompared() {
        let numbers = LabelNumbers()
        var cache = LabelCache()
        var known: [[UInt8]: UInt32] = [:]
        for length in 1...70 {
            let label = (0..<length).map { UInt8(0x61 + $0 % 26) }
            var labels = [label]
            for at in 0..<length {
                var changed = label
                changed[at] ^= 0x20
                labels.append(changed)
            }
            // Twice, so that the second round finds each in the memo; with one hash for all,
            // so that only the bytes tell them apart.
            for _ in 0..<2 {
                for label in labels {
                    let number = label.withUnsafeBufferPointer { cache.number(of: $0, hash: 1 << 63 | 7, numbers: numbers) }
                    if let seen = known[label] {
                        #expect(seen == number, "\(String(decoding: label, as: UTF8.self))")
                    } else {
                        #expect(!known.values.contains(number), "\(String(decoding: label, as: UTF8.self))")
                        known[label] = number
                    }
                }
            }
        }
        #expect(numbers.labels.count == known.count + 1)
    }

    @Test("a key made when a record is read finds the label its bytes do, a longer label's rest read from a copy")
    func keysFindWhatBytesFind() {
        let numbers = LabelNumbers()
        var byKey = LabelCache()
        var byBytes = LabelCache()
        let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: 128)
        defer { copy.deallocate() }
        var seen: [[UInt8]: UInt32] = [:]
        for round in 0..<2 {
            for length in 1...100 {
                for variant in 0..<3 {
                    var label = (0..<length).map { UInt8(0x41 + ($0 * 7 + variant) % 26) }
                    if variant == 2 { label[length - 1] ^= 0x20 }
                    // The record's bytes are gone by the time its key is looked up.
                    var record = label
                    let key = record.withUnsafeBufferPointer { text in
                        copy.update(from: text.baseAddress!, count: length)
                        return LabelCache.key(text)
                    }
                    #expect(key.hash == label.withUnsafeBufferPointer { LabelCache.hash($0) })
                    record = Array(repeating: 0xFF, count: length)
                    let fromKey = byKey.number(of: key, tail: copy, numbers: numbers)
                    let fromBytes = label.withUnsafeBufferPointer { byBytes.number(of: $0, hash: LabelCache.hash($0), numbers: numbers) }
                    #expect(fromKey == fromBytes, "length \(length), round \(round)")
                    if let known = seen[label] {
                        #expect(known == fromKey)
                    } else {
                        #expect(!seen.values.contains(fromKey))
                        seen[label] = fromKey
                    }
                }
            }
        }
        #expect(numbers.labels.count == seen.count + 1)
        for (label, number) in seen { #expect(numbers.labels[Int(number)] == String(decoding: label, as: UTF8.self)) }
    }

    @Test("a label's map status is the map's, for labels it names and labels it does not, long ones included")
    func statusesAreTheMaps() {
        var map = LabelMap(source: "map.csv", sha256: "")
        let long = String(repeating: "Long Label Name ", count: 4)
        map.set("sony music", .major)
        map.set(long, .licensed)
        var cache = LabelCache()
        let numbers = LabelNumbers()
        for _ in 0..<3 {
            for (label, expected) in [("Sony Music", LabelStatus.major), (" SONY MUSIC", .major), (long.uppercased(), .licensed),
                                      ("Unmapped Tapes", .unknown), (long + "!", .unknown)] {
                let bytes = Array(label.utf8)
                let status = bytes.withUnsafeBufferPointer { text in
                    cache.status(cache.slot(of: text, hash: LabelCache.hash(text), numbers: numbers), in: map)
                }
                #expect(status == expected, "\(label)")
            }
        }
    }
}

@Suite("RunLabels: what a record's label number means in a scan and in a merge")
struct RunLabelsTests {
    @Test("the labels' byte order: by UTF-8 bytes, not by Swift's String order, a text before the longer ones it begins")
    func byteOrder() {
        var rng = SeededRNG(seed: 0xB17E)
        let pieces = ["", "a", "A", "ab", "abcdefgh", "abcdefghi", "abcdefgh\u{0}", "\u{E9}", "e\u{301}", "f", "東京", "Ω", "\u{7F}", "zz"]
        for _ in 0..<200 {
            var texts = Set<[UInt8]>()
            for _ in 0..<Int.random(in: 0..<20, using: &rng) {
                let text = (0..<Int.random(in: 1...3, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
                texts.insert(Array(text.utf8))
            }
            let strings = texts.map { String(decoding: $0, as: UTF8.self) }
            let order = RunLabels.byteOrder(of: strings).map { Array(strings[Int($0)].utf8) }
            #expect(order == texts.sorted { $0.lexicographicallyPrecedes($1) })
        }
    }

    /// A record of `input` whose label number is `number`.
    static func withRecord(input: Int, number: UInt32, _ body: (TrackRecordRef) -> Void) {
        let layout = TrackRecordLayout(policyCount: 1)
        let id: [UInt8] = [0x31]
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: layout.size(textBytes: 1), alignment: 8)
        defer { bytes.deallocate() }
        [UInt32(0)].withUnsafeBufferPointer { verdicts in
            id.withUnsafeBufferPointer { text in
                layout.write(to: bytes, hash: 1, position: TrackRecordLayout.position(input: input, offset: 0), flags: 0,
                             labelNumber: number, verdicts: verdicts, text: text, idLength: 1, artistLength: 0)
            }
        }
        body(TrackRecordRef(base: bytes, layout: layout))
    }

    @Test("a scan's numbers are indexes; a number its scan never gave is refused")
    func scanNumbers() {
        let labels = RunLabels(texts: ["", "A", "B"])
        RunLabelsTests.withRecord(input: 0, number: 2) { #expect(labels.index($0) == 2) }
        RunLabelsTests.withRecord(input: 5, number: 0) { #expect(labels.index($0) == 0) }
        RunLabelsTests.withRecord(input: 0, number: 3) { #expect(labels.index($0) == nil) }
    }

    @Test("a merge translates each shard's numbers by the input its records came from; a label two shards met is one")
    func mergeTranslates() throws {
        let labels = try RunLabels(shards: [(inputs: [0, 2], labels: { ["", "B", "A"] }), (inputs: [1], labels: { ["", "A", "C"] })],
                                   inputCount: 3)
        #expect(labels.texts == ["", "B", "A", "C"])
        let cases: [(input: Int, number: UInt32, index: Int?)] = [
            (0, 1, 1), (2, 2, 2), (1, 1, 2), (1, 2, 3), (1, 0, 0), (0, 3, nil), (1, 3, nil), (3, 0, nil),
        ]
        for c in cases {
            RunLabelsTests.withRecord(input: c.input, number: c.number) {
                #expect(labels.index($0) == c.index, "input \(c.input) number \(c.number)")
            }
        }
    }
    @Test("a merge keeps apart two labels that differ in bytes but are the same Unicode text, as a scan does")
    func mergeKeepsBytesApart() throws {
        let composed = "Caf\u{E9}", decomposed = "Cafe\u{301}"
        let labels = try RunLabels(shards: [(inputs: [0], labels: { ["", composed] }), (inputs: [1], labels: { ["", decomposed] })],
                                   inputCount: 2)
        #expect(labels.texts.map { Array($0.utf8) } == [[], Array(composed.utf8), Array(decomposed.utf8)])
    }
}
