import ConsentryModel
import Foundation
import Testing
import TestSupport
@testable import ConsentryEngine

/// The resolver's exact duplicate decisions and history merge, driven with records whose
/// hashes the tests choose: equal hashes for different ids, partitions at their edges, sort
/// budgets small enough to force runs on disk.
@Suite struct TrackResolverTests {
    /// A history output that keeps what it is told, per partition.
    final class Recorder: HistoryOutput, @unchecked Sendable {
        let lock = NSLock()
        var began: [String: UInt32] = [:]
        var artists: [String: String] = [:]
        var ended: [String: (fromRun: Int64, combo: UInt32)] = [:]
        /// The partitions whose changes are complete.
        var closed: Set<Int> = []

        func partition(_ index: Int) throws -> any HistoryPartitionWriter { Writer(self, index) }

        final class Writer: HistoryPartitionWriter {
            let recorder: Recorder
            let index: Int
            var lastKey: (UInt64, [UInt8])?
            init(_ recorder: Recorder, _ index: Int) {
                self.recorder = recorder
                self.index = index
            }

            func check(_ hash: UInt64, _ id: UnsafeRawBufferPointer) {
                let key = (hash, Array(id))
                if let last = lastKey {
                    #expect(last.0 < key.0 || (last.0 == key.0 && last.1.lexicographicallyPrecedes(key.1)),
                            "changes come in (hash, id) order")
                }
                lastKey = key
            }

            func began(hash: UInt64, id: UnsafeRawBufferPointer, combo: UInt32, artist: UnsafeRawBufferPointer) throws {
                check(hash, id)
                recorder.lock.lock()
                recorder.began[String(decoding: id, as: UTF8.self)] = combo
                recorder.artists[String(decoding: id, as: UTF8.self)] = String(decoding: artist, as: UTF8.self)
                recorder.lock.unlock()
            }

            func ended(hash: UInt64, id: UnsafeRawBufferPointer, fromRun: Int64, combo: UInt32) throws {
                recorder.lock.lock()
                recorder.ended[String(decoding: id, as: UTF8.self)] = (fromRun, combo)
                recorder.lock.unlock()
            }

            func close() throws {
                recorder.lock.lock()
                recorder.closed.insert(index)
                recorder.lock.unlock()
            }
        }
    }

    struct Track {
        var id: String
        var hash: UInt64
        var label: LabelStatus = .independent
        var verdicts: [UInt32] = [0]
        var labelName = ""
        var artist = ""
        var containsAI: ContainsAI? = nil
    }

    /// Spills `tracks` in order (their positions) and resolves them; with `knownLabels`, the
    /// resolver knows only that many of the labels numbered (the empty one first).
    static func resolve(_ tracks: [Track], in dir: TempDir, name: String, plan: HistoryPlan? = nil, budget: Int = 1 << 20,
                        jobs: Int = 2, knownLabels: Int? = nil, positions: [UInt64]? = nil,
                        grouped: (([String]) throws -> Void)? = nil,
                        consume: (Int) throws -> Void = { _ in }) throws -> TrackResolution {
        let work = try dir.makeDirectory(name)
        let layout = TrackRecordLayout(policyCount: tracks.first?.verdicts.count ?? 1)
        let spill = TrackSpill(directory: work, layout: layout)
        // Labels numbered as a scan's workers would: in the order they are met, 0 for none.
        var labelTexts = [""]
        for (position, track) in tracks.enumerated() {
            let text = Array(track.id.utf8) + Array(track.artist.utf8)
            if !labelTexts.contains(track.labelName) { labelTexts.append(track.labelName) }
            let number = UInt32(labelTexts.firstIndex(of: track.labelName)!)
            try text.withUnsafeBufferPointer { text in
                try track.verdicts.withUnsafeBufferPointer { v in
                    try spill.append(
                        hash: track.hash, position: positions?[position] ?? UInt64(position),
                        flags: TrackRecordLayout.flags(label: track.label, containsAI: track.containsAI?.rawValue ?? 0),
                        labelNumber: number, verdicts: v, text: text, idLength: track.id.utf8.count,
                        artistLength: track.artist.utf8.count)
                }
            }
        }
        let files = try spill.finish()
        let resolver = TrackResolver(layout: layout, partitionFiles: files.map { [$0] }, labels: RunLabels(texts: Array(labelTexts.prefix(knownLabels ?? labelTexts.count))),
                                     plan: plan, jobs: jobs, budgetBytes: budget, workDirectory: work,
                                     cancellation: Cancellation())
        let texts = Array(labelTexts.prefix(knownLabels ?? labelTexts.count))
        return try resolver.run(consume: consume, grouped: grouped.map { grouped in { try grouped($0.map { texts[$0] }) } })
    }

    /// The duplicates a resolution found, as (id, position), in input order.
    static func duplicates(_ resolution: TrackResolution, policyCount: Int = 1) throws -> [(String, UInt64)] {
        let stream = try SortedTracks(files: resolution.duplicateFiles, layout: TrackRecordLayout(policyCount: policyCount),
                                      order: .position, budgetBytes: 1 << 20, workDirectory: NSTemporaryDirectory(),
                                      runPrefix: "test-\(UUID().uuidString)")
        var out: [(String, UInt64)] = []
        while let record = try stream.next() { out.append((record.idString, record.position)) }
        return out
    }

    @Test("different ids that share a hash are different tracks; equal ids are duplicates, the first counts")
    func sharedHashesStayExact() throws {
        let dir = try TempDir("resolver")
        // Every id hashes to 7: the weakest possible hash.
        let ids = ["a", "b", "a", "c", "b", "a", "ab", "ba"]
        let resolution = try Self.resolve(ids.map { Track(id: $0, hash: 7) }, in: dir, name: "weak")
        #expect(resolution.tracks == 5)
        #expect(resolution.duplicates == 3)
        let found = try Self.duplicates(resolution)
        #expect(found.map(\.0) == ["a", "b", "a"])
        #expect(found.map(\.1) == [2, 4, 5], "the later occurrences are the duplicates, in input order")
    }

    @Test("the labels alone in their case group are handed over once, in byte order; an error there ends the run")
    func loneLabelsHandedOver() throws {
        let dir = try TempDir("resolver")
        let names = ["b", "A", "", "a", "Z", "\u{E9}", "c", "b"]
        let tracks = names.enumerated().map { Track(id: "t\($0.offset)", hash: UInt64($0.offset) << 58, labelName: $0.element) }
        var handed: [[String]] = []
        _ = try Self.resolve(tracks, in: dir, name: "lone", grouped: { handed.append($0) })
        #expect(handed == [["Z", "b", "c", "\u{E9}"]])
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try Self.resolve(tracks, in: dir, name: "refused", grouped: { _ in throw Refused() })
        }
    }

    @Test("tracks count under their labels; a label number the scan never gave is a damaged spill file, not a crash")
    func labelNumbersAreChecked() throws {
        let dir = try TempDir("resolver")
        let blocked = PackedDecisions.pack(.aiGenerativeTraining, verdict: .blocked, rule: 0)
            | PackedDecisions.pack(.aiTraining, verdict: .blocked, rule: 0)
        let tracks = [Track(id: "a", hash: 1, labelName: "A"), Track(id: "b", hash: 2, verdicts: [blocked], labelName: "B"),
                      Track(id: "c", hash: 3, labelName: "A"), Track(id: "d", hash: 4, verdicts: [blocked])]
        let resolution = try Self.resolve(tracks, in: dir, name: "labels")
        #expect(resolution.labels.breakdown.rows(policy: 0).map { "\($0.key)=\($0.tracks)/\($0.anyTrainingExposed)" } == ["A=2/2", "=1/0", "B=1/0"])
        #expect {
            try Self.resolve(tracks, in: dir, name: "unknown", knownLabels: 2)
        } throws: { error in
            (error as? WorkFileError)?.kind == .damaged
        }
    }

    @Test("a duplicate's counts are taken back out of the statistics")
    func duplicatesLeaveTheStatistics() throws {
        let dir = try TempDir("resolver")
        let tracks = [Track(id: "x", hash: 1, label: .major, verdicts: [PackedDecisions.pack(.aiTraining, verdict: .blocked, rule: 0)]),
                      Track(id: "x", hash: 1, label: .independent, verdicts: [0])]
        let resolution = try Self.resolve(tracks, in: dir, name: "stats")
        #expect(resolution.statistics.group(policy: 0, label: .independent).tracks == -1)
        #expect(resolution.statistics.group(policy: 0, label: .major).tracks == 0)
    }

    @Test("only a partition with duplicates has a duplicates file, with and without a sort", arguments: [1 << 20, 32])
    func duplicatesFilesOnlyWhereNeeded(budget: Int) throws {
        let dir = try TempDir("resolver")
        // "y" lies in the last partition twice; "x" and "z" once each in others.
        let tracks = [Track(id: "x", hash: 1, verdicts: [0]), Track(id: "y", hash: 1 << 62 | 5, verdicts: [0]),
                      Track(id: "z", hash: 1 << 61, verdicts: [0]), Track(id: "y", hash: 1 << 62 | 5, verdicts: [0])]
        let resolution = try Self.resolve(tracks, in: dir, name: "sparse", budget: budget)
        let present = resolution.duplicateFiles.indices.filter { FileManager.default.fileExists(atPath: resolution.duplicateFiles[$0]) }
        #expect(present == [TrackSpill.partition(of: 1 << 62 | 5)])
        #expect(try Self.duplicates(resolution).map(\.0) == ["y"])
        #expect(resolution.tracks == 3)
    }

    @Test("a partition larger than the sort budget is sorted in runs on disk, with the same result", arguments: [1, 2])
    func budgetForcesRunsOnDisk(jobs: Int) throws {
        let dir = try TempDir("resolver")
        var rng = SystemRandomNumberGenerator()
        var tracks: [Track] = []
        // 30,000 records in one partition (hashes below 2^57), a third of them repeats.
        for i in 0..<30_000 {
            let n = i % 3 == 2 ? Int.random(in: 0..<i, using: &rng) : i
            tracks.append(Track(id: "track-\(n)", hash: UInt64(n % 5000) << 8))
        }
        let small = try Self.resolve(tracks, in: dir, name: "small", budget: 1 << 16, jobs: jobs)
        let large = try Self.resolve(tracks, in: dir, name: "large", budget: 1 << 26, jobs: jobs)
        #expect(small.tracks == large.tracks)
        #expect(small.duplicates == large.duplicates)
        #expect(small.tracks + small.duplicates == 30_000)
        #expect(try Self.duplicates(small).map(\.1) == (try Self.duplicates(large)).map(\.1))
        let distinct = Set(tracks.map(\.id)).count
        #expect(small.tracks == distinct)
    }

    @Test("records spilled out of input order: the earliest occurrence counts, alike without a sort and in sorted runs", arguments: [1, 2])
    func outOfOrderRecords(jobs: Int) throws {
        let dir = try TempDir("resolver")
        var rng = SeededRNG(seed: 0x0DD5 + UInt64(jobs))
        let open = PackedDecisions.pack(.aiTraining, verdict: .exposed, rule: 1)
        let shut = PackedDecisions.pack(.aiGenerativeTraining, verdict: .blocked, rule: 0)
            | PackedDecisions.pack(.aiTraining, verdict: .blocked, rule: 0)
        var tracks: [Track] = []
        for _ in 0..<6_000 {
            let n = Int.random(in: 0..<2_500, using: &rng)
            // Few hashes for many ids (n % 300), so that different ids often share one.
            tracks.append(Track(
                id: "t-\(n)", hash: UInt64(n % 300) << 20 | UInt64(n % 7), label: LabelStatus.allCases.randomElement(using: &rng)!,
                verdicts: [[open, shut, 0].randomElement(using: &rng)!], labelName: ["", "L1", "L2", "L3"].randomElement(using: &rng)!,
                containsAI: [nil, .all, .noAI].randomElement(using: &rng)!))
        }
        // Positions a shuffle of the records' order, as when inputs are merged as they finish.
        var positions = (0..<UInt64(tracks.count)).map { $0 }
        positions.shuffle(using: &rng)
        let unsorted = try Self.resolve(tracks, in: dir, name: "memory", budget: 1 << 26, jobs: jobs, positions: positions)
        let runs = try Self.resolve(tracks, in: dir, name: "runs", budget: 1 << 16, jobs: jobs, positions: positions)

        // The oracle: per id, the occurrence with the smallest position.
        var first: [String: Int] = [:]
        for (k, track) in tracks.enumerated() where first[track.id].map({ positions[k] < positions[$0] }) ?? true {
            first[track.id] = k
        }
        var labelRows: [String: (Int, Int)] = [:]
        var expectedStatistics = RunStatistics(policyCount: 1)
        var expectedContainsAI = ContainsAICounts()
        var expectedDuplicates: [UInt64] = []
        for (k, track) in tracks.enumerated() {
            if first[track.id] == k {
                let exposed = PackedDecisions.trainingExposed(track.verdicts[0]) ? 1 : 0
                labelRows[track.labelName, default: (0, 0)].0 += 1
                labelRows[track.labelName, default: (0, 0)].1 += exposed
                expectedContainsAI.add(label: track.label, declared: track.containsAI)
            } else {
                expectedDuplicates.append(positions[k])
                track.verdicts.withUnsafeBufferPointer { expectedStatistics.add(label: track.label, packed: $0, sign: -1) }
            }
        }
        for resolution in [unsorted, runs] {
            #expect(resolution.tracks == first.count)
            #expect(resolution.duplicates == tracks.count - first.count)
            #expect(try Self.duplicates(resolution).map(\.1) == expectedDuplicates.sorted())
            #expect(resolution.statistics == expectedStatistics)
            #expect(resolution.containsAI == expectedContainsAI)
            let rows = resolution.labels.breakdown.rows(policy: 0).map { "\($0.key)=\($0.tracks)/\($0.anyTrainingExposed)" }.sorted()
            #expect(rows == labelRows.map { "\($0.key)=\($0.value.0)/\($0.value.1)" }.sorted())
        }
    }

    @Test("hashes at partition edges land in their partition and still resolve")
    func partitionEdges() throws {
        let dir = try TempDir("resolver")
        let top: UInt64 = (1 << 63) - 1
        let edge: UInt64 = 1 << (63 - UInt64(TrackSpill.partitionBits))
        let tracks = [Track(id: "max", hash: top), Track(id: "zero", hash: 0), Track(id: "edge", hash: edge),
                      Track(id: "below", hash: edge - 1), Track(id: "max", hash: top), Track(id: "zero", hash: 0)]
        #expect(TrackSpill.partition(of: top) == TrackSpill.partitionCount - 1)
        #expect(TrackSpill.partition(of: edge) == 1 && TrackSpill.partition(of: edge - 1) == 0)
        let resolution = try Self.resolve(tracks, in: dir, name: "edges")
        #expect(resolution.tracks == 4 && resolution.duplicates == 2)
    }

    /// `count` records of tracks in every partition, the last eight repeating the first.
    static func spread(_ count: Int) -> [Track] {
        let step = UInt64(1) << (63 - UInt64(TrackSpill.partitionBits))
        return (0..<count).map { i in
            let k = i % (count - 8)
            return Track(id: "t\(k)", hash: UInt64(k % TrackSpill.partitionCount) * step + UInt64(k))
        }
    }

    @Test("each partition is handed over in order, on the calling thread, once its changes and state are written", arguments: [1, 2])
    func partitionsHandedOverInOrder(jobs: Int) throws {
        let dir = try TempDir("resolver")
        let recorder = Recorder()
        let state = try dir.makeDirectory("state")
        let caller = Thread.current
        var consumed: [Int] = []
        let resolution = try Self.resolve(
            Self.spread(200), in: dir, name: "order", plan: Self.plan(run: 1, previous: nil, next: state, combos: ComboTable(), output: recorder),
            jobs: jobs, consume: { p in
                #expect(Thread.current == caller)
                recorder.lock.lock()
                let complete = recorder.closed.contains(p)
                recorder.lock.unlock()
                #expect(complete, "partition \(p)'s changes are complete")
                #expect(FileManager.default.fileExists(atPath: state + "/" + HistoryPlan.stateFileName(partition: p)))
                consumed.append(p)
            })
        #expect(consumed == Array(0..<TrackSpill.partitionCount))
        #expect(resolution.tracks + resolution.duplicates == 200 && recorder.began.count == resolution.tracks)
    }

    struct Refused: Error {}

    @Test("an error while a partition is handed over stops the resolver threads and is the run's error", arguments: [1, 2])
    func consumerErrorStops(jobs: Int) throws {
        let dir = try TempDir("resolver")
        var consumed: [Int] = []
        #expect(throws: Refused.self) {
            _ = try Self.resolve(Self.spread(200), in: dir, name: "refused", jobs: jobs, consume: { p in
                consumed.append(p)
                if p == 3 { throw Refused() }
            })
        }
        #expect(consumed == [0, 1, 2, 3])
    }

    /// A plan for one policy whose rule numbers are the rule indexes.
    static func plan(run: Int64, previous: String?, next: String, combos: ComboTable, output: HistoryOutput,
                     exposedOnly: Bool = false) -> HistoryPlan {
        let identity = (0..<4).map { _ in (0..<64).map { UInt16($0) } }
        return HistoryPlan(
            runID: run, policyNumbers: [1], ruleNumbers: [identity], exposedOnly: exposedOnly, combos: combos,
            previousState: previous.map { dir in (0..<HistoryPlan.partitionCount).map { dir + "/" + HistoryPlan.stateFileName(partition: $0) } },
            newStateDirectory: next, output: output)
    }

    @Test("three nights: new, unchanged, changed, removed and re-added tracks, with shared hashes")
    func historyAcrossNights() throws {
        let dir = try TempDir("resolver")
        let combos = ComboTable()
        let open = PackedDecisions.pack(.aiTraining, verdict: .exposed, rule: 1)
        let shut = PackedDecisions.pack(.aiTraining, verdict: .blocked, rule: 0)
        // Night 1: a, b, c (a and b share a hash).
        let n1 = Recorder()
        let s1 = try dir.makeDirectory("state1")
        _ = try Self.resolve([Track(id: "a", hash: 5, verdicts: [open]), Track(id: "b", hash: 5, verdicts: [open]),
                              Track(id: "c", hash: 9, verdicts: [open])],
                             in: dir, name: "n1", plan: Self.plan(run: 1, previous: nil, next: s1, combos: combos, output: n1))
        #expect(Set(n1.began.keys) == ["a", "b", "c"] && n1.ended.isEmpty)
        // Night 2: a unchanged, b changed, c gone, d new.
        let n2 = Recorder()
        let s2 = try dir.makeDirectory("state2")
        _ = try Self.resolve([Track(id: "d", hash: 5, verdicts: [open]), Track(id: "b", hash: 5, verdicts: [shut]),
                              Track(id: "a", hash: 5, verdicts: [open])],
                             in: dir, name: "n2", plan: Self.plan(run: 2, previous: s1, next: s2, combos: combos, output: n2))
        #expect(Set(n2.began.keys) == ["b", "d"])
        #expect(Set(n2.ended.keys) == ["b", "c"])
        #expect(n2.ended["b"]?.fromRun == 1 && n2.ended["c"]?.fromRun == 1)
        #expect(n2.began["b"] != n1.began["b"], "b's new state is another combination")
        // Night 3: c comes back as it was; everything else as on night 2.
        let n3 = Recorder()
        let s3 = try dir.makeDirectory("state3")
        _ = try Self.resolve([Track(id: "a", hash: 5, verdicts: [open]), Track(id: "b", hash: 5, verdicts: [shut]),
                              Track(id: "c", hash: 9, verdicts: [open]), Track(id: "d", hash: 5, verdicts: [open])],
                             in: dir, name: "n3", plan: Self.plan(run: 3, previous: s2, next: s3, combos: combos, output: n3))
        #expect(Array(n3.began.keys) == ["c"] && n3.ended.isEmpty)
        #expect(n3.began["c"] == n1.began["c"], "the same state gets the same combination")
        // The state after night 3 lists every live track with the run its period began in.
        var live: [String: Int64] = [:]
        for p in 0..<HistoryPlan.partitionCount {
            let reader = try TrackStateReader(path: s3 + "/" + HistoryPlan.stateFileName(partition: p))
            while let s = try reader.next() { live[String(decoding: s.id, as: UTF8.self)] = s.fromRun }
        }
        #expect(live == ["a": 1, "b": 2, "c": 3, "d": 2])
    }

    @Test("--store exposed: a track no longer exposed ends its period")
    func exposedOnlyHistory() throws {
        let dir = try TempDir("resolver")
        let combos = ComboTable()
        let open = PackedDecisions.pack(.aiTraining, verdict: .exposed, rule: 1)
        let none: UInt32 = PackedDecisions.pack(.aiGenerativeTraining, verdict: .blocked, rule: 0)
            | PackedDecisions.pack(.aiTraining, verdict: .blocked, rule: 0)
            | PackedDecisions.pack(.aiInference, verdict: .blocked, rule: 0)
            | PackedDecisions.pack(.dataMining, verdict: .blocked, rule: 0)
        let s1 = try dir.makeDirectory("s1"), s2 = try dir.makeDirectory("s2")
        let n1 = Recorder(), n2 = Recorder()
        _ = try Self.resolve([Track(id: "a", hash: 1, verdicts: [open]), Track(id: "z", hash: 2, verdicts: [none])],
                             in: dir, name: "e1", plan: Self.plan(run: 1, previous: nil, next: s1, combos: combos, output: n1, exposedOnly: true))
        #expect(Array(n1.began.keys) == ["a"], "a track exposed to nothing is not stored")
        _ = try Self.resolve([Track(id: "a", hash: 1, verdicts: [none])],
                             in: dir, name: "e2", plan: Self.plan(run: 2, previous: s1, next: s2, combos: combos, output: n2, exposedOnly: true))
        #expect(n2.began.isEmpty && Array(n2.ended.keys) == ["a"])
    }

    @Test("labels and ContainsAI are counted once per distinct track, the first occurrence's; spellings of a label are one")
    func breakdownsCountDistinctTracks() throws {
        let dir = try TempDir("resolver")
        let open = PackedDecisions.pack(.aiTraining, verdict: .exposed, rule: 1)
        let shut = PackedDecisions.pack(.aiGenerativeTraining, verdict: .blocked, rule: 0)
            | PackedDecisions.pack(.aiTraining, verdict: .blocked, rule: 0)
        let tracks = [
            Track(id: "a", hash: 3, label: .major, verdicts: [shut], labelName: "Sony Music", containsAI: .all),
            Track(id: "b", hash: 3, label: .major, verdicts: [open], labelName: "sony music"),
            Track(id: "c", hash: 1 << 60, verdicts: [open], labelName: "SONY MUSIC", containsAI: .partly),
            Track(id: "d", hash: 1 << 61, verdicts: [open], containsAI: .noAI),
            // Duplicates of a and d: neither their labels nor their declarations count.
            Track(id: "a", hash: 3, verdicts: [open], labelName: "Other", containsAI: .noAI),
            Track(id: "d", hash: 1 << 61, verdicts: [open], labelName: "Other"),
        ]
        let resolution = try Self.resolve(tracks, in: dir, name: "breakdowns")
        let rows = resolution.labels.breakdown.rows(policy: 0)
        // Three spellings, one track each: the first in byte order names the label.
        #expect(rows == [Breakdown.Row(key: "SONY MUSIC", tracks: 3, anyTrainingExposed: 2),
                         Breakdown.Row(key: "", tracks: 1, anyTrainingExposed: 1)])
        #expect(resolution.containsAI.count(label: .major, declared: .all) == 1)
        #expect(resolution.containsAI.count(label: .major, declared: nil) == 1)
        #expect(resolution.containsAI.count(label: .independent, declared: .partly) == 1)
        #expect(resolution.containsAI.count(label: nil, declared: .noAI) == 1)
        #expect(resolution.containsAI.count(label: nil, declared: nil) == 1)
    }

    @Test("a new artist begins a new period even when the verdicts stay; the state keeps the artist")
    func artistChangesArePeriods() throws {
        let dir = try TempDir("resolver")
        let combos = ComboTable()
        let open = PackedDecisions.pack(.aiTraining, verdict: .exposed, rule: 1)
        let s1 = try dir.makeDirectory("a1"), s2 = try dir.makeDirectory("a2"), s3 = try dir.makeDirectory("a3")
        let n1 = Recorder(), n2 = Recorder(), n3 = Recorder()
        _ = try Self.resolve([Track(id: "a", hash: 1, verdicts: [open], artist: "x"), Track(id: "b", hash: 2, verdicts: [open], artist: "y")],
                             in: dir, name: "r1", plan: Self.plan(run: 1, previous: nil, next: s1, combos: combos, output: n1))
        #expect(n1.artists == ["a": "x", "b": "y"])
        _ = try Self.resolve([Track(id: "a", hash: 1, verdicts: [open], artist: "x"), Track(id: "b", hash: 2, verdicts: [open], artist: "z")],
                             in: dir, name: "r2", plan: Self.plan(run: 2, previous: s1, next: s2, combos: combos, output: n2))
        #expect(Array(n2.began.keys) == ["b"] && Array(n2.ended.keys) == ["b"])
        #expect(n2.artists == ["b": "z"] && n2.began["b"] == n1.began["b"], "same combination, new artist")
        _ = try Self.resolve([Track(id: "a", hash: 1, verdicts: [open], artist: "x"), Track(id: "b", hash: 2, verdicts: [open], artist: "z")],
                             in: dir, name: "r3", plan: Self.plan(run: 3, previous: s2, next: s3, combos: combos, output: n3))
        #expect(n3.began.isEmpty && n3.ended.isEmpty, "nothing changed")
    }
}
